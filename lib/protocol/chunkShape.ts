/*
 * How the parts of a chunk are found and named: the rules the merge and `contentDeltas()` share,
 * so both read a chunk the same way.
 */

/**
 * A choice's or tool call's `index` (a non-negative safe integer: 2^53 is not one, since it cannot
 * be told from 2^53 + 1); its position in the list when the chunk has none (some OpenAI-compatible
 * servers omit it); -1 when it is not a valid index.
 * @internal
 */
export function entryIndex(value: unknown, position: number): number {
  if (value == null) return position;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : -1;
}

/** The path of a choice in an error message (built only when throwing: no string work per chunk). @internal */
export function choicePath(position: number): string {
  return `chunk.choices[${position}]`;
}

/**
 * The `delta` (and message) fields of reasoning text some providers stream (DeepSeek, vLLM,
 * OpenRouter and others): the merge takes them as text only, and `usage()` counts them.
 * @internal
 */
export const REASONING_FIELDS = ['reasoning_content', 'reasoning'] as const;
