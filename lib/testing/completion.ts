/**
 * One reply, planned once and written two ways: as the chunks of a stream (`buildChunks`) and as
 * the body of a non-streamed response (the local server). Both come from the same plan, so the
 * two always agree (ids, text, tool calls, usage).
 * @internal
 */
import { InvalidInputError } from '../errors.js';
import type { ChatCompletion, ChatCompletionChunk, CompletionUsage } from '../types.js';
import { completionId, randomInt, randomString, seededRandom, systemFingerprint, toolCallId, type Random } from './random.js';
import { estimateUsageFor, tokenPieces } from './tokenize.js';

/** A tool call for the model to make: a function name and its arguments. */
export interface MockToolCall {
  /** The function's name. */
  name: string;
  /** The arguments: a JSON string as the API sends it, or an object to serialise. Default `{}`. */
  arguments?: string | Record<string, unknown>;
  /** The call's id; default a seeded `call_…`. */
  id?: string;
}

/** `'today'`: the API's current chunks; `'classic'`: the leaner 2024 ones. */
export type ChunkFormat = 'today' | 'classic';

/** Why a choice finished. */
export type FinishReason = ChatCompletionChunk.Choice['finish_reason'] & string;

/** Options of `buildChunks` (and what the server passes to it). */
export interface BuildChunksOptions {
  /** The `model` of every chunk. Default `'gpt-4o-mini'`; also picks the tokeniser. */
  model?: string;
  /** The completion id. Default a seeded `chatcmpl-…`. */
  id?: string;
  /** Unix seconds. Default `1700000000`. */
  created?: number;
  /** How many choices, interleaved as the API interleaves them. Default 1. */
  n?: number;
  /** A tool call (or parallel tool calls) after the text, streamed as tool-call deltas. */
  toolCall?: MockToolCall | readonly MockToolCall[];
  /** Default `'tool_calls'` when there is a tool call, else `'stop'`. */
  finishReason?: FinishReason;
  /** Add the final usage chunk (`choices: []`), as `stream_options.include_usage` does. */
  includeUsage?: boolean;
  /** The `prompt_tokens` of the usage. Default 0. */
  promptTokens?: number;
  /** `'today'` (default): `service_tier`, `usage: null` on every chunk, `obfuscation`; `'classic'`: none of them. */
  format?: ChunkFormat;
  /** Add `obfuscation` padding to each chunk (today's format only, as `stream_options.include_obfuscation`). Default true. */
  obfuscation?: boolean;
  /** Seeds the ids, the fingerprint and the padding. Default 1. */
  seed?: number;
  /** Default a seeded `fp_…`. */
  systemFingerprint?: string;
}

/**
 * Reasoning before the answer, as a reasoning model streams it: under `reasoning_content`
 * (DeepSeek), under `reasoning` (OpenRouter, Ollama), or inline in the content as
 * `<think>…</think>` (R1-style models without a reasoning parser). The local server's quirks.
 */
export interface PlannedReasoning {
  text: string;
  as: 'reasoning_content' | 'reasoning' | 'think-tags';
}

/** What the local server plans with: `buildChunks`' options and the server's own. */
export interface PlanOptions extends BuildChunksOptions {
  reasoning?: PlannedReasoning;
}

interface PlannedToolCall {
  id: string;
  name: string;
  arguments: string;
  argumentPieces: string[];
}

interface PlannedChoice {
  index: number;
  content: string | null;
  contentPieces: string[];
  /** The field the reasoning is streamed under, and its pieces (none: no reasoning field). */
  reasoningField: 'reasoning_content' | 'reasoning' | undefined;
  reasoning: string;
  reasoningPieces: string[];
  toolCalls: PlannedToolCall[];
  finishReason: FinishReason;
}

/** Everything both shapes need, computed once. */
export interface ReplyPlan {
  id: string;
  created: number;
  model: string;
  format: ChunkFormat;
  fingerprint: string;
  obfuscation: boolean;
  random: Random;
  choices: PlannedChoice[];
  usage: CompletionUsage;
}

const FINISH_REASONS: ReadonlySet<string> = new Set(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']);

function checkOptions(text: unknown, options: BuildChunksOptions): void {
  if (typeof text !== 'string') throw new InvalidInputError('buildChunks() text', text, 'a string');
  const n = options.n ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 128) throw new InvalidInputError('buildChunks() options.n', options.n, 'an integer from 1 to 128', { detail: String(options.n) });
  const prompt = options.promptTokens ?? 0;
  if (!Number.isInteger(prompt) || prompt < 0) {
    throw new InvalidInputError('buildChunks() options.promptTokens', options.promptTokens, 'a whole number >= 0', { detail: String(options.promptTokens) });
  }
  if (options.format !== undefined && options.format !== 'today' && options.format !== 'classic') {
    throw new InvalidInputError('buildChunks() options.format', options.format, "'today' or 'classic'", { detail: String(options.format) });
  }
  if (options.finishReason !== undefined && !FINISH_REASONS.has(options.finishReason)) {
    throw new InvalidInputError('buildChunks() options.finishReason', options.finishReason, 'a finish reason of the API', { detail: String(options.finishReason) });
  }
}

