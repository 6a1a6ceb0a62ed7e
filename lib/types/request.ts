/**
 * What a chat-completion request sends: the messages, the tools, the request body. Written from
 * the API reference (create chat completion); drawn like `completion.ts` (the API as `openai` 7
 * types it, so the SDK's request types of versions 5 to 7 are assignable to ours, and ours to the
 * SDK 7's). The toolkit reads only `model`, `messages` and `tools` (to count prompt tokens); the
 * rest is here so that a request typed with these types can go to any `openai`-shaped client.
 */
import type { ChatCompletionMessageToolCall } from './completion.js';

/** Marks the end of a prompt-cache prefix (`prompt_cache_options.mode: 'explicit'`). */
export interface ChatCompletionPromptCacheBreakpoint {
  mode: 'explicit';
  /** How long the cached prefix lives. */
  ttl?: '30m' | '12h';
}

/** A text part of a message's `content`. */
export interface ChatCompletionContentPartText {
  type: 'text';
  text: string;
  prompt_cache_breakpoint?: ChatCompletionPromptCacheBreakpoint;
}

/** An image part of a user message's `content`. */
export interface ChatCompletionContentPartImage {
  type: 'image_url';
  image_url: ChatCompletionContentPartImage.ImageURL;
  prompt_cache_breakpoint?: ChatCompletionPromptCacheBreakpoint;
}

export declare namespace ChatCompletionContentPartImage {
  /** The image. */
  interface ImageURL {
    /** A URL, or the image as a `data:` URL (base64). */
    url: string;
    /** The detail the model sees it at. */
    detail?: 'auto' | 'low' | 'high' | 'original';
  }
}

/** An audio part of a user message's `content`. */
export interface ChatCompletionContentPartInputAudio {
  type: 'input_audio';
  input_audio: ChatCompletionContentPartInputAudio.InputAudio;
  prompt_cache_breakpoint?: ChatCompletionPromptCacheBreakpoint;
}

export declare namespace ChatCompletionContentPartInputAudio {
  /** The audio. */
  interface InputAudio {
    /** Base64 audio bytes. */
    data: string;
    format: 'wav' | 'mp3';
  }
}

/** A file part of a user message's `content`. */
export interface ChatCompletionContentPartFile {
  type: 'file';
  file: ChatCompletionContentPartFile.File;
  prompt_cache_breakpoint?: ChatCompletionPromptCacheBreakpoint;
}

export declare namespace ChatCompletionContentPartFile {
  /** The file: uploaded (`file_id`) or inline (`file_data`, base64, with `filename`). */
  interface File {
    file_data?: string;
    file_id?: string;
    filename?: string;
  }
}

/** A refusal part of an assistant message's `content`. */
export interface ChatCompletionContentPartRefusal {
  type: 'refusal';
  refusal: string;
}

/** A part of a user message's `content`. */
export type ChatCompletionContentPart =
  | ChatCompletionContentPartText
  | ChatCompletionContentPartImage
  | ChatCompletionContentPartInputAudio
  | ChatCompletionContentPartFile;

/** Instructions the model follows whatever the user says (`developer` replaces `system` for reasoning models). */
export interface ChatCompletionDeveloperMessageParam {
  role: 'developer';
  content: string | ChatCompletionContentPartText[];
  /** A name telling participants of the same role apart. */
  name?: string;
}

/** Instructions the model follows whatever the user says. */
export interface ChatCompletionSystemMessageParam {
  role: 'system';
  content: string | ChatCompletionContentPartText[];
  name?: string;
}

/** What the user says. */
export interface ChatCompletionUserMessageParam {
  role: 'user';
  content: string | ChatCompletionContentPart[];
  name?: string;
}

/** What the model said before, sent back as part of the conversation. */
export interface ChatCompletionAssistantMessageParam {
  role: 'assistant';
  /** Required unless `tool_calls` or `function_call` is given. */
  content?: string | Array<ChatCompletionContentPartText | ChatCompletionContentPartRefusal> | null;
  refusal?: string | null;
  name?: string;
  tool_calls?: ChatCompletionMessageToolCall[];
  /** A previous audio answer, by id. */
  audio?: ChatCompletionAssistantMessageParam.Audio | null;
  /** @deprecated The function call of the older `functions` API. */
  function_call?: ChatCompletionAssistantMessageParam.FunctionCall | null;
}

