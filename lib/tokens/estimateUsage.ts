// PLACEHOLDER written by the accumulation helper so that `toChatCompletion({ estimateUsage })` has
// its hook; the tokens/usage helper owns this file and replaces it with the real estimate.
import type {
  ChatCompletion,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  CompletionUsage,
} from '../types.js';

/** What was sent, for counting the prompt: the model, the messages and the tools. */
export type UsageRequest = {
  model?: string;
  messages?: ChatCompletionMessageParam[];
  tools?: ChatCompletionTool[];
};

/**
 * Estimates the usage of a finished completion by counting tokens (placeholder: not implemented yet).
 * @internal
 */
export function estimateUsageFor(completion: ChatCompletion, request?: UsageRequest): CompletionUsage {
  void completion;
  void request;
  throw new Error('estimateUsageFor is not implemented yet (placeholder)');
}
