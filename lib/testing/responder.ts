/**
 * The local server's scripted answers: deterministic replies to the prompts the docs and the
 * demo use, and an echo for anything else.
 * @internal
 */
import type { ChatCompletionMessageParam, ChatCompletionTool } from '../types.js';
import type { FinishReason, MockToolCall } from './completion.js';

/** A chat-completion request as the local server received it (the parsed JSON body). */
export interface MockChatRequest {
  model: string;
  messages: ChatCompletionMessageParam[];
  stream?: boolean | null;
  n?: number | null;
  tools?: ChatCompletionTool[];
  tool_choice?: unknown;
  stream_options?: { include_usage?: boolean; include_obfuscation?: boolean } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  [key: string]: unknown;
}

/** What the model says: a text, or text and/or tool calls. */
export interface MockReplyObject {
  content?: string;
  toolCalls?: readonly MockToolCall[];
  /** Default `'tool_calls'` with tool calls, else `'stop'` (`'length'` when `max_tokens` cut it). */
  finishReason?: FinishReason;
}

/** A reply: a plain text, or a {@link MockReplyObject}. */
export type MockReply = string | MockReplyObject;

/** The text of a message's content (a string, or the text parts of an array). */
export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) =>
        part !== null && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string'
          ? (part as { text: string }).text
          : '',
      )
      .join('');
  }
  return '';
}

/** The most numbers a count-to-N reply lists. */
const MAX_COUNT = 10_000;

function countReply(prompt: string): string | undefined {
  const match = /\bcount(?:\s+from\s+(-?\d+))?\s+(?:up\s+)?to\s+(-?\d[\d,]*)/i.exec(prompt);
  if (!match) return undefined;
  const from = match[1] === undefined ? 1 : Number(match[1]);
  const to = Number(match[2]!.replace(/,/g, ''));
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) return undefined;
  const step = to >= from ? 1 : -1;
  const length = Math.min(Math.abs(to - from) + 1, MAX_COUNT);
  return `${Array.from({ length }, (_, i) => from + i * step).join(', ')}.`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(6)));
}

function arithmeticReply(prompt: string): string | undefined {
  const match = /\bwhat(?:'s|’s|\s+is)\s+(-?\d+(?:\.\d+)?)\s*([-+*x×/÷])\s*(-?\d+(?:\.\d+)?)/i.exec(prompt);
  if (!match) return undefined;
  const a = Number(match[1]);
  const b = Number(match[3]);
  switch (match[2]) {
    case '+':
      return formatNumber(a + b);
    case '-':
      return formatNumber(a - b);
    case '*':
    case 'x':
    case 'X':
    case '×':
      return formatNumber(a * b);
    default:
      return b === 0 ? 'Undefined.' : formatNumber(a / b);
  }
}

/** Persian (and other Arabic-script) text. */
const PERSIAN = /[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]/;

/** The scripted text reply to a prompt. */
export function scriptedText(prompt: string): string {
  const trimmed = prompt.trim();
  if (trimmed === '') return 'Hello! How can I help you today?';
  const count = countReply(trimmed);
  if (count !== undefined) return count;
  const sum = arithmeticReply(trimmed);
  if (sum !== undefined) return sum;
  if (PERSIAN.test(trimmed)) return `سلام! این پاسخ آزمایشی سرور محلی است. شما نوشتید: «${trimmed}»`;
  return `You said: "${trimmed}"`;
}

/** A plausible value for a string argument: a capitalised word of the prompt (a place, a name), else its last word. */
function guessString(prompt: string): string {
  const words = prompt.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? [];
  const named = words.slice(1).filter((word) => /^\p{Lu}/u.test(word));
  return named.at(-1) ?? words.at(-1) ?? 'example';
}

/** Arguments for a tool from its JSON schema: enums take their first value, strings a word of the prompt. */
function argumentsFor(tool: ChatCompletionTool | undefined, prompt: string): Record<string, unknown> {
  const parameters = (tool as { function?: { parameters?: unknown } } | undefined)?.function?.parameters as
    | { properties?: Record<string, { type?: unknown; enum?: unknown[] }>; required?: unknown }
    | undefined;
  const properties = parameters?.properties ?? {};
  const names = Array.isArray(parameters?.required)
    ? (parameters.required as unknown[]).filter((name): name is string => typeof name === 'string')
    : Object.keys(properties);
  const number = /-?\d+(?:\.\d+)?/.exec(prompt);
  const args: Record<string, unknown> = {};
  for (const name of names) {
    const schema = properties[name] ?? {};
    const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
    if (Array.isArray(schema.enum) && schema.enum.length > 0) args[name] = schema.enum[0];
    else if (type === 'number' || type === 'integer') args[name] = number ? Number(number[0]) : 1;
    else if (type === 'boolean') args[name] = true;
    else if (type === 'array') args[name] = [];
    else if (type === 'object') args[name] = {};
    else args[name] = guessString(prompt);
  }
  return args;
}

function toolName(tool: ChatCompletionTool): string | undefined {
  const fn = (tool as { function?: { name?: unknown } }).function;
  return typeof fn?.name === 'string' ? fn.name : undefined;
}

/**
 * The scripted reply to a request: a tool call when the request offers tools (and the last
 * message is not a tool result), else text.
 */
export function scriptedReply(
  request: MockChatRequest,
  toolCall: MockToolCall | ((request: MockChatRequest) => MockToolCall | null | undefined) | undefined,
): MockReplyObject {
  const messages = request.messages;
  const last = messages.at(-1) as { role?: unknown; content?: unknown } | undefined;
  const lastUser = [...messages].reverse().find((m) => (m as { role?: unknown }).role === 'user');
  const prompt = messageText((lastUser as { content?: unknown } | undefined)?.content);
  if (last?.role === 'tool') return { content: `The tool returned: ${messageText(last.content)}` };

  const tools = (request.tools ?? []).filter((tool) => toolName(tool) !== undefined);
  if (tools.length > 0 && request.tool_choice !== 'none') {
    const chosen = typeof toolCall === 'function' ? toolCall(request) : toolCall;
    if (chosen) return { toolCalls: [chosen] };
    const forced = (request.tool_choice as { function?: { name?: unknown } } | undefined)?.function?.name;
    const tool = tools.find((t) => toolName(t) === forced) ?? tools[0]!;
    return { toolCalls: [{ name: toolName(tool)!, arguments: argumentsFor(tool, prompt) }] };
  }
  return { content: scriptedText(prompt) };
}

/**
 * A short thought before the answer, for the reasoning quirks: what a reasoning model might write
 * first. Quotes the prompt (at most 60 characters, without angle brackets, so that it never holds
 * a think tag).
 */
export function scriptedThought(request: MockChatRequest, reply: MockReplyObject): string {
  const lastUser = [...request.messages].reverse().find((m) => (m as { role?: unknown }).role === 'user');
  const prompt = messageText((lastUser as { content?: unknown } | undefined)?.content)
    .trim()
    .replace(/[<>]/g, '')
    .replace(/\s+/g, ' ');
  const quoted = prompt.length > 60 ? `${prompt.slice(0, 60)}…` : prompt;
  const call = reply.toolCalls?.[0];
  const plan = call === undefined ? 'I will answer briefly.' : `I should call ${call.name}.`;
  return `The user wrote "${quoted}". ${plan}`;
}
