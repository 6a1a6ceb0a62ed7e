/**
 * The chunks of a streamed chat completion. Written from the API reference (the chat completion
 * chunk object) and drawn like `completion.ts`, whose types the chunk shares.
 */
import type { ChatCompletion, ChatCompletionTokenLogprob, CompletionUsage } from './completion.js';

/** One chunk of a streamed chat completion (`stream: true`): what every source emits. */
export interface ChatCompletionChunk {
  /** The completion's id, the same on every chunk of a stream. */
  id: string;
  object: 'chat.completion.chunk';
  /** When the completion was created (Unix seconds), the same on every chunk. */
  created: number;
  /** The model that answers. */
  model: string;
  /**
   * The choices this chunk adds to, by `index`. Empty in the usage chunk
   * (`stream_options.include_usage`) and in Azure's prompt-filter chunk.
   */
  choices: ChatCompletionChunk.Choice[];
  /**
   * Token counts: in the last chunk when `stream_options.include_usage` is set, else absent;
   * `null` in the chunks before it.
   */
  usage?: CompletionUsage | null;
  /** The backend configuration that answers (Azure sends `null`, outside the API's type). */
  system_fingerprint?: string;
  /** The tier that processes the request. */
  service_tier?: 'auto' | 'default' | 'flex' | 'scale' | 'priority' | 'fast' | null;
  /** The moderation of input and output, when the request asked for it (in a chunk of its own). */
  moderation?: ChatCompletion.Moderation | null;
  /** Padding against length side channels (`stream_options.include_obfuscation`); never part of the answer. */
  obfuscation?: string;
  /** Not OpenAI: Azure OpenAI's verdicts on the prompt (in a first chunk with no choices). */
  prompt_filter_results?: ChatCompletion.PromptFilterResult[];
}

export declare namespace ChatCompletionChunk {
  /** What one chunk adds to one choice. */
  interface Choice {
    /** Which of the `n` answers this adds to. */
    index: number;
    /** The new pieces (Azure's filter-only choices may lack it at run time; the toolkit copes). */
    delta: Choice.Delta;
    /** `null` until the choice's last chunk, then why the model stopped. */
    finish_reason: ChatCompletion.Choice['finish_reason'] | null;
    /** Log probabilities of this chunk's tokens, when the request asked for them. */
    logprobs?: Choice.Logprobs | null;
    /** Not OpenAI: Azure OpenAI's verdicts on the answer so far. */
    content_filter_results?: ChatCompletion.ContentFilterResults;
  }

  namespace Choice {
    /** The pieces a chunk adds to a message: strings append, tool calls merge by `index`. */
    interface Delta {
      /** In the first chunk of a choice. */
      role?: 'developer' | 'system' | 'user' | 'assistant' | 'tool';
      /** A piece of the text. */
      content?: string | null;
      /** A piece of the refusal. */
      refusal?: string | null;
      /** Pieces of tool calls. */
      tool_calls?: Delta.ToolCall[];
      /** @deprecated A piece of a function call of the older `functions` API. */
      function_call?: Delta.FunctionCall;
      /** A piece of audio, when `modalities` asked for it. */
      audio?: Delta.Audio;
      /** Not OpenAI: a piece of reasoning text (DeepSeek, xAI, vLLM); `null` once the answer starts. */
      reasoning_content?: string | null;
      /** Not OpenAI: a piece of reasoning text (OpenRouter, Ollama, Groq). */
      reasoning?: string | null;
    }

    namespace Delta {
      /** A piece of a function call of the older API. */
      interface FunctionCall {
        name?: string;
        /** A piece of the JSON text of the arguments. */
        arguments?: string;
      }

      /** A piece of a tool call: the first has `id`, `type` and the name; later ones add to the arguments. */
      interface ToolCall {
        /** Which tool call of the message this adds to. */
        index: number;
        id?: string;
        type?: 'function' | 'custom';
        function?: ToolCall.Function;
        custom?: ToolCall.Custom;
      }

      namespace ToolCall {
        /** A piece of a function call. */
        interface Function {
          name?: string;
          /** A piece of the JSON text of the arguments. */
          arguments?: string;
        }

        /** A piece of a custom tool call. */
        interface Custom {
          name?: string;
          /** A piece of the input. */
          input?: string;
        }
      }

      /** A piece of audio. */
      interface Audio {
        id?: string;
        /** A piece of the base64 audio bytes. */
        data?: string;
        expires_at?: number;
        /** A piece of the transcript. */
        transcript?: string;
      }
    }

    /** Log probabilities of a chunk's tokens. */
    interface Logprobs {
      content: ChatCompletionTokenLogprob[] | null;
      refusal: ChatCompletionTokenLogprob[] | null;
    }
  }
}
