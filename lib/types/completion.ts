/**
 * What a chat-completion request returns: the completion, its message, tool calls, log
 * probabilities and usage (the chunks of a streamed one are in `chunk.ts`). Written from the API
 * reference (the chat completion object); structurally compatible with the `openai` SDK's types of
 * versions 5 to 7, which it does not import (`spec/types/sdk-compat.*.ts` prove it).
 *
 * How the types are drawn:
 * - Each type is the API's as of today (what `openai` 7 types), so a value typed with the SDK of
 *   version 5, 6 or 7 is assignable to ours, and ours to the SDK 7's. Where the API grew since 5
 *   and 6 (`service_tier: 'fast'`, custom tool call deltas, …), ours are not assignable to theirs.
 * - Fields that OpenAI-compatible servers add and the toolkit handles are optional members
 *   (`reasoning_content`, `reasoning`, Azure's `content_filter_results` and
 *   `prompt_filter_results`). No type the SDK has too gets an index signature, since an SDK
 *   interface would then no longer be assignable to ours.
 * - Closed unions (`finish_reason`, `role`, `type`) are the API's. A compatible server may send
 *   other strings (a `finish_reason` of `'abort'`, say): the toolkit passes them through
 *   unchanged, but the types do not list them, so that switches over them stay exhaustive and
 *   values flow both ways between these types and the SDK's. Compare with a plain string when
 *   you target such a server.
 */

/** Token counts of a request. */
export interface CompletionUsage {
  /** Tokens of the prompt. */
  prompt_tokens: number;
  /** Tokens of the generated completion (reasoning tokens included). */
  completion_tokens: number;
  /** Tokens used in all (some servers add hidden tokens: not always the sum). */
  total_tokens: number;
  /** A breakdown of `completion_tokens`. */
  completion_tokens_details?: CompletionUsage.CompletionTokensDetails;
  /** A breakdown of `prompt_tokens`. */
  prompt_tokens_details?: CompletionUsage.PromptTokensDetails;
}

export declare namespace CompletionUsage {
  /** A breakdown of the completion's tokens. */
  interface CompletionTokensDetails {
    /** Tokens of a predicted output (`prediction`) that appeared in the completion. */
    accepted_prediction_tokens?: number;
    /** Audio tokens the model generated. */
    audio_tokens?: number;
    /** Tokens the model spent reasoning. */
    reasoning_tokens?: number;
    /** Tokens of a predicted output that did not appear in the completion (billed all the same). */
    rejected_prediction_tokens?: number;
    /** Text tokens the model generated. */
    text_tokens?: number;
  }

  /** A breakdown of the prompt's tokens. */
  interface PromptTokensDetails {
    /** Audio tokens of the prompt. */
    audio_tokens?: number;
    /** Tokens written to the prompt cache. */
    cache_write_tokens?: number;
    /** Tokens read from the prompt cache. */
    cached_tokens?: number;
    /** Image tokens of the prompt. */
    image_tokens?: number;
    /** Text tokens of the prompt. */
    text_tokens?: number;
  }
}

/** The log probability of one output token, with the most likely alternatives. */
export interface ChatCompletionTokenLogprob {
  /** The token. */
  token: string;
  /** Its UTF-8 bytes (a character may span tokens); `null` when the token has none. */
  bytes: number[] | null;
  /** Its log probability (`-9999.0` when very unlikely). */
  logprob: number;
  /** The most likely tokens at this position (as many as `top_logprobs` asked for). */
  top_logprobs: ChatCompletionTokenLogprob.TopLogprob[];
}

export declare namespace ChatCompletionTokenLogprob {
  /** One likely token at a position. */
  interface TopLogprob {
    token: string;
    bytes: number[] | null;
    logprob: number;
  }
}

/** Audio a model answered with (`modalities: ['audio']`). */
export interface ChatCompletionAudio {
  /** Its id, to refer to it in a later assistant message. */
  id: string;
  /** Base64 audio bytes, in the format the request asked for. */
  data: string;
  /** When the audio stops being available on the server (Unix seconds). */
  expires_at: number;
  /** What the audio says. */
  transcript: string;
}

/** A call of a function tool the model made. */
export interface ChatCompletionMessageFunctionToolCall {
  /** The call's id, which the `tool` message answering it names. */
  id: string;
  type: 'function';
  function: ChatCompletionMessageFunctionToolCall.Function;
}

export declare namespace ChatCompletionMessageFunctionToolCall {
  /** The function called. */
  interface Function {
    name: string;
    /** The arguments as JSON text, as the model wrote them: not always valid JSON. */
    arguments: string;
  }
}

/** A call of a custom (free-form input) tool the model made. */
export interface ChatCompletionMessageCustomToolCall {
  /** The call's id, which the `tool` message answering it names. */
  id: string;
  type: 'custom';
  custom: ChatCompletionMessageCustomToolCall.Custom;
}

export declare namespace ChatCompletionMessageCustomToolCall {
  /** The custom tool called. */
  interface Custom {
    name: string;
    /** The input the model wrote for it. */
    input: string;
  }
}

