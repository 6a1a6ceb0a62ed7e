import { inspect } from 'node:util';
import { ChatCompletionAccumulator } from '../../lib/accumulation/ChatCompletionAccumulator.js';
import { ChatStreamError, IncompleteStreamError, InvalidChunkError } from '../../lib/errors.js';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionSnapshot } from '../../lib/types.js';

type Choice = Record<string, unknown>;

/** A chunk with the given choices (each `{ index, delta, finish_reason }`) and top-level extras. */
function chunk(choices: Choice[], top: Record<string, unknown> = {}): ChatCompletionChunk {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-4o',
    choices,
    ...top,
  } as unknown as ChatCompletionChunk;
}

function delta(d: Record<string, unknown>, extra: Choice = {}): Choice {
  return { index: 0, delta: d, finish_reason: null, ...extra };
}

function merge(...chunks: ChatCompletionChunk[]): ChatCompletionAccumulator {
  const accumulator = new ChatCompletionAccumulator();
  for (const c of chunks) accumulator.push(c);
  return accumulator;
}

/** A JSON round trip: what a consumer that serialises the result sees. */
function json<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const stop = delta({}, { finish_reason: 'stop' });

describe('ChatCompletionAccumulator', () => {
  describe('push and toChatCompletion', () => {
    it('should build the shape a non-streamed request returns', () => {
      const acc = merge(
        chunk([delta({ role: 'assistant', content: '', refusal: null })], { system_fingerprint: 'fp_1', usage: null }),
        chunk([delta({ content: 'Hel' })]),
        chunk([delta({ content: 'lo' })]),
        chunk([stop]),
        chunk([], { usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }),
      );
      expect(acc.toChatCompletion()).toStrictEqual({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1_700_000_000,
        model: 'gpt-4o',
        system_fingerprint: 'fp_1',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Hello', refusal: null },
            finish_reason: 'stop',
            logprobs: null,
          },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      });
      expect(acc.chunkCount).toBe(5);
      expect(acc.hasOutput()).toBe(true);
      expect(acc.usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    });

    it('should make content a string as soon as any string came, even ""', () => {
      expect(merge(chunk([delta({ role: 'assistant', content: '' })]), chunk([stop])).toChatCompletion().choices[0]?.message.content).toBe('');
      expect(merge(chunk([delta({ role: 'assistant', content: null })]), chunk([stop])).toChatCompletion().choices[0]?.message.content).toBeNull();
      expect(merge(chunk([delta({ role: 'assistant' })]), chunk([stop])).toChatCompletion().choices[0]?.message.content).toBeNull();
    });

    it('should build refusal from non-empty pieces only', () => {
      const leftNull = merge(chunk([delta({ role: 'assistant', content: 'x', refusal: '' })]), chunk([stop]));
      expect(leftNull.toChatCompletion().choices[0]?.message.refusal).toBeNull();
      const refused = merge(
        chunk([delta({ role: 'assistant', content: null, refusal: '' })]),
        chunk([delta({ refusal: "I can't" })]),
        chunk([delta({ refusal: ' help.' })]),
        chunk([delta({ refusal: null })]),
        chunk([stop]),
      );
      expect(refused.toChatCompletion().choices[0]?.message).toStrictEqual({
        role: 'assistant',
        content: null,
        refusal: "I can't help.",
      });
    });

    it('should concatenate unknown string delta fields, and a later null should not clear them', () => {
      const acc = merge(
        chunk([delta({ role: 'assistant', content: null, reasoning_content: '' })]),
        chunk([delta({ content: null, reasoning_content: 'Think' })]),
        chunk([delta({ content: null, reasoning_content: 'ing.' })]),
        chunk([delta({ content: 'Answer', reasoning_content: null })]),
        chunk([delta({ content: '', reasoning_content: null }, { finish_reason: 'stop' })]),
      );
      expect(acc.toChatCompletion().choices[0]?.message).toStrictEqual({
        role: 'assistant',
        content: 'Answer',
        refusal: null,
        reasoning_content: 'Thinking.',
      });
    });

    it('should keep an unknown delta field that only came as null, and let the last non-null object win', () => {
      const acc = merge(
        chunk([delta({ role: 'assistant', content: 'a', extra: null, annotations: [{ n: 1 }] })]),
        chunk([delta({ annotations: [{ n: 2 }] }, { finish_reason: 'stop' })]),
        chunk([delta({ annotations: null })]),
      );
      expect(acc.toChatCompletion().choices[0]?.message).toStrictEqual({
        role: 'assistant',
        content: 'a',
        refusal: null,
        extra: null,
        annotations: [{ n: 2 }],
      });
    });

    it('should keep finish_reason once set (sticky)', () => {
      const acc = merge(
        chunk([delta({ role: 'assistant', content: 'a' })]),
        chunk([delta({}, { finish_reason: 'length' })]),
        chunk([delta({}, { finish_reason: null })]),
      );
      expect(acc.toChatCompletion().choices[0]?.finish_reason).toBe('length');
    });

    it('should keep the last non-null usage', () => {
      const usage = { prompt_tokens: 13, completion_tokens: 11, total_tokens: 24 };
      const acc = merge(
        chunk([delta({ role: 'assistant', content: 'Paris.' })], { usage: null }),
        chunk([stop], { usage: null }),
        chunk([], { usage }),
        chunk([], { usage: null, moderation: { input: { flagged: false } } }),
      );
      const completion = acc.toChatCompletion();
      expect(completion.usage).toBe(usage);
      expect(completion['moderation' as keyof ChatCompletion]).toEqual({ input: { flagged: false } });
      expect(acc.usage).toBe(usage);
      expect(merge(chunk([delta({ role: 'assistant' })]), chunk([stop])).toChatCompletion()).not.toHaveProperty('usage');
    });

    it('should never let an Azure chunk with id "" overwrite metadata, but keep its own fields', () => {
      const filter = (extra: Record<string, unknown>) =>
        chunk([], { id: '', created: 0, model: '', object: '', ...extra });
      const acc = merge(
        filter({ prompt_filter_results: [{ prompt_index: 0 }] }),
        chunk([delta({ role: 'assistant', content: 'Hi' }, { content_filter_results: {} })], {
          system_fingerprint: 'fp_a',
          service_tier: 'default',
        }),
        chunk([delta({}, { finish_reason: 'stop', content_filter_results: { hate: { filtered: false } } })]),
        filter({ system_fingerprint: 'fp_other', service_tier: 'flex', model: 'other', created: 5 }),
      );
      expect(acc.toChatCompletion()).toStrictEqual({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1_700_000_000,
        model: 'gpt-4o',
        system_fingerprint: 'fp_a',
        service_tier: 'default',
        prompt_filter_results: [{ prompt_index: 0 }],
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Hi', refusal: null },
            finish_reason: 'stop',
            logprobs: null,
            content_filter_results: { hate: { filtered: false } },
          },
        ],
      });
    });

    it('should take metadata from an id "" chunk when nothing else gave it', () => {
      const acc = merge(chunk([delta({ role: 'assistant', content: 'x' }, { finish_reason: 'stop' })], { id: '', created: 7, model: '' }));
      const completion = acc.toChatCompletion();
      expect([completion.id, completion.created, completion.model]).toEqual(['', 7, '']);
    });

    it('should take the model, service_tier and system_fingerprint of an id "" chunk when nothing else gave them, and never after', () => {
      const filter = chunk([], { id: '', created: 0, model: 'gpt-4o-filter', service_tier: 'flex', system_fingerprint: 'fp_f' });
      const acc = merge(filter);
      const top = (): unknown[] => {
        const snapshot = acc.snapshot() as unknown as Record<string, unknown>;
        return [snapshot['model'], snapshot['service_tier'], snapshot['system_fingerprint']];
      };
      expect(top()).toEqual(['gpt-4o-filter', 'flex', 'fp_f']);
      acc.push(chunk([delta({ role: 'assistant', content: 'a' })], { service_tier: 'default', system_fingerprint: 'fp_a' }));
      expect(top()).toEqual(['gpt-4o', 'default', 'fp_a']);
      acc.push(filter);
      expect(top()).toEqual(['gpt-4o', 'default', 'fp_a']);
    });

    it('should drop an empty system_fingerprint: it neither comes alone nor clears one', () => {
      const acc = merge(chunk([delta({ role: 'assistant', content: 'x' })], { system_fingerprint: '' }));
      expect(acc.snapshot()).not.toHaveProperty('system_fingerprint');
      acc.push(chunk([delta({ content: 'y' })], { system_fingerprint: 'fp_a' }));
      acc.push(chunk([stop], { system_fingerprint: '' }));
      expect(acc.toChatCompletion()).toHaveProperty('system_fingerprint', 'fp_a');
    });

    it('should drop a null system_fingerprint and never keep obfuscation', () => {
      const completion = merge(
        chunk([delta({ role: 'assistant', content: 'x', obfuscation: 'd' }, { obfuscation: 'c' })], {
          system_fingerprint: null,
          obfuscation: 'abc',
        }),
        chunk([stop], { system_fingerprint: null, obfuscation: '' }),
      ).toChatCompletion();
      expect(completion).not.toHaveProperty('system_fingerprint');
      expect(JSON.stringify(completion)).not.toContain('obfuscation');
    });

    it('should keep the last non-empty unknown top-level and choice-level field', () => {
      const completion = merge(
        chunk([delta({ role: 'assistant', content: 'x' }, { flag: 'a' })], { tier: 'a', note: null }),
        chunk([delta({}, { flag: null, finish_reason: 'stop' })], { tier: 'b' }),
        chunk([], { tier: null }),
      ).toChatCompletion() as unknown as Record<string, unknown> & { choices: Record<string, unknown>[] };
      expect(completion['tier']).toBe('b');
      expect(completion['note']).toBeNull();
      expect(completion.choices[0]?.['flag']).toBe('a');
    });

    it('should follow service_tier and system_fingerprint when they change mid-stream, however often they repeat', () => {
      const today = (top: Record<string, unknown>, d: Record<string, unknown> = { content: 'x' }) =>
        chunk([delta(d)], { usage: null, obfuscation: 'pad', ...top });
      const acc = merge(
        today({ service_tier: 'default', system_fingerprint: 'fp_a' }, { role: 'assistant', content: '' }),
        today({ service_tier: 'default', system_fingerprint: 'fp_a' }),
        today({ service_tier: 'default', system_fingerprint: null }),
        today({ service_tier: null, system_fingerprint: '' }),
        today({ service_tier: 'default', system_fingerprint: 'fp_a' }),
      );
      const top = (): unknown[] => {
        const snapshot = acc.snapshot() as unknown as Record<string, unknown>;
        return [snapshot['service_tier'], snapshot['system_fingerprint']];
      };
      expect(top()).toEqual(['default', 'fp_a']);
      acc.push(today({ service_tier: 'default', system_fingerprint: 'fp_b' }));
      expect(top()).toEqual(['default', 'fp_b']);
      acc.push(today({ service_tier: 'flex', system_fingerprint: 'fp_b' }));
      acc.push(today({ service_tier: 'flex', system_fingerprint: 'fp_b' }));
      expect(top()).toEqual(['flex', 'fp_b']);
      acc.push(today({ service_tier: 'default', system_fingerprint: 'fp_a' }));
      expect(top()).toEqual(['default', 'fp_a']);
      expect((acc.snapshot().choices[0]?.message.content ?? '').length).toBe(8);
    });

    it('should let a normal chunk set a service_tier that an id "" chunk brought before', () => {
      const filter = { id: '', created: 0, model: '', service_tier: 'flex', system_fingerprint: 'fp_f' };
      const acc = merge(
        chunk([delta({ role: 'assistant', content: 'a' })], { service_tier: 'default', system_fingerprint: 'fp_a' }),
        chunk([], filter),
        chunk([], filter),
      );
      let snapshot = acc.snapshot() as unknown as Record<string, unknown>;
      expect([snapshot['service_tier'], snapshot['system_fingerprint']]).toEqual(['default', 'fp_a']);
      acc.push(chunk([delta({ content: 'c' })], { service_tier: 'flex', system_fingerprint: 'fp_f' }));
      snapshot = acc.snapshot() as unknown as Record<string, unknown>;
      expect([snapshot['service_tier'], snapshot['system_fingerprint']]).toEqual(['flex', 'fp_f']);
    });

    it('should keep top-level fields in the order they first came, and merge an unknown field or key order that comes late', () => {
      const first = { system_fingerprint: 'fp_a', moderation: null, service_tier: 'default' };
      const acc = merge(
        { id: 'c', object: 'chat.completion.chunk', ...first, created: 1, model: 'm', choices: [delta({ role: 'assistant', content: 'a' })] } as unknown as ChatCompletionChunk,
        chunk([delta({ content: 'b' })], { service_tier: 'default', system_fingerprint: 'fp_a' }),
        chunk([delta({ content: 'c' }, { content_filter_results: { hate: { filtered: false } } })], { service_tier: 'default', system_fingerprint: 'fp_a', moderation: { flagged: false } }),
        { choices: [delta({ content: 'd' }, { finish_reason: 'stop' })], model: 'm', service_tier: 'default', id: 'c', created: 2 } as unknown as ChatCompletionChunk,
      );
      const completion = acc.toChatCompletion();
      expect(Object.keys(completion)).toEqual(['id', 'object', 'created', 'model', 'system_fingerprint', 'moderation', 'service_tier', 'choices']);
      expect(completion).toMatchObject({ created: 2, moderation: { flagged: false } });
      expect(completion.choices[0]).toMatchObject({ message: { content: 'abcd' }, content_filter_results: { hate: { filtered: false } } });
    });

    it('should put choices after the other top-level fields, wherever a chunk had them', () => {
      const acc = merge({ choices: [delta({ role: 'assistant', content: 'a' }, { finish_reason: 'stop' })], moderation: null, id: 'c', created: 1, model: 'm' } as unknown as ChatCompletionChunk);
      expect(Object.keys(acc.snapshot())).toEqual(['id', 'object', 'created', 'model', 'moderation', 'choices']);
      expect(Object.keys(acc.toChatCompletion())).toEqual(['id', 'object', 'created', 'model', 'moderation', 'choices']);
    });

    it('should throw on a malformed known field after many well-formed chunks', () => {
      const acc = merge(chunk([delta({ role: 'assistant', content: 'a' })], { service_tier: 'default', usage: null }));
      for (let i = 0; i < 5; i++) acc.push(chunk([delta({ content: 'a' })], { service_tier: 'default', usage: null }));
      expect(() => acc.push(chunk([delta({ content: 'b' })], { service_tier: 'default', model: 42 }))).toThrow(/chunk\.model must be a string, got a number/);
      expect(() => acc.push(chunk([delta({ content: 'b' })], { service_tier: 'default', created: '1' }))).toThrow(/chunk\.created must be a number, got a string/);
      expect(() => acc.push(chunk([delta({ content: 'b' })], { service_tier: 'default', usage: 'x' }))).toThrow(/chunk\.usage must be an object, got a string/);
      expect(() => acc.push(chunk([delta({ content: 'b' }, { finish_reason: 1 })], { service_tier: 'default' }))).toThrow(
        /chunk\.choices\[0\]\.finish_reason must be a string, got a number/,
      );
      expect(() => acc.push(chunk([{ index: 0, delta: 'b' }]))).toThrow(/chunk\.choices\[0\]\.delta must be an object, got a string/);
    });

    it('should merge a content-only chunk that brings one more thing exactly like any other chunk', () => {
      // The content-only fast path must hand every one of these to the full merge.
      const acc = merge(chunk([delta({ role: 'assistant', content: 'a' })]));
      acc.push(chunk([delta({ content: 'b' }, { content_filter_results: { hate: { filtered: false } } })]));
      acc.push(chunk([delta({ content: 'c', reasoning_content: 'r' })]));
      acc.push(chunk([{ delta: { content: 'd' } }])); // no index: position 0
      acc.push(chunk([{ index: null, delta: { content: 'e' } }]));
      acc.push(chunk([delta({ content: 'f' }, { logprobs: { content: [{ token: 'f', logprob: 0, bytes: null, top_logprobs: [] }], refusal: null } })]));
      acc.push(chunk([delta({ content: 'A' }, { index: 1 })])); // a choice not seen yet
      acc.push(chunk([delta({ content: 'B' }, { index: 1 })])); // not the first choice in index order: the full merge
      acc.push(chunk([delta({ content: 'g' }, { finish_reason: '' })]));
      acc.push(chunk([delta({ content: '' })])); // nothing new
      const before = acc.snapshot();
      acc.push(chunk([delta({ content: '' })]));
      expect(acc.snapshot()).toBe(before);
      expect(() => acc.push(chunk([delta({ content: 42 })]))).toThrow(/chunk\.choices\[0\]\.delta\.content must be a string, got a number/);
      expect(() => acc.push(chunk([{ index: '0', delta: { content: 'x' } }]))).toThrow(/chunk\.choices\[0\]\.index must be a non-negative safe integer/);
      acc.push(chunk([delta({ content: 'h' }, { finish_reason: 'stop' }), delta({ content: 'C' }, { index: 1, finish_reason: 'stop' })]));
      const completion = acc.toChatCompletion() as unknown as { choices: Array<Record<string, unknown> & { message: Record<string, unknown> }> };
      expect(completion.choices.map((c) => c.message['content'])).toEqual(['abcdefgh', 'ABC']);
      expect(completion.choices[0]?.message['reasoning_content']).toBe('r');
      expect(completion.choices[0]?.['content_filter_results']).toEqual({ hate: { filtered: false } });
      expect((completion.choices[0]?.['logprobs'] as { content: unknown[] }).content).toHaveLength(1);

      // A stream whose only choice is index 1: the fast path serves it, and index 0 still inserts before it.
      const other = merge(chunk([delta({ role: 'assistant', content: 'X' }, { index: 1 })]), chunk([delta({ content: 'Y' }, { index: 1 })]));
      other.push(chunk([delta({ content: 'Z' }, { index: 1 })]));
      other.push(chunk([delta({ content: 'o' })]));
      expect(other.snapshot().choices.map((c) => [c.index, c.message.content])).toEqual([[0, 'o'], [1, 'XYZ']]);
    });

    it('should read known fields by name and merge the unknown fields a chunk enumerates', () => {
      const acc = merge(chunk([delta({ role: 'assistant', content: 'a' })]));
      acc.push(chunk([delta({ note: 'x', content: 'b' } as Parameters<typeof delta>[0])]));
      // Known fields are read by name (docs/accumulation.md): an exotic object's non-enumerable
      // `content` is read too. Parsed JSON has no such thing.
      acc.push(chunk([delta(Object.defineProperty({}, 'content', { value: 'c', enumerable: false }))]));
      const message = acc.snapshot().choices[0]?.message as unknown as Record<string, unknown>;
      expect([message['content'], message['note']]).toEqual(['abc', 'x']);
    });

    it('should keep an unknown field that comes with any set of the known ones, at every level', () => {
      const without = (fields: object, left: string): Record<string, unknown> =>
        Object.fromEntries(Object.entries(fields).filter(([key]) => key !== left));
      // Each level counts the known fields present to skip the loop over the keys when there is
      // nothing else: with one known field left out, the one unknown field must still be merged.
      const top: Record<string, unknown> = {
        id: 'c',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'm',
        choices: [],
        usage: null,
        service_tier: 'default',
        system_fingerprint: 'fp_a',
        obfuscation: 'pad',
      };
      for (const left of Object.keys(top)) {
        // The tier and fingerprint came before: this chunk brings nothing new but its unknown field.
        const acc = merge(chunk([delta({ role: 'assistant', content: 'a' })], { service_tier: 'default', system_fingerprint: 'fp_a' }));
        const rest = without(top, left);
        acc.push({ ...rest, note: `without ${left}` } as unknown as ChatCompletionChunk);
        const snapshot = acc.snapshot() as unknown as Record<string, unknown>;
        expect([left, snapshot['note']]).toEqual([left, `without ${left}`]);
        // The known fields that are not kept as fields stay out of them.
        expect([left, snapshot['object'], 'obfuscation' in snapshot]).toEqual([left, 'chat.completion', false]);
      }
      // A null index (position 0) next to an unknown field stays out of the fields too.
      expect(merge(chunk([{ index: null, delta: {}, flag: 'f' }])).snapshot().choices[0]).toMatchObject({ index: 0, flag: 'f' });
      const choice: Choice = { index: 0, delta: {}, finish_reason: null, logprobs: null, obfuscation: 'pad' };
      for (const left of Object.keys(choice)) {
        const rest = without(choice, left);
        const snapshot = merge(chunk([{ ...rest, flag: `without ${left}` }])).snapshot();
        expect([left, snapshot.choices[0]]).toStrictEqual([
          left,
          { index: 0, message: { content: null, refusal: null }, finish_reason: null, logprobs: null, flag: `without ${left}` },
        ]);
      }
      const known: Record<string, unknown> = {
        content: 'a',
        refusal: null,
        role: 'assistant',
        tool_calls: null,
        function_call: null,
        audio: null,
        obfuscation: 'pad',
      };
      for (const left of Object.keys(known)) {
        const rest = without(known, left);
        const acc = merge(chunk([delta({ role: 'assistant', content: 'a' })]), chunk([delta({ ...rest, note: `without ${left}` })]));
        const content = left === 'content' ? 'a' : 'aa';
        expect([left, acc.snapshot().choices[0]?.message]).toStrictEqual([left, { role: 'assistant', content, refusal: null, note: `without ${left}` }]);
      }
    });

    it('should walk the keys of a chunk, a choice and a delta only when one of them is not a known field', () => {
      // The cost rule of merge.ts: known fields are read by name, and the keys are counted once
      // (one enumeration); a second enumeration, the loop over the keys, only for a level with
      // more keys than known fields, or a service_tier or system_fingerprint that changed.
      const enumerations = new Map<string, number>();
      const counted = <T extends object>(name: string, target: T): T =>
        new Proxy(target, {
          ownKeys(object) {
            enumerations.set(name, (enumerations.get(name) ?? 0) + 1);
            return Reflect.ownKeys(object);
          },
        });
      const usual = (extra: Record<string, unknown> = {}): ChatCompletionChunk => {
        const d = counted('delta', { content: 'b', refusal: null, role: 'assistant', tool_calls: null, function_call: null, audio: null, obfuscation: 'p' });
        const choice = counted('choice', { index: 0, delta: d, finish_reason: null, logprobs: null, obfuscation: 'p' });
        const top = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [choice], usage: null, service_tier: 'default', system_fingerprint: 'fp_a', obfuscation: 'pad' };
        return counted('chunk', { ...top, ...extra }) as unknown as ChatCompletionChunk;
      };
      const acc = merge(chunk([delta({ role: 'assistant', content: 'a' })], { service_tier: 'default', system_fingerprint: 'fp_a' }));
      acc.push(usual());
      expect(Object.fromEntries(enumerations)).toEqual({ chunk: 1, choice: 1, delta: 1 });
      // Each known field alone, too.
      for (const [key, value] of Object.entries({ id: 'c', object: 'x', created: 1, model: 'm', choices: [], usage: null, service_tier: 'default', system_fingerprint: 'fp_a', obfuscation: 'pad' })) {
        enumerations.clear();
        acc.push(counted('chunk', { [key]: value }) as unknown as ChatCompletionChunk);
        expect([key, enumerations.get('chunk')]).toEqual([key, 1]);
      }
      expect(acc.snapshot().choices[0]?.message.content).toBe('ab');
      // A service_tier or fingerprint that is undefined (built in code) is no news: the next usual chunk is read by name.
      for (const extra of [{ service_tier: undefined }, { system_fingerprint: undefined }]) {
        acc.push(chunk([], extra));
        enumerations.clear();
        acc.push(usual({ choices: [] }));
        expect([extra, enumerations.get('chunk')]).toEqual([extra, 1]);
      }
      // The probe tells: an unknown field, or a new service_tier or system_fingerprint, walks the keys.
      for (const extra of [{ moderation: null }, { service_tier: 'flex' }, { system_fingerprint: 'fp_b' }]) {
        enumerations.clear();
        acc.push(usual(extra));
        expect([extra, enumerations.get('chunk')]).toEqual([extra, 2]);
      }
      expect(acc.snapshot().choices[0]?.message.content).toBe('abbbb');
    });

    it('should keep a snapshot while id, model and created show the same, whatever came between or was done to it', () => {
      const acc = merge(chunk([delta({ role: 'assistant', content: 'a' })]));
      const first = acc.snapshot();
      acc.push(chunk([], { id: 'chatcmpl-2' }));
      acc.push(chunk([], { id: 'chatcmpl-1' }));
      expect(acc.snapshot()).toBe(first); // changed and changed back: the same view
      (first as unknown as Record<string, unknown>)['id'] = 'mutated by a careless reader';
      expect(acc.snapshot()).toBe(first);
      acc.push(chunk([], { created: -0 }));
      acc.push(chunk([], { created: Number.NaN }));
      const third = acc.snapshot();
      expect(third).not.toBe(first);
      expect(acc.snapshot()).toBe(third);
      expect(Object.is(merge(chunk([delta({ content: 'a' })], { created: -0 })).snapshot().created, 0)).toBe(true);
    });

    it('should keep a tool call that came with a malformed field in the next snapshots', () => {
      const acc = new ChatCompletionAccumulator();
      expect(() => acc.push(chunk([delta({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_a', type: [] }] })]))).toThrow(
        /tool_calls\[0\]\.type must be a string, got an array/,
      );
      acc.push(chunk([delta({ tool_calls: [{ index: 1, id: 'call_b', function: { name: 'f', arguments: '{}' } }] })]));
      expect(acc.snapshot().choices[0]?.message.tool_calls?.map((call) => call.id)).toEqual(['call_a', 'call_b']);
    });

    describe('custom tool calls', () => {
      const call = (index: number, fields: Record<string, unknown>) => delta({ tool_calls: [{ index, ...fields }] });
      const stream = [
        chunk([delta({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_f', type: 'function', function: { name: 'get_weather', arguments: '{"city":' } }] })]),
        chunk([call(0, { function: { arguments: '"Oslo"}' } })]),
        chunk([call(1, { id: 'call_c', type: 'custom', custom: { name: 'code_exec', input: '' } })]),
        chunk([call(1, { custom: { input: 'print(' } })]),
        chunk([call(1, { custom: { input: '1)' } })]),
      ];

      it('should accumulate a custom call to the non-streamed shape, beside function calls', () => {
        const completion = merge(...stream, chunk([delta({}, { finish_reason: 'tool_calls' })])).toChatCompletion();
        expect(completion.choices[0]?.message.tool_calls).toStrictEqual([
          { id: 'call_f', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
          { id: 'call_c', type: 'custom', custom: { name: 'code_exec', input: 'print(1)' } },
        ]);
      });

      it('should show a custom call in snapshots as custom, with its index and the input so far, never a function', () => {
        const acc = new ChatCompletionAccumulator();
        const inputs: string[] = [];
        for (const c of stream) {
          acc.push(c);
          const custom = acc.snapshot().choices[0]?.message.tool_calls?.[1];
          if (custom !== undefined) {
            expect(custom).not.toHaveProperty('function');
            inputs.push(custom.custom?.input ?? 'missing');
          }
        }
        expect(inputs).toEqual(['', 'print(', 'print(1)']);
        expect(acc.snapshot().choices[0]?.message.tool_calls?.[1]).toStrictEqual({
          index: 1,
          id: 'call_c',
          type: 'custom',
          custom: { name: 'code_exec', input: 'print(1)' },
        });
      });

      it('should take a call as custom from its type alone, and keep the name and unknown fields', () => {
        const completion = merge(
          chunk([call(0, { id: 'call_x', type: 'custom' })]),
          chunk([call(0, { custom: { name: 'grammar', input: 'a', note: 1 } })]),
          chunk([call(0, { custom: { name: '', input: 'b' } })]),
          chunk([delta({}, { finish_reason: 'tool_calls' })]),
        ).toChatCompletion();
        expect(completion.choices[0]?.message.tool_calls).toStrictEqual([
          { id: 'call_x', type: 'custom', custom: { note: 1, name: 'grammar', input: 'ab' } },
        ]);
      });

      it('should refuse a call that is both a function call and a custom call, and a custom input that is not text', () => {
        expect(() => merge(chunk([call(0, { type: 'custom', function: { name: 'f' } })]))).toThrow(
          /tool_calls\[0\] must be a function call or a custom call, not both/,
        );
        expect(() => merge(chunk([call(0, { function: { name: 'f' } })]), chunk([call(0, { custom: { input: 'x' } })]))).toThrow(InvalidChunkError);
        expect(() => merge(chunk([call(0, { custom: { input: 7 } })]))).toThrow(/tool_calls\[0\]\.custom\.input must be a string, got a number/);
        expect(() => merge(chunk([call(0, { custom: 'x' })]))).toThrow(/tool_calls\[0\]\.custom must be an object, got a string/);
        expect(() => merge(chunk([call(0, { custom: { name: 5 } })]))).toThrow('Invalid chat-completion chunk: chunk.choices[0].delta.tool_calls[0].custom.name must be a string, got a number');
        // In either order within one delta, and across deltas.
        for (const both of [
          [chunk([call(0, { custom: { name: 'g', input: '' }, type: 'function' })])],
          [chunk([call(0, { type: 'function', custom: { name: 'g', input: '' } })])],
          [chunk([call(0, { id: 'call_g', custom: { name: 'g' } })]), chunk([call(0, { type: 'function' })])],
          [chunk([call(0, { id: 'call_g', type: 'function' })]), chunk([call(0, { custom: { input: 'x' } })])],
        ]) {
          expect(() => merge(...both)).toThrow(/tool_calls\[0\] must be a function call or a custom call, not both/);
        }
      });
    });

    it('should take a null in a tool-call delta as nothing came: id, type, function, custom and their parts', () => {
      const call = (index: number, fields: Record<string, unknown>) => delta({ tool_calls: [{ index, ...fields }] });
      const completion = merge(
        chunk([call(0, { id: 'call_f', type: 'function', function: { name: 'f', arguments: '{' } })]),
        chunk([call(0, { id: null, type: null, custom: null, function: { name: null, arguments: null } })]),
        chunk([call(0, { function: null }), call(1, { id: 'call_g', type: 'custom', custom: { name: 'g', input: 'a' } })]),
        chunk([call(1, { id: null, function: null, custom: { name: null, input: null } })]),
        chunk([call(0, { function: { arguments: '}' } }), call(1, { custom: { input: 'b' } })]),
        chunk([delta({}, { finish_reason: 'tool_calls' })]),
      ).toChatCompletion();
      expect(completion.choices[0]?.message.tool_calls).toStrictEqual([
        { id: 'call_f', type: 'function', function: { name: 'f', arguments: '{}' } },
        { id: 'call_g', type: 'custom', custom: { name: 'g', input: 'ab' } },
      ]);
    });

    it('should start no call for an id that is refused', () => {
      const call = (index: number, fields: Record<string, unknown>) => delta({ tool_calls: [{ index, ...fields }] });
      const acc = merge(chunk([call(0, { id: 'call_f', type: 'function', function: { name: 'f', arguments: '{' } })]));
      expect(() => acc.push(chunk([call(0, { id: 5, function: { arguments: 'x' } })]))).toThrow('chunk.choices[0].delta.tool_calls[0].id must be a string, got a number');
      expect(acc.snapshot().choices[0]?.message.tool_calls?.map((c) => c.id)).toEqual(['call_f']);
    });

    it('should merge tool calls by index: id, type and name when present, arguments concatenated', () => {
      const call = (index: number, fields: Record<string, unknown>) => delta({ tool_calls: [{ index, ...fields }] });
      const acc = merge(
        chunk([delta({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] })]),
        chunk([call(0, { function: { arguments: '{"city":' } })]),
        chunk([call(0, { function: { arguments: '"Paris"}' } })]),
        chunk([call(1, { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } })]),
        chunk([call(1, { id: '', function: { name: '', arguments: '' } })]),
        chunk([delta({}, { finish_reason: 'tool_calls' })]),
      );
      expect(acc.toChatCompletion().choices[0]).toStrictEqual({
        index: 0,
        finish_reason: 'tool_calls',
        logprobs: null,
        message: {
          role: 'assistant',
          content: null,
          refusal: null,
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } },
          ],
        },
      });
    });

    it('should sort tool calls and choices by index whatever order they came in', () => {
      const acc = merge(
        chunk([{ index: 2, delta: { role: 'assistant', content: 'c', tool_calls: [{ index: 5, id: 'x5', function: { name: 'f', arguments: '5' } }] }, finish_reason: null }]),
        chunk([{ index: 0, delta: { role: 'assistant', content: 'a', tool_calls: [{ index: 1, id: 'x1', function: { name: 'g', arguments: '1' } }] }, finish_reason: 'stop' }]),
        chunk([{ index: 2, delta: { tool_calls: [{ index: 0, id: 'x0', function: { name: 'h', arguments: '0' } }] }, finish_reason: 'stop' }]),
        chunk([{ index: 1, delta: { role: 'assistant', content: 'b' }, finish_reason: 'stop' }]),
      );
      const completion = acc.toChatCompletion();
      expect(completion.choices.map((c) => c.index)).toEqual([0, 1, 2]);
      expect(completion.choices.map((c) => c.message.content)).toEqual(['a', 'b', 'c']);
      expect(completion.choices[2]?.message.tool_calls?.map((c) => c.id)).toEqual(['x0', 'x5']);
      expect(acc.snapshot().choices[2]?.message.tool_calls?.map((c) => c.index)).toEqual([0, 5]);
    });

    it('should add tool_calls only once some came (an empty array adds nothing)', () => {
      const acc = merge(chunk([delta({ role: 'assistant', content: 'x', tool_calls: [] })]), chunk([delta({ tool_calls: null }, { finish_reason: 'stop' })]));
      expect(acc.toChatCompletion().choices[0]?.message).not.toHaveProperty('tool_calls');
      expect(acc.snapshot().choices[0]?.message).not.toHaveProperty('tool_calls');
    });

    it('should fill id, type and name of a tool call that never got them, and keep unknown tool-call fields', () => {
      const completion = merge(
        chunk([delta({ role: 'assistant', tool_calls: [{ index: 0, function: { arguments: '{}', strict: true }, extra: 1 }] }, { finish_reason: 'tool_calls' })]),
      ).toChatCompletion();
      expect(completion.choices[0]?.message.tool_calls).toStrictEqual([
        { id: '', type: 'function', extra: 1, function: { name: '', arguments: '{}', strict: true } },
      ]);
    });

    it('should continue or start tool calls by id when a server omits index', () => {
      const completion = merge(
        chunk([delta({ role: 'assistant', tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{"x"' } }] })]),
        chunk([delta({ tool_calls: [{ function: { arguments: ':1}' } }] })]),
        chunk([delta({ tool_calls: [{ id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } }] })]),
        chunk([delta({ tool_calls: [{ id: 'a', function: { arguments: '' } }] }, { finish_reason: 'tool_calls' })]),
      ).toChatCompletion();
      expect(completion.choices[0]?.message.tool_calls).toStrictEqual([
        { id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
        { id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } },
      ]);
    });

    describe('a reused index (Ollama: every call with index 0)', () => {
      const whole = (id: string, name: string, args: string) =>
        chunk([delta({ tool_calls: [{ id, index: 0, type: 'function', function: { name, arguments: args } }] })]);

      it('should start a new call, after the last one, when a delta brings a new id at an index', () => {
        const acc = merge(
          chunk([delta({ role: 'assistant', content: '' })]),
          whole('call_a', 'get_weather', '{"city":"Paris"}'),
          whole('call_b', 'get_time', '{"zone":"CET"}'),
          whole('call_c', 'get_weather', '{"city":"Oslo"}'),
          chunk([delta({}, { finish_reason: 'tool_calls' })]),
        );
        expect(acc.toChatCompletion().choices[0]?.message.tool_calls).toStrictEqual([
          { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"zone":"CET"}' } },
          { id: 'call_c', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
        ]);
        expect(acc.snapshot().choices[0]?.message.tool_calls?.map((call) => call.index)).toEqual([0, 1, 2]);
      });

      it('should continue the new call with later deltas of that index, with no id or the same id', () => {
        const piece = (fields: Record<string, unknown>) => chunk([delta({ tool_calls: [{ index: 0, ...fields }] })]);
        const completion = merge(
          whole('call_a', 'f', '{"a"'),
          piece({ function: { arguments: ':1}' } }),
          whole('call_b', 'g', '{"b"'),
          piece({ function: { arguments: ':2' } }),
          piece({ id: 'call_b', function: { arguments: '}' } }),
          chunk([delta({}, { finish_reason: 'tool_calls' })]),
        ).toChatCompletion();
        expect(completion.choices[0]?.message.tool_calls).toStrictEqual([
          { id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
          { id: 'call_b', type: 'function', function: { name: 'g', arguments: '{"b":2}' } },
        ]);
      });

      it('should place the new call after the highest index, and leave OpenAI parallel calls as they are', () => {
        const acc = merge(
          chunk([delta({ tool_calls: [{ index: 0, id: 'a', function: { name: 'f', arguments: '{}' } }] })]),
          chunk([delta({ tool_calls: [{ index: 3, id: 'd', function: { name: 'f', arguments: '{}' } }] })]),
          chunk([delta({ tool_calls: [{ index: 0, id: 'e', function: { name: 'g', arguments: '{}' } }] })]),
          // An id that only ever came for this index, an empty id, and an id for a call without one: no new call.
          chunk([delta({ tool_calls: [{ index: 3, id: 'd', function: { arguments: '' } }, { index: 3, id: '' }] })]),
          chunk([delta({ tool_calls: [{ index: 7, function: { name: 'h', arguments: '{}' } }, { index: 7, id: 'late' }] })]),
          chunk([delta({}, { finish_reason: 'tool_calls' })]),
        );
        expect(acc.snapshot().choices[0]?.message.tool_calls?.map((call) => [call.index, call.id])).toEqual([
          [0, 'a'],
          [3, 'd'],
          [4, 'e'],
          [7, 'late'],
        ]);
      });
    });

    it('should merge the legacy function_call: name set, arguments concatenated', () => {
      const completion = merge(
        chunk([delta({ role: 'assistant', content: null, function_call: { name: 'get_weather', arguments: '' } })]),
        chunk([delta({ function_call: { arguments: '{"city"' } })]),
        chunk([delta({ function_call: { arguments: ':"Oslo"}' } })]),
        chunk([delta({}, { finish_reason: 'function_call' })]),
      ).toChatCompletion();
      expect(completion.choices[0]?.message).toStrictEqual({
        role: 'assistant',
        content: null,
        refusal: null,
        function_call: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
      });
    });

    it('should merge audio: data and transcript concatenated, id and expires_at set', () => {
      const completion = merge(
        chunk([delta({ role: 'assistant', audio: { id: 'audio_1', transcript: 'Hel', data: 'AA' } })]),
        chunk([delta({ audio: { transcript: 'lo', data: 'BB' } })]),
        chunk([delta({ audio: { expires_at: 99 } }, { finish_reason: 'stop' })]),
      ).toChatCompletion();
      expect(completion.choices[0]?.message.audio).toStrictEqual({ id: 'audio_1', transcript: 'Hello', data: 'AABB', expires_at: 99 });
      // Only data and transcript are concatenated, and only strings: an id again is set, a null data changes nothing.
      const again = merge(
        chunk([delta({ role: 'assistant', audio: { id: 'audio_1', data: 'AA' } })]),
        chunk([delta({ audio: { id: 'audio_1', data: null, transcript: null } }, { finish_reason: 'stop' })]),
      ).toChatCompletion();
      expect(again.choices[0]?.message.audio).toStrictEqual({ id: 'audio_1', data: 'AA', transcript: null });
    });

    it('should append logprobs content and refusal arrays, null when none came', () => {
      const token = (t: string) => ({ token: t, logprob: -1, bytes: [1], top_logprobs: [] });
      const completion = merge(
        chunk([delta({ role: 'assistant', content: '' }, { logprobs: { content: [], refusal: null } })]),
        chunk([delta({ content: 'a' }, { logprobs: { content: [token('a')], refusal: null } })]),
        chunk([delta({ content: 'b' }, { logprobs: { content: [token('b'), token('c')], refusal: null } })]),
        chunk([delta({}, { logprobs: null, finish_reason: 'stop' })]),
      ).toChatCompletion();
      expect(completion.choices[0]?.logprobs).toStrictEqual({ content: [token('a'), token('b'), token('c')], refusal: null });
      const none = merge(chunk([delta({ role: 'assistant', content: 'x' }, { finish_reason: 'stop', logprobs: null })])).toChatCompletion();
      expect(none.choices[0]?.logprobs).toBeNull();
    });

    it('should not mutate the chunks it merges', () => {
      const chunks = [
        chunk([delta({ role: 'assistant', content: '', tool_calls: [{ index: 0, id: 'a', function: { name: 'f', arguments: '{' } }] }, { logprobs: { content: [{ token: 'x' }], refusal: null } })]),
        chunk([delta({ content: 'y', tool_calls: [{ index: 0, function: { arguments: '}' } }] }, { logprobs: { content: [{ token: 'y' }], refusal: null }, finish_reason: 'stop' })]),
      ];
      const before = JSON.stringify(chunks);
      const acc = merge(...chunks);
      acc.snapshot();
      acc.toChatCompletion();
      expect(JSON.stringify(chunks)).toBe(before);
    });

    it('should treat a "__proto__" key in the JSON as an ordinary field', () => {
      const parsed = JSON.parse(
        '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","__proto__":{"polluted":true},' +
          '"choices":[{"index":0,"delta":{"role":"assistant","content":"x","__proto__":{"p":1}},"finish_reason":"stop"}]}',
      ) as ChatCompletionChunk;
      const acc = merge(parsed);
      const completion = acc.toChatCompletion();
      const snapshot = acc.snapshot();
      expect(Object.getPrototypeOf(completion)).toBe(Object.prototype);
      expect(Object.getPrototypeOf(snapshot)).toBe(Object.prototype);
      expect(Object.getPrototypeOf(completion.choices[0]?.message)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(completion, '__proto__')?.value).toEqual({ polluted: true });
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      // An ordinary data property: shown, written and deleted like any other field.
      for (const holder of [completion, snapshot, completion.choices[0]?.message]) {
        expect(Object.getOwnPropertyDescriptor(holder, '__proto__')).toEqual({ value: expect.anything(), writable: true, enumerable: true, configurable: true });
      }
    });

    it('should ignore an unknown field whose value is undefined (an object built in code, not JSON), and an empty string after a value', () => {
      const acc = merge(chunk([delta({ role: 'assistant', content: 'a', note: 1 }, { flag: 'y' })], { tier: 'z' }));
      const first = acc.snapshot();
      acc.push(chunk([delta({ note: undefined }, { flag: undefined })], { tier: undefined }));
      acc.push(chunk([delta({}, { flag: '' })], { tier: '' }));
      expect(acc.snapshot()).toBe(first);
      expect(first).toMatchObject({ tier: 'z', choices: [{ flag: 'y', message: { note: 1 } }] });
      // The same value again changes nothing either.
      acc.push(chunk([delta({ note: 1 }, { flag: 'y' })], { tier: 'z' }));
      expect(acc.snapshot()).toBe(first);
    });

    it('should take a null or empty role as no role, and show a role that comes alone in the next snapshot', () => {
      const acc = merge(chunk([delta({ content: 'a' })]));
      const first = acc.snapshot();
      expect(first.choices[0]?.message).not.toHaveProperty('role');
      acc.push(chunk([delta({ role: null, refusal: null, tool_calls: null, content: '' })]));
      acc.push(chunk([delta({ role: '' })]));
      expect(acc.snapshot()).toBe(first);
      acc.push(chunk([delta({ role: 'assistant' })]));
      const second = acc.snapshot();
      expect(second).not.toBe(first);
      expect(second.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'a' });
      acc.push(chunk([delta({ role: 'assistant' })]));
      expect(acc.snapshot()).toBe(second);
    });

    it('should throw an InvalidChunkError naming the field of a malformed chunk', () => {
      let thrown: unknown;
      try {
        merge(chunk([delta({ content: 5 })]));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidChunkError);
      expect(thrown).toBeInstanceOf(ChatStreamError);
      expect(thrown).toMatchObject({
        name: 'InvalidChunkError',
        path: 'chunk.choices[0].delta.content',
        expected: 'a string',
        got: 'a number',
        message: 'Invalid chat-completion chunk: chunk.choices[0].delta.content must be a string, got a number',
      });
      expect(() => merge(null as unknown as ChatCompletionChunk)).toThrow(InvalidChunkError);
      expect(() => merge(null as unknown as ChatCompletionChunk)).toThrow('Invalid chat-completion chunk: chunk must be an object, got null');
      expect(() => merge(chunk({} as unknown as Choice[]))).toThrow(/chunk\.choices must be an array, got an object/);
      // Each known delta field of the wrong type, alone and after a first chunk (the second choice: the path names it).
      for (const [bad, message] of [
        [{ refusal: 7 }, 'delta.refusal must be a string, got a number'],
        [{ role: 1 }, 'delta.role must be a string, got a number'],
        [{ role: {} }, 'delta.role must be a string, got an object'],
        [{ tool_calls: { index: 0 } }, 'delta.tool_calls must be an array, got an object'],
        [{ tool_calls: 'call' }, 'delta.tool_calls must be an array, got a string'],
      ] as const) {
        expect(() => merge(chunk([delta(bad)]))).toThrow(InvalidChunkError);
        expect(() => merge(chunk([delta({ content: 'a' })]), chunk([delta({}), delta(bad, { index: 1 })]))).toThrow(
          `Invalid chat-completion chunk: chunk.choices[1].${message}`,
        );
      }
      expect(() => merge(chunk([delta({ content: 5 })]))).toThrow(/chunk\.choices\[0\]\.delta\.content must be a string, got a number/);
      expect(() => merge(chunk([delta({ tool_calls: [{ index: 0, function: { arguments: 1 } }] })]))).toThrow(
        /tool_calls\[0\]\.function\.arguments must be a string/,
      );
      expect(() => merge(chunk([delta({}, { logprobs: { content: 'x' } })]))).toThrow(/logprobs\.content must be an array/);
      expect(() => merge(chunk([delta({}, { index: -1 })]))).toThrow(/chunk\.choices\[0\]\.index must be a non-negative safe integer, got a number/);
      expect(() => merge(chunk([delta({ role: 'assistant' }), delta({}, { index: '1' })]))).toThrow(/chunk\.choices\[1\]\.index must be a non-negative safe integer, got a string/);
      // 2^53 is an integer, but not a safe one: 2^53 + 1 would read as the same index.
      expect(() => merge(chunk([delta({}, { index: 2 ** 53 })]))).toThrow(/chunk\.choices\[0\]\.index must be a non-negative safe integer, got a number/);
      expect(() => merge(chunk([delta({ tool_calls: [{ index: 2 ** 53 }] })]))).toThrow(
        /chunk\.choices\[0\]\.delta\.tool_calls\[0\]\.index must be a non-negative safe integer/,
      );
      expect(() => merge(chunk([delta({ tool_calls: [{ index: 0 }, { index: 1.5 }] })]))).toThrow(
        /chunk\.choices\[0\]\.delta\.tool_calls\[1\]\.index must be a non-negative safe integer/,
      );
      expect(() => merge(chunk([delta({ tool_calls: [{ index: 0, function: { name: 3 } }] })]))).toThrow(
        /chunk\.choices\[0\]\.delta\.tool_calls\[0\]\.function\.name must be a string, got a number/,
      );
      expect(() => merge(chunk([delta({ function_call: { arguments: [] } })]))).toThrow(
        /chunk\.choices\[0\]\.delta\.function_call\.arguments must be a string, got an array/,
      );
      expect(() => merge(chunk([], { usage: 5 }))).toThrow(/chunk\.usage must be an object, got a number/);
      for (const before of [[], [chunk([delta({ role: 'assistant', content: 'a' })])]]) {
        expect(() => merge(...before, chunk([], { id: 42 }))).toThrow('Invalid chat-completion chunk: chunk.id must be a string, got a number');
      }
    });

    it('should take no array where an object is expected (its indexes would be merged as fields)', () => {
      const cases: Array<[ChatCompletionChunk, string]> = [
        [chunk([['Hello'] as unknown as Choice]), 'chunk.choices[0] must be an object, got an array'],
        [chunk([delta({}, { delta: ['Hello'] })]), 'chunk.choices[0].delta must be an object, got an array'],
        [chunk([delta({}, { logprobs: [] })]), 'chunk.choices[0].logprobs must be an object, got an array'],
        [chunk([delta({ tool_calls: [[]] })]), 'chunk.choices[0].delta.tool_calls[0] must be an object, got an array'],
        [chunk([delta({ tool_calls: [{ index: 0, function: ['f'] }] })]), 'chunk.choices[0].delta.tool_calls[0].function must be an object, got an array'],
        [chunk([delta({ function_call: ['f'] })]), 'chunk.choices[0].delta.function_call must be an object, got an array'],
        [chunk([delta({ audio: [] })]), 'chunk.choices[0].delta.audio must be an object, got an array'],
        [chunk([], { usage: [] }), 'chunk.usage must be an object, got an array'],
      ];
      for (const [bad, message] of cases) {
        // After a first chunk too, so the fast paths see it.
        for (const before of [[], [chunk([delta({ role: 'assistant', content: 'a' })])]]) {
          expect(() => merge(...before, bad)).toThrow(InvalidChunkError);
          expect(() => merge(...before, bad)).toThrow(`Invalid chat-completion chunk: ${message}`);
        }
      }
    });

    it('should take a usage whose token counts are whole numbers of tokens, and no other', () => {
      const good = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, completion_tokens_details: { reasoning_tokens: 0 } };
      expect(merge(chunk([], { usage: good })).usage).toBe(good);
      expect(merge(chunk([], { usage: {} })).usage).toEqual({});
      for (const [usage, message] of [
        [{ prompt_tokens: '3', completion_tokens: 2, total_tokens: 5 }, 'chunk.usage.prompt_tokens must be a whole number of tokens, got a string'],
        [{ prompt_tokens: 3, completion_tokens: null, total_tokens: 5 }, 'chunk.usage.completion_tokens must be a whole number of tokens, got null'],
        [{ prompt_tokens: 3, completion_tokens: 2, total_tokens: -1 }, 'chunk.usage.total_tokens must be a whole number of tokens, got a number'],
        [{ prompt_tokens: 3, completion_tokens: 2.5, total_tokens: 5 }, 'chunk.usage.completion_tokens must be a whole number of tokens, got a number'],
      ] as const) {
        for (const before of [[], [chunk([delta({ role: 'assistant', content: 'a' })])]]) {
          expect(() => merge(...before, chunk([], { usage }))).toThrow(`Invalid chat-completion chunk: ${message}`);
        }
      }
    });

    it('should take reasoning text as text: another value would overwrite it uncounted', () => {
      const acc = merge(
        chunk([delta({ role: 'assistant', reasoning_content: 'Let me ' })]),
        chunk([delta({ reasoning_content: null })]),
        chunk([delta({ reasoning_content: 'think.', reasoning: 'Yes' })]),
      );
      expect(acc.snapshot().choices[0]?.message).toMatchObject({ reasoning_content: 'Let me think.', reasoning: 'Yes' });
      for (const key of ['reasoning_content', 'reasoning']) {
        expect(() => merge(chunk([delta({ [key]: 'Let me think.' })]), chunk([delta({ [key]: 0 })]))).toThrow(
          `Invalid chat-completion chunk: chunk.choices[0].delta.${key} must be a string, got a number`,
        );
      }
      // Other unknown fields keep their rule: the last non-null value wins.
      expect(merge(chunk([delta({ annotations: 'a' })]), chunk([delta({ annotations: [1] })])).snapshot().choices[0]?.message).toMatchObject({ annotations: [1] });
    });

    it('should take a missing choice index from the position in the chunk', () => {
      const acc = merge(chunk([{ delta: { role: 'assistant', content: 'a' }, finish_reason: 'stop' }, { delta: { role: 'assistant', content: 'b' }, finish_reason: 'stop' }]));
      expect(acc.toChatCompletion().choices.map((c) => [c.index, c.message.content])).toEqual([[0, 'a'], [1, 'b']]);
    });

    it('should merge a chunk without choices, and a choice without delta', () => {
      const acc = merge(
        { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm' } as unknown as ChatCompletionChunk,
        chunk([{ index: 0, content_filter_results: { hate: { filtered: false } } }]),
        chunk([delta({ role: 'assistant', content: 'x' }, { finish_reason: 'stop' })]),
      );
      expect(acc.toChatCompletion().choices[0]).toStrictEqual({
        index: 0,
        message: { role: 'assistant', content: 'x', refusal: null },
        finish_reason: 'stop',
        logprobs: null,
        content_filter_results: { hate: { filtered: false } },
      });
    });

    it('should return plain arrays that later pushes do not change', () => {
      const acc = merge(chunk([delta({ role: 'assistant', content: 'a' }, { logprobs: { content: [{ token: 'a' }], refusal: null }, finish_reason: 'stop' })]));
      const first = acc.toChatCompletion();
      acc.push(chunk([delta({ content: 'b' }, { logprobs: { content: [{ token: 'b' }], refusal: null } })]));
      expect(first.choices[0]?.logprobs?.content).toEqual([{ token: 'a' }]);
      expect(first.choices[0]?.message.content).toBe('a');
      expect(acc.toChatCompletion().choices[0]?.logprobs?.content).toEqual([{ token: 'a' }, { token: 'b' }]);
    });
  });

  describe('toChatCompletion: parts that never came', () => {
    it('should give a legacy function_call without a name the name "", and a tool call with no function part an empty function', () => {
      const completion = merge(
        chunk([delta({ function_call: { arguments: '{}' } })]),
        chunk([delta({}), delta({ tool_calls: [{ index: 0, id: 'call_a', type: 'function' }] }, { index: 1 })]),
        chunk([delta({}, { finish_reason: 'function_call' }), delta({}, { index: 1, finish_reason: 'tool_calls' })]),
      ).toChatCompletion();
      expect(completion.choices[0]?.message.function_call).toStrictEqual({ arguments: '{}', name: '' });
      expect(completion.choices[1]?.message.tool_calls).toStrictEqual([{ id: 'call_a', type: 'function', function: { name: '', arguments: '' } }]);
    });

    it('should leave out tool_calls when the only tool-call delta was refused', () => {
      const acc = merge(chunk([delta({ role: 'assistant', content: 'a' })]));
      expect(() => acc.push(chunk([delta({ tool_calls: [5] })]))).toThrow('chunk.choices[0].delta.tool_calls[0] must be an object, got a number');
      acc.push(chunk([stop]));
      expect(acc.toChatCompletion().choices[0]?.message).not.toHaveProperty('tool_calls');
    });
  });

  describe('onToolCallPiece', () => {
    it('should tell each appended arguments or input piece, with its choice and call, in order, and nothing else', () => {
      const acc = new ChatCompletionAccumulator();
      const told: Array<[number, number, string | undefined, string]> = [];
      acc.onToolCallPiece((choice, call, piece) => told.push([choice.index, call.index, call.id, piece]));
      acc.push(chunk([delta({ role: 'assistant', content: 'no call here' })]));
      acc.push(chunk([delta({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '' } }] })]));
      acc.push(chunk([delta({ tool_calls: [{ index: 0, function: { arguments: '{"a"' } }, { index: 1, id: 'call_b', type: 'custom', custom: { name: 'g', input: 'x' } }] })]));
      acc.push(chunk([delta({ tool_calls: [{ index: 0, function: { name: 'f' } }] }), delta({ tool_calls: [{ index: 0, id: 'call_c', function: { arguments: '[1' } }] }, { index: 1 })]));
      acc.push(chunk([delta({ tool_calls: [{ index: 1, custom: { input: 'yz' } }, { index: 0, function: { arguments: ':1}' } }] })]));
      acc.push(chunk([delta({ function_call: { name: 'legacy', arguments: '{}' } })]));
      expect(told).toEqual([
        [0, 0, 'call_a', ''],
        [0, 0, 'call_a', '{"a"'],
        [0, 1, 'call_b', 'x'],
        [1, 0, 'call_c', '[1'],
        [0, 1, 'call_b', 'yz'],
        [0, 0, 'call_a', ':1}'],
      ]);
      const calls = acc.snapshot().choices[0]?.message.tool_calls;
      expect(json(calls)).toEqual([
        { index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
        { index: 1, id: 'call_b', type: 'custom', custom: { name: 'g', input: 'xyz' } },
      ]);
    });

    it('should pass the states the merge keeps, the ones choiceState() reads', () => {
      const acc = new ChatCompletionAccumulator();
      const seen: unknown[] = [];
      acc.onToolCallPiece((choice, call) => seen.push(choice, call));
      acc.push(chunk([delta({ tool_calls: [{ index: 0, id: 'call_a', function: { name: 'f', arguments: '{' } }] })]));
      const choice = acc.choiceState(0);
      expect(seen).toEqual([choice, choice?.toolCalls?.find(0)]);
      expect(seen[0]).toBe(choice);
      expect(seen[1]).toBe(choice?.toolCalls?.find(0));
    });

    it('should stop telling once the listener is removed with undefined, and a new listener replaces the old', () => {
      const acc = new ChatCompletionAccumulator();
      const first: string[] = [];
      const second: string[] = [];
      acc.onToolCallPiece((_choice, _call, piece) => first.push(piece));
      acc.push(chunk([delta({ tool_calls: [{ index: 0, id: 'call_a', function: { name: 'f', arguments: 'a' } }] })]));
      acc.onToolCallPiece((_choice, _call, piece) => second.push(piece));
      acc.push(chunk([delta({ tool_calls: [{ index: 0, function: { arguments: 'b' } }] })]));
      acc.onToolCallPiece(undefined);
      acc.push(chunk([delta({ tool_calls: [{ index: 0, function: { arguments: 'c' } }] })]));
      expect(first).toEqual(['a']);
      expect(second).toEqual(['b']);
      expect(acc.snapshot().choices[0]?.message.tool_calls?.[0]?.function?.arguments).toBe('abc');
    });
  });

  describe('incomplete streams', () => {
    it('should throw IncompleteStreamError no-chunks without partial when nothing came', () => {
      const acc = new ChatCompletionAccumulator();
      expect(acc.hasOutput()).toBe(false);
      let error: unknown;
      try {
        acc.toChatCompletion();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(IncompleteStreamError);
      expect(error).toMatchObject({ reason: 'no-chunks', name: 'IncompleteStreamError', message: 'The stream completed without a single chunk' });
      expect((error as IncompleteStreamError).partial).toBeUndefined();
    });

    it('should name every unfinished choice, in the plural when there are several', () => {
      const acc = merge(chunk([delta({ content: 'a' }), delta({ content: 'b' }, { index: 1, finish_reason: 'stop' }), delta({ content: 'c' }, { index: 2 })]));
      expect(() => acc.toChatCompletion()).toThrow(new IncompleteStreamError('The stream completed, but choices 0, 2 never got a finish_reason', { reason: 'unfinished-choice' }));
      expect(() => acc.toChatCompletion()).toThrow(/^The stream completed, but choices 0, 2 never got a finish_reason$/);
      expect(acc.toChatCompletion(true).incomplete).toEqual({ reason: 'unfinished-choice', choices: [0, 2] });
    });

    it('should throw IncompleteStreamError unfinished-choice with partial when a choice has no finish_reason', () => {
      const acc = merge(
        chunk([{ index: 0, delta: { role: 'assistant', content: 'done' }, finish_reason: 'stop' }, { index: 1, delta: { role: 'assistant', content: 'cut' }, finish_reason: null }]),
      );
      let error: unknown;
      try {
        acc.toChatCompletion();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(IncompleteStreamError);
      expect((error as IncompleteStreamError).reason).toBe('unfinished-choice');
      expect((error as Error).message).toBe('The stream completed, but choice 1 never got a finish_reason');
      expect(json((error as IncompleteStreamError).partial)?.choices.map((c) => c.message.content)).toEqual(['done', 'cut']);
    });

    it("should take finish_reason '' for no finish: the choice stays unfinished, and '' never clears a reason", () => {
      const only = merge(chunk([delta({ content: 'a' }, { finish_reason: '' })]));
      expect(only.snapshot().choices[0]?.finish_reason).toBeNull();
      expect(() => only.toChatCompletion()).toThrow(expect.objectContaining({ name: 'IncompleteStreamError', reason: 'unfinished-choice' }));
      const lenient = only.toChatCompletion(true) as { choices: Array<{ finish_reason: unknown }>; incomplete?: unknown };
      expect(lenient.choices[0]?.finish_reason).toBeNull();
      expect(lenient.incomplete).toEqual({ reason: 'unfinished-choice', choices: [0] });

      // After a reason, '' (with another field, so the full merge reads it) changes nothing.
      const after = merge(chunk([delta({ content: 'a' }, { finish_reason: 'stop' })]));
      const before = after.snapshot();
      after.push(chunk([delta({}, { finish_reason: '' })]));
      after.push(chunk([delta({}, { finish_reason: '', content_filter_results: {} })]));
      after.push(chunk([delta({}, { finish_reason: null, content_filter_results: null })]));
      expect(after.snapshot().choices[0]?.finish_reason).toBe('stop');
      expect(after.toChatCompletion().choices[0]?.finish_reason).toBe('stop');
      expect(before.choices[0]?.finish_reason).toBe('stop');
    });
  });

  describe('snapshot', () => {
    it('should give an empty snapshot before any chunk', () => {
      expect(new ChatCompletionAccumulator().snapshot()).toStrictEqual({
        id: '',
        object: 'chat.completion',
        created: 0,
        model: '',
        choices: [],
      });
    });

    it('should show the stream so far in the snapshot shape', () => {
      const acc = merge(
        chunk([delta({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'f', arguments: '{' } }] })], { system_fingerprint: null, service_tier: 'default' }),
      );
      expect(acc.snapshot()).toStrictEqual({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1_700_000_000,
        model: 'gpt-4o',
        service_tier: 'default',
        choices: [
          {
            index: 0,
            finish_reason: null,
            logprobs: null,
            message: {
              role: 'assistant',
              content: null,
              refusal: null,
              tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'f', arguments: '{' } }],
            },
          },
        ],
      });
    });

    it('should leave out role, id, type and name until they come', () => {
      const acc = merge(chunk([delta({ tool_calls: [{ index: 0, function: { arguments: '' } }] })]));
      expect(acc.snapshot().choices[0]?.message).toStrictEqual({
        content: null,
        refusal: null,
        tool_calls: [{ index: 0, function: { arguments: '' } }],
      });
    });

    it('should return the same object while nothing changed, a new one after a change', () => {
      const acc = merge(chunk([delta({ role: 'assistant', content: 'a' })]));
      const first = acc.snapshot();
      expect(acc.snapshot()).toBe(first);
      acc.push(chunk([delta({})]));
      expect(acc.snapshot()).toBe(first);
      acc.push(chunk([delta({ content: 'b' })]));
      const second = acc.snapshot();
      expect(second).not.toBe(first);
      expect(first.choices[0]?.message.content).toBe('a');
      expect(second.choices[0]?.message.content).toBe('ab');

      // Metadata alone: the same values again keep the snapshot, new ones make a new snapshot.
      acc.push(chunk([delta({ content: '' })], { id: ['chatcmpl', '1'].join('-') }));
      expect(acc.snapshot()).toBe(second);
      const top: Record<string, unknown> = {};
      for (const [field, value] of [
        ['id', 'chatcmpl-2'],
        ['model', 'gpt-4o-2024-08-06'],
        ['created', 1_700_000_001],
      ] as const) {
        const before = acc.snapshot();
        top[field] = value; // one field more changes each time
        acc.push(chunk([delta({ content: '' })], top));
        const after = acc.snapshot();
        expect(after).not.toBe(before);
        expect(after[field]).toBe(value);
        expect(before[field]).not.toBe(value);
      }
    });

    it('should show a chunk that brings only a top-level field in the next snapshot, and keep it for the same usage again', () => {
      const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
      const acc = merge(chunk([delta({ role: 'assistant', content: 'a' })], { service_tier: 'default', system_fingerprint: 'fp_a' }));
      const cases: Array<[string, unknown]> = [
        ['usage', usage],
        ['moderation', { flagged: false }],
        ['note', null], // a field that comes as null only is still present
        ['service_tier', 'flex'],
        ['system_fingerprint', 'fp_b'],
      ];
      // The tier and fingerprint as they stand: each chunk repeats them, and changes one field only.
      const current: Record<string, unknown> = { service_tier: 'default', system_fingerprint: 'fp_a' };
      for (const [field, value] of cases) {
        const before = acc.snapshot();
        acc.push(chunk([], { ...current, [field]: value }));
        if (field in current) current[field] = value;
        const after = acc.snapshot() as unknown as Record<string, unknown>;
        expect([field, after]).not.toEqual([field, before]);
        expect([field, after[field]]).toEqual([field, value]);
      }
      // The same usage object again (as a stream repeats it on later chunks): nothing changed.
      const last = acc.snapshot();
      acc.push(chunk([], { ...current, usage }));
      expect(acc.snapshot()).toBe(last);
    });

    it('should show a choice that came with nothing in it yet', () => {
      const acc = merge(chunk([{ index: 0, delta: {}, finish_reason: null }]));
      const empty = { message: { content: null, refusal: null }, finish_reason: null, logprobs: null };
      expect(acc.snapshot().choices).toStrictEqual([{ index: 0, ...empty }]);
      acc.push(chunk([{ index: 1 }]));
      expect(acc.snapshot().choices).toStrictEqual([
        { index: 0, ...empty },
        { index: 1, ...empty },
      ]);
    });

    it('should keep the snapshot when a chunk repeats the role or the finish_reason, or brings only empty pieces', () => {
      const acc = merge(chunk([delta({ role: 'assistant', content: 'a', reasoning_content: 'r' })]));
      const first = acc.snapshot();
      for (const d of [{ role: 'assistant' }, { role: '' }, { reasoning_content: '' }, { refusal: '' }, { content: '', tool_calls: [] }]) {
        acc.push(chunk([delta(d)]));
        expect([d, acc.snapshot()]).toEqual([d, first]);
        expect(acc.snapshot()).toBe(first);
      }
      acc.push(chunk([stop]));
      const finished = acc.snapshot();
      expect(finished).not.toBe(first);
      acc.push(chunk([stop]));
      acc.push(chunk([delta({}, { finish_reason: '' })]));
      expect(acc.snapshot()).toBe(finished);
      expect(finished.choices[0]).toMatchObject({ finish_reason: 'stop', message: { role: 'assistant', content: 'a', reasoning_content: 'r', refusal: null } });
    });

    it('should show logprobs that come alone, append their refusal list too and keep their other fields', () => {
      const token = (t: string) => ({ token: t, logprob: -1, bytes: null, top_logprobs: [] });
      const acc = merge(chunk([delta({ role: 'assistant', refusal: 'No' }, { logprobs: { content: null, refusal: [token('No')], note: 'x' } })]));
      const first = acc.snapshot();
      acc.push(chunk([delta({}, { logprobs: { refusal: [token('.')], note: null } })]));
      const second = acc.snapshot();
      expect(second).not.toBe(first);
      expect(first.choices[0]?.logprobs).toStrictEqual({ note: 'x', content: null, refusal: [token('No')] });
      expect(second.choices[0]?.logprobs).toStrictEqual({ note: 'x', content: null, refusal: [token('No'), token('.')] });
      acc.push(chunk([stop]));
      expect(acc.toChatCompletion().choices[0]?.logprobs).toStrictEqual({ note: 'x', content: null, refusal: [token('No'), token('.')] });
    });

    it('should show in the next snapshot each part of a message that comes alone', () => {
      const acc = merge(chunk([delta({ role: 'assistant' })]));
      const pieces: Array<[Record<string, unknown>, Record<string, unknown>]> = [
        [{ reasoning_content: 'r' }, { reasoning_content: 'r' }],
        [{ reasoning_content: 's' }, { reasoning_content: 'rs' }],
        [{ annotations: [1] }, { annotations: [1] }],
        [{ audio: { transcript: 'h' } }, { audio: { transcript: 'h' } }],
        [{ function_call: { name: 'f' } }, { function_call: { name: 'f', arguments: '' } }],
        [{ refusal: 'No' }, { refusal: 'No' }],
      ];
      for (const [d, shown] of pieces) {
        const before = acc.snapshot();
        acc.push(chunk([delta(d)]));
        const after = acc.snapshot();
        expect([d, after]).not.toEqual([d, before]);
        expect([d, after.choices[0]?.message]).toMatchObject([d, shown]);
      }
      // A choice-level field alone too (Azure's content_filter_results on a chunk of its own).
      const before = acc.snapshot();
      acc.push(chunk([{ index: 0, content_filter_results: { hate: { filtered: false } } }]));
      expect(before.choices[0]).not.toHaveProperty('content_filter_results');
      expect(acc.snapshot().choices[0]).toHaveProperty('content_filter_results', { hate: { filtered: false } });
    });

    it('should share the parts that did not change', () => {
      const acc = merge(
        chunk([
          { index: 0, delta: { role: 'assistant', content: 'a', tool_calls: [{ index: 0, id: 't', function: { name: 'f', arguments: '{}' } }] }, finish_reason: null },
          { index: 1, delta: { role: 'assistant', content: 'x' }, finish_reason: null },
        ]),
      );
      const first = acc.snapshot();
      acc.push(chunk([{ index: 1, delta: { content: 'y' }, finish_reason: null }]));
      const second = acc.snapshot();
      expect(second.choices[0]).toBe(first.choices[0]);
      expect(second.choices[1]).not.toBe(first.choices[1]);
      acc.push(chunk([{ index: 0, delta: { content: 'b' }, finish_reason: null }]));
      const third = acc.snapshot();
      expect(third.choices[0]?.message.tool_calls).toBe(first.choices[0]?.message.tool_calls);
      expect(third.choices[1]).toBe(second.choices[1]);
      acc.push(chunk([], { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
      const fourth = acc.snapshot();
      expect(fourth).not.toBe(third);
      expect(fourth.choices).toBe(third.choices);
    });

    it('should share the message, the logprobs and each unchanged tool call of a choice that changed elsewhere', () => {
      const lp = (token: string) => ({ logprobs: { content: [{ token, logprob: 0, bytes: null, top_logprobs: [] }], refusal: null } });
      const acc = merge(chunk([delta({ role: 'assistant', content: 'a' }, lp('a'))]));
      const first = acc.snapshot();
      acc.push(chunk([delta({}, { finish_reason: 'stop' })])); // the choice changed, not its message nor logprobs
      const second = acc.snapshot();
      expect(second.choices[0]).not.toBe(first.choices[0]);
      expect(second.choices[0]?.message).toBe(first.choices[0]?.message);
      expect(second.choices[0]?.logprobs).toBe(first.choices[0]?.logprobs);
      acc.push(chunk([delta({ content: 'b' })])); // the message changed, not the logprobs
      const third = acc.snapshot();
      expect(third.choices[0]?.message).not.toBe(second.choices[0]?.message);
      expect(third.choices[0]?.logprobs).toBe(first.choices[0]?.logprobs);
      acc.push(chunk([delta({}, lp('b'))])); // the logprobs changed, not the message
      const fourth = acc.snapshot();
      expect(fourth.choices[0]?.message).toBe(third.choices[0]?.message);
      expect(fourth.choices[0]?.logprobs?.content?.map((t) => t.token)).toEqual(['a', 'b']);
    });

    it('should share unchanged tool calls, also after calls came out of index order', () => {
      const call = (index: number, fields: Record<string, unknown>) => delta({ tool_calls: [{ index, ...fields }] });
      const acc = merge(chunk([call(2, { id: 'c2', function: { name: 'f', arguments: '' } })]), chunk([call(0, { id: 'c0', function: { name: 'g', arguments: '' } })]));
      const first = acc.snapshot();
      expect(first.choices[0]?.message.tool_calls?.map((c) => c.id)).toEqual(['c0', 'c2']);
      for (const [i, piece] of ['1', '2', '3'].entries()) {
        const before = acc.snapshot();
        acc.push(chunk([call(2, { function: { arguments: piece } })]));
        const after = acc.snapshot();
        expect([i, after.choices[0]?.message.tool_calls?.[0]]).toEqual([i, before.choices[0]?.message.tool_calls?.[0]]);
        expect(after.choices[0]?.message.tool_calls?.[0]).toBe(first.choices[0]?.message.tool_calls?.[0]);
        expect(after.choices[0]?.message.tool_calls?.[1]).not.toBe(before.choices[0]?.message.tool_calls?.[1]);
      }
      expect(acc.snapshot().choices[0]?.message.tool_calls?.[1]?.function?.arguments).toBe('123');
    });

    it('should share the earlier tool calls and choices when a new one comes after them, in index order', () => {
      const call = (index: number, fields: Record<string, unknown>) => delta({ tool_calls: [{ index, ...fields }] });
      const acc = merge(chunk([call(0, { id: 'c0', function: { name: 'f', arguments: '{}' } })]));
      const first = acc.snapshot();
      acc.push(chunk([call(1, { id: 'c1', function: { name: 'g', arguments: '' } })]));
      const second = acc.snapshot();
      expect(second.choices[0]?.message.tool_calls?.map((c) => c.id)).toEqual(['c0', 'c1']);
      expect(second.choices[0]?.message.tool_calls?.[0]).toBe(first.choices[0]?.message.tool_calls?.[0]);
      acc.push(chunk([delta({ content: 'b' }, { index: 1 })]));
      const third = acc.snapshot();
      expect(third.choices[0]).toBe(second.choices[0]);
      expect(third.choices.map((c) => c.index)).toEqual([0, 1]);
    });

    it('should share the choices list through a chunk that changes no choice, also after choices came out of index order', () => {
      const acc = merge(chunk([delta({ content: 'b' }, { index: 1 })]), chunk([delta({ content: 'a' })]));
      const first = acc.snapshot();
      expect(first.choices.map((c) => c.message.content)).toEqual(['a', 'b']);
      acc.push(chunk([], { usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }));
      const second = acc.snapshot();
      expect(second).not.toBe(first);
      expect(second.choices).toBe(first.choices);
      acc.push(chunk([delta({ content: 'c' }, { index: 1 })]));
      const third = acc.snapshot();
      expect(third.choices[0]).toBe(first.choices[0]);
      acc.push(chunk([], { system_fingerprint: 'fp' }));
      expect(acc.snapshot().choices).toBe(third.choices);
    });

    it("should show a tool call's unknown fields, and no tool_calls after a refused tool-call delta", () => {
      const acc = merge(chunk([delta({ tool_calls: [{ index: 0, id: 'c0', extra: { a: 1 }, function: { name: 'f', arguments: '', more: true } }] })]));
      expect(json(acc.snapshot().choices[0]?.message.tool_calls)).toEqual([{ index: 0, id: 'c0', extra: { a: 1 }, function: { name: 'f', arguments: '', more: true } }]);
      const refused = merge(chunk([delta({ role: 'assistant', content: 'a' })]));
      expect(() => refused.push(chunk([delta({ tool_calls: [5] })]))).toThrow(InvalidChunkError);
      refused.push(chunk([delta({ content: 'b' })]));
      expect(refused.snapshot().choices[0]?.message).toStrictEqual({ role: 'assistant', content: 'ab', refusal: null });
    });

    it('should never change an earlier snapshot, also for long logprobs and many tool calls', () => {
      const acc = new ChatCompletionAccumulator();
      const snapshots: ChatCompletionSnapshot[] = [];
      const frozen: string[] = [];
      for (let i = 0; i < 80; i++) {
        acc.push(
          chunk([
            delta(
              { content: `${i} `, tool_calls: [{ index: i % 40, id: `call_${i % 40}`, function: { arguments: `${i},` } }] },
              { logprobs: { content: [{ token: `${i}` }], refusal: null } },
            ),
          ]),
        );
        const snapshot = acc.snapshot();
        snapshots.push(snapshot);
        if (i % 7 === 0) frozen.push(JSON.stringify(snapshot)); // read some early, to test memoised views too
        else frozen.push('');
      }
      snapshots.forEach((snapshot, i) => {
        const fresh = new ChatCompletionAccumulator();
        for (let k = 0; k <= i; k++) fresh.push(rebuild(k));
        expect(json(snapshot)).toStrictEqual(json(fresh.snapshot()));
        if (frozen[i]) expect(JSON.stringify(snapshot)).toBe(frozen[i]);
        const logprobs = snapshot.choices[0]?.logprobs?.content;
        expect(logprobs).toHaveLength(i + 1);
        expect(Array.isArray(logprobs)).toBe(true);
        expect(snapshot.choices[0]?.message.tool_calls).toHaveLength(Math.min(i + 1, 40));
      });

      function rebuild(k: number): ChatCompletionChunk {
        return chunk([
          delta(
            { content: `${k} `, tool_calls: [{ index: k % 40, id: `call_${k % 40}`, function: { arguments: `${k},` } }] },
            { logprobs: { content: [{ token: `${k}` }], refusal: null } },
          ),
        ]);
      }
    });

    describe('long lists (lib/accumulation/views.ts)', () => {
      /** A snapshot whose first choice has `n` logprobs entries. */
      function withLogprobs(n: number): ChatCompletionSnapshot {
        const acc = new ChatCompletionAccumulator();
        for (let i = 0; i < n; i++) acc.push(chunk([delta({ content: 'x' }, { logprobs: { content: [{ token: `t${i}` }], refusal: null } })]));
        return acc.snapshot();
      }

      it('should copy a list of up to 32 entries at once, as a plain data property, and show a longer one through a getter', () => {
        for (const n of [1, 31, 32]) {
          const descriptor = Object.getOwnPropertyDescriptor(withLogprobs(n).choices[0]?.logprobs, 'content');
          expect(descriptor?.get).toBeUndefined();
          expect(descriptor?.value).toHaveLength(n);
        }
        const long = Object.getOwnPropertyDescriptor(withLogprobs(33).choices[0]?.logprobs, 'content');
        expect(long?.value).toBeUndefined();
        expect(long?.get?.()).toHaveLength(33);
        expect(long?.enumerable).toBe(true);
      });

      it('should let a reader assign, delete and redefine a long list like a plain property', () => {
        const logprobs = withLogprobs(40).choices[0]?.logprobs as unknown as Record<string, unknown>;
        logprobs['content'] = ['mine'];
        expect(logprobs['content']).toEqual(['mine']);
        expect(Object.getOwnPropertyDescriptor(logprobs, 'content')).toEqual({ value: ['mine'], writable: true, enumerable: true, configurable: true });
        const other = withLogprobs(40).choices[0]?.logprobs as unknown as Record<string, unknown>;
        expect(delete other['content']).toBe(true);
        expect(Object.keys(other)).toEqual(['refusal']);
      });

      it('should let a reader replace or remove the console.log view of an object with a long list', () => {
        const logprobs = withLogprobs(40).choices[0]?.logprobs as unknown as Record<symbol, unknown>;
        expect(Object.getOwnPropertyDescriptor(logprobs, inspect.custom)?.enumerable).toBe(false);
        logprobs[inspect.custom] = () => 'mine';
        expect(inspect(logprobs)).toBe('mine');
        expect(delete logprobs[inspect.custom]).toBe(true);
        expect(inspect(logprobs, { depth: 0 })).toBe('{ content: [Getter/Setter], refusal: null }');
        const short = withLogprobs(32).choices[0]?.logprobs;
        expect(Object.getOwnPropertySymbols(short)).toEqual([]);
      });
    });

    it('should show long lists as plain values to JSON, spread, structuredClone and console.log', () => {
      const acc = new ChatCompletionAccumulator();
      for (let i = 0; i < 40; i++) acc.push(chunk([delta({ content: 'x' }, { logprobs: { content: [{ token: `t${i}` }], refusal: null } })]));
      const snapshot = acc.snapshot();
      const logprobs = snapshot.choices[0]?.logprobs;
      expect(Object.keys(logprobs ?? {})).toEqual(['content', 'refusal']);
      expect({ ...logprobs }.content).toHaveLength(40);
      expect(structuredClone(logprobs)?.content).toHaveLength(40);
      expect(inspect(logprobs, { depth: 0 })).toBe('{ content: [Array], refusal: null }');
      expect(inspect(logprobs?.content?.[39])).toContain("'t39'");
      expect(logprobs?.content).toBe(logprobs?.content); // memoised: the same array on every read
    });
  });
});
