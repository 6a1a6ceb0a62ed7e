import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { ChatCompletionAccumulator } from '../../lib/accumulation/ChatCompletionAccumulator.js';
import { accumulate } from '../../lib/operators/accumulate.js';
import { contentDeltas } from '../../lib/operators/contentDeltas.js';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { fromSSE } from '../../lib/sources/fromSSE.js';
import type { ChatCompletion, ChatCompletionChunk } from '../../lib/types.js';
import { describeShared, sharedExpectedPath, sharedStreamNames, sharedStreamPath } from '../helpers/sharedFixtures.js';

/**
 * Recorded streams and the completion each must accumulate to, deep-equal:
 * - `spec/fixtures/`: ours, written for this project (`NAME.sse` + `NAME.json`);
 * - `../shared/fixtures/`: real recordings from other projects (`streams/NAME.sse` +
 *   `expected/NAME.json`), read in place beside the clone and never copied in.
 */
const OWN = join(__dirname, '..', 'fixtures');

interface Fixture {
  name: string;
  stream: string;
  expected: string;
}

function fixturesIn(streams: string, expected: string): Fixture[] {
  return readdirSync(streams)
    .filter((file) => file.endsWith('.sse'))
    .sort()
    .map((file) => {
      const name = file.slice(0, -'.sse'.length);
      return { name, stream: join(streams, file), expected: join(expected, `${name}.json`) };
    });
}

/** The body in 97-byte pieces, so that events, lines and UTF-8 characters are split across reads. */
async function* body(path: string): AsyncGenerator<Uint8Array> {
  const bytes = readFileSync(path);
  for (let i = 0; i < bytes.length; i += 97) yield bytes.subarray(i, i + 97);
}

function chunksOf(fixture: Fixture): Promise<ChatCompletionChunk[]> {
  return lastValueFrom(fromSSE(body(fixture.stream)).pipe(toArray()));
}

/** Paths of properties whose value is `undefined` (JSON would drop them; the API never sends them). */
function undefinedPaths(value: unknown, path = '$'): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) =>
    v === undefined ? [`${path}.${key}`] : undefinedPaths(v, `${path}.${key}`),
  );
}

function json<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function describeFixtures(fixtures: Fixture[]): void {
  it.each(fixtures)('should accumulate $name to its expected completion', async (fixture) => {
    const expected = JSON.parse(readFileSync(fixture.expected, 'utf8')) as ChatCompletion;
    const completion = await lastValueFrom(fromSSE(body(fixture.stream)).pipe(toChatCompletion()));

    expect(json(completion)).toStrictEqual(expected);
    expect(undefinedPaths(completion)).toEqual([]);
  });

  it.each(fixtures)('should join the contentDeltas of every choice of $name to its content', async (fixture) => {
    const expected = JSON.parse(readFileSync(fixture.expected, 'utf8')) as ChatCompletion;
    const chunks = await chunksOf(fixture);
    for (const choice of expected.choices) {
      const deltas = await lastValueFrom(from(chunks).pipe(contentDeltas(choice.index), toArray()));
      // content is null when no string came, and '' when only empty pieces did: joined, both are ''.
      expect(deltas.join('')).toBe(choice.message.content ?? '');
      expect(deltas.every((delta) => delta.length > 0)).toBe(true);
    }
  });

  it.each(fixtures)('should emit snapshots of $name that each equal a fresh merge of their prefix', async (fixture) => {
    const chunks = await chunksOf(fixture);
    const snapshots = await lastValueFrom(from(chunks).pipe(accumulate(), toArray()));
    expect(snapshots).toHaveLength(chunks.length);

    snapshots.forEach((snapshot, k) => {
      const fresh = new ChatCompletionAccumulator();
      for (let i = 0; i <= k; i++) fresh.push(chunks[i] as ChatCompletionChunk);
      expect(json(snapshot)).toStrictEqual(json(fresh.snapshot()));
    });

    const expected = JSON.parse(readFileSync(fixture.expected, 'utf8')) as ChatCompletion;
    const last = snapshots[snapshots.length - 1];
    expect(last?.choices.map((choice) => choice.message.content)).toEqual(
      expected.choices.map((choice) => choice.message.content),
    );
    expect(last?.usage).toEqual(expected.usage);
  });
}

describe('fixtures', () => {
  describe('spec/fixtures (ours)', () => {
    const own = fixturesIn(OWN, OWN);

    it('should cover every case the shared recordings cover', () => {
      expect(own.map((fixture) => fixture.name)).toEqual(
        expect.arrayContaining([
          'n2-interleaved',
          'parallel-tool-calls',
          'refusal-logprobs',
          'content-logprobs-long',
          'azure-content-filter',
          'reasoning-content',
          'moderation-after-usage',
          'legacy-function-call',
        ]),
      );
    });

    describeFixtures(own);
  });

  describeShared('../shared/fixtures (recorded by other projects)', () => {
    const shared = sharedStreamNames().map((name) => ({ name, stream: sharedStreamPath(name), expected: sharedExpectedPath(name) }));

    it('should have recordings to check', () => {
      expect(shared.length).toBeGreaterThanOrEqual(20);
    });

    describeFixtures(shared);
  });
});
