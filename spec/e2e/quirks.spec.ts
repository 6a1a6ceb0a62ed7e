/**
 * Provider quirks, end to end: the local server replays each (`x-mock-quirks`), over real HTTP,
 * read by the real `openai` SDK (`fromChatCompletion`) and by `fetch` + `fromSSE`; what
 * `toChatCompletion`, `toolCalls`, `reasoningDeltas` and `usage` make of it (docs/accumulation.md,
 * "Provider quirks").
 */
import OpenAI from 'openai';
import { catchError, forkJoin, lastValueFrom, map, of, share, toArray, type Observable } from 'rxjs';
import { IncompleteStreamError } from '../../lib/errors.js';
import { contentDeltas } from '../../lib/operators/contentDeltas.js';
import { reasoningDeltas } from '../../lib/operators/reasoningDeltas.js';
import { toChatCompletion, type LenientChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { toolCalls, type CompletedToolCall } from '../../lib/operators/toolCalls.js';
import { usage, type EstimatedUsage } from '../../lib/operators/usage.js';
import { fromChatCompletion } from '../../lib/sources/fromChatCompletion.js';
import { fromSSE } from '../../lib/sources/fromSSE.js';
import { startMockServer, type MockServer } from '../../lib/testing/startMockServer.js';
import type { ChatCompletion, ChatCompletionChunk } from '../../lib/types.js';
import { user } from '../helpers/notebook.js';

const TOOLS = [
  { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
  { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } },
];
const TEXT = { model: 'gpt-4o-mini', messages: user('Count to 3'), stream_options: { include_usage: true } };
const CALLS = { model: 'gpt-4o-mini', messages: user('Weather and time in Paris?'), tools: TOOLS, stream_options: { include_usage: true } };
type Request = typeof TEXT | typeof CALLS;

/** What every operator made of one stream (an error where it failed). */
interface Outcome {
  /** The chunks as they came: each test first checks that its quirk is there. */
  chunks: ChatCompletionChunk[];
  completion: ChatCompletion | Error;
  lenient: LenientChatCompletion | Error;
  calls: CompletedToolCall[] | Error;
  reasoning: string;
  thought: string;
  answer: string;
  usage: EstimatedUsage | Error;
}

const settle = <T>(source: Observable<T>): Observable<T | Error> => source.pipe(catchError((error: Error) => of(error)));
const joined = (source: Observable<string>): Observable<string> => source.pipe(toArray(), map((pieces) => pieces.join('')));

/** One request, shared by every operator (one HTTP request per outcome). */
function outcome(chunks$: Observable<ChatCompletionChunk>): Promise<Outcome> {
  const shared$ = chunks$.pipe(share());
  return lastValueFrom(
    forkJoin({
      chunks: shared$.pipe(toArray()),
      completion: settle(shared$.pipe(toChatCompletion())),
      lenient: settle(shared$.pipe(toChatCompletion({ lenient: true }))),
      calls: settle(shared$.pipe(toolCalls(), toArray())),
      reasoning: joined(shared$.pipe(reasoningDeltas())),
      thought: joined(shared$.pipe(reasoningDeltas(0, { thinkTags: true }))),
      answer: joined(shared$.pipe(contentDeltas(0, { thinkTags: true }))),
      usage: settle(shared$.pipe(usage(TEXT))),
    }),
  );
}

function ok<T>(value: T | Error): T {
  if (value instanceof Error) throw value;
  return value;
}

const THOUGHT = /^The user wrote "[^"]+"\. (I will answer briefly\.|I should call get_weather\.)$/;