function toolCallList(toolCall: BuildChunksOptions['toolCall']): readonly MockToolCall[] {
  if (toolCall === undefined) return [];
  const list = Array.isArray(toolCall) ? (toolCall as readonly MockToolCall[]) : [toolCall as MockToolCall];
  for (const call of list) {
    if (call === null || typeof call !== 'object' || typeof call.name !== 'string' || call.name === '') {
      throw new InvalidInputError('buildChunks() options.toolCall', call, 'an object with a non-empty string `name`');
    }
  }
  return list;
}

/** Plans one reply: tokenises the text and the arguments, draws the ids, counts the usage. */
export function planReply(text: string, options: PlanOptions = {}): ReplyPlan {
  checkOptions(text, options);
  const reasoning = options.reasoning;
  const inline = reasoning?.as === 'think-tags';
  if (inline) text = `<think>\n${reasoning.text}\n</think>\n\n${text}`;
  const reasoningField = reasoning === undefined || reasoning.as === 'think-tags' ? undefined : reasoning.as;
  const model = options.model ?? 'gpt-4o-mini';
  const format = options.format ?? 'today';
  const random = seededRandom(options.seed ?? 1);
  const id = options.id ?? completionId(random);
  const fingerprint = options.systemFingerprint ?? systemFingerprint(random);
  const calls = toolCallList(options.toolCall);
  const contentPieces = tokenPieces(text, model);
  const reasoningPieces = reasoningField === undefined ? [] : tokenPieces((reasoning as PlannedReasoning).text, model);

  const choices: PlannedChoice[] = [];
  for (let index = 0; index < (options.n ?? 1); index++) {
    const toolCalls = calls.map((call): PlannedToolCall => {
      const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {});
      return { id: call.id ?? toolCallId(random), name: call.name, arguments: args, argumentPieces: tokenPieces(args, model) };
    });
    const content = text === '' && toolCalls.length > 0 ? null : text;
    choices.push({
      index,
      content,
      contentPieces,
      reasoningField,
      reasoning: reasoningField === undefined ? '' : (reasoning as PlannedReasoning).text,
      reasoningPieces,
      toolCalls,
      finishReason: options.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    });
  }
  // Counted as usage() counts a completion (tool-call framing included), so the two always agree.
  const counted = estimateUsageFor({
    model,
    choices: choices.map((choice) => ({
      message: {
        content: choice.content,
        refusal: null,
        ...(choice.reasoningField === undefined ? {} : { [choice.reasoningField]: choice.reasoning }),
        ...(choice.toolCalls.length > 0
          ? { tool_calls: choice.toolCalls.map((call) => ({ function: { name: call.name, arguments: call.arguments } })) }
          : {}),
      },
    })),
  } as unknown as ChatCompletion);

  const promptTokens = options.promptTokens ?? 0;
  return {
    id,
    created: options.created ?? 1_700_000_000,
    model,
    format,
    fingerprint,
    obfuscation: format === 'today' && options.obfuscation !== false,
    random,
    choices,
    usage: usageOf(promptTokens, counted.completion_tokens, format, counted.completion_tokens_details?.reasoning_tokens ?? 0),
  };
}

