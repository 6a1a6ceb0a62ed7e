import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatCompletion, ChatCompletionChunk } from '../../lib/types.js';

const ROOT = join(__dirname, '..', '..', '..', 'shared', 'fixtures');

/** The recorded streams of `../shared/fixtures` (data-only SSE), and their expected completions. */
export function recordedStreams(): Array<{ name: string; chunks: ChatCompletionChunk[]; expected: ChatCompletion }> {
  return readdirSync(join(ROOT, 'streams'))
    .filter((file) => file.endsWith('.sse'))
    .sort()
    .map((file) => {
      const name = file.slice(0, -'.sse'.length);
      const chunks = readFileSync(join(ROOT, 'streams', file), 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
        .map((line) => JSON.parse(line.slice('data: '.length)) as ChatCompletionChunk);
      const expected = JSON.parse(readFileSync(join(ROOT, 'expected', `${name}.json`), 'utf8')) as ChatCompletion;
      return { name, chunks, expected };
    });
}
