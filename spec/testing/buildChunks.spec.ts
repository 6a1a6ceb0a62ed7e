import * as fc from 'fast-check';
import { TestScheduler } from 'rxjs/testing';
import { contentDeltas } from '../../lib/operators/contentDeltas.js';
import { buildChunks } from '../../lib/testing/buildChunks.js';
import { countPromptTokens } from '../../lib/tokens/countPromptTokens.js';
import { countTokens } from '../../lib/tokens/countTokens.js';
import type { ChatCompletionChunk } from '../../lib/types.js';
import { NOTEBOOK_PROMPT, ONE_TO_HUNDRED } from '../helpers/notebook.js';
import { describeShared, recordedStream } from '../helpers/sharedFixtures.js';
import { InvalidInputError } from '../../lib/errors.js';


type Loose = Record<string, unknown>;
const choicesOf = (chunks: ChatCompletionChunk[]) => chunks.flatMap((c) => c.choices);
const contentOf = (chunks: ChatCompletionChunk[], index = 0): string =>
  choicesOf(chunks)
    .filter((choice) => choice.index === index)
    .map((choice) => choice.delta.content ?? '')
    .join('');

/** The chunks of a recorded stream. */
function recorded(name: string): Loose[] {
  return recordedStream(name).chunks as unknown as Loose[];
}

/** A chunk without the fields that are random by nature. */
const withoutPadding = ({ obfuscation, ...rest }: Loose): Loose => {
  void obfuscation;
  return rest;
};

