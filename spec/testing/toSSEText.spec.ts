import { lastValueFrom, toArray } from 'rxjs';
import { fromSSE } from '../../lib/sources/fromSSE.js';
import { buildChunks } from '../../lib/testing/buildChunks.js';
import { toSSEText } from '../../lib/testing/toSSEText.js';
import { InvalidChunkError } from '../../lib/errors.js';
import type { ChatCompletionChunk } from '../../lib/types.js';
import { chunk } from '../helpers/chunk.js';

describe('toSSEText', () => {
  it('should write one data event per chunk, then [DONE]', () => {
    const a = chunk({ content: 'line one\nline two' });
    const b = chunk({}, { finish_reason: 'stop' });
    expect(toSSEText([a, b])).toBe(`data: ${JSON.stringify(a)}\n\ndata: ${JSON.stringify(b)}\n\ndata: [DONE]\n\n`);
  });

  it('should keep each event on one line, whatever the content', () => {
    const text = toSSEText([chunk({ content: 'a\r\nb\rc\n\ndata: [DONE]\n\n' })]);
    expect(text.split('\n\n')).toHaveLength(3);
    expect(text.match(/\r/g)).toBeNull();
  });

  it('should write only [DONE] for no chunks', () => {
    expect(toSSEText([])).toBe('data: [DONE]\n\n');
  });

  it('should take any iterable', () => {
    const chunks = buildChunks('Hi');
    function* generate(): Generator<ChatCompletionChunk> {
      yield* chunks;
    }
    expect(toSSEText(generate())).toBe(toSSEText(chunks));
  });

  it('should throw an InvalidChunkError for a value that is not a chunk object', () => {
    expect(() => toSSEText([null as unknown as ChatCompletionChunk])).toThrow('Invalid chat-completion chunk: chunk must be an object, got null');
    expect(() => toSSEText(['data' as unknown as ChatCompletionChunk])).toThrow(InvalidChunkError);
    expect(() => toSSEText([[] as unknown as ChatCompletionChunk])).toThrow(InvalidChunkError);
  });

  it('should be read back by fromSSE to the same chunks', async () => {
    const chunks = buildChunks('Persian: سلام دنیا 👋🏽', { n: 2, includeUsage: true, toolCall: { name: 'f', arguments: { q: 'x' } } });
    const body = new Response(toSSEText(chunks));
    await expect(lastValueFrom(fromSSE(body).pipe(toArray()))).resolves.toEqual(chunks);
  });
});
