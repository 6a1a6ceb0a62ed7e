import { TestScheduler } from 'rxjs/testing';
import { concat, from, lastValueFrom, of, tap, throwError, toArray } from 'rxjs';
import fc from 'fast-check';
import { streamMetrics, type StreamEnding, type StreamMetrics } from '../../lib/operators/streamMetrics.js';
import { EXACT, GapHistogram, PERCENTILE_ERROR, PERCENTILE_FLOOR_MS } from '../../lib/operators/gapHistogram.js';
import { usage } from '../../lib/operators/usage.js';
import { ChatStreamError, InvalidChunkError, InvalidInputError } from '../../lib/errors.js';
import { countTokens } from '../../lib/tokens/countTokens.js';
import { chunk, helloValues } from '../helpers/chunk.js';
import { cutInto, deltaSizes } from '../helpers/text.js';
import { anyText, PERSIAN } from '../tokens/helpers.js';
import type { ChatCompletionChunk } from '../../lib/types.js';

/** The metrics of `helloValues()` in `---r--a-b--f-u-|`, at `duration`, as far as the chunks seen. */
function expectedHello(duration: number, seen: number): StreamMetrics {
  const times = [3, 6, 8, 11, 13].slice(0, seen);
  const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
  const sorted = [...gaps].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] as number;
  const content = Math.min(2, Math.max(0, seen - 1));
  const tokens = seen === 5 ? 2 : seen >= 3 ? countTokens('Hello', 'gpt-4o-mini') : seen === 2 ? 1 : 0;
  return {
    timeToFirstChunk: seen > 0 ? 3 : null,
    timeToFirstContent: seen >= 2 ? 6 : null,
    duration,
    chunks: seen,
    contentChunks: content,
    completionTokens: tokens,
    estimated: seen < 5,
    // After 'Hel' (1 token) at 6, the rest came by 8: (tokens − 1) per 2 ms.
    outputTokensPerSecond: seen >= 3 ? ((tokens - 1) * 1000) / 2 : null,
    gaps:
      gaps.length === 0
        ? null
        : {
            count: gaps.length,
            min: sorted[0] as number,
            p10: rank(10),
            p50: rank(50),
            mean: gaps.reduce((a, b) => a + b, 0) / gaps.length,
            p90: rank(90),
            p99: rank(99),
            max: sorted[sorted.length - 1] as number,
          },
  };
}

/** The final metrics of a list of chunks (no time passes: `from`). */
async function metricsOf(chunks: readonly ChatCompletionChunk[], options = {}): Promise<StreamMetrics> {
  return lastValueFrom(from(chunks).pipe(streamMetrics(options)));
}

