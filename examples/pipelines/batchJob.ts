/**
 * Recipe (docs/pipelines.md): a batch job. Thousands of prompts, read lazily, 20 at a time,
 * within the account's limits; one line per result; failures kept for a second pass.
 */
import { lastValueFrom, tap } from 'rxjs';
import { streamMany, type ChatCompletionsClient, type StreamManyProgress } from '../../lib/index.js';

export interface Summary {
  answered: number;
  failed: number[];
  tokens: number;
}

/** The requests, made lazily: a generator is read one request at a time, as slots free up. */
function* questions(topics: Iterable<string>) {
  for (const topic of topics) {
    yield {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user' as const, content: `One sentence about ${topic}.` }],
      max_completion_tokens: 100, // what the token budget charges, with the prompt
      stream_options: { include_usage: true }, // the server's usage, not a count
    };
  }
}

export async function runBatchJob(
  client: ChatCompletionsClient,
  topics: Iterable<string>,
  write: (line: string) => void,
  onProgress: (progress: StreamManyProgress) => void = () => undefined,
): Promise<Summary> {
  const summary: Summary = { answered: 0, failed: [], tokens: 0 };
  await lastValueFrom(
    streamMany(questions(topics), {
      client,
      concurrency: 20,
      requestsPerMinute: 500,
      tokensPerMinute: 200_000,
      retry: { count: 4 }, // 429s and 5xx before output; never a stream cut mid-answer
      timeout: { first: 30_000, idle: 15_000 },
      progress: onProgress,
    }).pipe(
      tap((result) => {
        if ('error' in result) {
          summary.failed.push(result.index);
          write(JSON.stringify({ index: result.index, error: String(result.error) }));
        } else {
          summary.answered++;
          summary.tokens += result.usage.total_tokens;
          write(JSON.stringify({ index: result.index, answer: result.completion.choices[0]?.message.content, usage: result.usage }));
        }
      }),
    ),
    { defaultValue: undefined },
  );
  return summary;
}
