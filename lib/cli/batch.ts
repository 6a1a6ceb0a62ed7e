/**
 * `rxjs-chat-stream batch requests.jsonl > results.jsonl`: many requests through `streamMany`,
 * one JSON result per line on stdout, a progress bar on stderr when it is a terminal, and
 * resumable with `--resume results.jsonl`.
 * @internal
 */
import { readFile } from 'node:fs/promises';
import { asyncScheduler, lastValueFrom, tap } from 'rxjs';
import { isObject } from '../json.js';
import { streamMany, type StreamManyProgress, type StreamManyResult } from '../operators/streamMany.js';
import type { Endpoint } from './endpoint.js';
import { InterruptedError, oneLine, UsageError } from './failures.js';
import { line, type CliIO } from './io.js';
import { seconds, untilAborted } from './streams.js';

/** What `batch` was asked to do. */
export interface BatchOptions {
  /** The requests file (JSON Lines). */
  file: string;
  /** The model of lines that name none. */
  model: string;
  concurrency: number;
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  retries: number;
  ordered: boolean;
  /** A results file of an earlier run: its answered requests are skipped. */
  resume?: string;
}

/** One request read from the file. */
export interface BatchRequest {
  /** Its position among the file's non-blank lines, from 0. */
  index: number;
  /** 1-based line number, for messages. */
  line: number;
  customId?: string;
  body: Record<string, unknown>;
}

/** What a run did. */
export interface BatchSummary {
  total: number;
  skipped: number;
  answered: number;
  failed: number;
  tokens: number;
}

/**
 * Reads the requests: one JSON object per line, blank lines skipped. A line is a chat request
 * (`{ model?, messages, … }`, with an optional `custom_id` that is not sent), or a line of the
 * OpenAI Batch API (`{ custom_id, method, url, body }`: its `body` is sent). A line without
 * `model` gets `--model`; without `stream_options`, `{ include_usage: true }`. Anything else is
 * a {@link UsageError} naming the line, before a single request is sent.
 */
