import { TestScheduler } from 'rxjs/testing';
import { from, lastValueFrom, toArray } from 'rxjs';
import fc from 'fast-check';
import { toolCallArguments, type ToolCallProgress } from '../../lib/operators/toolCallArguments.js';
import { toolCalls } from '../../lib/operators/toolCalls.js';
import { ChatStreamError, InvalidInputError, PartialJsonError, ToolCallArgumentsError } from '../../lib/errors.js';
import { chunk } from '../helpers/chunk.js';
import type { ChatCompletionChunk } from '../../lib/types.js';

type ToolDelta = NonNullable<ChatCompletionChunk.Choice.Delta['tool_calls']>[number];

const calls = (deltas: ToolDelta[], choiceIndex = 0): ChatCompletionChunk => ({
  ...chunk(null),
  choices: [{ index: choiceIndex, delta: { tool_calls: deltas }, finish_reason: null, logprobs: null }],
});
const start = (index: number, id: string, name: string, args = ''): ToolDelta => ({ index, id, type: 'function', function: { name, arguments: args } });
const piece = (index: number, args: string): ToolDelta => ({ index, function: { arguments: args } });
const finish = (): ChatCompletionChunk => ({ ...chunk(null), choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls', logprobs: null }] });

const weather = (partial: unknown): ToolCallProgress => ({ choiceIndex: 0, index: 0, id: 'call_a', type: 'function', name: 'get_weather', partial });

describe('toolCallArguments', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should emit the arguments parsed so far after each piece that changes them', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-b-c-d-e-f-|', {
        a: calls([start(0, 'call_a', 'get_weather')]),
        b: calls([piece(0, '{"ci')]),
        c: calls([piece(0, 'ty": "Pa')]),
        d: calls([piece(0, 'ris", "days": 3')]),
        e: calls([piece(0, '}')]),
        f: finish(),
      });
      const e1subs = '  ^------------!';
      // b: the key is not complete, but the object began. d: 3 may go on (33?) until the brace;
      // e closes the object, so its value is already the finished, plain one: nothing follows.
      const expected = ' ---B-C-D-E---|';

      expectObservable(e1.pipe(toolCallArguments())).toBe(expected, {
        B: weather({}),
        C: weather({ city: 'Pa' }),
        D: weather({ city: 'Paris' }),
        E: weather({ city: 'Paris', days: 3 }),
      });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should follow several calls, parallel and by id where a server reuses an index (Ollama)', async () => {
    const stream = [
      calls([start(0, 'call_a', 'get_weather', '{"city": "Oslo"}')]),
      calls([start(0, 'call_b', 'get_time', '{"zone": "CET"}')]),
      calls([{ index: 1, id: 'call_c', type: 'function', function: { name: 'noop', arguments: '' } }, piece(0, '')]),
      calls([piece(1, '{}')]),
      finish(),
    ];
    const values = await lastValueFrom(from(stream).pipe(toolCallArguments(), toArray()));
    const last = new Map(values.map((value) => [value.id, value]));
    expect([...last.values()]).toEqual([
      { choiceIndex: 0, index: 0, id: 'call_a', type: 'function', name: 'get_weather', partial: { city: 'Oslo' } },
      { choiceIndex: 0, index: 1, id: 'call_b', type: 'function', name: 'get_time', partial: { zone: 'CET' } },
      { choiceIndex: 0, index: 2, id: 'call_c', type: 'function', name: 'noop', partial: {} },
    ]);
  });

  it('should emit a custom call\'s input so far', async () => {
    const stream = [
      calls([{ index: 0, id: 'call_x', type: 'custom', custom: { name: 'code_exec', input: '' } }]),
      calls([{ index: 0, custom: { input: 'print(' } }]),
      calls([{ index: 0, custom: { input: '1)' } }]),
      finish(),
    ];
    const values = await lastValueFrom(from(stream).pipe(toolCallArguments(), toArray()));
    expect(values.map((value) => (value.type === 'custom' ? value.input : 'no'))).toEqual(['', 'print(', 'print(1)']);
  });

  it('should end, for any split of the arguments, with the value toolCalls() parses', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify({ value })),
        fc.array(fc.nat(), { size: 'large' }),
        (text, cuts) => {
          const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
          const pieces: string[] = [];
          let at = 0;
          for (const point of [...points, text.length]) {
            pieces.push(text.slice(at, point));
            at = point;
          }
          const stream = [calls([start(0, 'call_a', 'f')]), ...pieces.map((p) => calls([piece(0, p)])), finish()];
          const progress: ToolCallProgress[] = [];
          let finished: unknown;
          from(stream).pipe(toolCallArguments()).subscribe((value) => progress.push(value));
          from(stream).pipe(toolCalls()).subscribe((call) => (finished = call.type === 'function' ? call.parsed : undefined));
          const last = progress[progress.length - 1];
          expect(last?.type === 'function' && last.partial).toEqual(JSON.parse(text));
          expect(last?.type === 'function' && last.partial).toEqual(finished);
          // One parse of each piece: at most one value per piece, and one at the end.
          expect(progress.length).toBeLessThanOrEqual(pieces.length + 1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('should error with ToolCallArgumentsError at the first bad character, carrying the call and partial', async () => {
    const stream = [calls([start(0, 'call_a', 'get_weather')]), calls([piece(0, '{"city": ')]), calls([piece(0, 'Paris}')]), finish()];
    const seen: ToolCallProgress[] = [];
    const error = await new Promise((resolve) =>
      from(stream).pipe(toolCallArguments()).subscribe({ next: (value) => seen.push(value), error: resolve, complete: () => resolve(undefined) }),
    );
    expect(error).toBeInstanceOf(ToolCallArgumentsError);
    expect((error as ToolCallArgumentsError).call).toEqual({ choiceIndex: 0, index: 0, id: 'call_a', name: 'get_weather', arguments: '{"city": Paris}' });
    expect((error as Error).cause).toBeInstanceOf(PartialJsonError);
    expect(((error as Error).cause as PartialJsonError).position).toBe(9);
    expect((error as ChatStreamError).partial?.choices[0]?.message.tool_calls?.[0]?.id).toBe('call_a');
    expect(seen).toEqual([weather({})]);
  });

  it('should error when the stream completes with a call unfinished', async () => {
    const error = await lastValueFrom(from([calls([start(0, 'call_a', 'get_weather', '{"city": "Pa')])]).pipe(toolCallArguments())).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ToolCallArgumentsError);
    expect(((error as Error).cause as PartialJsonError).reason).toBe('incomplete');
  });

  it('should emit nothing for a stream without tool calls, and nothing for never', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-|', { a: chunk({ content: 'Hi' }) }).pipe(toolCallArguments())).toBe('---|');
      expectObservable(cold<ChatCompletionChunk>('-').pipe(toolCallArguments())).toBe('-');
    });
  });

  it('should pass an error of the source through, with partial', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-#', { a: calls([start(0, 'call_a', 'get_weather', '{')]) }, new Error('boom'));
      expectObservable(e1.pipe(toolCallArguments())).toBe('-A-#', { A: weather({}) }, new Error('boom'));
    });
  });

  it('should stop when unsubscribed early', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-b-c-|', { a: calls([start(0, 'call_a', 'get_weather', '{')]), b: calls([piece(0, '"x": 1,')]), c: calls([piece(0, '"y": 2}')]) });
      const unsub = '    ----!';
      expectObservable(e1.pipe(toolCallArguments()), unsub).toBe('-A-B', { A: weather({}), B: weather({ x: 1 }) });
      expectSubscriptions(e1.subscriptions).toBe('  ^---!');
    });
  });

  it('should refuse bad options with an InvalidInputError', () => {
    expect(() => toolCallArguments('deep' as never)).toThrow(InvalidInputError);
    expect(() => toolCallArguments({ maxDepth: 0 })).toThrow(InvalidInputError);
  });
});
