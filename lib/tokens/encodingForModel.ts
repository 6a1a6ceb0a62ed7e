import { InvalidInputError } from '../errors.js';

/** The encodings the toolkit counts with: today's OpenAI chat models use one of these two. */
export type EncodingName = 'o200k_base' | 'cl100k_base';

/** Options of {@link encodingForModel} and of the counting functions. */
export interface EncodingOptions {
  /** Use this encoding whatever the model name says. */
  encoding?: EncodingName;
}

const ENCODINGS: readonly EncodingName[] = ['o200k_base', 'cl100k_base'];

/** Exact model names whose encoding is not the default `o200k_base`. */
const EXACT: Readonly<Record<string, EncodingName>> = {
  'gpt-4': 'cl100k_base',
  'gpt-3.5-turbo': 'cl100k_base',
  'gpt-3.5': 'cl100k_base',
  'gpt-35-turbo': 'cl100k_base',
  'text-embedding-ada-002': 'cl100k_base',
  'text-embedding-3-small': 'cl100k_base',
  'text-embedding-3-large': 'cl100k_base',
  'gpt-4o': 'o200k_base',
  'gpt-4.1': 'o200k_base',
  'gpt-4.5': 'o200k_base',
  'gpt-5': 'o200k_base',
  o1: 'o200k_base',
  o3: 'o200k_base',
  o4: 'o200k_base',
};

/** Name prefixes, longest first (so `ft:gpt-4o` wins over `ft:gpt-4`). */
const PREFIXES: ReadonlyArray<readonly [string, EncodingName]> = (
  [
    ['gpt-4o', 'o200k_base'],
    ['chatgpt-4o-', 'o200k_base'],
    ['gpt-4.1', 'o200k_base'],
    ['gpt-4.5', 'o200k_base'],
    ['gpt-5', 'o200k_base'],
    ['o1-', 'o200k_base'],
    ['o3-', 'o200k_base'],
    ['o4-', 'o200k_base'],
    ['ft:gpt-4o', 'o200k_base'],
    ['ft:gpt-4.1', 'o200k_base'],
    ['ft:gpt-4', 'cl100k_base'],
    ['ft:gpt-3.5-turbo', 'cl100k_base'],
    ['gpt-4-', 'cl100k_base'],
    ['gpt-3.5-turbo-', 'cl100k_base'],
    ['gpt-35-turbo-', 'cl100k_base'],
  ] as Array<[string, EncodingName]>
).sort((a, b) => b[0].length - a[0].length);

/**
 * The tokenizer encoding a model uses: `o200k_base` for the gpt-4o family, gpt-4.1, gpt-4.5,
 * gpt-5 and the o-series; `cl100k_base` for gpt-4, gpt-4-turbo and gpt-3.5-turbo.
 *
 * <span class="informal">Never throws: an unknown name gets today's `o200k_base`.</span>
 *
 * The name is read the forgiving way: an explicit `options.encoding` first; then, after
 * dropping a `provider/` prefix (`openai/gpt-4o`, as routers spell it) and lower-casing, exact
 * names, then prefixes (dated names such as `gpt-4o-2024-08-06`, `gpt-4-0613`, fine-tuned
 * `ft:gpt-4o-mini:org::id`), then `o200k_base`. js-tiktoken's own table throws
 * "Unknown model" for names such as `gpt-5.1`, `o3-pro` or an Azure deployment name.
 *
 * ## Example
 * ```ts
 * import { encodingForModel } from 'rxjs-chat-stream';
 *
 * console.log(encodingForModel('gpt-4o-mini-2024-07-18'));
 * console.log(encodingForModel('gpt-3.5-turbo'));
 * console.log(encodingForModel('my-azure-deployment'));
 * // Logs:
 * // o200k_base
 * // cl100k_base
 * // o200k_base
 * ```
 *
 * @see {@link countTokens}
 * @see {@link loadEncoding}
 *
 * @param model The model name as sent in the request or reported in the chunks.
 * @param options `encoding`: use this encoding, whatever the name.
 * @return The encoding's name.
 */
export function encodingForModel(model: string, options: EncodingOptions = {}): EncodingName {
  const chosen = options.encoding;
  if (chosen !== undefined) {
    if (!ENCODINGS.includes(chosen)) {
      throw new InvalidInputError('options.encoding', chosen, ENCODINGS.map((name) => `'${name}'`).join(' or '), { detail: JSON.stringify(chosen) });
    }
    return chosen;
  }
  let name = String(model).trim().toLowerCase();
  const slash = name.lastIndexOf('/');
  if (slash >= 0) name = name.slice(slash + 1);
  const exact = EXACT[name];
  if (exact !== undefined) return exact;
  for (const [prefix, encoding] of PREFIXES) {
    if (name.startsWith(prefix)) return encoding;
  }
  return 'o200k_base';
}
