import { TestScheduler } from 'rxjs/testing';
import { from, lastValueFrom, map, take, tap, toArray } from 'rxjs';
import fc from 'fast-check';
import { toolCalls, type CompletedToolCall } from '../../lib/operators/toolCalls.js';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { ChatStreamError, InvalidChunkError, InvalidInputError, StreamAPIError, ToolCallArgumentsError } from '../../lib/errors.js';
import { chunk, usageChunk } from '../helpers/chunk.js';
import type { ChatCompletionChunk } from '../../lib/types.js';

type ToolDelta = NonNullable<ChatCompletionChunk.Choice.Delta['tool_calls']>[number];

/** A chunk with tool-call deltas for one choice (default 0). */
const calls = (deltas: ToolDelta[], choiceIndex = 0): ChatCompletionChunk => ({
  ...chunk(null),
  choices: [{ index: choiceIndex, delta: { tool_calls: deltas }, finish_reason: null, logprobs: null }],
});
const start = (index: number, id: string, name: string, args = ''): ToolDelta => ({ index, id, type: 'function', function: { name, arguments: args } });
const piece = (index: number, args: string): ToolDelta => ({ index, function: { arguments: args } });
const finish = (choiceIndex = 0, reason: 'tool_calls' | 'stop' = 'tool_calls'): ChatCompletionChunk => ({
  ...chunk(null),
  choices: [{ index: choiceIndex, delta: {}, finish_reason: reason, logprobs: null }],
});

/** The stream of the marble diagram: get_weather({"city":"Paris"}) then get_time({}). */
function weatherValues(): Record<string, ChatCompletionChunk> {
  return {
    r: chunk({ role: 'assistant', content: null }),
    a: calls([start(0, 'call_a', 'get_weather')]),
    x: calls([piece(0, '{"city":')]),
    y: calls([piece(0, '"Paris"}')]),
    b: calls([start(1, 'call_b', 'get_time')]),
    z: calls([piece(1, '{}')]),
    f: finish(),
    u: usageChunk(3, 2),
  };
}

const A: CompletedToolCall = {
  choiceIndex: 0,
  index: 0,
  id: 'call_a',
  type: 'function',
  name: 'get_weather',
  arguments: '{"city":"Paris"}',
  parsed: { city: 'Paris' },
};
const B: CompletedToolCall = { choiceIndex: 0, index: 1, id: 'call_b', type: 'function', name: 'get_time', arguments: '{}', parsed: {} };