export declare namespace ChatCompletionAssistantMessageParam {
  /** A previous audio answer. */
  interface Audio {
    id: string;
  }

  /** A function call of the older API. */
  interface FunctionCall {
    name: string;
    arguments: string;
  }
}

/** The result of a tool call, answering the call with `tool_call_id`. */
export interface ChatCompletionToolMessageParam {
  role: 'tool';
  content: string | ChatCompletionContentPartText[];
  tool_call_id: string;
}

/** @deprecated The result of a function call of the older `functions` API. */
export interface ChatCompletionFunctionMessageParam {
  role: 'function';
  content: string | null;
  /** The function's name. */
  name: string;
}

/** One message of a request's `messages`. */
export type ChatCompletionMessageParam =
  | ChatCompletionDeveloperMessageParam
  | ChatCompletionSystemMessageParam
  | ChatCompletionUserMessageParam
  | ChatCompletionAssistantMessageParam
  | ChatCompletionToolMessageParam
  | ChatCompletionFunctionMessageParam;

/** A function the model may call. */
export interface ChatCompletionFunctionTool {
  type: 'function';
  function: ChatCompletionFunctionTool.Function;
}

export declare namespace ChatCompletionFunctionTool {
  /** The function: its name, what it does, and its parameters as a JSON Schema. */
  interface Function {
    /** Letters, digits, `_` and `-`, at most 64. */
    name: string;
    /** What it does, for the model to choose when to call it. */
    description?: string;
    /** A JSON Schema object; none means no parameters. */
    parameters?: { [key: string]: unknown };
    /** Whether the arguments must follow the schema exactly (structured outputs). */
    strict?: boolean | null;
  }
}

/** A tool the model calls with free-form text input, optionally constrained by a grammar. */
export interface ChatCompletionCustomTool {
  type: 'custom';
  custom: ChatCompletionCustomTool.Custom;
}

export declare namespace ChatCompletionCustomTool {
  /** The tool. */
  interface Custom {
    name: string;
    description?: string;
    /** Free text (default) or text matching a grammar. */
    format?: Custom.Text | Custom.Grammar;
  }

  namespace Custom {
    /** Unconstrained text. */
    interface Text {
      type: 'text';
    }

    /** Text matching a grammar. */
    interface Grammar {
      type: 'grammar';
      grammar: { definition: string; syntax: 'lark' | 'regex' };
    }
  }
}

/** A tool the model may call: a function or a custom tool. */
export type ChatCompletionTool = ChatCompletionFunctionTool | ChatCompletionCustomTool;

/**
 * Which tool the model calls: `none`, `auto` (the default when tools are given), `required` (at
 * least one), one among a subset (`allowed_tools`), or a named function or custom tool.
 */
export type ChatCompletionToolChoiceOption =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'allowed_tools'; allowed_tools: { mode: 'auto' | 'required'; tools: Array<{ [key: string]: unknown }> } }
  | { type: 'function'; function: { name: string } }
  | { type: 'custom'; custom: { name: string } };

/** Options of a streamed response. */
export interface ChatCompletionStreamOptions {
  /** Send a last chunk with `usage` (and `choices: []`); the chunks before carry `usage: null`. */
  include_usage?: boolean;
  /** Pad chunks with `obfuscation` against length side channels (on by default). */
  include_obfuscation?: boolean;
}

