import { IncompleteStreamError, InvalidInputError, SSEParseError, StreamAPIError } from '../errors.js';
import { describeType, isObject } from '../json.js';
import { errorEventBody, serverErrorOf } from '../protocol/serverError.js';
import { redactSecrets } from '../redact.js';
import type { ChatCompletionChunk } from '../types.js';

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;
const LOWER_D = 100;
const BOM = 0xfeff;
const DIGITS = /^[0-9]+$/;

/**
 * What the parsers below report to: a subscriber of any element type (they only check whether
 * it is closed and error it; values go through the callbacks they are given).
 * @internal
 */
export interface ParserSink {
  readonly closed: boolean;
  error(error: unknown): void;
}

/**
 * Receives each dispatched event, as its parts (no object is built unless the receiver wants
 * one): the type (`'message'` when none was given), the data, the last event ID and the block's
 * valid `retry`, if any.
 * @internal
 */
export type EventHandler = (type: string, data: string, id: string, retry: number | undefined) => void;

/**
 * The WHATWG EventSource line parser ("interpreting an event stream"), fed decoded text in pieces.
 *
 * Each piece is scanned once: line ends are found with `indexOf`, the parser keeps its place,
 * remembers an unfinished line as a list of parts (joined once, when its line end arrives) and
 * never re-reads text it has seen, so a piece costs O(piece) however long the event it belongs to.
 * A `data:` line (the common case) is read in place: its value is the one substring taken.
 * @internal
 */
export class SSEEventParser {
  /** Parts of the line not yet ended by CR, LF or CRLF. */
  private lineParts: string[] = [];
  /** The last piece ended in CR: a LF starting the next piece belongs to the same line end. */
  private skipLF = false;
  /** Whether any text has been seen (a BOM is stripped from the very first character only). */
  private started = false;
  /** The first `data` line of this block (undefined: no data line yet). */
  private data: string | undefined;
  /** Every `data` line of this block, once there is more than one. */
  private dataLines: string[] | undefined;
  /** The event type buffer. */
  private eventType = '';
  /** The last event ID: it persists across events until an `id` field changes it. */
  private lastEventId = '';
  /** A valid `retry` field of the current block. */
  private retry: number | undefined;

  /**
   * @param emit Called with each dispatched event.
   * @param sink Checked after each line: once it is closed the parser stops reading the piece.
   */
  constructor(
    private readonly emit: EventHandler,
    private readonly sink: ParserSink,
  ) {}

  /** Feeds the next piece of decoded text. */
  feed(text: string): void {
    const length = text.length;
    if (length === 0) return;
    let position = 0;
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === BOM) position = 1;
    }
    if (this.skipLF) {
      this.skipLF = false;
      if (text.charCodeAt(position) === LF) position += 1;
    }
    const sink = this.sink;
    // The next LF and CR at or after `position`, found with indexOf and searched again only once
    // passed, so a piece with many lines of one kind is not rescanned for the other.
    let nextLF = text.indexOf('\n', position);
    let nextCR = text.indexOf('\r', position);
    while (position < length) {
      if (nextLF !== -1 && nextLF < position) nextLF = text.indexOf('\n', position);
      if (nextCR !== -1 && nextCR < position) nextCR = text.indexOf('\r', position);
      const end = nextLF === -1 ? nextCR : nextCR === -1 ? nextLF : nextLF < nextCR ? nextLF : nextCR;
      if (end === -1) break;
      if (this.lineParts.length > 0) {
        this.lineParts.push(text.slice(position, end));
        const line = this.lineParts.join('');
        this.lineParts = [];
        this.processLine(line, 0, line.length);
      } else {
        this.processLine(text, position, end);
      }
      position = end + 1;
      if (text.charCodeAt(end) === CR) {
        if (position === length) this.skipLF = true;
        else if (text.charCodeAt(position) === LF) position += 1;
      }
      if (sink.closed) return;
    }
    if (position < length) this.lineParts.push(position === 0 ? text : text.slice(position));
  }

  /**
   * Ends the stream. By the WHATWG rules an event without its closing blank line is discarded;
   * the one exception is a final event whose data is exactly `[DONE]`, which is dispatched, since
   * chat-completion streams end with it and some servers leave out the last blank line.
   */
  end(): void {
    if (this.lineParts.length > 0) {
      const line = this.lineParts.join('');
      this.lineParts = [];
      this.processLine(line, 0, line.length);
    }
    if (this.dataLines === undefined && this.data === '[DONE]') this.dispatch();
    this.data = undefined;
    this.dataLines = undefined;
    this.eventType = '';
    this.retry = undefined;
  }

  /** Interprets the line `text[start, end)`. */
  private processLine(text: string, start: number, end: number): void {
    if (start === end) {
      this.dispatch();
      return;
    }
    const first = text.charCodeAt(start);
    if (first === COLON) return; // a comment
    // The common line, `data:` or `data: `, read without slicing out its field name.
    if (first === LOWER_D && end - start >= 5 && text.charCodeAt(start + 4) === COLON && text.startsWith('data', start)) {
      const value = start + (text.charCodeAt(start + 5) === SPACE && start + 5 < end ? 6 : 5);
      this.addData(text.slice(value, end));
      return;
    }
    this.processField(start === 0 && end === text.length ? text : text.slice(start, end));
  }

  /** Any other line: a field name, a colon and a value, or a field name alone. */
  private processField(line: string): void {
    const colon = line.indexOf(':');
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === SPACE ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.addData(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (DIGITS.test(value)) this.retry = Number(value);
        break;
      default:
        // Unknown fields are ignored.
        break;
    }
  }

  private addData(value: string): void {
    if (this.data === undefined) this.data = value;
    else if (this.dataLines === undefined) this.dataLines = [this.data, value];
    else this.dataLines.push(value);
  }

  private dispatch(): void {
    const retry = this.retry;
    this.retry = undefined;
    const data = this.data;
    if (data === undefined) {
      this.eventType = '';
      return;
    }
    const type = this.eventType === '' ? 'message' : this.eventType;
    const lines = this.dataLines;
    this.data = undefined;
    this.dataLines = undefined;
    this.eventType = '';
    this.emit(type, lines === undefined ? data : lines.join('\n'), this.lastEventId, retry);
  }
}

