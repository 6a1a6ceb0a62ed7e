/*
 * Bytes to text to events: UTF-8 decoding of the pieces of a body, fed to the one line parser.
 */
import { InvalidInputError, SSEParseError } from '../errors.js';
import { raise, SSEEventParser, type EventHandler, type ParserSink } from './eventParser.js';

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

function newDecoder(): TextDecoder {
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
}

function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}
