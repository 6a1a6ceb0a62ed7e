import { TestScheduler } from 'rxjs/testing';
import { lastValueFrom, from, tap } from 'rxjs';
import { usage, type EstimatedUsage } from '../../lib/operators/usage.js';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { withUsage } from '../../lib/operators/withUsage.js';
import { ChatStreamError, InvalidChunkError, StreamAPIError } from '../../lib/errors.js';
import { countPromptTokens } from '../../lib/tokens/countPromptTokens.js';
import { countTokens } from '../../lib/tokens/countTokens.js';
import { tokenPieces } from '../../lib/tokens/tokenPieces.js';
import type { UsageRequest } from '../../lib/tokens/estimateUsage.js';
import { chunk, usageChunk } from '../helpers/chunk.js';
import type { ChatCompletionChunk, ChatCompletionSnapshot, CompletionUsage } from '../../lib/types.js';
import { describeShared, recordedStream, recordedStreams } from '../helpers/sharedFixtures.js';
import { COUNT_TO_100_PROMPT, COUNT_TO_100_REPLY } from '../tokens/helpers.js';

const values: Record<string, ChatCompletionChunk> = {
  r: chunk({ role: 'assistant', content: '' }),
  a: chunk({ content: 'Hello' }),
  b: chunk({ content: ', world!' }),
  f: chunk({}, { finish_reason: 'stop' }),
  u: usageChunk(12, 4),
  n: chunk(null, { chunk: { usage: null } }),
};

const request: UsageRequest = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello to the world' }] };
/** What counting gives for the stream above: 'Hello, world!' in gpt-4o-mini. */
const counted = (withRequest: boolean): EstimatedUsage => {
  const prompt = withRequest ? countPromptTokens(request.messages ?? [], 'gpt-4o-mini') : 0;
  const completion = countTokens('Hello, world!', 'gpt-4o-mini');
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, estimated: true, promptCounted: withRequest };
};

