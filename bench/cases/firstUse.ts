/**
 * The first use of an encoding, run in a fresh process (see child.ts): time to the first count,
 * and the heap it leaves behind (after a full GC) and the rss it adds. Only the first use is in
 * the timed span: the packages' modules are imported before it when they load no ranks on import.
 */

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (typeof collect !== 'function') throw new Error('run the child with --expose-gc');
  collect();
  collect();
}

const MB = 1048576;

export async function firstUse(contender: string, encoding: string): Promise<{ ms: number; heapMB: number; rssMB: number; tokens: number }> {
  if (encoding !== 'o200k_base' && encoding !== 'cl100k_base') throw new Error(`unknown encoding ${encoding}`);
  const model = encoding === 'o200k_base' ? 'gpt-4o' : 'gpt-4';
  const sample = 'Hello, world! How many tokens is this?';
  let use: () => Promise<number> | number;
  switch (contender) {
    case 'ours': {
      // Importing the module must not load a rank file: the cost is in the first count.
      const { countTokens } = await import('../../lib/tokens/countTokens.js');
      use = () => countTokens(sample, model);
      break;
    }
    case 'js-tiktoken': {
      const { Tiktoken } = await import('js-tiktoken/lite');
      use = async () => {
        const ranks =
          encoding === 'o200k_base' ? await import('js-tiktoken/ranks/o200k_base') : await import('js-tiktoken/ranks/cl100k_base');
        const file = (ranks as { default?: unknown }).default ?? ranks;
        return new Tiktoken(file as ConstructorParameters<typeof Tiktoken>[0]).encode(sample).length;
      };
      break;
    }
    case 'gpt-tokenizer': {
      use = async () => {
        const module =
          encoding === 'o200k_base' ? await import('gpt-tokenizer/encoding/o200k_base') : await import('gpt-tokenizer/encoding/cl100k_base');
        return module.countTokens(sample);
      };
      break;
    }
    default:
      throw new Error(`unknown first-use contender ${contender}`);
  }
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  const start = performance.now();
  const tokens = await use();
  const ms = performance.now() - start;
  const rssAfter = process.memoryUsage().rss;
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  return { ms, heapMB: (heapAfter - heapBefore) / MB, rssMB: (rssAfter - rssBefore) / MB, tokens };
}
