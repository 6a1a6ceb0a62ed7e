/** Patterns that look like credentials: OpenAI-style keys, bearer tokens, `api_key=` parameters. */
const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/\bsk-[A-Za-z0-9_-]{4,}/g, 'sk-***'],
  [/\bBearer\s+[^\s"',;]+/gi, 'Bearer ***'],
  // (a `Bearer …` value is left to the pattern above, so it reads `Authorization: Bearer ***`)
  [/\b(api[_-]?key|access[_-]?token|authorization)(["']?\s*[:=]\s*["']?)(?!Bearer\b)[^\s"'&,;]+/gi, '$1$2***'],
];

/**
 * Replaces anything that looks like a key or a token with `***`: used on every text that comes
 * from a server or an upstream error before it reaches a message, a log or the wire.
 * @internal
 */
export function redactSecrets(text: string): string {
  let result = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) result = result.replace(pattern, replacement);
  return result;
}
