import type { ChatCompletionMessageParam, ChatCompletionTool } from '../../lib/types.js';
import { countPromptTokens } from '../../lib/tokens/countPromptTokens.js';
import { countTokens } from '../../lib/tokens/countTokens.js';
import { COUNT_TO_100_PROMPT } from './helpers.js';
import { InvalidInputError } from '../../lib/errors.js';

// The OpenAI cookbook's "How to count tokens with tiktoken", section 6: counts the API confirmed.
const JARGON: ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
  { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
  { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
  { role: 'system', name: 'example_user', content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
  { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
  { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
];

// Section 7: its tool and messages.
const WEATHER_TOOLS: ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_current_weather',
      description: 'Get the current weather in a given location',
      parameters: {
        type: 'object',
        properties: {
          location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
          unit: { type: 'string', description: 'The unit of temperature to return', enum: ['celsius', 'fahrenheit'] },
        },
        required: ['location'],
      },
    },
  },
];
const WEATHER_MESSAGES: ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are a helpful assistant that can answer to questions about the weather.' },
  { role: 'user', content: "What's the weather like in San Francisco?" },
];

describe('countPromptTokens', () => {
  it("should count the cookbook's corporate-jargon messages as 129 (gpt-3.5-turbo, gpt-4) and 124 (gpt-4o, gpt-4o-mini)", () => {
    expect(countPromptTokens(JARGON, 'gpt-3.5-turbo')).toBe(129);
    expect(countPromptTokens(JARGON, 'gpt-4')).toBe(129);
    expect(countPromptTokens(JARGON, 'gpt-4-0613')).toBe(129);
    expect(countPromptTokens(JARGON, 'gpt-4o')).toBe(124);
    expect(countPromptTokens(JARGON, 'gpt-4o-mini')).toBe(124);
  });

  it("should count the cookbook's weather tool and messages as 105 (gpt-3.5-turbo, gpt-4) and 101 (gpt-4o, gpt-4o-mini)", () => {
    expect(countPromptTokens(WEATHER_MESSAGES, 'gpt-3.5-turbo', WEATHER_TOOLS)).toBe(105);
    expect(countPromptTokens(WEATHER_MESSAGES, 'gpt-4', WEATHER_TOOLS)).toBe(105);
    expect(countPromptTokens(WEATHER_MESSAGES, 'gpt-4o', WEATHER_TOOLS)).toBe(101);
    expect(countPromptTokens(WEATHER_MESSAGES, 'gpt-4o-mini', WEATHER_TOOLS)).toBe(101);
  });

  it("should count the streaming notebook's prompt as 36 tokens (gpt-3.5-turbo and gpt-4o-mini)", () => {
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: COUNT_TO_100_PROMPT }];
    expect(countPromptTokens(messages, 'gpt-3.5-turbo')).toBe(36);
    expect(countPromptTokens(messages, 'gpt-4o-mini')).toBe(36);
  });

  it('should follow the formula: 3 per message, every string field, 1 more per name, 3 for the reply', () => {
    const t = (text: string): number => countTokens(text, 'gpt-4o');
    expect(countPromptTokens([], 'gpt-4o')).toBe(3);
    expect(countPromptTokens([{ role: 'user', content: 'Hi there' }], 'gpt-4o')).toBe(3 + t('user') + t('Hi there') + 3);
    expect(countPromptTokens([{ role: 'user', name: 'ada', content: 'Hi' }], 'gpt-4o')).toBe(3 + t('user') + t('ada') + 1 + t('Hi') + 3);
    expect(countPromptTokens([{ role: 'tool', tool_call_id: 'call_1', content: '{"ok":true}' }], 'gpt-4o')).toBe(
      3 + t('tool') + t('call_1') + t('{"ok":true}') + 3,
    );
  });

  it('should count the text parts of array content, and not images, audio or files', () => {
    const t = (text: string): number => countTokens(text, 'gpt-4o');
    const messages: ChatCompletionMessageParam[] = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this image?' },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
          { type: 'text', text: ' And this one?' },
        ],
      },
    ];
    expect(countPromptTokens(messages, 'gpt-4o')).toBe(3 + t('user') + t('What is in this image?') + t(' And this one?') + 3);
  });

  it("should count an assistant message's tool calls by their names and arguments, and refusal parts", () => {
    const t = (text: string): number => countTokens(text, 'gpt-4o');
    const messages: ChatCompletionMessageParam[] = [
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_current_weather', arguments: '{"location":"Paris"}' } }],
      },
      { role: 'assistant', content: [{ type: 'refusal', refusal: 'I cannot.' }] },
    ];
    expect(countPromptTokens(messages, 'gpt-4o')).toBe(
      3 + t('assistant') + t('get_current_weather') + t('{"location":"Paris"}') + 3 + t('assistant') + t('I cannot.') + 3,
    );
  });

  it('should apply the tool constants: function 7 or 10, properties 3, each 3, enum -3 and 3 per item, end 12', () => {
    const tools: ChatCompletionTool[] = [
      { type: 'function', function: { name: 'ping', description: 'Ping.' } },
      { type: 'function', function: { name: 'pong', parameters: { type: 'object', properties: { n: { type: 'integer', enum: [1, 2] } } } } },
    ];
    const for4o = (text: string): number => countTokens(text, 'gpt-4o');
    const expected4o =
      3 + (7 + for4o('ping:Ping')) + (7 + for4o('pong:') + 3 + 3 + -3 + (3 + for4o('1')) + (3 + for4o('2')) + for4o('n:integer:')) + 12;
    expect(countPromptTokens([], 'gpt-4o', tools)).toBe(expected4o);
    const for4 = (text: string): number => countTokens(text, 'gpt-4');
    const expected4 =
      3 + (10 + for4('ping:Ping')) + (10 + for4('pong:') + 3 + 3 + -3 + (3 + for4('1')) + (3 + for4('2')) + for4('n:integer:')) + 12;
    expect(countPromptTokens([], 'gpt-4', tools)).toBe(expected4);
    expect(countPromptTokens([], 'gpt-4o', [])).toBe(3);
    expect(countPromptTokens([], 'gpt-4o', null)).toBe(3);
  });

  it('should count special-token strings in messages as text', () => {
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: '<|endoftext|>' }];
    expect(countPromptTokens(messages, 'gpt-4o')).toBe(3 + 1 + 7 + 3);
  });

  it('should throw an InvalidInputError for messages that are not an array of objects', () => {
    expect(() => countPromptTokens('hi' as unknown as ChatCompletionMessageParam[], 'gpt-4o')).toThrow(InvalidInputError);
    expect(() => countPromptTokens([null] as unknown as ChatCompletionMessageParam[], 'gpt-4o')).toThrow(InvalidInputError);
  });
});
