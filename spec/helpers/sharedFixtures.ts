/**
 * The one reader of `../shared/fixtures`: real recorded streams (`streams/NAME.sse`) and the
 * completion each must accumulate to (`expected/NAME.json`), kept beside the clone and never copied
 * in. A clone without that folder still passes `npm test`: every spec that reads it goes through
 * {@link describeShared}, which skips its tests with a note naming the missing folder.
 *
 * `RXJS_CHAT_STREAM_FIXTURES` names another folder (CI sets it to a missing path to prove that the
 * skip works).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ChatCompletion, ChatCompletionChunk } from '../../lib/types.js';

/** The folder of the shared recordings. */
export const SHARED_FIXTURES = resolve(process.env['RXJS_CHAT_STREAM_FIXTURES'] ?? join(__dirname, '..', '..', '..', 'shared', 'fixtures'));

const STREAMS = join(SHARED_FIXTURES, 'streams');
const EXPECTED = join(SHARED_FIXTURES, 'expected');

/** Whether the shared recordings are there to read. */
export const sharedFixturesPresent: boolean = existsSync(STREAMS) && existsSync(EXPECTED);

/** The note a skipped test shows. */
const ABSENT = `${SHARED_FIXTURES} is absent: the shared recordings are skipped`;

/**
 * `describe(title, body)` when the shared recordings are present; otherwise one skipped test that
 * says why, so the run shows the skip instead of passing in silence.
 */
export function describeShared(title: string, body: () => void): void {
  if (sharedFixturesPresent) describe(title, body);
  else describe(title, () => it.skip(ABSENT, () => undefined));
}

/** The names of the recorded streams (`NAME` of `streams/NAME.sse`), sorted. */
export function sharedStreamNames(): string[] {
  if (!sharedFixturesPresent) return [];
  return readdirSync(STREAMS)
    .filter((file) => file.endsWith('.sse'))
    .map((file) => file.slice(0, -'.sse'.length))
    .sort();
}

/** The path of a recorded stream's body. */
export function sharedStreamPath(name: string): string {
  return join(STREAMS, `${name}.sse`);
}

/** The path of the completion a recorded stream must accumulate to. */
export function sharedExpectedPath(name: string): string {
  return join(EXPECTED, `${name}.json`);
}

/** The chunks of a data-only SSE text, up to `data: [DONE]` (a plain reading, for checking ours against). */
export function chunksOfSSEText(text: string): ChatCompletionChunk[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
    .map((line) => JSON.parse(line.slice('data: '.length)) as ChatCompletionChunk);
}

/** One recorded stream: its raw body, its chunks and the completion it must accumulate to. */
export interface RecordedStream {
  name: string;
  text: string;
  chunks: ChatCompletionChunk[];
  expected: ChatCompletion;
}

/** A recorded stream by name; throws when it is missing (call it inside {@link describeShared}). */
export function recordedStream(name: string): RecordedStream {
  const text = readFileSync(sharedStreamPath(name), 'utf8');
  const expected = JSON.parse(readFileSync(sharedExpectedPath(name), 'utf8')) as ChatCompletion;
  return { name, text, chunks: chunksOfSSEText(text), expected };
}

/** Every recorded stream, sorted by name (none when the folder is absent). */
export function recordedStreams(): RecordedStream[] {
  return sharedStreamNames().map(recordedStream);
}