export function parseRequests(text: string, file: string, model: string): BatchRequest[] {
  const requests: BatchRequest[] = [];
  const ids = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const where = `${file}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new UsageError(`${where}: not JSON (one request per line, as a JSON object)`);
    }
    if (!isObject(value)) throw new UsageError(`${where}: not a JSON object`);
    const batchLine = isObject(value['body']) && ('custom_id' in value || 'url' in value || 'method' in value);
    const customId = value['custom_id'];
    if (customId !== undefined && (typeof customId !== 'string' || customId === '')) {
      throw new UsageError(`${where}: custom_id must be a non-empty string`);
    }
    const { custom_id: _unused, ...rest } = value;
    void _unused;
    const body: Record<string, unknown> = { ...(batchLine ? (value['body'] as Record<string, unknown>) : rest) };
    if (body['model'] === undefined) body['model'] = model;
    if (typeof body['model'] !== 'string' || body['model'] === '') throw new UsageError(`${where}: model must be a non-empty string`);
    if (!Array.isArray(body['messages']) || body['messages'].length === 0) {
      throw new UsageError(`${where}: messages must be a non-empty array`);
    }
    if (body['stream_options'] === undefined) body['stream_options'] = { include_usage: true };
    delete body['stream'];
    if (typeof customId === 'string') {
      const seen = ids.get(customId);
      if (seen !== undefined) throw new UsageError(`${where}: custom_id '${oneLine(customId)}' was used on line ${seen} already`);
      ids.set(customId, i + 1);
    }
    requests.push({ index: requests.length, line: i + 1, ...(typeof customId === 'string' ? { customId } : {}), body });
  }
  return requests;
}

/** What an earlier results file says is done: the `custom_id`s and the indexes of answered lines. */
export interface DoneSet {
  ids: Set<string>;
  indexes: Set<number>;
  /** Lines that were not results (a line cut short when a run was killed). */
  unreadable: number;
}

/** Reads a results file: a line without `error` is an answered request. A missing file is an empty one. */
export async function readDone(path: string): Promise<DoneSet> {
  const done: DoneSet = { ids: new Set(), indexes: new Set(), unreadable: 0 };
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === 'ENOENT') return done;
    throw new UsageError(`--resume: cannot read ${path} (${oneLine((error as Error).message)})`);
  }
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      done.unreadable++;
      continue;
    }
    if (!isObject(value) || typeof value['index'] !== 'number') {
      done.unreadable++;
      continue;
    }
    if ('error' in value) continue;
    if (typeof value['custom_id'] === 'string') done.ids.add(value['custom_id']);
    else done.indexes.add(value['index']);
  }
  return done;
}

/** Whether an earlier run answered this request: by `custom_id` when it has one, else by index. */
function isDone(request: BatchRequest, done: DoneSet): boolean {
  return request.customId !== undefined ? done.ids.has(request.customId) : done.indexes.has(request.index);
}

/** A failure as a results line shows it: its kind, a one-line scrubbed message, and the API's status and code. */
function describeError(error: unknown, apiKey: string | undefined): Record<string, unknown> {
  const name =
    error instanceof Error ? ((error.constructor?.name !== 'Error' ? error.constructor?.name : undefined) ?? error.name) : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  const described: Record<string, unknown> = { name, message: oneLine(message, apiKey) };
  for (const field of ['status', 'code', 'type'] as const) {
    const value = (error as Record<string, unknown> | null)?.[field];
    if (typeof value === 'number' || (typeof value === 'string' && value !== '')) described[field] = field === 'status' ? value : oneLine(String(value), apiKey);
  }
  return described;
}

/** One results line: the request's index (in the whole file) and `custom_id`, then its result. */
function resultLine(result: StreamManyResult<Record<string, unknown>>, request: BatchRequest, apiKey: string | undefined): string {
  const head = { index: request.index, ...(request.customId === undefined ? {} : { custom_id: request.customId }) };
  const body =
    'error' in result
      ? { error: describeError(result.error, apiKey), ...(result.usage === undefined ? {} : { usage: result.usage }), metrics: result.metrics }
      : { completion: result.completion, usage: result.usage, metrics: result.metrics };
  return JSON.stringify({ ...head, ...body });
}

/** `[████████░░░░░░░░░░░░] 412/1000 · 3 failed · 50 in flight · 123,456 tokens`, redrawn in place. */
function progressBar(progress: StreamManyProgress, total: number, skipped: number): string {
  const done = progress.done + skipped;
  const width = 20;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  return `[${bar}] ${done}/${total} · ${progress.failed} failed · ${progress.inFlight} in flight · concurrency ${progress.concurrency} · ${progress.tokens.toLocaleString('en-US')} tokens`;
}

/** Runs the batch: results to `io.stdout`, the bar and the summary to `io.stderr`. */
export async function runBatch(endpoint: Endpoint, options: BatchOptions, io: CliIO): Promise<BatchSummary> {
  let text: string;
  try {
    text = await readFile(options.file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${options.file} (${oneLine((error as Error).message)})`);
  }
  const all = parseRequests(text, options.file, options.model);
  const done = options.resume === undefined ? undefined : await readDone(options.resume);
  const todo = done === undefined ? all : all.filter((request) => !isDone(request, done));
  const skipped = all.length - todo.length;

  const clock = io.scheduler ?? asyncScheduler;
  const started = clock.now();
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  let drawnAt = -Infinity;
  let last: StreamManyProgress = { done: 0, failed: 0, inFlight: 0, waiting: 0, tokens: 0, concurrency: options.concurrency };
  const draw = (force: boolean): void => {
    const now = clock.now();
    if (!tty || (!force && now - drawnAt < 100)) return;
    drawnAt = now;
    io.stderr.write(`\r\x1b[K${progressBar(last, all.length, skipped)}`);
  };

  const summary: BatchSummary = { total: all.length, skipped, answered: 0, failed: 0, tokens: 0 };
  // streamMany sends (and counts the tokens of) each request's body; its result's index is the body's place in `todo`.
  const bodies = todo.map((request) => request.body);
  let interrupted = false;
  try {
    await lastValueFrom(
      streamMany(bodies, {
        client: endpoint.client.streaming,
        concurrency: options.concurrency,
        ...(options.requestsPerMinute === undefined ? {} : { requestsPerMinute: options.requestsPerMinute }),
        ...(options.tokensPerMinute === undefined ? {} : { tokensPerMinute: options.tokensPerMinute }),
        ordered: options.ordered,
        retry: { count: options.retries },
        progress: (progress) => {
          last = progress;
          draw(false);
        },
      }).pipe(
        tap((result) => {
          const request = todo[result.index]!;
          if ('error' in result) summary.failed++;
          else summary.answered++;
          if (result.usage !== undefined) summary.tokens += result.usage.total_tokens;
          line(io.stdout, resultLine(result, request, endpoint.apiKey));
        }),
        untilAborted(io.signal),
      ),
      { defaultValue: undefined },
    );
  } catch (error) {
    if (!(error instanceof InterruptedError)) throw error;
    interrupted = true;
  } finally {
    if (tty) {
      draw(true);
      io.stderr.write('\n');
    }
  }

  const where = endpoint.kind === 'local' ? '[local server]' : `[${endpoint.baseURL}]`;
  const parts = [
    where,
    `${all.length} requests: ${summary.answered} answered, ${summary.failed} failed${skipped > 0 ? `, ${skipped} skipped (answered in ${options.resume})` : ''}`,
    `${summary.tokens.toLocaleString('en-US')} tokens`,
    `${seconds(clock.now() - started)} s`,
  ];
  if (done !== undefined && done.unreadable > 0) {
    parts.push(`${done.unreadable} unreadable ${done.unreadable === 1 ? 'line' : 'lines'} in ${options.resume} ignored`);
  }
  if (interrupted) parts.push(`interrupted: rerun with --resume to finish`);
  line(io.stderr, parts.join(' · '));
  if (interrupted) throw new InterruptedError();
  return summary;
}
