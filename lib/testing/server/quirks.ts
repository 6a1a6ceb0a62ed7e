/*
 * Provider quirks the local server replays on demand: what OpenAI-compatible servers send that
 * the OpenAI API does not. Each is defined once: reasoning text planned before the answer
 * (`reasoning`), or a rewrite of the planned chunks of a streamed reply (`chunks`). A
 * non-streamed reply shows only the reasoning quirks (the others are about streaming).
 */
import { InvalidInputError } from '../../errors.js';
import type { ChatCompletionChunk, CompletionUsage } from '../../types.js';
import type { PlannedReasoning } from '../completion.js';
import { badRequest } from './apiErrors.js';

/** The provider quirks the server can replay, per request. */
export type MockQuirk =
  /** Every tool call with `index: 0`, a new call told by a new `id`, each call whole in one delta (Ollama). */
  | 'ollama-tool-index'
  /** No `finish_reason` at all: the stream ends with `[DONE]` without one (llama.cpp, some vLLM versions). */
  | 'no-finish-reason'
  /** Chunks after `finish_reason`: the finish chunk again and one with an empty delta (vLLM, Azure). */
  | 'after-finish'
  /** `usage` on every chunk, cumulative, instead of one last usage chunk (vLLM's continuous usage stats). */
  | 'usage-every-chunk'
  /** The usage chunk's `choices` holds one choice with an empty delta instead of being `[]`. */
  | 'usage-empty-delta'
  /** A short reasoning text under `delta.reasoning_content` before the answer (DeepSeek, xAI, vLLM). */
  | 'reasoning-content'
  /** A short reasoning text under `delta.reasoning` before the answer (OpenRouter, Ollama, newer vLLM). */
  | 'reasoning'
  /** The reasoning inline, `<think>…</think>` at the start of the content (R1-style models without a reasoning parser). */
  | 'think-tags';

type Chunks = ChatCompletionChunk[];

/** What one quirk does. @internal */
interface QuirkRule {
  /** Reasoning text before the answer, and where it goes. */
  reasoning?: PlannedReasoning['as'];
  /** Rewrites the chunks of a streamed reply (never mutating them). */
  chunks?: (chunks: Chunks) => Chunks;
}

/** Every quirk, once; the chunk rewrites run in this order. @internal */
const QUIRK_RULES: Readonly<Record<MockQuirk, QuirkRule>> = {
  'ollama-tool-index': { chunks: wholeCallsAtIndexZero },
  'no-finish-reason': { chunks: withoutFinishReason },
  'after-finish': { chunks: chunksAfterFinish },
  // Before usage-empty-delta: it takes the usage chunk away (its usage goes on every chunk).
  'usage-every-chunk': { chunks: usageOnEveryChunk },
  'usage-empty-delta': { chunks: usageWithEmptyDelta },
  'reasoning-content': { reasoning: 'reasoning_content' },
  reasoning: { reasoning: 'reasoning' },
  'think-tags': { reasoning: 'think-tags' },
};

/** The quirk names, in the order the docs list them. @internal */
export const QUIRKS = Object.keys(QUIRK_RULES) as readonly MockQuirk[];

/** Checks `options.quirks`: a list of known quirk names. @internal */
export function checkQuirks(quirks: unknown): readonly MockQuirk[] {
  if (quirks === undefined) return [];
  if (!Array.isArray(quirks)) throw new InvalidInputError('startMockServer() options.quirks', quirks, 'an array of quirk names');
  for (const quirk of quirks as unknown[]) {
    if (!(QUIRKS as readonly unknown[]).includes(quirk)) {
      throw new InvalidInputError('startMockServer() options.quirks', quirk, `one of ${QUIRKS.join(', ')}`, { detail: `'${String(quirk)}'` });
    }
  }
  return quirks as readonly MockQuirk[];
}

/**
 * The quirks of one request: the `x-mock-quirks` header's (comma-separated names; `none` or
 * empty: none; an unknown name: a 400), else `options.quirks`.
 * @internal
 */
export function pickQuirks(header: string | undefined, configured: readonly MockQuirk[]): ReadonlySet<MockQuirk> {
  if (header === undefined) return new Set(configured);
  const names = header
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '' && name !== 'none');
  for (const name of names) {
    if (!(QUIRKS as readonly string[]).includes(name)) throw badRequest(`Unknown x-mock-quirks '${name}'. Expected some of: ${QUIRKS.join(', ')}.`);
  }
  return new Set(names as MockQuirk[]);
}

/** Where the reasoning of a reply goes, if a quirk asks for some (of several, the first in the table). @internal */
export function reasoningOf(quirks: ReadonlySet<MockQuirk>): PlannedReasoning['as'] | undefined {
  for (const quirk of QUIRKS) {
    const as = QUIRK_RULES[quirk].reasoning;
    if (as !== undefined && quirks.has(quirk)) return as;
  }
  return undefined;
}

/** The chunks of a streamed reply with the quirks' rewrites applied, in their fixed order. @internal */
export function applyQuirks(chunks: Chunks, quirks: ReadonlySet<MockQuirk>): Chunks {
  let out = chunks;
  for (const quirk of QUIRKS) {
    const rewrite = QUIRK_RULES[quirk].chunks;
    if (rewrite !== undefined && quirks.has(quirk)) out = rewrite(out);
  }
  return out;
}