function usageOf(prompt: number, completion: number, format: ChunkFormat, reasoning: number): CompletionUsage {
  const base = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (format === 'classic') return { ...base, completion_tokens_details: { reasoning_tokens: reasoning } };
  return {
    ...base,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

type Delta = ChatCompletionChunk.Choice.Delta;

/** The deltas of one choice, in stream order (without the finish chunk). */
function choiceDeltas(choice: PlannedChoice): Delta[] {
  const deltas: Delta[] = [];
  const firstCalls = choice.toolCalls.map(
    (call, index): ChatCompletionChunk.Choice.Delta.ToolCall => ({
      index,
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: '' },
    }),
  );
  // Reasoning comes first, under the provider's field.
  const field = choice.reasoningField;
  const reasoning = field === undefined ? [] : choice.reasoningPieces.map((piece) => ({ [field]: piece }) as Delta);
  if (choice.content === null) {
    // A tool-call-only answer: the first tool call rides on the role chunk, as the API sends it
    // (after the reasoning, when there is some).
    const first = reasoning.length === 0 ? firstCalls[0] : undefined;
    deltas.push({ role: 'assistant', content: null, ...(first ? { tool_calls: [first] } : {}), refusal: null }, ...reasoning);
    choice.toolCalls.forEach((call, index) => {
      if (index > 0 || first === undefined) deltas.push({ tool_calls: [firstCalls[index]!] });
      for (const piece of call.argumentPieces) deltas.push({ tool_calls: [{ index, function: { arguments: piece } }] });
    });
    return deltas;
  }
  deltas.push({ role: 'assistant', content: '', refusal: null }, ...reasoning);
  for (const piece of choice.contentPieces) deltas.push({ content: piece });
  choice.toolCalls.forEach((call, index) => {
    deltas.push({ tool_calls: [firstCalls[index]!] });
    for (const piece of call.argumentPieces) deltas.push({ tool_calls: [{ index, function: { arguments: piece } }] });
  });
  return deltas;
}

/** Real obfuscation pads each chunk's text to about the same length: a per-stream target, at least 2. */
function padding(plan: ReplyPlan, target: number, text: string): string {
  const length = Math.max(2, target - text.length + randomInt(plan.random, 0, 1));
  return randomString(plan.random, Math.min(length, 24));
}

/** The chunks of a plan, in the order the API streams them. */
export function planChunks(plan: ReplyPlan, includeUsage: boolean): ChatCompletionChunk[] {
  const target = randomInt(plan.random, 9, 14);
  const make = (choices: ChatCompletionChunk.Choice[], text: string, usage?: CompletionUsage): ChatCompletionChunk => {
    const chunk: Record<string, unknown> = {
      id: plan.id,
      object: 'chat.completion.chunk',
      created: plan.created,
      model: plan.model,
    };
    if (plan.format === 'today') chunk['service_tier'] = 'default';
    chunk['system_fingerprint'] = plan.fingerprint;
    chunk['choices'] = choices;
    if (usage !== undefined) chunk['usage'] = usage;
    else if (plan.format === 'today') chunk['usage'] = null;
    if (plan.obfuscation) chunk['obfuscation'] = padding(plan, target, text);
    return chunk as unknown as ChatCompletionChunk;
  };
  const choice = (index: number, delta: Delta, finishReason: FinishReason | null = null): ChatCompletionChunk.Choice => ({
    index,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });
  const deltaText = (delta: Delta): string =>
    delta.content ?? delta.reasoning_content ?? delta.reasoning ?? delta.tool_calls?.[0]?.function?.arguments ?? '';

  const queues = plan.choices.map(choiceDeltas);
  // A read cursor per queue: taking deltas off the front with splice would move the rest of the
  // queue each time, quadratic in the length of the reply.
  const cursors = queues.map(() => 0);
  const chunks: ChatCompletionChunk[] = [];
  // The API sends each choice's role chunk with its first token, then one token per choice in turn.
  for (let round = 0, pending = queues.some((queue) => queue.length > 0); pending; round++) {
    pending = false;
    queues.forEach((queue, index) => {
      const start = cursors[index]!;
      const end = Math.min(queue.length, start + (round === 0 ? 2 : 1));
      for (let at = start; at < end; at++) {
        const delta = queue[at]!;
        chunks.push(make([choice(index, delta)], deltaText(delta)));
      }
      cursors[index] = end;
      if (end < queue.length) pending = true;
    });
  }
  for (const planned of plan.choices) chunks.push(make([choice(planned.index, {}, planned.finishReason)], ''));
  if (includeUsage) chunks.push(make([], '', plan.usage));
  return chunks;
}

/** The body of the non-streamed response for the same plan (always with `usage`). */
export function planCompletion(plan: ReplyPlan): ChatCompletion {
  const completion: Record<string, unknown> = {
    id: plan.id,
    object: 'chat.completion',
    created: plan.created,
    model: plan.model,
    choices: plan.choices.map((choice) => {
      const message: Record<string, unknown> = { role: 'assistant', content: choice.content, refusal: null };
      if (choice.reasoningField !== undefined) message[choice.reasoningField] = choice.reasoning;
      if (choice.toolCalls.length > 0) {
        message['tool_calls'] = choice.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.arguments },
        }));
      }
      if (plan.format === 'today') message['annotations'] = [];
      return { index: choice.index, message, logprobs: null, finish_reason: choice.finishReason };
    }),
    usage: plan.usage,
  };
  if (plan.format === 'today') completion['service_tier'] = 'default';
  completion['system_fingerprint'] = plan.fingerprint;
  return completion as unknown as ChatCompletion;
}
