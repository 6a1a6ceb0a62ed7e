import type { ServerSentEvent } from '../types.js';

const LF = 10;
const CR = 13;
const BOM = 0xfeff;
const DIGITS = /^[0-9]+$/;

/**
 * The WHATWG EventSource line parser ("interpreting an event stream"), fed decoded text in pieces.
 *
 * Each piece is scanned once: the parser keeps its place, remembers an unfinished line as a list
 * of parts (joined once, when its line end arrives) and never re-reads text it has seen, so a
 * piece costs O(piece) however long the event it belongs to.
 * @internal
 */
export class SSEEventParser {
  /** Parts of the line not yet ended by CR, LF or CRLF. */
  private lineParts: string[] = [];
  /** The last piece ended in CR: a LF starting the next piece belongs to the same line end. */
  private skipLF = false;
  /** Whether any text has been seen (a BOM is stripped from the very first character only). */
  private started = false;
  /** The data buffer, one entry per `data` line (empty: no data line in this block). */
  private dataLines: string[] = [];
  /** The event type buffer. */
  private eventType = '';
  /** The last event ID: it persists across events until an `id` field changes it. */
  private lastEventId = '';
  /** A valid `retry` field of the current block. */
  private retry: number | undefined;

  /**
   * @param emit Called with each dispatched event.
   * @param isClosed Checked after each event: when it answers `true` the parser stops reading the piece.
   */
  constructor(
    private readonly emit: (event: ServerSentEvent) => void,
    private readonly isClosed: () => boolean,
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
    // The next LF and CR at or after `position`, found with indexOf and searched again only once
    // passed, so a piece with many lines of one kind is not rescanned for the other.
    let nextLF = text.indexOf('\n', position);
    let nextCR = text.indexOf('\r', position);
    while (position < length) {
      if (nextLF !== -1 && nextLF < position) nextLF = text.indexOf('\n', position);
      if (nextCR !== -1 && nextCR < position) nextCR = text.indexOf('\r', position);
      const end = nextLF === -1 ? nextCR : nextCR === -1 ? nextLF : Math.min(nextLF, nextCR);
      if (end === -1) break;
      let line = text.slice(position, end);
      if (this.lineParts.length > 0) {
        this.lineParts.push(line);
        line = this.lineParts.join('');
        this.lineParts = [];
      }
      position = end + 1;
      if (text.charCodeAt(end) === CR) {
        if (position === length) this.skipLF = true;
        else if (text.charCodeAt(position) === LF) position += 1;
      }
      this.processLine(line);
      if (this.isClosed()) return;
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
      this.processLine(line);
    }
    if (this.dataLines.length === 1 && this.dataLines[0] === '[DONE]') this.dispatch();
    this.dataLines = [];
    this.eventType = '';
    this.retry = undefined;
  }

  private processLine(line: string): void {
    if (line.length === 0) {
      this.dispatch();
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) return; // a comment
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.dataLines.push(value);
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

  private dispatch(): void {
    const retry = this.retry;
    this.retry = undefined;
    if (this.dataLines.length === 0) {
      this.eventType = '';
      return;
    }
    const event: ServerSentEvent = {
      event: this.eventType === '' ? 'message' : this.eventType,
      data: this.dataLines.length === 1 ? (this.dataLines[0] as string) : this.dataLines.join('\n'),
      id: this.lastEventId,
    };
    if (retry !== undefined) event.retry = retry;
    this.dataLines = [];
    this.eventType = '';
    this.emit(event);
  }
}
