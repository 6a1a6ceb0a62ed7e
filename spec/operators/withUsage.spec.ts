import { TestScheduler } from 'rxjs/testing';
import { lastValueFrom, of } from 'rxjs';
import { InvalidInputError } from '../../lib/errors.js';
import { withUsage } from '../../lib/operators/withUsage.js';
import { countPromptTokens } from '../../lib/tokens/countPromptTokens.js';
import { countTokens } from '../../lib/tokens/countTokens.js';
import type { UsageRequest } from '../../lib/tokens/estimateUsage.js';
import type { ChatCompletion, CompletionUsage } from '../../lib/types.js';

const request: UsageRequest = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello to the world' }] };

function completion(content: string, usage?: CompletionUsage): ChatCompletion {
  const value: ChatCompletion = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
  };
  if (usage !== undefined) value.usage = usage;
  return value;
}

const counted = (content: string, withPrompt: boolean): CompletionUsage => {
  const prompt = withPrompt ? countPromptTokens(request.messages ?? [], 'gpt-4o-mini') : 0;
  const output = countTokens(content, 'gpt-4o-mini');
  return { prompt_tokens: prompt, completion_tokens: output, total_tokens: prompt + output };
};

describe('withUsage', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should fill in the usage of a completion that has none, counted from the request and the text', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const c = completion('Hello, world!');
      const e1 = cold('  --c--|', { c });
      const e1subs = '   ^----!';
      const expected = ' --d--|';

      expectObservable(e1.pipe(withUsage(request))).toBe(expected, { d: { ...c, usage: counted('Hello, world!', true) } });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should count the completion alone without a request', async () => {
    const filled = await lastValueFrom(of(completion('Hello, world!')).pipe(withUsage()));
    expect(filled.usage).toEqual(counted('Hello, world!', false));
  });

  it("should pass a completion with the server's usage untouched, the same object", async () => {
    const sent = completion('Hi', { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    await expect(lastValueFrom(of(sent).pipe(withUsage(request)))).resolves.toBe(sent);
  });

  it('should not mutate the completion it fills', async () => {
    const c = completion('Hi');
    const filled = await lastValueFrom(of(c).pipe(withUsage(request)));
    expect(filled).not.toBe(c);
    expect(c).not.toHaveProperty('usage');
  });

  it('should emit nothing for an empty source, and never for never', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<ChatCompletion>('|').pipe(withUsage())).toBe('|');
      expectObservable(cold<ChatCompletion>('-').pipe(withUsage())).toBe('-');
    });
  });

  it('should pass an error of the source through', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletion>('  --#', undefined, new Error('boom'));
      const e1subs = '   ^-!';
      expectObservable(e1.pipe(withUsage())).toBe('--#', undefined, new Error('boom'));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should stop when unsubscribed early', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const c = completion('Hi');
      const e1 = cold('  --c--c--|', { c });
      const unsub = '    ---!';
      const e1subs = '   ^--!';
      expectObservable(e1.pipe(withUsage()), unsub).toBe('--d', { d: { ...c, usage: counted('Hi', false) } });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should error with an InvalidInputError for a value that is not a completion', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -x-|', { x: 42 as unknown as ChatCompletion });
      expectObservable(e1.pipe(withUsage())).toBe('-#', undefined, expect.any(InvalidInputError));
    });
  });
});
