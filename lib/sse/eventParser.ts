/*
 * The WHATWG EventSource line parser ("interpreting an event stream"), the boundary
 * eventsource-parser draws: decoded text in, events out. Nothing here knows bytes or chat.
 */

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
    // slice(0) is the string itself (no copy).
    if (position < length) this.lineParts.push(text.slice(position));
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
      // The character at `end` is the line end (or past the text), never a space.
      const value = start + (text.charCodeAt(start + 5) === SPACE ? 6 : 5);
      this.addData(text.slice(value, end));
      return;
    }
    this.processField(text.slice(start, end));
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
 * Errors the sink with what a parse step threw, so the stream ends and its source is unsubscribed
 * (rxjs would otherwise report a throw inside a `next` callback as unhandled and read on). Once
 * the sink is closed there is nobody to tell: the throw goes on to rxjs, which reports it.
 * @internal
 */
export function raise(sink: ParserSink, error: unknown): void {
  if (sink.closed) throw error;
  sink.error(error);
}
