import type {
  ChatCompletion,
  ChatCompletionMessageParam,
  ChatCompletionSnapshot,
  ChatCompletionTool,
  CompletionUsage,
} from '../types.js';
import { REASONING_FIELDS } from '../protocol/chunkShape.js';
import { isRecord } from '../json.js';
import type { BytePairEncoder } from './bpe.js';
import { countPromptTokens } from './countPromptTokens.js';
import { encodingForModel, type EncodingName, type EncodingOptions } from './encodingForModel.js';
import { encoderFor } from './loadEncoding.js';
import { defer, from, map, of, type Observable } from 'rxjs';
import { encodingReady, loadEncoding } from './loadEncoding.js';

/**
 * What was sent, for counting the prompt: the parts of the request parameters that cost prompt
 * tokens. A whole `ChatCompletionCreateParams` is accepted as is.
 */
export interface UsageRequest extends EncodingOptions {
  /** The model asked for (the completion's own `model` is preferred when the stream reports one). */
  model?: string;
  messages?: readonly ChatCompletionMessageParam[];
  tools?: readonly ChatCompletionTool[] | null;
}

/**
 * Tokens a tool call costs beyond its name and arguments (the hidden call framing). Measured on
 * recorded OpenAI streams (gpt-4o, gpt-4o-mini, see `docs/usage.md`): exactly 7 for a single call;
 * parallel calls cost more (wrapped in one `multi_tool_use.parallel` call), so they are undercounted.
 */
const TOOL_CALL_TOKENS = 7;
/** Tokens a refusal costs beyond its text (measured likewise: 1). */
const REFUSAL_TOKENS = 1;

type Counter = (text: string) => number;

/** Generated tokens of one message, and how many of them are reasoning text. */
interface OutputCount {
  total: number;
  reasoning: number;
}

/** The generated text of one message: content, refusal, tool-call names and arguments (or custom inputs), reasoning text. */
function countOutput(message: unknown, count: Counter, into: OutputCount): void {
  if (!isRecord(message)) return;
  if (typeof message.content === 'string') into.total += count(message.content);
  if (typeof message.refusal === 'string' && message.refusal.length > 0) {
    into.total += count(message.refusal) + REFUSAL_TOKENS;
  }
  for (const field of REASONING_FIELDS) {
    const text = message[field];
    if (typeof text === 'string') {
      const tokens = count(text);
      into.total += tokens;
      into.reasoning += tokens;
    }
  }
  const calls = message.tool_calls;
  if (Array.isArray(calls)) {
    for (const call of calls) {
      if (!isRecord(call)) continue;
      const body = isRecord(call.function) ? call.function : isRecord(call.custom) ? call.custom : undefined;
      if (body === undefined) continue;
      into.total += TOOL_CALL_TOKENS;
      if (typeof body.name === 'string') into.total += count(body.name);
      if (typeof body.arguments === 'string') into.total += count(body.arguments);
      if (typeof body.input === 'string') into.total += count(body.input);
    }
  }
  const legacy = message.function_call;
  if (isRecord(legacy)) {
    into.total += TOOL_CALL_TOKENS;
    if (typeof legacy.name === 'string') into.total += count(legacy.name);
    if (typeof legacy.arguments === 'string') into.total += count(legacy.arguments);
  }
}

/**
 * The model whose tokenizer counts a completion: the one the stream reported, else the request's.
 * @internal
 */
export function usageEncoding(
  completion: Pick<ChatCompletion | ChatCompletionSnapshot, 'model'> | undefined,
  request: UsageRequest | undefined,
): { model: string; encoding: EncodingName } {
  const reported = typeof completion?.model === 'string' ? completion.model : '';
  const model = reported !== '' ? reported : (request?.model ?? '');
  return { model, encoding: encodingForModel(model, request) };
}

/**
 * Estimates the usage of a completion by counting tokens: `prompt_tokens` from the request (0
 * without its `messages`), `completion_tokens` from the generated text of every choice (content;
 * refusal + 1; per tool call its name, arguments + 7; reasoning text, also reported as
 * `completion_tokens_details.reasoning_tokens`), `total_tokens` their sum. See `usage()` and
 * `docs/usage.md` for what is counted and what is not.
 *
 * Counts synchronously: the encoding must be loadable on first use (Node) or loaded already
 * (`loadEncoding`).
 * @internal
 */
export function estimateUsageFor(
  completion: ChatCompletion | ChatCompletionSnapshot,
  request?: UsageRequest,
): CompletionUsage {
  const { model, encoding } = usageEncoding(completion, request);
  let encoder: BytePairEncoder | undefined;
  const count: Counter = (text) => (text.length === 0 ? 0 : (encoder ??= encoderFor(encoding)).count(text));
  const output: OutputCount = { total: 0, reasoning: 0 };
  const choices: unknown = completion.choices;
  if (Array.isArray(choices)) {
    for (const choice of choices) {
      if (isRecord(choice)) countOutput(choice.message, count, output);
    }
  }
  const messages = request?.messages;
  const promptTokens = messages != null ? countPromptTokens(messages, model, request?.tools, { encoding }) : 0;
  const usage: CompletionUsage = {
    prompt_tokens: promptTokens,
    completion_tokens: output.total,
    total_tokens: promptTokens + output.total,
  };
  if (output.reasoning > 0) usage.completion_tokens_details = { reasoning_tokens: output.reasoning };
  return usage;
}

/**
 * {@link estimateUsageFor}, once the encoding it needs is loaded: at once where it already is (or
 * a synchronous `require` can load it), after `loadEncoding` elsewhere (browsers, bundlers).
 * @internal
 */
export function estimateUsageWhenReady(
  completion: ChatCompletion | ChatCompletionSnapshot,
  request?: UsageRequest,
): Observable<CompletionUsage> {
  const count = (): CompletionUsage => estimateUsageFor(completion, request);
  const { encoding } = usageEncoding(completion, request);
  return encodingReady(encoding) ? defer(() => of(count())) : from(loadEncoding(encoding)).pipe(map(count));
}