type Choice = ChatCompletionChunk.Choice;
type ToolCallDelta = NonNullable<Choice['delta']['tool_calls']>[number];

const withChoices = (chunk: ChatCompletionChunk, choices: Choice[]): ChatCompletionChunk => ({ ...chunk, choices });

/** The usage chunk: `choices: []` and a usage. */
const isUsageChunk = (chunk: ChatCompletionChunk): boolean => chunk.choices.length === 0 && chunk.usage != null;

/**
 * Ollama: each tool call whole in one delta (its first one, with all its arguments), and every
 * call with `index: 0`; the deltas that only carried arguments are gone.
 */
function wholeCallsAtIndexZero(chunks: Chunks): Chunks {
  const whole = new Map<string, string>();
  for (const chunk of chunks) {
    for (const choice of chunk.choices) {
      for (const call of choice.delta.tool_calls ?? []) {
        const key = `${choice.index}:${call.index}`;
        whole.set(key, (whole.get(key) ?? '') + (call.function?.arguments ?? ''));
      }
    }
  }
  const out: Chunks = [];
  for (const chunk of chunks) {
    let changed = false;
    const choices: Choice[] = [];
    for (const choice of chunk.choices) {
      const calls = choice.delta.tool_calls;
      if (calls === undefined) {
        choices.push(choice);
        continue;
      }
      changed = true;
      const starts = calls
        .filter((call) => call.id !== undefined)
        .map(
          (call): ToolCallDelta => ({
            ...call,
            index: 0,
            function: { ...call.function, arguments: whole.get(`${choice.index}:${call.index}`) ?? '' },
          }),
        );
      const { tool_calls: _, ...rest } = choice.delta;
      void _;
      const delta = starts.length > 0 ? { ...rest, tool_calls: starts } : rest;
      if (Object.keys(delta).length > 0 || choice.finish_reason !== null) choices.push({ ...choice, delta });
    }
    if (!changed) out.push(chunk);
    else if (choices.length > 0) out.push(withChoices(chunk, choices));
  }
  return out;
}

/** llama.cpp: `finish_reason` never set. */
function withoutFinishReason(chunks: Chunks): Chunks {
  return chunks.map((chunk) =>
    chunk.choices.some((choice) => choice.finish_reason !== null)
      ? withChoices(chunk, chunk.choices.map((choice) => ({ ...choice, finish_reason: null })))
      : chunk,
  );
}

/** vLLM, Azure: after the finish chunks (before the usage chunk), each again and an empty delta per choice. */
function chunksAfterFinish(chunks: Chunks): Chunks {
  const finishes = chunks.filter((chunk) => chunk.choices.some((choice) => choice.finish_reason !== null));
  if (finishes.length === 0) return chunks;
  const after = chunks.indexOf(finishes[finishes.length - 1]!) + 1;
  const extra: Chunks = [
    ...finishes.map((chunk) => withChoices(chunk, chunk.choices.map((choice) => ({ ...choice })))),
    ...finishes.map((chunk) => withChoices(chunk, chunk.choices.map((choice) => ({ index: choice.index, delta: {}, logprobs: null, finish_reason: null })))),
  ];
  return [...chunks.slice(0, after), ...extra, ...chunks.slice(after)];
}

/**
 * vLLM's continuous usage: every chunk carries `usage`, the completion tokens so far (one per chunk
 * that streamed text), the last one the whole usage; the separate usage chunk is gone.
 */
function usageOnEveryChunk(chunks: Chunks): Chunks {
  const final = chunks.find(isUsageChunk)?.usage ?? undefined;
  const kept = chunks.filter((chunk) => !isUsageChunk(chunk));
  if (final === undefined || kept.length === 0) return chunks;
  let generated = 0;
  return kept.map((chunk, i) => {
    if (i === kept.length - 1) return { ...chunk, usage: final };
    if (chunk.choices.some((choice) => streamsText(choice.delta))) generated = Math.min(generated + 1, final.completion_tokens);
    const usage: CompletionUsage = {
      prompt_tokens: final.prompt_tokens,
      completion_tokens: generated,
      total_tokens: final.prompt_tokens + generated,
    };
    return { ...chunk, usage };
  });
}

/** Whether a delta carries a token of output. */
function streamsText(delta: Choice['delta']): boolean {
  const fields = delta as Record<string, unknown>;
  return ['content', 'reasoning_content', 'reasoning', 'refusal'].some((key) => typeof fields[key] === 'string' && fields[key] !== '') ||
    (delta.tool_calls ?? []).some((call) => (call.function?.arguments ?? '') !== '');
}

/** The usage chunk with `choices: [{ index: 0, delta: {}, … }]` instead of `[]`. */
function usageWithEmptyDelta(chunks: Chunks): Chunks {
  return chunks.map((chunk) => (isUsageChunk(chunk) ? withChoices(chunk, [{ index: 0, delta: {}, logprobs: null, finish_reason: null }]) : chunk));
}
