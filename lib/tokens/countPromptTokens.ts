import { InvalidInputError } from '../errors.js';
import { isObject } from '../json.js';
import type { ChatCompletionMessageParam, ChatCompletionTool } from '../types.js';
import type { BytePairEncoder } from './bpe.js';
import { encodingForModel, type EncodingName, type EncodingOptions } from './encodingForModel.js';
import { encoderFor } from './loadEncoding.js';

/** Tokens every message costs around its fields (`<|start|>{role}<|message|>{content}<|end|>`). */
const TOKENS_PER_MESSAGE = 3;
/** The extra token of a message's `name`. */
const TOKENS_PER_NAME = 1;
/** Every reply is primed with `<|start|>assistant<|message|>`. */
const REPLY_PRIMING = 3;

/** The cookbook's tool-definition constants, per encoding (gpt-4o family / gpt-4 and 3.5). */
const TOOL_COSTS: Readonly<Record<EncodingName, { functionInit: number }>> = {
  o200k_base: { functionInit: 7 },
  cl100k_base: { functionInit: 10 },
};
const PROPERTY_INIT = 3;
const PROPERTY_KEY = 3;
const ENUM_INIT = -3;
const ENUM_ITEM = 3;
const FUNCTION_END = 12;

type Counter = (text: string) => number;

/** The text of a `content` given as parts: its `text` parts (and `refusal` parts); images, audio and files are not counted. */
function countParts(parts: readonly unknown[], count: Counter): number {
  let total = 0;
  for (const part of parts) {
    if (!isObject(part)) continue;
    if (part.type === 'text' && typeof part.text === 'string') total += count(part.text);
    else if (part.type === 'refusal' && typeof part.refusal === 'string') total += count(part.refusal);
  }
  return total;
}

/** A call's name and arguments (a function call) or name and input (a custom tool call). */
function countCall(call: unknown, count: Counter): number {
  if (!isObject(call)) return 0;
  const body = isObject(call.function) ? call.function : isObject(call.custom) ? call.custom : call;
  let total = 0;
  if (typeof body.name === 'string') total += count(body.name);
  if (typeof body.arguments === 'string') total += count(body.arguments);
  if (typeof body.input === 'string') total += count(body.input);
  return total;
}

function countMessage(message: unknown, count: Counter): number {
  if (!isObject(message)) {
    throw new InvalidInputError('countPromptTokens() message', message, 'an object');
  }
  let total = TOKENS_PER_MESSAGE;
  for (const key of Object.keys(message)) {
    const value = message[key];
    if (typeof value === 'string') {
      total += count(value);
      if (key === 'name') total += TOKENS_PER_NAME;
    } else if (key === 'content' && Array.isArray(value)) {
      total += countParts(value, count);
    } else if (key === 'tool_calls' && Array.isArray(value)) {
      for (const call of value) total += countCall(call, count);
    } else if (key === 'function_call') {
      total += countCall(value, count);
    }
  }
  return total;
}

function withoutFinalPeriod(text: string): string {
  return text.endsWith('.') ? text.slice(0, -1) : text;
}

function schemaType(type: unknown): string {
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.map(String).join(',');
  return '';
}

function countTool(tool: unknown, count: Counter, functionInit: number): number {
  if (!isObject(tool)) throw new InvalidInputError('countPromptTokens() tool', tool, 'an object');
  const definition = isObject(tool.function) ? tool.function : isObject(tool.custom) ? tool.custom : tool;
  const name = typeof definition.name === 'string' ? definition.name : '';
  const description = typeof definition.description === 'string' ? definition.description : '';
  let total = functionInit + count(`${name}:${withoutFinalPeriod(description)}`);
  const parameters = definition.parameters;
  const properties = isObject(parameters) && isObject(parameters.properties) ? parameters.properties : {};
  const keys = Object.keys(properties);
  if (keys.length > 0) {
    total += PROPERTY_INIT;
    for (const key of keys) {
      total += PROPERTY_KEY;
      const property = properties[key];
      const schema = isObject(property) ? property : {};
      if (Array.isArray(schema.enum)) {
        total += ENUM_INIT;
        for (const item of schema.enum) total += ENUM_ITEM + count(String(item));
      }
      const propertyDescription = typeof schema.description === 'string' ? schema.description : '';
      total += count(`${key}:${schemaType(schema.type)}:${withoutFinalPeriod(propertyDescription)}`);
    }
  }
  return total;
}

/**
 * Counts the prompt tokens a chat request will be billed for, by the OpenAI cookbook's formula.
 *
 * <span class="informal">The `prompt_tokens` of `usage`, before sending (or when the stream did not report it).</span>
 *
 * "How to count tokens with tiktoken" (openai-cookbook), whose counts the API confirmed: each
 * message costs 3 tokens plus the tokens of every string field (`role` included; `content`,
 * `name`, `tool_call_id`, …), plus 1 for a `name`; the reply is primed with 3 more. `content`
 * given as parts counts its text (and refusal) parts: images, audio and files are NOT counted
 * (they are billed by other rules). An assistant message's `tool_calls` count their names and
 * arguments (an estimate: the cookbook has no rule for them). Tool definitions follow the
 * cookbook's constants: per function 7 (gpt-4o family; 10 for gpt-4 and gpt-3.5) plus
 * `name:description`, then if it has properties 3, and per property 3 plus
 * `key:type:description` (and for an `enum`, -3 plus 3 and the item per item), then 12 once for
 * all tools; a description's final period is dropped. Nested object schemas are not walked.
 *
 * ## Example
 * ```ts
 * import { countPromptTokens } from 'rxjs-chat-stream';
 *
 * const messages = [
 *   { role: 'user' as const, content: 'Count to 100, with a comma between each number and no newlines. E.g., 1, 2, 3, ...' },
 * ];
 * console.log(countPromptTokens(messages, 'gpt-4o-mini'));
 * // Logs:
 * // 36
 * ```
 *
 * @see {@link countTokens}
 * @see {@link usage}
 *
 * @param messages The request's `messages`.
 * @param model The model name (it picks the encoding and the tool constants).
 * @param tools The request's `tools`, if any.
 * @param options `encoding`: count with this encoding, whatever the model.
 * @return The number of prompt tokens.
 */
export function countPromptTokens(
  messages: readonly ChatCompletionMessageParam[],
  model: string,
  tools?: readonly ChatCompletionTool[] | null,
  options?: EncodingOptions,
): number {
  if (!Array.isArray(messages)) throw new InvalidInputError('countPromptTokens() messages', messages, 'an array of messages');
  const encoding = encodingForModel(model, options);
  let encoder: BytePairEncoder | undefined;
  const count: Counter = (text) => (text.length === 0 ? 0 : (encoder ??= encoderFor(encoding)).count(text));
  let total = REPLY_PRIMING;
  for (const message of messages) total += countMessage(message, count);
  if (tools != null && tools.length > 0) {
    const functionInit = TOOL_COSTS[encoding].functionInit;
    for (const tool of tools) total += countTool(tool, count, functionInit);
    total += FUNCTION_END;
  }
  return total;
}
