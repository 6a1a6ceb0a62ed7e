/** Token counting: the public part of `lib/tokens` (the encoder itself stays internal). */
export { encodingForModel } from './encodingForModel.js';
export type { EncodingName, EncodingOptions } from './encodingForModel.js';
export { loadEncoding } from './loadEncoding.js';
export { countTokens } from './countTokens.js';
export { countPromptTokens } from './countPromptTokens.js';
export { tokenPieces } from './tokenPieces.js';
export type { UsageRequest } from './estimateUsage.js';