describe('streamMetrics', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should emit the metrics of the stream when it completes', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  ---r--a-b--f-u-|', helloValues());
      const e1subs = '  ^--------------!';
      const expected = ' ---------------(m|)';

      expectObservable(e1.pipe(streamMetrics())).toBe(expected, { m: expectedHello(15, 5) });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should give the figures of the doc', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  ---r--a-b--f-u-|', helloValues());
      expectObservable(e1.pipe(streamMetrics({ scheduler: testScheduler }))).toBe(' ---------------(m|)', {
        m: {
          timeToFirstChunk: 3,
          timeToFirstContent: 6,
          duration: 15,
          chunks: 5,
          contentChunks: 2,
          completionTokens: 2,
          estimated: false,
          outputTokensPerSecond: 500,
          gaps: { count: 4, min: 2, p10: 2, p50: 2, mean: 2.5, p90: 3, p99: 3, max: 3 },
        },
      });
    });
  });

  it('should emit the running metrics after every chunk with live, then the final ones', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  ---r--a-b--f-u-|', helloValues());
      const expected = ' ---1--2-3--4-5-(6|)';
      expectObservable(e1.pipe(streamMetrics({ live: true }))).toBe(expected, {
        1: expectedHello(3, 1),
        2: expectedHello(6, 2),
        3: expectedHello(8, 3),
        4: expectedHello(11, 4),
        5: expectedHello(13, 5),
        6: expectedHello(15, 5),
      });
    });
  });

  it('should emit metrics of nothing for an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  --|');
      expectObservable(e1.pipe(streamMetrics())).toBe(' --(m|)', { m: expectedHello(2, 0) });
      expectSubscriptions(e1.subscriptions).toBe('^-!');
    });
  });

  it('should emit nothing for a source that never emits', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  -');
      expectObservable(e1.pipe(streamMetrics())).toBe('-');
      expectSubscriptions(e1.subscriptions).toBe('^');
    });
  });

  it('should count the text when the server sent no usage, and say so', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  ---r--a-b--f-|', helloValues());
      expectObservable(e1.pipe(streamMetrics())).toBe(' -------------(m|)', { m: { ...expectedHello(13, 4), estimated: true } });
    });
  });

  it('should pass the metrics so far on the error, without changing its class, and to onEnd', () => {
    const ends: Array<[StreamMetrics, StreamEnding]> = [];
    const errors: unknown[] = [];
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  ---r--a-#', helloValues(), new ChatStreamError('cut'));
      const e1subs = '  ^-------!';
      const result = e1.pipe(
        streamMetrics({ onEnd: (metrics, ending) => ends.push([metrics, ending]) }),
        tap({ error: (error: unknown) => errors.push(error) }),
      );
      expectObservable(result).toBe(' --------#', undefined, expect.any(ChatStreamError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect(ends).toEqual([[expectedHello(8, 2), 'error']]);
    expect((errors[0] as { metrics?: StreamMetrics }).metrics).toEqual(expectedHello(8, 2));
    expect(errors[0]).toBeInstanceOf(ChatStreamError);
  });

  it('should attach the metrics to other errors as a property JSON does not show, and keep one already there', async () => {
    const error = new TypeError('socket hang up');
    const caught = await lastValueFrom(concat(of(chunk({ content: 'Hi' })), throwError(() => error)).pipe(streamMetrics())).catch(
      (e: unknown) => e,
    );
    expect(caught).toBe(error);
    expect(caught).toBeInstanceOf(TypeError);
    expect((caught as { metrics?: StreamMetrics }).metrics).toMatchObject({ chunks: 1, contentChunks: 1 });
    expect(Object.keys(caught as object)).not.toContain('metrics');

    const measured = Object.assign(new Error('inner'), { metrics: 'from an inner streamMetrics' });
    const kept = await lastValueFrom(throwError(() => measured).pipe(streamMetrics())).catch((e: unknown) => e);
    expect((kept as { metrics?: unknown }).metrics).toBe('from an inner streamMetrics');
  });

  it('should call onEnd with the metrics so far when unsubscribed early', () => {
    const ends: Array<[StreamMetrics, StreamEnding]> = [];
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  ---r--a-b--f-u-|', helloValues());
      const e1subs = '  ^------!';
      const unsub = '    -------!';
      expectObservable(e1.pipe(streamMetrics({ onEnd: (m, ending) => ends.push([m, ending]) })), unsub).toBe('-');
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect(ends).toEqual([[expectedHello(7, 2), 'unsubscribe']]);
  });

  it('should call onEnd once on completion, before the value', () => {
    const order: string[] = [];
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-|', helloValues());
      const result = e1.pipe(
        streamMetrics({ onEnd: (_, ending) => order.push(ending) }),
        tap(() => order.push('value')),
      );
      expectObservable(result).toBe(' ---(m|)', { m: expect.objectContaining({ chunks: 1 }) });
    });
    expect(order).toEqual(['complete', 'value']);
  });

  it('should error with what onEnd throws', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const boom = (): void => {
        throw new Error('onEnd broke');
      };
      expectObservable(cold('  -a-|', helloValues()).pipe(streamMetrics({ onEnd: boom }))).toBe(' ---#', undefined, new Error('onEnd broke'));
      expectObservable(cold('  -a-#', helloValues(), new Error('source')).pipe(streamMetrics({ onEnd: boom }))).toBe(
        ' ---#',
        undefined,
        new Error('onEnd broke'),
      );
    });
  });

  it('should error with an InvalidChunkError, metrics attached, for a chunk it cannot read', () => {
    const bad: Array<[unknown, string]> = [
      [null, 'chunk must be an object, got null'],
      [{ ...chunk(null), choices: {} }, 'chunk.choices must be an array, got an object'],
      [{ ...chunk(null), choices: [{ index: -1, delta: {} }] }, 'chunk.choices[0].index must be a non-negative integer, got a number'],
      [chunk({ content: 42 as unknown as string }), 'chunk.choices[0].delta.content must be a string, got a number'],
      [chunk({ reasoning_content: {} } as never), 'chunk.choices[0].delta.reasoning_content must be a string, got an object'],
      [chunk({ tool_calls: {} as never }), 'chunk.choices[0].delta.tool_calls must be an array, got an object'],
      [{ ...chunk(null), usage: 7 }, 'chunk.usage must be an object, got a number'],
      [{ ...chunk(null), usage: { completion_tokens: -1 } }, 'chunk.usage.completion_tokens must be a whole number of tokens, got a number'],
    ];
    for (const [value, message] of bad) {
      let caught: unknown;
      from([helloValues().a, value as ChatCompletionChunk])
        .pipe(streamMetrics())
        .subscribe({ error: (error: unknown) => (caught = error) });
      expect(caught).toBeInstanceOf(InvalidChunkError);
      expect((caught as Error).message).toBe(`Invalid chat-completion chunk: ${message}`);
      expect((caught as { metrics?: StreamMetrics }).metrics).toMatchObject({ chunks: 1 });
    }
  });

  it('should read a choice without index as the one at its position, and count tool calls as output', async () => {
    const noIndex = { ...chunk(null), choices: [{ delta: { content: 'x' } }, { delta: { content: 'yz' } }] } as unknown as ChatCompletionChunk;
    const tool = chunk({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] });
    const metrics = await metricsOf([chunk({ role: 'assistant', content: '' }), tool, noIndex]);
    expect(metrics).toMatchObject({ chunks: 3, contentChunks: 2, completionTokens: countTokens('x', 'gpt-4o') + countTokens('yz', 'gpt-4o') });
  });

  it('should count content, refusal and reasoning text of every choice, each as countTokens does, however they are cut', async () => {
    const fields = fc.constantFrom('content', 'refusal', 'reasoning_content', 'reasoning');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fields, anyText(20), deltaSizes), { maxLength: 8 }),
        fc.constantFrom('gpt-4o', 'gpt-4'),
        async (parts, model) => {
          const chunks: ChatCompletionChunk[] = [];
          const texts = new Map<string, string>();
          for (const [index, field, text, sizes] of parts) {
            for (const delta of cutInto(text, sizes)) {
              chunks.push({ ...chunk(null), model, choices: [{ index, delta: { [field]: delta }, finish_reason: null }] } as ChatCompletionChunk);
            }
            texts.set(`${index}${field}`, (texts.get(`${index}${field}`) ?? '') + text);
          }
          let expected = 0;
          for (const text of texts.values()) expected += countTokens(text, model);
          const metrics = await metricsOf(chunks);
          expect(metrics.completionTokens).toBe(expected);
          expect(metrics.estimated).toBe(true);
          const live = await lastValueFrom(from(chunks).pipe(streamMetrics({ live: true }), toArray()));
          expect(live[live.length - 1]?.completionTokens).toBe(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('should count a long text exactly, in one go past 64K characters', async () => {
    const text = PERSIAN.repeat(Math.ceil(70_000 / PERSIAN.length));
    const chunks = cutInto(text, [5, 3, 7]).map((content) => chunk({ content }));
    const metrics = await metricsOf(chunks);
    expect(metrics.completionTokens).toBe(countTokens(text, 'gpt-4o-mini'));
  });

  it('should agree with usage() on a stream of text without usage', async () => {
    const text = 'Hello, world! How are you today? 1, 2, 3.';
    const chunks = cutInto(text, [3]).map((content) => chunk({ content }));
    const counted = await lastValueFrom(from(chunks).pipe(usage()));
    expect((await metricsOf(chunks)).completionTokens).toBe(counted.completion_tokens);
  });

  it("should count with the stream's model, or the model or encoding given", async () => {
    const text = 'お誕生日おめでとう';
    const chunks = [{ ...chunk({ content: text }), model: 'gpt-4' }];
    expect((await metricsOf(chunks)).completionTokens).toBe(countTokens(text, 'gpt-4'));
    expect((await metricsOf(chunks, { model: 'gpt-4o' })).completionTokens).toBe(countTokens(text, 'gpt-4o'));
    expect((await metricsOf(chunks, { encoding: 'o200k_base' })).completionTokens).toBe(countTokens(text, 'gpt-4o'));
    expect(countTokens(text, 'gpt-4')).not.toBe(countTokens(text, 'gpt-4o'));
  });

  it('should say null, never Infinity or NaN, for a rate it cannot measure', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const values = helloValues();
      // Both content chunks in the same instant, or only one: no time to divide by.
      expectObservable(cold('  -(ab)-|', values).pipe(streamMetrics())).toBe(' ------(m|)', {
        m: expect.objectContaining({ outputTokensPerSecond: null, gaps: expect.objectContaining({ min: 0, max: 0 }) }),
      });
      expectObservable(cold('  -a-f-|', values).pipe(streamMetrics())).toBe(' -----(m|)', {
        m: expect.objectContaining({ outputTokensPerSecond: null, contentChunks: 1 }),
      });
    });
  });

  it('should throw an InvalidInputError for bad options, at the call', () => {
    expect(() => streamMetrics({ onEnd: 'yes' as never })).toThrow(InvalidInputError);
    expect(() => streamMetrics({ encoding: 'p50k_base' as never })).toThrow("streamMetrics() options.encoding must be 'o200k_base' or 'cl100k_base', got a string");
    expect(() => streamMetrics({ model: 4 as never })).toThrow(InvalidInputError);
    expect(() => streamMetrics({ scheduler: {} as never })).toThrow(InvalidInputError);
    expect(() => streamMetrics([] as never)).toThrow(InvalidInputError);
  });

  it('should wait for the encoding where it loads asynchronously, and say null until then in live values', async () => {
    await jest.isolateModulesAsync(async () => {
      jest.doMock('../../lib/tokens/nodeRequire', () => ({ nodeRequire: undefined }));
      const isolated = require('../../lib/operators/streamMetrics') as typeof import('../../lib/operators/streamMetrics.js');
      const chunks = [chunk({ content: 'Hello' }), chunk({ content: ' world' })];
      const live = from(chunks).pipe(isolated.streamMetrics({ live: true }), toArray());
      const values = await lastValueFrom(live);
      expect(values.map((m) => m.completionTokens)).toEqual([null, null, 2]);
    });
    jest.dontMock('../../lib/tokens/nodeRequire');
  });

  describe('gap percentiles', () => {
    /** The exact nearest-rank percentile. */
    const exact = (sorted: readonly number[], p: number): number =>
      sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] as number;

    it(`should be exact up to ${EXACT} gaps, and within ${(PERCENTILE_ERROR * 100).toFixed(2)} % past them`, () => {
      const gaps = fc.oneof(
        fc.double({ min: 0, max: 1e7, noNaN: true }),
        fc.integer({ min: 0, max: 2000 }),
        fc.double({ min: 0, max: 0.01, noNaN: true }),
      );
      let long = 0;
      fc.assert(
        fc.property(
          fc.oneof(fc.array(gaps, { minLength: 1, maxLength: 60 }), fc.array(gaps, { minLength: EXACT - 20, maxLength: 4000, size: 'large' })),
          (values) => {
          const histogram = new GapHistogram();
          for (const gap of values) histogram.add(gap);
          const sorted = [...values].sort((a, b) => a - b);
          if (values.length > EXACT) long++;
          for (const p of [0, 10, 50, 90, 99, 100]) {
            const want = exact(sorted, p);
            const got = histogram.percentile(p);
            if (values.length <= EXACT) expect(got).toBe(want);
            else expect(Math.abs(got - want)).toBeLessThanOrEqual(Math.max(want * PERCENTILE_ERROR * (1 + 1e-9), PERCENTILE_FLOOR_MS));
          }
          const stats = histogram.stats();
          expect(stats?.min).toBe(sorted[0]);
          expect(stats?.max).toBe(sorted[sorted.length - 1]);
          expect(stats?.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
          },
        ),
        { numRuns: 120 },
      );
      expect(long).toBeGreaterThan(30);
    });

    it('should report the bucket of a gap, not a neighbour, past the exact part', () => {
      const histogram = new GapHistogram();
      for (let i = 0; i < EXACT + 1; i++) histogram.add(i < 900 ? 25 : 400);
      expect(histogram.percentile(50) / 25 - 1).toBeLessThanOrEqual(PERCENTILE_ERROR);
      expect(histogram.percentile(99) / 400 - 1).toBeLessThanOrEqual(PERCENTILE_ERROR);
      expect(histogram.percentile(100)).toBe(400);
    });
  });
});
