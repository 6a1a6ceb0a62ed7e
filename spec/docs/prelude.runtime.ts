/**
 * The conventional names of `prelude.d.ts`, defined for the examples that run (imported first by
 * each): a client of the local server (`OPENAI_BASE_URL`, `OPENAI_API_KEY` are set by the runner),
 * a request, a shared stream of chunks, and no-op app functions.
 */
import OpenAI from 'openai';
import { share } from 'rxjs';
import { fromChatCompletion } from '../../lib/index.js';
import { buildChunks } from '../../lib/testing/index.js';

const client = new OpenAI({ maxRetries: 0 });
const messages = [{ role: 'user' as const, content: 'Say hello' }];
const request = { model: 'gpt-4o-mini', messages, stream: true as const, stream_options: { include_usage: true } };
const noop = (): void => undefined;

Object.assign(globalThis, {
  client,
  messages,
  model: 'gpt-4o-mini',
  tools: [],
  request,
  params: request,
  apiKey: 'doc-test',
  chunk: buildChunks('Hi')[1],
  chunks$: fromChatCompletion(client, request).pipe(share()),
  render: noop,
  save: noop,
  saveDraft: noop,
  showProgress: noop,
  progress: { set: noop },
  output: { append: noop },
});
