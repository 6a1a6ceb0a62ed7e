import fc from 'fast-check';
import { from, lastValueFrom, tap, toArray } from 'rxjs';
import { ChatCompletionAccumulator } from '../../lib/accumulation/ChatCompletionAccumulator.js';
import { accumulate } from '../../lib/operators/accumulate.js';
import { contentDeltas } from '../../lib/operators/contentDeltas.js';
import type { ChatCompletion, ChatCompletionChunk } from '../../lib/types.js';

// ---------------------------------------------------------------------------------------------
// Arbitrary streams: every rule of the merge can fire (empty strings, nulls, Azure id "" chunks,
// choices and tool calls arriving out of index order, more than 32 tool calls or logprobs so the
// long-list views are used, usage followed by usage: null).

type Json = Record<string, unknown>;

const text = fc.string({ maxLength: 4 });
const token = fc.record({ token: fc.string({ maxLength: 3 }), logprob: fc.integer({ min: -20, max: 0 }), bytes: fc.constant(null), top_logprobs: fc.constant([]) });
const tokens = fc.option(fc.array(token, { maxLength: 4 }), { nil: null });
const usage = fc.record({ prompt_tokens: fc.nat(99), completion_tokens: fc.nat(99), total_tokens: fc.nat(199) });

const toolCall = fc.record(
  {
    index: fc.nat({ max: 40 }),
    id: fc.constantFrom('call_1', 'call_2', ''),
    type: fc.constant('function'),
    function: fc.record({ name: fc.constantFrom('f', 'g', ''), arguments: text }, { requiredKeys: [] }),
  },
  { requiredKeys: ['index'] },
);

