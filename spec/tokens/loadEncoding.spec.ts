import { ChatStreamError } from '../../lib/errors.js';

type TokensModule = typeof import('../../lib/tokens/index.js');

/** Counts how often each rank file is evaluated, in a fresh module registry. */
function spyOnRankFiles(): { o200k_base: number; cl100k_base: number } {
  const loads = { o200k_base: 0, cl100k_base: 0 };
  jest.doMock('js-tiktoken/ranks/o200k_base', () => {
    loads.o200k_base++;
    return jest.requireActual('js-tiktoken/ranks/o200k_base');
  });
  jest.doMock('js-tiktoken/ranks/cl100k_base', () => {
    loads.cl100k_base++;
    return jest.requireActual('js-tiktoken/ranks/cl100k_base');
  });
  return loads;
}

describe('loadEncoding', () => {
  afterEach(() => {
    jest.dontMock('js-tiktoken/ranks/o200k_base');
    jest.dontMock('js-tiktoken/ranks/cl100k_base');
    jest.dontMock('../../lib/tokens/nodeRequire');
  });

  it('should load no rank file when the package is imported', () => {
    jest.isolateModules(() => {
      const loads = spyOnRankFiles();
      require('../../lib/index');
      require('../../lib/tokens/index');
      require('../../lib/operators/usage');
      require('../../lib/operators/runningTokens');
      expect(loads).toEqual({ o200k_base: 0, cl100k_base: 0 });
    });
  });

  it('should load a rank file on first use, once per encoding, and keep the encoder', () => {
    jest.isolateModules(() => {
      const loads = spyOnRankFiles();
      const tokens = require('../../lib/tokens/index') as TokensModule;
      expect(tokens.countTokens('', 'gpt-4o')).toBe(0);
      expect(loads).toEqual({ o200k_base: 0, cl100k_base: 0 });
      expect(tokens.countTokens('Hello, world!', 'gpt-4o')).toBe(4);
      expect(tokens.countTokens('Hello again', 'gpt-4o-mini')).toBe(2);
      expect(tokens.tokenPieces('Hi there', 'gpt-5')).toEqual(['Hi', ' there']);
      expect(loads).toEqual({ o200k_base: 1, cl100k_base: 0 });
      expect(tokens.countPromptTokens([{ role: 'user', content: 'Hi' }], 'gpt-4')).toBe(8);
      expect(tokens.countTokens('more', 'gpt-3.5-turbo')).toBe(1);
      expect(loads).toEqual({ o200k_base: 1, cl100k_base: 1 });
    });
  });

  it('should resolve, after which the encoding is ready; again and at once when loaded', async () => {
    await jest.isolateModulesAsync(async () => {
      const loads = spyOnRankFiles();
      const tokens = require('../../lib/tokens/index') as TokensModule;
      const first = tokens.loadEncoding('cl100k_base');
      expect(tokens.loadEncoding('cl100k_base')).toBe(first);
      await expect(first).resolves.toBeUndefined();
      await expect(tokens.loadEncoding('cl100k_base')).resolves.toBeUndefined();
      expect(tokens.countTokens('Hello, world!', 'gpt-4')).toBe(4);
      expect(loads.cl100k_base).toBe(1);
    });
  });

  it('should reject an unknown encoding with a ChatStreamError', async () => {
    const { loadEncoding } = await import('../../lib/tokens/loadEncoding.js');
    await expect(loadEncoding('p50k_base' as 'o200k_base')).rejects.toEqual(expect.any(ChatStreamError));
  });

  describe('where no synchronous require exists (a browser)', () => {
    it('should throw a ChatStreamError that says to await loadEncoding, then count once it resolved', async () => {
      await jest.isolateModulesAsync(async () => {
        jest.doMock('../../lib/tokens/nodeRequire', () => ({ nodeRequire: undefined }));
        const { ChatStreamError: IsolatedError } = require('../../lib/errors') as typeof import('../../lib/errors.js');
        const tokens = require('../../lib/tokens/index') as TokensModule;
        expect(() => tokens.countTokens('Hello', 'gpt-4o')).toThrow(IsolatedError);
        expect(() => tokens.countTokens('Hello', 'gpt-4o')).toThrow("await loadEncoding('o200k_base')");
        await tokens.loadEncoding(tokens.encodingForModel('gpt-4o'));
        expect(tokens.countTokens('Hello, world!', 'gpt-4o')).toBe(4);
        expect(() => tokens.countTokens('Hello', 'gpt-4')).toThrow("await loadEncoding('cl100k_base')");
      });
    });

    it('should reject with a ChatStreamError carrying the cause when the rank module fails to load, and retry', async () => {
      await jest.isolateModulesAsync(async () => {
        jest.doMock('../../lib/tokens/nodeRequire', () => ({ nodeRequire: undefined }));
        let fail = true;
        jest.doMock('js-tiktoken/ranks/o200k_base', () => {
          if (fail) throw new Error('network down');
          return jest.requireActual('js-tiktoken/ranks/o200k_base');
        });
        const { ChatStreamError: IsolatedError } = require('../../lib/errors') as typeof import('../../lib/errors.js');
        const tokens = require('../../lib/tokens/index') as TokensModule;
        const error: unknown = await tokens.loadEncoding('o200k_base').catch((e: unknown) => e);
        expect(error).toEqual(expect.any(IsolatedError));
        expect((error as Error).cause).toEqual(new Error('network down'));
        fail = false;
        jest.resetModules();
        await expect(tokens.loadEncoding('o200k_base')).resolves.toBeUndefined();
        expect(tokens.countTokens('Hello', 'gpt-4o')).toBe(1);
      });
    });
  });
});