/** A tool call of an assistant message: a function call or a custom tool call. */
export type ChatCompletionMessageToolCall = ChatCompletionMessageFunctionToolCall | ChatCompletionMessageCustomToolCall;

/** The message a model answered with. */
export interface ChatCompletionMessage {
  role: 'assistant';
  /** The text; `null` when the answer is only tool calls or a refusal. */
  content: string | null;
  /** The refusal text, when the model refused. */
  refusal: string | null;
  /** The tool calls the model made. */
  tool_calls?: ChatCompletionMessageToolCall[];
  /** Sources cited (web search). */
  annotations?: ChatCompletionMessage.Annotation[];
  /** Audio, when `modalities` asked for it. */
  audio?: ChatCompletionAudio | null;
  /** @deprecated The function call of the older `functions` API; `tool_calls` replaced it. */
  function_call?: ChatCompletionMessage.FunctionCall | null;
  /** Not OpenAI: the reasoning text some compatible servers return (DeepSeek, xAI, vLLM). */
  reasoning_content?: string | null;
  /** Not OpenAI: the reasoning text other compatible servers return (OpenRouter, Ollama, Groq). */
  reasoning?: string | null;
}

export declare namespace ChatCompletionMessage {
  /** A citation of a web page. */
  interface Annotation {
    type: 'url_citation';
    url_citation: Annotation.URLCitation;
  }

  namespace Annotation {
    /** Where in `content` the page is cited, and the page. */
    interface URLCitation {
      /** Index of the citation's first character in `content`. */
      start_index: number;
      /** Index after its last character. */
      end_index: number;
      title: string;
      url: string;
    }
  }

  /** The function the model called (the older `functions` API). */
  interface FunctionCall {
    name: string;
    /** The arguments as JSON text, as the model wrote them. */
    arguments: string;
  }
}

/** A chat completion: what a request without `stream` returns, and what `toChatCompletion()` rebuilds. */
export interface ChatCompletion {
  /** The completion's id (every chunk of a stream carries the same). */
  id: string;
  object: 'chat.completion';
  /** When it was created (Unix seconds). */
  created: number;
  /** The model that answered (may be more precise than the one asked for). */
  model: string;
  /** One per `n`, by `index`. */
  choices: ChatCompletion.Choice[];
  /** Token counts. */
  usage?: CompletionUsage;
  /** The backend configuration that answered, for telling determinism apart. */
  system_fingerprint?: string;
  /** The tier that processed the request. */
  service_tier?: 'auto' | 'default' | 'flex' | 'scale' | 'priority' | 'fast' | null;
  /** The `metadata` the request stored with the completion. */
  metadata?: { [key: string]: string } | null;
  /** The moderation of input and output, when the request asked for it (`moderation`). */
  moderation?: ChatCompletion.Moderation | null;
  /** Not OpenAI: Azure OpenAI's verdicts on the prompt. */
  prompt_filter_results?: ChatCompletion.PromptFilterResult[];
}

export declare namespace ChatCompletion {
  /** Not OpenAI: Azure OpenAI's content-filter verdicts, one entry per category (`hate`, `jailbreak`, …), each its own shape. */
  interface ContentFilterResults {
    [category: string]: unknown;
  }

  /** Not OpenAI: Azure OpenAI's verdicts on one prompt. */
  interface PromptFilterResult {
    prompt_index: number;
    content_filter_results?: ContentFilterResults;
  }

  /** One answer. */
  interface Choice {
    /** Its position among the `n` answers. */
    index: number;
    message: ChatCompletionMessage;
    /**
     * Why the model stopped: a natural end or a stop sequence (`stop`), `max_tokens` (`length`),
     * tool calls (`tool_calls`), a content filter (`content_filter`), or a function call of the
     * older API (`function_call`).
     */
    finish_reason: 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';
    /** Log probabilities, when the request asked for them (`logprobs: true`). */
    logprobs: Choice.Logprobs | null;
    /** Not OpenAI: Azure OpenAI's verdicts on this answer. */
    content_filter_results?: ContentFilterResults;
  }

  namespace Choice {
    /** Log probabilities of the answer's tokens. */
    interface Logprobs {
      /** Of the content's tokens. */
      content: ChatCompletionTokenLogprob[] | null;
      /** Of the refusal's tokens. */
      refusal: ChatCompletionTokenLogprob[] | null;
    }
  }

  /** The moderation of the input and the output. */
  interface Moderation {
    input: Moderation.ModerationResults | Moderation.Error;
    output: Moderation.ModerationResults | Moderation.Error;
  }

  namespace Moderation {
    /** The results of a moderation model. */
    interface ModerationResults {
      type: 'moderation_results';
      model: string;
      results: ModerationResults.Result[];
    }

    namespace ModerationResults {
      /** One result: flagged or not, per category. */
      interface Result {
        type: 'moderation_result';
        model: string;
        flagged: boolean;
        categories: { [category: string]: boolean };
        category_applied_input_types: { [category: string]: Array<'text' | 'image'> };
        category_scores: { [category: string]: number };
      }
    }

    /** Moderation could not run. */
    interface Error {
      type: 'error';
      code: string;
      message: string;
    }
  }
}