const delta = fc.record(
  {
    role: fc.constant('assistant'),
    content: fc.option(text, { nil: null }),
    refusal: fc.option(text, { nil: null }),
    reasoning_content: fc.option(text, { nil: null }),
    tool_calls: fc.array(toolCall, { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

const choice = fc.record(
  {
    index: fc.nat({ max: 2 }),
    delta,
    // '' is no finish (docs/accumulation.md); a null after a finish, with the other fields, takes the full merge.
    finish_reason: fc.constantFrom(null, null, null, 'stop', 'length', ''),
    logprobs: fc.option(fc.record({ content: tokens, refusal: tokens }), { nil: null, freq: 2 }),
    content_filter_results: fc.constantFrom({}, { hate: { filtered: false } }, null),
  },
  { requiredKeys: ['index', 'delta'] },
);

const chunk = fc.record(
  {
    id: fc.constantFrom('chatcmpl-1', 'chatcmpl-1', 'chatcmpl-2', ''),
    object: fc.constant('chat.completion.chunk'),
    created: fc.constantFrom(0, 1_700_000_000, 1_700_000_001),
    model: fc.constantFrom('gpt-4o', 'gpt-4o-mini', ''),
    system_fingerprint: fc.constantFrom(null, 'fp_1', 'fp_2'),
    service_tier: fc.constantFrom('default', 'flex', null),
    usage: fc.option(usage, { nil: null }),
    obfuscation: fc.string({ maxLength: 3 }),
    choices: fc.array(choice, { maxLength: 3 }),
  },
  { requiredKeys: ['choices'] },
) as fc.Arbitrary<unknown> as fc.Arbitrary<ChatCompletionChunk>;

const stream = fc.array(chunk, { maxLength: 60, size: 'large' });

/** The stream plus a last chunk that finishes every choice seen, so that it finalises. */
function finished(chunks: ChatCompletionChunk[]): ChatCompletionChunk[] {
  const indexes = [...new Set(chunks.flatMap((c) => c.choices.map((ch) => ch.index)))];
  const closing = { choices: indexes.map((index) => ({ index, delta: {}, finish_reason: 'stop' })) };
  return [...chunks, closing as unknown as ChatCompletionChunk];
}

function merge(chunks: ChatCompletionChunk[]): ChatCompletionAccumulator {
  const accumulator = new ChatCompletionAccumulator();
  for (const c of chunks) accumulator.push(c);
  return accumulator;
}

const json = (value: unknown): string => JSON.stringify(value);

// ---------------------------------------------------------------------------------------------
// A reference model of the merge rules, written plainly (no sharing, no dirty tracking), to check
// the accumulator's result against.

function reference(chunks: ChatCompletionChunk[]): Json {
  const meta: Json = { id: '', created: 0, model: '' };
  const extra: Json = {};
  let lastUsage: unknown;
  const choices = new Map<number, Json>();
  const has = (key: string): boolean => (key === 'id' || key === 'model' ? meta[key] !== '' : key === 'created' ? meta[key] !== 0 : key in extra);

  for (const c of chunks as unknown as Json[]) {
    const filter = c['id'] === '';
    for (const [key, value] of Object.entries(c)) {
      if (key === 'choices' || key === 'object' || key === 'obfuscation') continue;
      if (key === 'usage') {
        if (value !== null) lastUsage = value;
        continue;
      }
      const isMeta = ['id', 'created', 'model', 'system_fingerprint', 'service_tier'].includes(key);
      if (isMeta && filter && has(key)) continue;
      if (key === 'id' || key === 'model' || key === 'system_fingerprint') {
        if (typeof value === 'string' && value !== '') (key === 'system_fingerprint' ? extra : meta)[key] = value;
      } else if (key === 'created') {
        meta[key] = value;
      } else if (value !== null || !(key in extra)) {
        extra[key] = value;
      }
    }
    for (const ch of (c['choices'] ?? []) as Json[]) {
      const index = ch['index'] as number;
      const state = choices.get(index) ?? { index, content: null, refusal: null, finish: null, logprobs: null, tools: new Map(), cfr: undefined };
      choices.set(index, state);
      const d = (ch['delta'] ?? {}) as Json;
      if (typeof d['role'] === 'string') state['role'] = d['role'];
      if (typeof d['content'] === 'string') state['content'] = state['content'] === null ? d['content'] : `${state['content'] as string}${d['content']}`;
      if (typeof d['refusal'] === 'string' && d['refusal'] !== '') state['refusal'] = `${(state['refusal'] as string | null) ?? ''}${d['refusal']}`;
      if ('reasoning_content' in d) {
        const piece = d['reasoning_content'];
        if (typeof piece === 'string') state['reasoning'] = typeof state['reasoning'] === 'string' ? state['reasoning'] + piece : piece;
        else if (!('reasoning' in state)) state['reasoning'] = null;
      }
      for (const t of (d['tool_calls'] ?? []) as Json[]) {
        const tools = state['tools'] as Map<number, Json>;
        // The stream index names the call that came last with it; a new id at that index starts
        // a new call after the highest index (Ollama's reused index 0).
        const names = (state['names'] ??= new Map<number, number>()) as Map<number, number>;
        let at = names.get(t['index'] as number) ?? (t['index'] as number);
        const known = tools.get(at);
        if (known !== undefined && t['id'] && known['id'] && known['id'] !== t['id']) {
          at = Math.max(...tools.keys()) + 1;
          names.set(t['index'] as number, at);
        }
        const call = tools.get(at) ?? { id: '', type: 'function', name: '', arguments: '' };
        tools.set(at, call);
        if (t['id']) call['id'] = t['id'];
        if (t['type']) call['type'] = t['type'];
        const fn = (t['function'] ?? {}) as Json;
        if (fn['name']) call['name'] = fn['name'];
        if (typeof fn['arguments'] === 'string') call['arguments'] = `${call['arguments'] as string}${fn['arguments']}`;
      }
      if (ch['finish_reason']) state['finish'] = ch['finish_reason'];
      const lp = ch['logprobs'] as Json | null | undefined;
      if (lp) {
        const acc = (state['logprobs'] ??= { content: null, refusal: null }) as Json;
        for (const key of ['content', 'refusal']) {
          if (Array.isArray(lp[key])) acc[key] = [...((acc[key] as unknown[] | null) ?? []), ...(lp[key] as unknown[])];
        }
      }
      if ('content_filter_results' in ch && (ch['content_filter_results'] !== null || !('cfr' in state && state['cfr'] !== undefined))) {
        state['cfr'] = ch['content_filter_results'];
      }
    }
  }

  const result: Json = { ...meta, object: 'chat.completion', ...extra };
  result['choices'] = [...choices.values()]
    .sort((a, b) => (a['index'] as number) - (b['index'] as number))
    .map((state) => {
      const message: Json = { role: state['role'] ?? 'assistant', content: state['content'], refusal: state['refusal'] };
      if ('reasoning' in state) message['reasoning_content'] = state['reasoning'];
      const tools = [...(state['tools'] as Map<number, Json>).entries()].sort(([a], [b]) => a - b);
      if (tools.length > 0) {
        message['tool_calls'] = tools.map(([, t]) => ({ id: t['id'], type: t['type'], function: { name: t['name'], arguments: t['arguments'] } }));
      }
      const out: Json = { index: state['index'], message, finish_reason: state['finish'], logprobs: state['logprobs'] };
      if (state['cfr'] !== undefined) out['content_filter_results'] = state['cfr'];
      return out;
    });
  if (lastUsage !== undefined) result['usage'] = lastUsage;
  return result;
}

/** Sorts object keys so that two JSON texts compare regardless of key order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Json)[key])]));
}

// ---------------------------------------------------------------------------------------------

describe('accumulation properties', () => {
  it('should make snapshot k equal a fresh merge of the first k chunks, and never change it later', async () => {
    // The long cases must come: streams of more than 10 chunks, lists of more than 32 tool calls
    // (shown through the long-list view).
    let longStreams = 0;
    let longToolCallLists = 0;
    const property = fc.asyncProperty(stream, fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }), async (chunks, readEarly) => {
      if (chunks.length > 10) longStreams++;
      const last = merge(chunks).snapshot();
      if (last.choices.some((choice) => (choice.message.tool_calls?.length ?? 0) > 32)) longToolCallLists++;
      const early: (string | undefined)[] = [];
      const snapshots = await lastValueFrom(
        from(chunks).pipe(
          accumulate(),
          tap((snapshot) => early.push(readEarly[early.length] ? json(snapshot) : undefined)),
          toArray(),
        ),
      );
      expect(snapshots).toHaveLength(chunks.length);
      snapshots.forEach((snapshot, k) => {
        const now = json(snapshot);
        expect(now).toBe(json(merge(chunks.slice(0, k + 1)).snapshot()));
        if (early[k] !== undefined) expect(now).toBe(early[k]);
      });
    });
    await fc.assert(property, { numRuns: 60 });
    // A list of more than 32 calls comes in most batches of 60 runs, not all: more batches (each
    // checked the same way) until one has come, so that the count below fails only when the
    // generator cannot make one, not on an unlucky seed.
    for (let batch = 0; batch < 5 && longToolCallLists === 0; batch++) await fc.assert(property, { numRuns: 60 });
    expect(longStreams).toBeGreaterThan(10);
    expect(longToolCallLists).toBeGreaterThan(0);
  });

  it('should give the same result however the stream is split into snapshots', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }), (chunks, snapshotAfter) => {
        const all = finished(chunks);
        const split = new ChatCompletionAccumulator();
        all.forEach((c, i) => {
          split.push(c);
          if (snapshotAfter[i]) split.snapshot();
        });
        const once = merge(all);
        expect(json(split.snapshot())).toBe(json(once.snapshot()));
        expect(json(split.toChatCompletion())).toBe(json(once.toChatCompletion()));
      }),
    );
  });

  it('should agree with a plain reference model of the merge rules', () => {
    fc.assert(
      fc.property(stream, (chunks) => {
        const all = finished(chunks);
        const completion = merge(all).toChatCompletion();
        expect(canonical(JSON.parse(json(completion)))).toEqual(canonical(reference(all)));
      }),
      { numRuns: 200 },
    );
  });

  it('should make content the concatenation of the content deltas (null when none came)', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.string({ maxLength: 6 }), { nil: null })), (pieces) => {
        const chunks = pieces.map((content) => ({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })) as unknown as ChatCompletionChunk[];
        const strings = pieces.filter((p): p is string => p !== null);
        const snapshot = merge(chunks).snapshot();
        expect(snapshot.choices[0]?.message.content ?? null).toBe(strings.length > 0 ? strings.join('') : null);
      }),
    );
  });

  it('should make the contentDeltas of each choice join to its merged content, with or without index', async () => {
    await fc.assert(
      fc.asyncProperty(stream, fc.array(fc.boolean(), { maxLength: 200, size: 'large' }), async (chunks, dropIndex) => {
        // Some servers omit `index`: drop it from some choices (then a choice is the one at its position).
        let k = 0;
        const sent = chunks.map((c) => ({
          ...c,
          choices: c.choices.map((ch, position) => {
            if (dropIndex[k++] !== true || ch.index !== position) return ch;
            const { index: _dropped, ...rest } = ch;
            return rest;
          }),
        })) as ChatCompletionChunk[];
        const snapshot = merge(sent).snapshot();
        for (let index = 0; index <= 2; index++) {
          const deltas = await lastValueFrom(from(sent).pipe(contentDeltas(index), toArray()));
          const merged = snapshot.choices.find((ch) => ch.index === index)?.message.content ?? null;
          expect(deltas.join('')).toBe(merged ?? '');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('should not depend on how the choices are interleaved', () => {
    const perChoice = fc.array(fc.array(delta, { maxLength: 8 }), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(perChoice, fc.array(fc.nat(2), { maxLength: 40, size: 'large' }), fc.array(fc.nat(2), { maxLength: 40, size: 'large' }), (deltas, orderA, orderB) => {
        const interleave = (order: number[]): ChatCompletionChunk[] => {
          const queues = deltas.map((list) => [...list]);
          const chunks: Json[] = [];
          const take = (i: number): void => {
            const d = queues[i]?.shift();
            if (d !== undefined) chunks.push({ id: 'c', created: 1, model: 'm', choices: [{ index: i, delta: d, finish_reason: null }] });
          };
          for (const pick of order) take(pick % deltas.length);
          queues.forEach((queue, i) => {
            while (queue.length > 0) take(i);
          });
          chunks.push({ choices: deltas.map((_, index) => ({ index, delta: {}, finish_reason: 'stop' })) });
          return chunks as unknown as ChatCompletionChunk[];
        };
        const a = merge(interleave(orderA)).toChatCompletion();
        const b = merge(interleave(orderB)).toChatCompletion();
        expect(json(a.choices)).toBe(json(b.choices));
        deltas.forEach((list, index) => {
          const alone = merge([
            ...list.map((d) => ({ id: 'c', created: 1, model: 'm', choices: [{ index, delta: d, finish_reason: null }] })),
            { choices: [{ index, delta: {}, finish_reason: 'stop' }] },
          ] as unknown as ChatCompletionChunk[]).toChatCompletion();
          expect(json(a.choices[index])).toBe(json(alone.choices[0] as ChatCompletion.Choice));
        });
      }),
    );
  });
});
