/*
 * Events to chat-completion chunks: the chat protocol on top of server-sent events. `[DONE]` ends
 * the stream, error events and error objects are the server's errors (`serverError.ts`), data is
 * parsed as JSON objects, and at the end the reader checks that the stream really finished.
 */
import { IncompleteStreamError, InvalidInputError, SSEParseError, StreamAPIError } from '../errors.js';
import { describeType, isObject } from '../json.js';
import { redactSecrets } from '../redact.js';
import { raise, type ParserSink } from '../sse/eventParser.js';
import type { ChatCompletionChunk } from '../types.js';
import { errorEventBody, serverErrorOf } from './serverError.js';
import { keepRawText } from './rawText.js';

/**
 * Events to chat-completion chunks, the logic of `chatChunks()`: parses each `message` event's
 * data as JSON and emits it, completes at `[DONE]`, raises error events and bad data, and checks
 * at the end that the stream really finished.
 * @internal
 */
export class ChatChunkReader {
  private events = 0;
  /** Choice index → whether it got a finish_reason (only tracked when `requireDone` is off). */
  private readonly choices = new Map<number, boolean>();

  constructor(
    private readonly subscriber: ParserSink & { next(chunk: ChatCompletionChunk): void; complete(): void },
    private readonly requireDone: boolean,
    /** Whether to note each chunk's data text for a writer (`keepText`, see `rawText.ts`). */
    private readonly keepText = false,
  ) {}

  /**
   * Reads one dispatched event. What is thrown while reading it (a bug, an error object that
   * cannot be built) errors the subscriber, as every other failure does.
   */
  event(type: string, data: string): void {
    if (this.subscriber.closed) return;
    try {
      this.read(type, data);
    } catch (error) {
      raise(this.subscriber, error);
    }
  }

  /**
   * Reads one event object of `chatChunks()`'s source: a `ServerSentEvent`, or anything shaped
   * like one (`event` may be left out, as other parsers do for a `message` event). Anything else
   * errors with an `InvalidInputError`.
   */
  serverSentEvent(value: unknown): void {
    const subscriber = this.subscriber;
    if (subscriber.closed) return;
    try {
      const { event, data } = isObject(value) ? value : {};
      if (typeof data !== 'string' || (event !== undefined && typeof event !== 'string')) {
        subscriber.error(new InvalidInputError('chatChunks() event', value, 'a server-sent event ({ event, data } with string data)'));
        return;
      }
      this.read(event ?? 'message', data);
    } catch (error) {
      raise(subscriber, error);
    }
  }

  private read(type: string, data: string): void {
    const subscriber = this.subscriber;
    this.events += 1;
    if (type === 'error') {
      subscriber.error(new StreamAPIError(errorEventBody(data)));
      return;
    }
    if (type !== 'message' || data === '') return;
    if (data === '[DONE]') {
      subscriber.complete();
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch (thrown) {
      // JSON.parse quotes the start of the data in its message: the cause gets it redacted too.
      const cause = new SyntaxError(redactSecrets((thrown as Error).message));
      subscriber.error(
        new SSEParseError(`An event's data is not valid JSON: ${cause.message}`, {
          reason: 'invalid-json',
          data,
          cause,
        }),
      );
      return;
    }
    if (!isObject(value)) {
      subscriber.error(
        new SSEParseError(`An event's data is JSON but not an object (got ${describeType(value)})`, {
          reason: 'not-an-object',
          data,
        }),
      );
      return;
    }
    // Any `error` but null (`""` and `false` too), and vLLM's `{ "object": "error", "message", … }`.
    const serverError = serverErrorOf(value);
    if (serverError !== undefined) {
      subscriber.error(serverError);
      return;
    }
    const chunk = value as unknown as ChatCompletionChunk;
    // The text it came as, for a writer that sends the chunk on unchanged (`rawText.ts`).
    if (this.keepText) keepRawText(chunk, data);
    if (!this.requireDone && Array.isArray(chunk.choices)) {
      for (const choice of chunk.choices as unknown[]) {
        const { index, finish_reason } = (choice ?? {}) as { index?: unknown; finish_reason?: unknown };
        if (typeof index !== 'number') continue;
        // A reason is a non-empty string: '' is no finish, as in the merge.
        if (typeof finish_reason === 'string' && finish_reason !== '') this.choices.set(index, true);
        else if (!this.choices.has(index)) this.choices.set(index, false);
      }
    }
    subscriber.next(chunk);
  }

  /** The events ended (without `[DONE]`, or the subscriber would be closed). */
  end(): void {
    const subscriber = this.subscriber;
    if (subscriber.closed) return;
    try {
      this.finish();
    } catch (error) {
      raise(subscriber, error);
    }
  }

  private finish(): void {
    const subscriber = this.subscriber;
    const { choices, requireDone } = this;
    if (!requireDone && choices.size > 0 && [...choices.values()].every(Boolean)) {
      subscriber.complete();
      return;
    }
    subscriber.error(
      new IncompleteStreamError(incompleteMessage(this.events, requireDone, choices), { reason: 'no-done' }),
    );
  }
}

function incompleteMessage(events: number, requireDone: boolean, choices: Map<number, boolean>): string {
  const base = 'The stream ended before `data: [DONE]`';
  if (events === 0) {
    return `${base}, without a single event (is the body a text/event-stream? was \`stream: true\` sent?)`;
  }
  if (requireDone) return base;
  if (choices.size === 0) return `${base}, and no choice came`;
  const open = [...choices].filter(([, finished]) => !finished).map(([index]) => index);
  return `${base}, and choice ${open.join(', ')} had no finish_reason`;
}
