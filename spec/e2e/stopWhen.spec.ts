import OpenAI from 'openai';
import { connect, forkJoin, lastValueFrom } from 'rxjs';
import { stopWhen } from '../../lib/operators/stopWhen.js';
import { streamMetrics, type StreamMetrics } from '../../lib/operators/streamMetrics.js';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { fromChatCompletion } from '../../lib/sources/fromChatCompletion.js';
import { fromSSE } from '../../lib/sources/fromSSE.js';
import { startMockServer, type MockServer } from '../../lib/testing/startMockServer.js';
import { tokenPieces } from '../../lib/tokens/tokenPieces.js';
import type { ChatCompletion } from '../../lib/types.js';
import { NOTEBOOK_PROMPT, ONE_TO_HUNDRED, until, user } from '../helpers/notebook.js';

describe('e2e: stopWhen over HTTP against the local server', () => {
  let server: MockServer;

  beforeAll(async () => {
    // 299 tokens at 20 ms each: the whole answer takes 6 s, so a stop after a dozen tokens is an abort.
    server = await startMockServer({ timing: { timeToFirstTokenMs: 5, perTokenMs: 20, jitter: 0 } });
  });

  afterAll(() => server.close());

  /** What the server counted for the requests `run` made. */
  async function countedAround(run: () => Promise<unknown>): Promise<{ aborted: number; completed: number }> {
    const before = server.stats;
    await run();
    await until(() => server.stats.active === 0, 'the request to close', 5000);
    const after = server.stats;
    return { aborted: after.aborted - before.aborted, completed: after.completed - before.completed };
  }

  const firstTokens = (n: number): string => tokenPieces(ONE_TO_HUNDRED, 'gpt-4o-mini').slice(0, n).join('');

  it('should abort the openai SDK request at maxTokens and leave a finished completion', async () => {
    const client = new OpenAI({ baseURL: server.baseURL, apiKey: 'test-key', maxRetries: 0 });
    let completion: ChatCompletion | undefined;
    const counted = await countedAround(async () => {
      completion = await lastValueFrom(
        fromChatCompletion(client, { model: 'gpt-4o-mini', messages: user(NOTEBOOK_PROMPT) }).pipe(stopWhen({ maxTokens: 12 }), toChatCompletion()),
      );
    });
    expect(counted).toEqual({ aborted: 1, completed: 0 });
    expect(completion?.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: firstTokens(12) } });
  });

  it('should abort a fromSSE request at a stop sequence, with metrics of what came', async () => {
    const request = fromSSE((signal) =>
      fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: user(NOTEBOOK_PROMPT) }),
        signal,
      }),
    );
    let result: { completion: ChatCompletion; metrics: StreamMetrics } | undefined;
    const counted = await countedAround(async () => {
      result = await lastValueFrom(
        request.pipe(
          stopWhen({ stopSequences: [', 6,'] }),
          connect((chunks) => forkJoin({ completion: chunks.pipe(toChatCompletion()), metrics: chunks.pipe(streamMetrics()) })),
        ),
      );
    });
    expect(counted).toEqual({ aborted: 1, completed: 0 });
    expect(result?.completion.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: '1, 2, 3, 4, 5' } });
    expect(result?.metrics).toMatchObject({ estimated: true, completionTokens: 13 });
    expect(result?.metrics.timeToFirstContent).not.toBeNull();
  });

  it('should let the request finish when no condition holds', async () => {
    const client = new OpenAI({ baseURL: server.baseURL, apiKey: 'test-key', maxRetries: 0 });
    const counted = await countedAround(() =>
      lastValueFrom(fromChatCompletion(client, { model: 'gpt-4o-mini', messages: user('Count to 3') }).pipe(stopWhen({ maxTokens: 50 }))),
    );
    expect(counted).toEqual({ aborted: 0, completed: 1 });
  });
});