/**
 * Bytes (or text) to events: decodes `Uint8Array` pieces as one UTF-8 stream and feeds the text
 * to the one {@link SSEEventParser}. Errors go to the sink: bad UTF-8 as {@link SSEParseError},
 * a piece that is neither bytes nor text as an `InvalidInputError`.
 *
 * A piece that starts and ends on a character boundary (nothing held from the previous one, last
 * byte ASCII: the common case) is decoded whole, which is several times faster than a streaming
 * decode in some engines (Node's streaming decode skips its fast UTF-8 path for good once used);
 * any other piece goes through a streaming decoder, so a character split across pieces survives.
 * @internal
 */
export class SSEByteParser {
  private readonly parser: SSEEventParser;
  /** Decodes whole pieces only (never in streaming mode). */
  private wholeDecoder: TextDecoder | undefined;
  /** Decodes pieces that may end inside a character. */
  private streamDecoder: TextDecoder | undefined;
  /** Whether the streaming decoder may hold the start of a character. */
  private pending = false;
  /** Bytes decoded so far, for the error message. */
  private offset = 0;

  constructor(
    private readonly sink: ParserSink,
    emit: EventHandler,
  ) {
    this.parser = new SSEEventParser(emit, sink);
  }

  /**
   * Reads the next piece of the stream. What is thrown while reading it (by the event handler, or
   * by an exotic piece) errors the sink, as every other failure does.
   */
  next(piece: unknown): void {
    if (this.sink.closed) return;
    try {
      this.read(piece);
    } catch (error) {
      raise(this.sink, error);
    }
  }

  /**
   * Ends the stream: flushes the decoder and ends the parser. Answers whether the sink is still
   * open afterwards (false when the stream ended inside a character, an event closed it, or
   * something threw).
   */
  end(): boolean {
    const sink = this.sink;
    if (sink.closed) return false;
    try {
      if (!this.flush() || sink.closed) return false;
      this.parser.end();
    } catch (error) {
      raise(sink, error);
      return false;
    }
    return !sink.closed;
  }

  private read(piece: unknown): void {
    const sink = this.sink;
    if (typeof piece === 'string') {
      if (this.flush() && !sink.closed) this.parser.feed(piece);
      return;
    }
    // By shape, not instanceof: typed arrays of another realm (a worker, a VM context) too.
    if (!ArrayBuffer.isView(piece) && !isArrayBuffer(piece)) {
      sink.error(new InvalidInputError('sseEvents() piece', piece, 'a Uint8Array or a string'));
      return;
    }
    const bytes = piece;
    const size = bytes.byteLength;
    let text: string;
    try {
      if (!this.pending && bytes instanceof Uint8Array && size > 0 && (bytes[size - 1] as number) < 0x80) {
        text = (this.wholeDecoder ??= newDecoder()).decode(bytes);
      } else {
        text = (this.streamDecoder ??= newDecoder()).decode(bytes, { stream: true });
        // After an ASCII last byte the (fatal) decoder holds nothing: it completed or threw.
        if (size > 0) this.pending = !(bytes instanceof Uint8Array && (bytes[size - 1] as number) < 0x80);
      }
    } catch (error) {
      sink.error(this.utf8Error(error, bytes));
      return;
    }
    this.offset += size;
    this.parser.feed(text);
  }

  /** Ends the byte stream in the decoder; false when it errored the sink. */
  private flush(): boolean {
    if (!this.pending) return true;
    this.pending = false;
    let rest: string;
    try {
      rest = (this.streamDecoder as TextDecoder).decode();
    } catch (error) {
      this.sink.error(this.utf8Error(error, undefined));
      return false;
    }
    this.parser.feed(rest);
    return true;
  }

  private utf8Error(cause: unknown, piece: ArrayBufferView | ArrayBuffer | undefined): SSEParseError {
    const where =
      piece === undefined
        ? 'the stream ended inside a UTF-8 character'
        : `invalid UTF-8 in the bytes ${this.offset}–${this.offset + piece.byteLength}`;
    return new SSEParseError(`The event stream is not valid UTF-8: ${where}`, {
      reason: 'invalid-utf8',
      data: piece === undefined ? '' : new TextDecoder().decode(piece),
      cause,
    });
  }
}

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
    if (!this.requireDone && Array.isArray(chunk.choices)) {
      for (const choice of chunk.choices as unknown[]) {
        const { index, finish_reason } = (choice ?? {}) as { index?: unknown; finish_reason?: unknown };
        if (typeof index !== 'number') continue;
        if (finish_reason != null) this.choices.set(index, true);
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

/**
 * Errors the sink with what a parse step threw, so the stream ends and its source is unsubscribed
 * (rxjs would otherwise report a throw inside a `next` callback as unhandled and read on). Once
 * the sink is closed there is nobody to tell: the throw goes on to rxjs, which reports it.
 */
function raise(sink: ParserSink, error: unknown): void {
  if (sink.closed) throw error;
  sink.error(error);
}

function newDecoder(): TextDecoder {
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
}

function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}
