/**
 * Recipe (docs/pipelines.md): a service that must not hang. Each answer has time limits, is
 * retried when the request failed before its first chunk (never after: no duplicated text), and
 * a failure still hands over what came.
 */
import { firstValueFrom } from 'rxjs';
import {
  fromChatCompletion,
  retryStream,
  streamTimeout,
  toChatCompletion,
  ChatStreamError,
  StreamTimeoutError,
  type ChatCompletionsClient,
} from '../../lib/index.js';

export interface Answer {
  text: string;
  /** False when the stream failed after it began: `text` is what came. */
  complete: boolean;
}

export async function ask(client: ChatCompletionsClient, question: string): Promise<Answer> {
  const request = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: question }] };
  try {
    const completion = await firstValueFrom(
      fromChatCompletion(client, request).pipe(
        streamTimeout({ first: 10_000, idle: 5_000, total: 120_000 }), // before retryStream: a slow first chunk is retried
        retryStream({ count: 3, maxDelay: 10_000 }), // give the SDK maxRetries: 0
        toChatCompletion(), // attaches `partial` to any error once output began
      ),
    );
    return { text: completion.choices[0]?.message.content ?? '', complete: true };
  } catch (error) {
    const partial = (error as ChatStreamError).partial?.choices[0]?.message.content;
    if (partial) return { text: partial, complete: false };
    if (error instanceof StreamTimeoutError) throw new Error(`the model did not answer in time (${error.phase})`, { cause: error });
    throw error;
  }
}
