import { ChatStreamError } from '../errors.js';
import { BytePairEncoder, type RankFile } from './bpe.js';
import type { EncodingName } from './encodingForModel.js';
import { nodeRequire } from './nodeRequire.js';

/** One encoder per encoding, built on first use and kept: building one parses ~1–2 MB of ranks. */
const encoders = new Map<EncodingName, BytePairEncoder>();
const loading = new Map<EncodingName, Promise<void>>();

/** The rank module's value, whether it came as CommonJS exports or an ES module namespace. */
function rankFile(module: unknown, name: EncodingName): RankFile {
  const value = (module as { default?: unknown } | null)?.default ?? module;
  const file = value as Partial<RankFile> | null;
  if (typeof file?.bpe_ranks !== 'string' || typeof file.pat_str !== 'string') {
    throw new ChatStreamError(`js-tiktoken/ranks/${name} did not export a rank file`);
  }
  return file as RankFile;
}

/** Reads the rank file synchronously. The specifiers are literal so bundlers can see them. */
function requireRanks(name: EncodingName, load: (id: string) => unknown): unknown {
  switch (name) {
    case 'o200k_base':
      return load('js-tiktoken/ranks/o200k_base');
    case 'cl100k_base':
      return load('js-tiktoken/ranks/cl100k_base');
  }
}

/** Imports the rank file as a module: works in browsers and bundlers. */
function importRanks(name: EncodingName): Promise<unknown> {
  switch (name) {
    case 'o200k_base':
      return import('js-tiktoken/ranks/o200k_base');
    case 'cl100k_base':
      return import('js-tiktoken/ranks/cl100k_base');
  }
}

function checkName(name: EncodingName): void {
  if (name !== 'o200k_base' && name !== 'cl100k_base') {
    throw new ChatStreamError(`Unknown encoding ${JSON.stringify(name)}: use o200k_base or cl100k_base`);
  }
}

/**
 * The encoder of an encoding, loading its ranks synchronously on first use (CommonJS `require`,
 * or `createRequire` in Node's ES module build). Where neither exists (a browser) and the
 * encoding was not loaded with {@link loadEncoding}, throws a {@link ChatStreamError}.
 * @internal
 */
export function encoderFor(name: EncodingName): BytePairEncoder {
  const ready = encoders.get(name);
  if (ready !== undefined) return ready;
  checkName(name);
  if (nodeRequire === undefined) {
    throw new ChatStreamError(
      `The ${name} encoding is not loaded: call \`await loadEncoding('${name}')\` before counting tokens ` +
        '(this runtime has no synchronous require to load it on first use)',
    );
  }
  const encoder = new BytePairEncoder(rankFile(requireRanks(name, nodeRequire), name));
  encoders.set(name, encoder);
  return encoder;
}

/**
 * Whether counting with `name` can run synchronously now (loaded, or loadable on first use).
 * @internal
 */
export function encodingReady(name: EncodingName): boolean {
  return encoders.has(name) || nodeRequire !== undefined;
}

/**
 * Loads an encoding's ranks ahead of use, with a dynamic `import()`.
 *
 * <span class="informal">Needed in browsers; optional in Node, where the first count loads it.</span>
 *
 * The counting functions are synchronous. In Node (CommonJS or ES modules) they load the rank
 * file of an encoding on first use, once, and keep the encoder. Where no synchronous `require`
 * exists (browsers, some bundlers), await this first; after it resolves, counting with that
 * encoding works everywhere. Calling it again, or after the encoding was loaded, is cheap.
 * Loading `o200k_base` parses ~2.3 MB of ranks (about 0.2–0.3 s and 30–40 MB of heap);
 * `cl100k_base` about half that.
 *
 * ## Example
 * ```ts
 * import { loadEncoding, encodingForModel, countTokens } from 'rxjs-chat-stream';
 *
 * await loadEncoding(encodingForModel('gpt-4o'));
 * console.log(countTokens('Hello, world!', 'gpt-4o'));
 * // Logs:
 * // 4
 * ```
 *
 * @see {@link encodingForModel}
 * @see {@link countTokens}
 *
 * @param name The encoding (see {@link encodingForModel}).
 * @return A promise that resolves once the encoding is ready.
 */
export function loadEncoding(name: EncodingName): Promise<void> {
  if (encoders.has(name)) return Promise.resolve();
  try {
    checkName(name);
  } catch (error) {
    return Promise.reject(error);
  }
  let pending = loading.get(name);
  if (pending === undefined) {
    pending = importRanks(name).then(
      (module) => {
        if (!encoders.has(name)) encoders.set(name, new BytePairEncoder(rankFile(module, name)));
        loading.delete(name);
      },
      (error: unknown) => {
        loading.delete(name);
        throw new ChatStreamError(`Could not load js-tiktoken/ranks/${name}`, { cause: error });
      },
    );
    loading.set(name, pending);
  }
  return pending;
}
