import type { ChatCompletion, ChatCompletionCreateParamsStreaming } from '../../lib/types.js';
import { countPromptTokens } from '../../lib/tokens/countPromptTokens.js';
import { countTokens } from '../../lib/tokens/countTokens.js';
import { estimateUsageFor, type UsageRequest } from '../../lib/tokens/estimateUsage.js';
import { describeShared, recordedStreams } from '../helpers/sharedFixtures.js';
import { COUNT_TO_100_PROMPT, COUNT_TO_100_REPLY } from './helpers.js';

function completion(model: string, ...messages: Array<Record<string, unknown>>): ChatCompletion {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 0,
    model,
    choices: messages.map((message, index) => ({
      index,
      message: { role: 'assistant', content: null, refusal: null, ...message },
      finish_reason: 'stop',
      logprobs: null,
    })),
  } as ChatCompletion;
}

describe('estimateUsageFor', () => {
  it("should reproduce the streaming notebook's usage: 36 / 299 / 335 (gpt-3.5-turbo and gpt-4o-mini)", () => {
    for (const model of ['gpt-3.5-turbo', 'gpt-4o-mini']) {
      const request: ChatCompletionCreateParamsStreaming = {
        model,
        messages: [{ role: 'user', content: COUNT_TO_100_PROMPT }],
        temperature: 0,
        stream: true,
      };
      expect(estimateUsageFor(completion(model, { content: COUNT_TO_100_REPLY }), request)).toEqual({
        prompt_tokens: 36,
        completion_tokens: 299,
        total_tokens: 335,
      });
    }
  });

  it('should count only the completion without a request (prompt_tokens 0), with the completion model', () => {
    const result = estimateUsageFor(completion('gpt-4', { content: 'お誕生日おめでとう' }));
    expect(result).toEqual({ prompt_tokens: 0, completion_tokens: 9, total_tokens: 9 });
  });

  it('should prefer the model the stream reported, else the request model, for the encoding', () => {
    const text = 'お誕生日おめでとう'; // 8 tokens in o200k_base, 9 in cl100k_base
    expect(estimateUsageFor(completion('gpt-4o', { content: text }), { model: 'gpt-4' }).completion_tokens).toBe(8);
    expect(estimateUsageFor(completion('', { content: text }), { model: 'gpt-4' }).completion_tokens).toBe(9);
    expect(estimateUsageFor(completion('gpt-4o', { content: text }), { encoding: 'cl100k_base' }).completion_tokens).toBe(9);
  });

  it('should count every choice, refusals (+1), tool calls (+7 each) and reasoning text', () => {
    const t = (text: string): number => countTokens(text, 'gpt-4o');
    const result = estimateUsageFor(
      completion(
        'gpt-4o',
        { content: 'Hello there' },
        { refusal: "I can't help with that." },
        { tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { content: 'Done', reasoning_content: 'Let me think. 2+2=4.' },
      ),
    );
    const completionTokens =
      t('Hello there') + t("I can't help with that.") + 1 + 7 + t('get_weather') + t('{"city":"Paris"}') + t('Done') + t('Let me think. 2+2=4.');
    expect(result).toEqual({
      prompt_tokens: 0,
      completion_tokens: completionTokens,
      total_tokens: completionTokens,
      completion_tokens_details: { reasoning_tokens: t('Let me think. 2+2=4.') },
    });
  });

  it('should count the prompt with the tools of the request', () => {
    const request: UsageRequest = {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Get the weather.' } }],
    };
    const result = estimateUsageFor(completion('gpt-4o', { content: 'Sunny' }), request);
    expect(result.prompt_tokens).toBe(countPromptTokens(request.messages ?? [], 'gpt-4o', request.tools));
    expect(result.total_tokens).toBe(result.prompt_tokens + result.completion_tokens);
  });

  describeShared('on the recorded streams of ../shared/fixtures', () => {
    it("should match the server's completion_tokens on recorded OpenAI streams of non-reasoning models", () => {
      const checked: string[] = [];
      for (const { name, expected } of recordedStreams()) {
        const server = expected.usage;
        if (server === undefined || !name.startsWith('openai-gpt4')) continue;
        const ours = estimateUsageFor(expected).completion_tokens;
        // Known gaps: parallel tool calls are wrapped in a multi_tool_use call (60 reported, 52
        // counted); this gpt-4o-mini reply is reported 1 token above its text.
        const gap = name === 'openai-gpt4o-parallel-tool-calls' ? -8 : name === 'openai-gpt4o-mini-text' ? -1 : 0;
        expect([name, ours - server.completion_tokens]).toEqual([name, gap]);
        checked.push(name);
      }
      expect(checked.length).toBeGreaterThanOrEqual(14);
    });
  });
});