describe('usage', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it("should emit the server's usage when the stream carried one", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-b-f-u-|', values);
      const e1subs = '  ^----------!';
      const expected = ' -----------(U|)';

      expectObservable(e1.pipe(usage(request))).toBe(expected, {
        U: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16, estimated: false, promptCounted: true },
      });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should keep the last non-null usage, with its details untouched, over a later usage: null', () => {
    const detailed: CompletionUsage = {
      prompt_tokens: 13,
      completion_tokens: 11,
      total_tokens: 24,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    };
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-f-u-v-n-|', { ...values, v: chunk(null, { chunk: { usage: detailed } }) });
      const e1subs = '  ^----------!';
      const expected = ' -----------(U|)';

      expectObservable(e1.pipe(usage())).toBe(expected, { U: { ...detailed, estimated: false, promptCounted: true } });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should count the usage from the request and the output when the server sent none', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-b-f-|', values);
      const e1subs = '  ^--------!';
      const expected = ' ---------(E|)';

      expectObservable(e1.pipe(usage(request))).toBe(expected, { E: counted(true) });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should count the completion only without a request (prompt_tokens 0)', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-b-f-|', values);
      const e1subs = '  ^--------!';
      const expected = ' ---------(E|)';

      expectObservable(e1.pipe(usage())).toBe(expected, { E: counted(false) });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should count a single chunk', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  --x--|', { x: chunk({ role: 'assistant', content: 'Hello, world!' }, { finish_reason: 'stop' }) });
      const e1subs = '  ^----!';
      const expected = ' -----(E|)';

      expectObservable(e1.pipe(usage(request))).toBe(expected, { E: counted(true) });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should count an empty source as a prompt without completion', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  |');
      const e1subs = '  (^!)';
      const expected = ' (E|)';

      const prompt = countPromptTokens(request.messages ?? [], 'gpt-4o-mini');
      expectObservable(e1.pipe(usage(request))).toBe(expected, {
        E: { prompt_tokens: prompt, completion_tokens: 0, total_tokens: prompt, estimated: true, promptCounted: true },
      });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should emit nothing while the source has not completed', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-b-', values);
      const expected = ' -----';

      const unsub = '    ^----!';
      const e1subs = '  ^----!';

      expectObservable(e1.pipe(usage(request)), unsub).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should emit nothing for a source that never emits', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  -');
      const e1subs = '  ^';
      const expected = ' -';

      expectObservable(e1.pipe(usage())).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should pass an error through with partial set once output began', () => {
    let caught: unknown;
    const error = new StreamAPIError({ message: 'overloaded', type: 'server_error' });
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-#', values, error);
      const e1subs = '  ^----!';
      const expected = ' -----#';

      expectObservable(e1.pipe(usage(request), tap({ error: (e: unknown) => (caught = e) }))).toBe(
        expected,
        undefined,
        expect.any(StreamAPIError),
      );
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect(caught).toBe(error);
    expect((caught as ChatStreamError).partial?.choices[0]?.message.content).toBe('Hello');
  });

  it('should pass an error through without partial when nothing came', () => {
    let caught: unknown;
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold<ChatCompletionChunk>('  ---#', undefined, new ChatStreamError('down'));
      expectObservable(e1.pipe(usage(), tap({ error: (e: unknown) => (caught = e) }))).toBe('---#', undefined, expect.any(ChatStreamError));
    });
    expect((caught as ChatStreamError).partial).toBeUndefined();
  });

  it('should pass an error of another kind (the SDK\'s) through as the same object, partial non-enumerable', () => {
    let caught: unknown;
    const sdkError = Object.assign(new Error('Connection error.'), { status: undefined });
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-#', values, sdkError);
      expectObservable(e1.pipe(usage(), tap({ error: (e: unknown) => (caught = e) }))).toBe('---#', undefined, expect.any(Error));
    });
    expect(caught).toBe(sdkError);
    expect(Object.keys(caught as object)).not.toContain('partial');
    expect((caught as { partial?: ChatCompletionSnapshot }).partial?.choices[0]?.message.content).toBe('Hello');
  });

  it('should error with an InvalidChunkError, partial set, for a chunk that is not a chunk', () => {
    let caught: unknown;
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-x-f-|', { ...values, x: { choices: 'nope' } as unknown as ChatCompletionChunk });
      const e1subs = '  ^--!';
      const expected = ' ---#';

      expectObservable(e1.pipe(usage(), tap({ error: (e: unknown) => (caught = e) }))).toBe(expected, undefined, expect.any(InvalidChunkError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect((caught as { partial?: ChatCompletionSnapshot }).partial?.choices[0]?.message.content).toBe('Hello');
  });

  it('should stop merging and emit nothing when unsubscribed early', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -r-a-b-f-u-|', values);
      const unsub = '    -----!';
      const e1subs = '  ^----!';
      const expected = ' ------';

      expectObservable(e1.pipe(usage()), unsub).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should start afresh for each subscription', async () => {
    const source = from([values.a, values.b, values.f] as ChatCompletionChunk[]).pipe(usage());
    await expect(lastValueFrom(source)).resolves.toEqual(counted(false));
    await expect(lastValueFrom(source)).resolves.toEqual(counted(false));
  });

  it("should reproduce the streaming notebook's usage: 36 / 299 / 335, reported or counted", async () => {
    for (const model of ['gpt-3.5-turbo', 'gpt-4o-mini']) {
      const params = { model, messages: [{ role: 'user' as const, content: COUNT_TO_100_PROMPT }], temperature: 0, stream: true as const };
      const deltas = tokenPieces(COUNT_TO_100_REPLY, model).map((content, i) =>
        chunk(i === 0 ? { role: 'assistant', content } : { content }, { chunk: { model } }),
      );
      const finish = chunk({}, { finish_reason: 'stop', chunk: { model } });
      const stream = [chunk({ role: 'assistant', content: '' }), ...deltas, finish];

      await expect(lastValueFrom(from(stream).pipe(usage(params)))).resolves.toEqual({
        prompt_tokens: 36,
        completion_tokens: 299,
        total_tokens: 335,
        estimated: true,
        promptCounted: true,
      });
      await expect(lastValueFrom(from([...stream, usageChunk(36, 299)]).pipe(usage(params)))).resolves.toEqual({
        prompt_tokens: 36,
        completion_tokens: 299,
        total_tokens: 335,
        estimated: false,
        promptCounted: true,
      });
    }
  });

  describeShared('on the recorded streams of ../shared/fixtures', () => {
    it("should emit the server's usage of every recorded stream that has one", async () => {
      const checked: string[] = [];
      for (const { name, chunks, expected } of recordedStreams()) {
        if (expected.usage === undefined) continue;
        const result = await lastValueFrom(from(chunks).pipe(usage()));
        expect([name, result]).toEqual([name, { ...expected.usage, estimated: false, promptCounted: true }]);
        checked.push(name);
      }
      // Most recordings asked for usage: a loop that checked none would prove nothing.
      expect(checked.length).toBeGreaterThanOrEqual(15);
    });

    it('should count the recorded OpenAI text stream like the server did once its usage chunk is dropped', async () => {
      const recorded = recordedStream('openai-gpt4o-text');
      const withoutUsage = recorded.chunks.filter((c) => c.usage == null);
      expect(withoutUsage.length).toBe(recorded.chunks.length - 1);
      const result = await lastValueFrom(from(withoutUsage).pipe(usage()));
      // Without a request only the completion is counted, and the result says so.
      expect(result).toEqual({ prompt_tokens: 0, completion_tokens: 30, total_tokens: 30, estimated: true, promptCounted: false });
      expect(recorded.expected.usage?.completion_tokens).toBe(30);
    });
  });

  it('should count the same usage as toChatCompletion() then withUsage() fills in', async () => {
    const stream = [values.r, values.a, values.b, values.f] as ChatCompletionChunk[];
    const { estimated, promptCounted, ...plain } = counted(true);
    expect([estimated, promptCounted]).toEqual([true, true]);
    await expect(lastValueFrom(from(stream).pipe(toChatCompletion(), withUsage(request)))).resolves.toMatchObject({
      usage: plain,
    });
    await expect(lastValueFrom(from(stream).pipe(usage(request)))).resolves.toEqual(counted(true));
    const reported = await lastValueFrom(from([...stream, values.u] as ChatCompletionChunk[]).pipe(toChatCompletion(), withUsage(request)));
    expect(reported.usage).toEqual({ prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 });
  });

  it('should wait for the encoding to load where it cannot be loaded synchronously', async () => {
    await jest.isolateModulesAsync(async () => {
      jest.doMock('../../lib/tokens/nodeRequire', () => ({ nodeRequire: undefined }));
      const isolated = require('../../lib/operators/usage') as typeof import('../../lib/operators/usage.js');
      const tokens = require('../../lib/tokens/index') as typeof import('../../lib/tokens/index.js');
      expect(() => tokens.countTokens('Hello', 'gpt-4o-mini')).toThrow('loadEncoding');
      const source = from([values.a, values.b, values.f] as ChatCompletionChunk[]);
      await expect(lastValueFrom(source.pipe(isolated.usage()))).resolves.toEqual(counted(false));
      expect(tokens.countTokens('Hello', 'gpt-4o-mini')).toBe(1);
    });
    jest.dontMock('../../lib/tokens/nodeRequire');
  });

  it('should error with the ChatStreamError of a failed load', async () => {
    await jest.isolateModulesAsync(async () => {
      jest.doMock('../../lib/tokens/nodeRequire', () => ({ nodeRequire: undefined }));
      jest.doMock('js-tiktoken/ranks/o200k_base', () => {
        throw new Error('offline');
      });
      const isolated = require('../../lib/operators/usage') as typeof import('../../lib/operators/usage.js');
      const { ChatStreamError: IsolatedError } = require('../../lib/errors') as typeof import('../../lib/errors.js');
      const failure: unknown = await lastValueFrom(from([values.a, values.f] as ChatCompletionChunk[]).pipe(isolated.usage())).catch(
        (e: unknown) => e,
      );
      expect(failure).toEqual(expect.any(IsolatedError));
    });
    jest.dontMock('../../lib/tokens/nodeRequire');
    jest.dontMock('js-tiktoken/ranks/o200k_base');
  });
});