describe('e2e: provider quirks replayed by the local server', () => {
  let server: MockServer;

  beforeAll(async () => {
    server = await startMockServer({
      timing: 'instant',
      // Two parallel calls, to tell calls apart (Ollama's index 0) and count them (never repeated).
      reply: (request) =>
        request.tools ? { toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }, { name: 'get_time', arguments: { zone: 'CET' } }] } : undefined,
    });
  });

  afterAll(() => server.close());

  const transports: Array<[string, (request: Request, quirks: string) => Observable<ChatCompletionChunk>]> = [
    [
      'the openai SDK (fromChatCompletion)',
      (request, quirks) =>
        fromChatCompletion(new OpenAI({ baseURL: server.baseURL, apiKey: 'test-key', maxRetries: 0 }), request, {
          requestOptions: { headers: { 'x-mock-quirks': quirks } },
        }),
    ],
    [
      'fetch + fromSSE',
      (request, quirks) =>
        fromSSE((signal) =>
          fetch(server.url, {
            method: 'POST',
            signal,
            headers: { 'content-type': 'application/json', 'x-mock-quirks': quirks },
            body: JSON.stringify({ ...request, stream: true }),
          }),
        ),
    ],
  ];

  describe.each(transports)('through %s', (_, send) => {
    const run = (request: Request, quirks: string): Promise<Outcome> => outcome(send(request, quirks));
    let plain: { text: Outcome; calls: Outcome };

    beforeAll(async () => {
      plain = { text: await run(TEXT, 'none'), calls: await run(CALLS, 'none') };
    });

    it('should read the plain streams (the reference for every quirk)', () => {
      expect(ok(plain.text.completion).choices[0]).toMatchObject({ message: { content: '1, 2, 3.' }, finish_reason: 'stop' });
      expect(ok(plain.calls.calls).map((call) => [call.index, call.type === 'function' ? call.parsed : undefined])).toEqual([
        [0, { city: 'Paris' }],
        [1, { zone: 'CET' }],
      ]);
      expect(ok(plain.text.usage)).toMatchObject({ completion_tokens: 8, estimated: false });
    });

    it('ollama-tool-index: every call at index 0 is still its own call, in toChatCompletion() and toolCalls()', async () => {
      const quirky = await run(CALLS, 'ollama-tool-index');
      const indexes = deltas(quirky).flatMap((delta) => delta.tool_calls ?? []).map((call) => call.index);
      expect(indexes).toEqual([0, 0]);
      const completion = ok(quirky.completion);
      const calls = completion.choices[0]!.message.tool_calls!;
      expect(calls.map((call) => (call.type === 'function' ? [call.function.name, call.function.arguments] : []))).toEqual([
        ['get_weather', '{"city":"Paris"}'],
        ['get_time', '{"zone":"CET"}'],
      ]);
      expect(new Set(calls.map((call) => call.id)).size).toBe(2);
      expect(ok(quirky.calls)).toEqual([
        { choiceIndex: 0, index: 0, id: calls[0]!.id, type: 'function', name: 'get_weather', arguments: '{"city":"Paris"}', parsed: { city: 'Paris' } },
        { choiceIndex: 0, index: 1, id: calls[1]!.id, type: 'function', name: 'get_time', arguments: '{"zone":"CET"}', parsed: { zone: 'CET' } },
      ]);
      expect(quirky.reasoning).toBe('');
      expect(ok(quirky.usage)).toEqual({ ...completion.usage, estimated: false, promptCounted: true });
    });

    it('no-finish-reason: toChatCompletion() errors unless lenient; toolCalls() emits at completion; usage() is the server\'s', async () => {
      const text = await run(TEXT, 'no-finish-reason');
      expect(text.chunks.flatMap((chunk) => chunk.choices).filter((choice) => choice.finish_reason != null)).toEqual([]);
      expect(text.completion).toBeInstanceOf(IncompleteStreamError);
      expect(text.completion).toMatchObject({ reason: 'unfinished-choice' });
      expect((text.completion as IncompleteStreamError).partial?.choices[0]?.message.content).toBe('1, 2, 3.');
      const lenient = ok(text.lenient);
      expect(lenient.choices[0]).toMatchObject({ message: { content: '1, 2, 3.' }, finish_reason: null });
      expect(lenient.incomplete).toEqual({ reason: 'unfinished-choice', choices: [0] });
      expect(lenient.usage).toEqual(ok(plain.text.completion).usage);
      expect(ok(text.usage)).toEqual({ ...lenient.usage, estimated: false, promptCounted: true });
      expect(text.reasoning).toBe('');

      const calls = await run(CALLS, 'no-finish-reason');
      expect(calls.completion).toBeInstanceOf(IncompleteStreamError);
      expect(ok(calls.calls).map((call) => call.name)).toEqual(['get_weather', 'get_time']);
      expect(ok(calls.lenient).choices[0]!.message.tool_calls).toHaveLength(2);
    });

    it('after-finish: the repeated finish chunk and the empty delta change nothing, and no call is repeated', async () => {
      const text = await run(TEXT, 'after-finish');
      const finish = text.chunks.findIndex((chunk) => chunk.choices.some((choice) => choice.finish_reason === 'stop'));
      expect(text.chunks.slice(finish + 1).filter((chunk) => chunk.choices.length > 0)).toHaveLength(2);
      expect(ok(text.completion)).toEqual(comparable(ok(plain.text.completion), ok(text.completion)));
      expect(ok(text.usage)).toMatchObject({ completion_tokens: 8, estimated: false });
      expect(text.reasoning).toBe('');

      const calls = await run(CALLS, 'after-finish');
      expect(calls.chunks.filter((chunk) => chunk.choices.some((choice) => choice.finish_reason === 'tool_calls'))).toHaveLength(2);
      expect(ok(calls.calls).map((call) => call.name)).toEqual(['get_weather', 'get_time']);
      expect(ok(calls.completion).choices[0]).toMatchObject({ finish_reason: 'tool_calls' });
      expect(ok(calls.completion).choices[0]!.message.tool_calls).toHaveLength(2);
    });

    it('usage-every-chunk: the last usage wins, in toChatCompletion() and usage()', async () => {
      const text = await run(TEXT, 'usage-every-chunk');
      expect(text.chunks.every((chunk) => chunk.usage != null && chunk.choices.length === 1)).toBe(true);
      expect(new Set(text.chunks.map((chunk) => chunk.usage?.completion_tokens)).size).toBeGreaterThan(5);
      const completion = ok(text.completion);
      expect(completion.usage).toEqual(ok(plain.text.completion).usage);
      expect(ok(text.usage)).toEqual({ ...completion.usage, estimated: false, promptCounted: true });
      expect(completion.choices[0]!.message.content).toBe('1, 2, 3.');

      const calls = await run(CALLS, 'usage-every-chunk');
      expect(ok(calls.calls).map((call) => call.name)).toEqual(['get_weather', 'get_time']);
    });

    it('usage-empty-delta: the usage chunk with a choice changes no choice; usage is kept', async () => {
      const text = await run(TEXT, 'usage-empty-delta');
      expect(text.chunks.at(-1)).toMatchObject({ choices: [{ index: 0, delta: {}, finish_reason: null }], usage: { completion_tokens: 8 } });
      const completion = ok(text.completion);
      expect(completion).toEqual(comparable(ok(plain.text.completion), completion));
      expect(ok(text.usage)).toEqual({ ...completion.usage, estimated: false, promptCounted: true });

      const calls = await run(CALLS, 'usage-empty-delta');
      expect(ok(calls.calls)).toHaveLength(2);
      expect(ok(calls.completion).usage).toBeDefined();
    });

    it.each(['reasoning_content', 'reasoning'] as const)('%s: reasoningDeltas() streams it, toChatCompletion() keeps it under that field, usage() counts it', async (field) => {
      const text = await run(TEXT, field === 'reasoning' ? 'reasoning' : 'reasoning-content');
      expect(deltas(text).filter((delta) => typeof (delta as Record<string, unknown>)[field] === 'string').length).toBeGreaterThan(5);
      const completion = ok(text.completion);
      const message = completion.choices[0]!.message as unknown as Record<string, unknown>;
      expect(text.reasoning).toMatch(THOUGHT);
      expect(message[field]).toBe(text.reasoning);
      expect(message[field === 'reasoning' ? 'reasoning_content' : 'reasoning']).toBeUndefined();
      expect(message['content']).toBe('1, 2, 3.');
      expect(text.answer).toBe('1, 2, 3.');
      const counted = ok(text.usage);
      expect(counted.estimated).toBe(false);
      expect(counted.completion_tokens_details?.reasoning_tokens).toBeGreaterThan(0);
      expect(counted.completion_tokens).toBe(8 + counted.completion_tokens_details!.reasoning_tokens!);

      const calls = await run(CALLS, field === 'reasoning' ? 'reasoning' : 'reasoning-content');
      expect(calls.reasoning).toMatch(THOUGHT);
      expect(ok(calls.calls).map((call) => call.name)).toEqual(['get_weather', 'get_time']);
    });

    it('think-tags: reasoningDeltas(0, { thinkTags }) gives the block, contentDeltas(0, { thinkTags }) the answer; the completion keeps the content as sent', async () => {
      const text = await run(TEXT, 'think-tags');
      expect(deltas(text)[1]?.content).toBe('<th');
      expect(text.reasoning).toBe('');
      expect(text.thought).toMatch(/^\n.*\n$/);
      expect(text.thought.trim()).toMatch(THOUGHT);
      expect(text.answer).toBe('\n\n1, 2, 3.');
      const completion = ok(text.completion);
      expect(completion.choices[0]!.message.content).toBe(`<think>${text.thought}</think>${text.answer}`);
      expect(ok(text.usage).completion_tokens).toBeGreaterThan(8);

      const calls = await run(CALLS, 'think-tags');
      expect(calls.thought.trim()).toMatch(THOUGHT);
      expect(calls.answer).toBe('\n\n');
      expect(ok(calls.calls)).toHaveLength(2);
    });

    it('should replay several quirks at once', async () => {
      const quirky = await run(CALLS, 'ollama-tool-index, no-finish-reason, after-finish, reasoning');
      expect(quirky.completion).toBeInstanceOf(IncompleteStreamError);
      expect(ok(quirky.calls).map((call) => [call.index, call.name])).toEqual([
        [0, 'get_weather'],
        [1, 'get_time'],
      ]);
      expect(quirky.reasoning).toMatch(THOUGHT);
    });
  });
});

/** Every delta of a stream, in order. */
function deltas(outcome: Outcome): ChatCompletionChunk.Choice.Delta[] {
  return outcome.chunks.flatMap((chunk) => chunk.choices).map((choice) => choice.delta);
}

/** `expected` with the id and created of `actual` (they differ between two requests). */
function comparable(expected: ChatCompletion, actual: ChatCompletion): ChatCompletion {
  return { ...expected, id: actual.id, created: actual.created };
}
