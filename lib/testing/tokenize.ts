/**
 * The tokeniser the testing helpers stream and count with: the project's own (lib/tokens), so
 * the local server's usage numbers are what `usage()` and `countTokens` say.
 * @internal
 */
export { tokenPieces } from '../tokens/tokenPieces.js';
export { countPromptTokens } from '../tokens/countPromptTokens.js';
export { loadEncoding } from '../tokens/loadEncoding.js';
export { encodingForModel } from '../tokens/encodingForModel.js';
export { estimateUsageFor } from '../tokens/estimateUsage.js';