describe('toolCalls', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should emit each call once: when the next call starts, and when its choice finishes', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-x-y-b-z-f-u-|', weatherValues());
      const e1subs = '  ^----------------!';
      const expected = ' ---------A---B---|';

      expectObservable(e1.pipe(toolCalls())).toBe(expected, { A, B });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should emit the open calls when the source completes without finish_reason', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-x-y-b-z-|', weatherValues());
      const e1subs = '  ^----------!';
      const expected = ' -------A---(B|)';

      expectObservable(e1.pipe(toolCalls())).toBe(expected, { A, B });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should never repeat a call for chunks after finish_reason (vLLM, Azure)', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const values = {
        ...weatherValues(),
        e: chunk({}),
        p: calls([piece(1, ' ')]),
        s: { ...chunk({}), choices: [{ index: 0, delta: {}, finish_reason: null, content_filter_results: {} }] } as unknown as ChatCompletionChunk,
      };
      const e1 = cold('  -a-x-y-b-z-f-f-e-p-s-u-|', values);
      const expected = ' -------A---B-----------|';

      expectObservable(e1.pipe(toolCalls())).toBe(expected, { A, B });
    });
  });

  it('should emit a call that starts after its choice finished with the chunk that brings it', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-f-b-|', { a: calls([start(0, 'call_a', 'get_weather', '{"city":"Paris"}')]), f: finish(), b: calls([start(1, 'call_b', 'get_time', '{}')]) });

      expectObservable(e1.pipe(toolCalls())).toBe(' ---A-B-|', { A, B });
    });
  });

  it('should split calls that all carry index 0 by their id (Ollama), through the merge', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-c-f-|', {
        a: calls([start(0, 'call_1', 'get_weather', '{"city":"Paris"}')]),
        b: calls([start(0, 'call_2', 'get_weather', '{"city":"Oslo"}')]),
        c: calls([piece(0, '')]),
        f: finish(),
      });
      const expected = ' ---A---B-|';

      expectObservable(e1.pipe(toolCalls())).toBe(expected, {
        A: { ...A, id: 'call_1' },
        B: { choiceIndex: 0, index: 1, id: 'call_2', type: 'function', name: 'get_weather', arguments: '{"city":"Oslo"}', parsed: { city: 'Oslo' } },
      });
    });
  });

  it('should emit at once every call but the last that one chunk starts', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-|', {
        a: calls([start(0, 'call_a', 'get_weather', '{"city":"Paris"}'), start(1, 'call_b', 'get_time', '{}')]),
        b: finish(),
      });

      expectObservable(e1.pipe(toolCalls())).toBe(' -A-B-|', { A, B });
    });
  });

  it('should follow each choice of n > 1 by its own calls and finish_reason', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-x-y-f-g-|', {
        a: calls([start(0, 'call_a', 'get_weather', '{"city":')], 0),
        b: calls([start(0, 'call_b', 'get_time', '{}')], 1),
        x: calls([piece(0, '"Paris"}')], 0),
        y: calls([start(1, 'call_c', 'get_time', '{}')], 1),
        f: finish(1),
        g: finish(0),
      });
      const expected = ' -------C-D-A-|';

      expectObservable(e1.pipe(toolCalls())).toBe(expected, {
        A,
        C: { ...B, choiceIndex: 1, index: 0 },
        D: { ...B, choiceIndex: 1, index: 1, id: 'call_c' },
      });
    });
  });

  it('should emit the open calls of every choice in index order when the source completes', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -b-a-|', { b: calls([start(0, 'call_b', 'get_time', '{}')], 1), a: calls([start(0, 'call_a', 'get_weather', '{"city":"Paris"}')], 0) });

      expectObservable(e1.pipe(toolCalls())).toBe(' -----(AC|)', { A, C: { ...B, choiceIndex: 1, index: 0 } });
    });
  });

  it('should emit a custom call with its input, never parsed, beside function calls', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -c-i-a-f-|', {
        c: calls([{ index: 0, id: 'call_c', type: 'custom', custom: { name: 'grep', input: 'TODO' } } as unknown as ToolDelta]),
        i: calls([{ index: 0, custom: { input: ' lib/' } } as unknown as ToolDelta]),
        a: calls([start(1, 'call_a', 'get_weather', '{"city":"Paris"}')]),
        f: finish(),
      });

      expectObservable(e1.pipe(toolCalls())).toBe(' -----G-A-|', {
        G: { choiceIndex: 0, index: 0, id: 'call_c', type: 'custom', name: 'grep', input: 'TODO lib/' },
        A: { ...A, index: 1 },
      });
    });
  });

  it("should parse empty arguments as {}, and fill what never came as toChatCompletion() does", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-f-|', { a: calls([{ index: 0, function: { arguments: '' } }]), f: finish() });

      expectObservable(e1.pipe(toolCalls())).toBe(' ---A-|', {
        A: { choiceIndex: 0, index: 0, id: '', type: 'function', name: '', arguments: '', parsed: {} },
      });
    });
  });

  it('should leave parsed out, and not error on bad JSON, with { parse: false }', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-x-f-|', { a: calls([start(0, 'call_a', 'get_weather')]), x: calls([piece(0, '{"city": Par')]), f: finish() });
      const { parsed, ...raw } = A as { parsed?: unknown };
      void parsed;

      expectObservable(e1.pipe(toolCalls({ parse: false }))).toBe(' -----A-|', { A: { ...raw, arguments: '{"city": Par' } });
    });
  });

  it('should error with a ToolCallArgumentsError, redacted, with the cause and partial, for arguments that are not JSON', () => {
    let caught: unknown;
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-x-y-b-|', {
        a: calls([start(0, 'call_a', 'get_weather')]),
        x: calls([piece(0, '{"key": "sk-proj-abcdefghijklmnop1234567890", ')]),
        y: calls([piece(0, 'x'.repeat(3000))]),
        b: calls([start(1, 'call_b', 'get_time', '{}')]),
      });
      const e1subs = '  ^------!';
      const result = e1.pipe(toolCalls(), tap({ error: (error: unknown) => (caught = error) }));

      expectObservable(result).toBe(' -------#', undefined, expect.any(ToolCallArgumentsError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    const error = caught as ToolCallArgumentsError;
    expect(error).toBeInstanceOf(ChatStreamError);
    expect(error.name).toBe('ToolCallArgumentsError');
    expect(error.message).toMatch(/^Tool call get_weather \(call_a\) of choice 0 has arguments that are not valid JSON: /);
    expect(error.call).toMatchObject({ choiceIndex: 0, index: 0, id: 'call_a', name: 'get_weather' });
    expect(error.call.arguments).toMatch(/^\{"key": "sk-\*\*\*", x+…$/);
    expect(error.call.arguments.length).toBe(1001);
    expect(error.cause).toBeInstanceOf(SyntaxError);
    // The error's own text is redacted; `partial` is the model's output as it came (as for every error).
    expect(JSON.stringify({ message: error.message, stack: error.stack, call: error.call, cause: String(error.cause) })).not.toContain('sk-proj');
    expect(error.partial?.choices[0]?.message.tool_calls).toHaveLength(2);
  });

  it('should error with an InvalidChunkError, with partial, for a chunk it cannot merge', () => {
    let caught: unknown;
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-x-b-|', {
        a: calls([start(0, 'call_a', 'get_weather')]),
        x: calls([{ index: 0, function: { arguments: 42 } } as unknown as ToolDelta]),
        b: finish(),
      });
      const e1subs = '  ^--!';

      expectObservable(e1.pipe(toolCalls(), tap({ error: (e: unknown) => (caught = e) }))).toBe(' ---#', undefined, expect.any(InvalidChunkError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect(caught).toMatchObject({ path: 'chunk.choices[0].delta.tool_calls[0].function.arguments' });
    expect((caught as InvalidChunkError).partial?.choices[0]?.message.tool_calls?.[0]?.id).toBe('call_a');
  });

  it("should error with the server's StreamAPIError for an error sent as a chunk", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-x-|', { a: calls([start(0, 'call_a', 'get_weather')]), x: { error: { message: 'overloaded' } } as unknown as ChatCompletionChunk });

      expectObservable(e1.pipe(toolCalls())).toBe(' ---#', undefined, expect.any(StreamAPIError));
    });
  });

  it('should pass an error through with partial, without emitting the open call', () => {
    let caught: unknown;
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-x-#', weatherValues(), new Error('boom'));
      const e1subs = '  ^----!';

      expectObservable(e1.pipe(toolCalls(), tap({ error: (e: unknown) => (caught = e) }))).toBe(' -----#', undefined, new Error('boom'));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect((caught as { partial?: { choices: unknown[] } }).partial?.choices).toHaveLength(1);
  });

  it('should complete on an empty source and on a stream without tool calls', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  |');
      const e2 = cold('  -r-a-f-u-|', { r: chunk({ role: 'assistant', content: '' }), a: chunk({ content: 'Hi' }), f: finish(0, 'stop'), u: usageChunk(1, 1) });

      expectObservable(e1.pipe(toolCalls())).toBe('|');
      expectSubscriptions(e1.subscriptions).toBe('(^!)');
      expectObservable(e2.pipe(toolCalls())).toBe(' ---------|');
    });
  });

  it('should not complete on a never source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  -');
      expectObservable(e1.pipe(toolCalls())).toBe('-');
      expectSubscriptions(e1.subscriptions).toBe('^');
    });
  });

  it('should stop on early unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-x-y-b-z-f-u-|', weatherValues());
      const e1subs = '  ^----------!';
      const unsub = '    -----------!';
      const expected = ' ---------A--';

      expectObservable(e1.pipe(toolCalls()), unsub).toBe(expected, { A });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should stop building the calls of one chunk once the subscriber leaves', () => {
    const seen: CompletedToolCall[] = [];
    const errors: unknown[] = [];
    const parse = jest.spyOn(JSON, 'parse');
    try {
      from([calls([start(0, 'a', 'f', '{}'), start(1, 'b', 'g', '{}'), start(2, 'c', 'h', '{}')]), finish()])
        .pipe(
          toolCalls(),
          tap((call) => seen.push(call)),
          take(1),
        )
        // An error handler: an error fails this test (below) instead of being rethrown later, out of it.
        .subscribe({ error: (error: unknown) => errors.push(error) });
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
    expect(errors).toEqual([]);
    expect(seen.map((call) => call.id)).toEqual(['a']);
  });

  it('should not catch an error thrown by a downstream callback as its own', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-x-y-b-z-f-|', weatherValues());
      const result = e1.pipe(
        toolCalls(),
        map((call) => {
          if (call.index === 1) throw new TypeError('bad');
          return call;
        }),
      );
      expectObservable(result).toBe(' -------A---#', { A }, new TypeError('bad'));
    });
  });

  it('should reject options that are not what they must be', () => {
    expect(() => toolCalls({ parse: 'no' as unknown as boolean })).toThrow(InvalidInputError);
    expect(() => toolCalls(null as unknown as undefined)).toThrow(InvalidInputError);
  });

  describe('properties', () => {
    /** Cuts `text` at the given points (any number, any places): the pieces join back to it. */
    const cut = (text: string, cuts: number[]): string[] => {
      const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
      const pieces: string[] = [];
      let at = 0;
      for (const point of points) {
        pieces.push(text.slice(at, point));
        at = point;
      }
      pieces.push(text.slice(at));
      return pieces;
    };

    const call = fc.record({
      name: fc.constantFrom('get_weather', 'get_time', 'search'),
      args: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }),
      cuts: fc.array(fc.nat(), { maxLength: 40, size: 'large' }),
    });

    it('should emit each call exactly once, equal to the tool calls of toChatCompletion(), for any split of the arguments', async () => {
      let longest = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(call, { minLength: 1, maxLength: 30, size: 'large' }),
          fc.boolean(),
          fc.boolean(),
          async (planned, reusedIndex, finished) => {
            longest = Math.max(longest, planned.length);
            const chunks: ChatCompletionChunk[] = [chunk({ role: 'assistant', content: null })];
            planned.forEach((p, i) => {
              const index = reusedIndex ? 0 : i;
              const [first = '', ...rest] = cut(JSON.stringify(p.args), p.cuts);
              chunks.push(calls([start(index, `call_${i}`, p.name, first)]));
              for (const text of rest) chunks.push(calls([piece(index, text)]));
            });
            if (finished) chunks.push(finish());
            const emitted = await lastValueFrom(from(chunks).pipe(toolCalls(), toArray()));
            const completion = await lastValueFrom(from(chunks).pipe(toChatCompletion({ lenient: true })));
            expect(emitted.map(({ choiceIndex, index, ...rest }) => [choiceIndex, index, rest.id])).toEqual(planned.map((_, i) => [0, i, `call_${i}`]));
            expect(
              emitted.map((c) => (c.type === 'function' ? { id: c.id, type: c.type, function: { name: c.name, arguments: c.arguments } } : c)),
            ).toEqual(completion.choices[0]?.message.tool_calls);
            expect(emitted.map((c) => (c.type === 'function' ? c.parsed : undefined))).toEqual(planned.map((p) => JSON.parse(JSON.stringify(p.args))));
          },
        ),
        { numRuns: 200 },
      );
      expect(longest).toBeGreaterThan(15);
    });
  });
});