describe('buildChunks', () => {
  it('should stream a role chunk, one chunk per token, and a finish chunk', () => {
    const chunks = buildChunks('Hello, world!');
    expect(choicesOf(chunks).map((choice) => choice.delta)).toEqual([
      { role: 'assistant', content: '', refusal: null },
      { content: 'Hello' },
      { content: ',' },
      { content: ' world' },
      { content: '!' },
      {},
    ]);
    expect(choicesOf(chunks).map((choice) => choice.finish_reason)).toEqual([null, null, null, null, null, 'stop']);
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({ object: 'chat.completion.chunk', model: 'gpt-4o-mini', created: 1_700_000_000 });
      expect(chunk.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/);
      expect(chunk.id).toBe(chunks[0]!.id);
    }
  });

  it('should stream the notebook answer in 299 tokens with usage 36/299/335', () => {
    const promptTokens = countPromptTokens([{ role: 'user', content: NOTEBOOK_PROMPT }], 'gpt-4o-mini');
    const chunks = buildChunks(ONE_TO_HUNDRED, { includeUsage: true, promptTokens });
    expect(contentOf(chunks)).toBe(ONE_TO_HUNDRED);
    expect(choicesOf(chunks).filter((choice) => choice.delta.content)).toHaveLength(299);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({
      prompt_tokens: 36,
      completion_tokens: 299,
      total_tokens: 335,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    });
  });

  it("should write today's format: service_tier, system_fingerprint, usage null and obfuscation", () => {
    const chunks = buildChunks('Hi there', { includeUsage: true });
    for (const chunk of chunks as unknown as Loose[]) {
      expect(Object.keys(chunk)).toEqual([
        'id',
        'object',
        'created',
        'model',
        'service_tier',
        'system_fingerprint',
        'choices',
        'usage',
        'obfuscation',
      ]);
      expect(chunk['service_tier']).toBe('default');
      expect(chunk['system_fingerprint']).toMatch(/^fp_[0-9a-f]{10}$/);
      expect(chunk['obfuscation']).toMatch(/^[A-Za-z0-9]{2,24}$/);
    }
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
  });

  it('should leave obfuscation out when asked', () => {
    for (const chunk of buildChunks('Hi', { obfuscation: false })) expect(chunk).not.toHaveProperty('obfuscation');
  });

  it('should write the classic format without service_tier, usage null or obfuscation', () => {
    const chunks = buildChunks('Hi there', { format: 'classic', includeUsage: true, promptTokens: 5 });
    for (const chunk of chunks.slice(0, -1) as unknown as Loose[]) {
      expect(Object.keys(chunk)).toEqual(['id', 'object', 'created', 'model', 'system_fingerprint', 'choices']);
    }
    expect(chunks.at(-1)).toEqual({
      id: chunks[0]!.id,
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'gpt-4o-mini',
      system_fingerprint: chunks[0]!.system_fingerprint,
      choices: [],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7, completion_tokens_details: { reasoning_tokens: 0 } },
    });
  });

  it('should give the same chunks for the same seed, and others for another seed', () => {
    expect(buildChunks('Same text', { seed: 7 })).toEqual(buildChunks('Same text', { seed: 7 }));
    expect(buildChunks('Same text', { seed: 7 })[0]!.id).not.toBe(buildChunks('Same text', { seed: 8 })[0]!.id);
  });

  it('should use the given model, id, created and fingerprint', () => {
    const [first] = buildChunks('x', { model: 'gpt-4.1-nano', id: 'chatcmpl-given', created: 42, systemFingerprint: 'fp_given' });
    expect(first).toMatchObject({ model: 'gpt-4.1-nano', id: 'chatcmpl-given', created: 42, system_fingerprint: 'fp_given' });
  });

  it('should stream a role chunk and a finish chunk for an empty answer', () => {
    expect(choicesOf(buildChunks('')).map((choice) => [choice.delta, choice.finish_reason])).toEqual([
      [{ role: 'assistant', content: '', refusal: null }, null],
      [{}, 'stop'],
    ]);
  });

  it('should interleave n choices as the API does', () => {
    const chunks = buildChunks('A b c', { n: 3, includeUsage: true });
    expect(choicesOf(chunks).map((choice) => `${choice.index}:${choice.delta.role ? 'role' : (choice.delta.content ?? choice.finish_reason)}`)).toEqual([
      '0:role', '0:A', '1:role', '1:A', '2:role', '2:A',
      '0: b', '1: b', '2: b',
      '0: c', '1: c', '2: c',
      '0:stop', '1:stop', '2:stop',
    ]);
    expect(chunks.every((chunk) => chunk.choices.length <= 1)).toBe(true);
    expect(chunks.at(-1)!.usage?.completion_tokens).toBe(9);
    for (const index of [0, 1, 2]) expect(contentOf(chunks, index)).toBe('A b c');
  });

  it('should interleave n choices with tool calls, and empty answers, delta by delta in turn', () => {
    const label = (choice: ChatCompletionChunk.Choice): string => {
      const call = choice.delta.tool_calls?.[0];
      const what = choice.delta.role ? 'role' : call ? (call.id ? 'call' : call.function?.arguments) : (choice.delta.content ?? choice.finish_reason);
      return `${choice.index}:${what}`;
    };
    const withCall = buildChunks('A b', { n: 2, toolCall: { name: 'f', arguments: { x: 1 }, id: 'call_1' } });
    expect(choicesOf(withCall).map(label)).toEqual([
      '0:role', '0:A', '1:role', '1:A',
      '0: b', '1: b',
      '0:call', '1:call',
      '0:{"', '1:{"',
      '0:x', '1:x',
      '0:":', '1:":',
      '0:1', '1:1',
      '0:}', '1:}',
      '0:tool_calls', '1:tool_calls',
    ]);
    const callOnly = buildChunks('', { n: 2, toolCall: { name: 'f', arguments: { x: 1 }, id: 'call_1' } });
    expect(choicesOf(callOnly).map(label)).toEqual([
      '0:role', '0:{"', '1:role', '1:{"',
      '0:x', '1:x',
      '0:":', '1:":',
      '0:1', '1:1',
      '0:}', '1:}',
      '0:tool_calls', '1:tool_calls',
    ]);
    expect(choicesOf(buildChunks('', { n: 3 })).map(label)).toEqual(['0:role', '1:role', '2:role', '0:stop', '1:stop', '2:stop']);
  });

  it('should stream a tool call alone on the role chunk, then its arguments, finishing with tool_calls', () => {
    const chunks = buildChunks('', {
      toolCall: { name: 'get_capital', arguments: { country: 'UK' }, id: 'call_1' },
      includeUsage: true,
    });
    expect(choicesOf(chunks).map((choice) => choice.delta)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_capital', arguments: '' } }],
        refusal: null,
      },
      { tool_calls: [{ index: 0, function: { arguments: '{"' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'country' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '":"' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'UK' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"}' } }] },
      {},
    ]);
    expect(choicesOf(chunks).at(-1)!.finish_reason).toBe('tool_calls');
    // Name, arguments and the 7 tokens of call framing the API bills (what usage() counts too).
    expect(chunks.at(-1)!.usage?.completion_tokens).toBe(
      countTokens('get_capital', 'gpt-4o-mini') + countTokens('{"country":"UK"}', 'gpt-4o-mini') + 7,
    );
  });

  it('should stream text, then parallel tool calls by index with seeded ids', () => {
    const chunks = buildChunks('Checking.', {
      toolCall: [
        { name: 'a', arguments: '{}' },
        { name: 'b', arguments: '{"x":1}' },
      ],
    });
    const deltas = choicesOf(chunks).map((choice) => choice.delta);
    expect(deltas[0]).toEqual({ role: 'assistant', content: '', refusal: null });
    expect(contentOf(chunks)).toBe('Checking.');
    const firsts = deltas.flatMap((delta) => delta.tool_calls ?? []).filter((call) => call.id !== undefined);
    expect(firsts.map((call) => [call.index, call.function?.name, call.function?.arguments])).toEqual([
      [0, 'a', ''],
      [1, 'b', ''],
    ]);
    for (const call of firsts) expect(call.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    const args = (index: number): string =>
      deltas
        .flatMap((delta) => delta.tool_calls ?? [])
        .filter((call) => call.index === index)
        .map((call) => call.function?.arguments ?? '')
        .join('');
    expect([args(0), args(1)]).toEqual(['{}', '{"x":1}']);
  });

  it('should use the given finish reason', () => {
    expect(choicesOf(buildChunks('cut', { finishReason: 'length' })).at(-1)!.finish_reason).toBe('length');
  });

  it('should reject bad input with a clear error', () => {
    expect(() => buildChunks(42 as unknown as string)).toThrow(InvalidInputError);
    expect(() => buildChunks('x', { n: 0 })).toThrow(InvalidInputError);
    expect(() => buildChunks('x', { n: 1.5 })).toThrow(InvalidInputError);
    expect(() => buildChunks('x', { promptTokens: -1 })).toThrow(InvalidInputError);
    expect(() => buildChunks('x', { format: 'modern' as 'today' })).toThrow(InvalidInputError);
    expect(() => buildChunks('x', { finishReason: 'done' as 'stop' })).toThrow(InvalidInputError);
    expect(() => buildChunks('x', { toolCall: { name: '' } })).toThrow(InvalidInputError);
  });

  it('should make chunks for marble tests', () => {
    const [r, a, b, f] = buildChunks('Hello world');
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold(' -r-a-b-f|', { r: r!, a: a!, b: b!, f: f! });
      const expected = '---a-b--|';
      expectObservable(e1.pipe(contentDeltas())).toBe(expected, { a: 'Hello', b: ' world' });
    });
  });

  it('should cut any text into pieces that join back to it and count as countTokens says (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60, size: 'large' }), fc.constantFrom('gpt-4o-mini', 'gpt-3.5-turbo'), (text, model) => {
        const chunks = buildChunks(text, { model, includeUsage: true });
        expect(contentOf(chunks)).toBe(text);
        expect(choicesOf(chunks).slice(1, -1).every((choice) => choice.delta.content !== '')).toBe(true);
        expect(chunks.at(-1)!.usage?.completion_tokens).toBe(countTokens(text, model));
      }),
      { numRuns: 200 },
    );
  });

  describeShared('against recorded streams', () => {
    const text = recorded('openai-gpt4o-mini-text');
    const tool = recorded('openai-gpt4o-mini-tool-call');
    const classic = recorded('openai-gpt4o-text');

    it("should match a real gpt-4o-mini text stream but for the padding and the usage numbers", () => {
      const first = text[0]!;
      const built = buildChunks('The capital of the UK is London.', {
        model: first['model'] as string,
        id: first['id'] as string,
        created: first['created'] as number,
        systemFingerprint: first['system_fingerprint'] as string,
        includeUsage: true,
      }) as unknown as Loose[];
      expect(built.slice(0, -1).map(withoutPadding)).toEqual(text.slice(0, -1).map(withoutPadding));
      const usage = (chunk: Loose) => ({ ...withoutPadding(chunk), usage: Object.keys(chunk['usage'] as Loose) });
      expect(usage(built.at(-1)!)).toEqual(usage(text.at(-1)!));
    });

    it('should match a real gpt-4o-mini tool-call stream but for the padding', () => {
      const first = tool[0]!;
      const call = ((first['choices'] as Loose[])[0]!['delta'] as { tool_calls: Array<{ id: string }> }).tool_calls[0]!;
      const built = buildChunks('', {
        model: first['model'] as string,
        id: first['id'] as string,
        created: first['created'] as number,
        systemFingerprint: first['system_fingerprint'] as string,
        toolCall: { name: 'get_capital', arguments: '{"country":"UK"}', id: call.id },
      }) as unknown as Loose[];
      expect(built.map(withoutPadding)).toEqual(tool.slice(0, -1).map(withoutPadding));
    });

    it('should match a real 2024 gpt-4o stream in the classic format', () => {
      const first = classic[0]!;
      const content = classic
        .flatMap((chunk) => chunk['choices'] as Array<{ delta: { content?: string } }>)
        .map((choice) => choice.delta.content ?? '')
        .join('');
      const built = buildChunks(content, {
        format: 'classic',
        model: first['model'] as string,
        id: first['id'] as string,
        created: first['created'] as number,
        systemFingerprint: first['system_fingerprint'] as string,
      }) as unknown as Loose[];
      expect(built).toEqual(classic.slice(0, -1));
    });
  });
});