/** The body of a create request, streamed or not. */
export interface ChatCompletionCreateParamsBase {
  /** The conversation so far. */
  messages: ChatCompletionMessageParam[];
  /** The model id (`gpt-4o-mini`, `o3`, or a compatible server's own). */
  model: string;
  stream?: boolean | null;
  stream_options?: ChatCompletionStreamOptions | null;
  /** Tools the model may call. */
  tools?: ChatCompletionTool[];
  tool_choice?: ChatCompletionToolChoiceOption;
  /** Whether the model may call several tools in one answer. */
  parallel_tool_calls?: boolean;
  /** How many answers (choices) to generate. */
  n?: number | null;
  /** @deprecated The token limit of older models; reasoning models take `max_completion_tokens`. */
  max_tokens?: number | null;
  /** The most tokens the completion may take, reasoning included. */
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  frequency_penalty?: number | null;
  presence_penalty?: number | null;
  /** Token id → bias (-100 to 100). */
  logit_bias?: { [token: string]: number } | null;
  /** Return the log probabilities of the output tokens. */
  logprobs?: boolean | null;
  /** How many likely tokens to return per position (0 to 20; needs `logprobs`). */
  top_logprobs?: number | null;
  /** Up to 4 sequences that end the completion. */
  stop?: string | string[] | null;
  seed?: number | null;
  /** Text, a JSON object, or JSON following a schema (structured outputs). */
  response_format?:
    | { type: 'text' }
    | { type: 'json_object' }
    | { type: 'json_schema'; json_schema: ChatCompletionCreateParamsBase.JSONSchema };
  /** How much a reasoning model reasons. */
  reasoning_effort?: 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | 'max' | null;
  /** How long the answer is. */
  verbosity?: 'low' | 'medium' | 'high' | null;
  /** `['text']`, or `['text', 'audio']` with `audio`. */
  modalities?: Array<'text' | 'audio'> | null;
  /** The voice and format of an audio answer. */
  audio?: ChatCompletionCreateParamsBase.Audio | null;
  /** Text the answer is expected to match mostly (predicted outputs), for speed. */
  prediction?: { type: 'content'; content: string | ChatCompletionContentPartText[] } | null;
  /** The processing tier. */
  service_tier?: 'auto' | 'default' | 'flex' | 'scale' | 'priority' | 'fast' | null;
  /** Store the completion (for evals and distillation). */
  store?: boolean | null;
  /** Up to 16 key-value pairs stored with the completion. */
  metadata?: { [key: string]: string } | null;
  /** Run a moderation model on input and output. */
  moderation?: ChatCompletionCreateParamsBase.Moderation | null;
  /** Groups requests that share a prefix, for prompt caching. */
  prompt_cache_key?: string | null;
  prompt_cache_options?: ChatCompletionCreateParamsBase.PromptCacheOptions;
  prompt_cache_retention?: 'in_memory' | '24h' | null;
  /** A stable id of the end user (hashed), for abuse detection. */
  safety_identifier?: string | null;
  /** @deprecated Replaced by `safety_identifier` and `prompt_cache_key`. */
  user?: string;
  /** Search the web before answering (search models). */
  web_search_options?: ChatCompletionCreateParamsBase.WebSearchOptions;
  /** @deprecated Replaced by `tool_choice`. */
  function_call?: 'none' | 'auto' | { name: string };
  /** @deprecated Replaced by `tools`. */
  functions?: ChatCompletionCreateParamsBase.Function[];
}

/** The body of a streamed create request: what `fromChatCompletion` sends. */
export interface ChatCompletionCreateParamsStreaming extends ChatCompletionCreateParamsBase {
  stream: true;
}

export declare namespace ChatCompletionCreateParamsBase {
  /** A JSON Schema the answer follows. */
  interface JSONSchema {
    name: string;
    description?: string;
    schema?: { [key: string]: unknown };
    /** Whether the answer must follow the schema exactly. */
    strict?: boolean | null;
  }

  /** The voice and format of an audio answer. */
  interface Audio {
    format: 'wav' | 'aac' | 'mp3' | 'flac' | 'opus' | 'pcm16';
    /** A built-in voice (`alloy`, `marin`, …) or a custom voice by id. */
    voice: string | { id: string };
  }

  /** The moderation model to run, and what it may block. */
  interface Moderation {
    model: string;
    policy?: {
      input?: { mode: 'score' | 'block' } | null;
      output?: { mode: 'score' | 'block' } | null;
    } | null;
  }

  /** How the prompt is cached. */
  interface PromptCacheOptions {
    mode?: 'implicit' | 'explicit';
    ttl?: '30m';
  }

  /** Web search options. */
  interface WebSearchOptions {
    search_context_size?: 'low' | 'medium' | 'high';
    user_location?: {
      type: 'approximate';
      approximate: { city?: string; country?: string; region?: string; timezone?: string };
    } | null;
  }

  /** @deprecated A function of the older `functions` API. */
  interface Function {
    name: string;
    description?: string;
    parameters?: { [key: string]: unknown };
  }
}
