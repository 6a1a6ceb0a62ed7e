/**
 * Case 2, accumulate: what users would pick instead to get the answer out of a stream.
 * - the finished completion: `fromSSE` + `toChatCompletion()` vs the SDK's
 *   `chat.completions.stream(…).finalChatCompletion()`, beside the floor;
 * - the text: `fromSSE` + `contentDeltas()` joined vs a raw `for await` over the SDK stream vs
 *   the Vercel AI SDK's `streamText(…).textStream`, beside the floor.
 */
import type { ChatCompletion } from '../../lib/types.js';
import { CHAT_URL, PARAMS, floorParse, newTally, openaiClient, tally, vercelText } from '../contenders.js';
import type { BenchContext, CaseResult } from '../context.js';
import { timeGroup, type Contender, type Group } from '../harness.js';
import { fakeFetch, realisticChunks, wirePieces } from '../inputs.js';
import { pkg } from '../pkg.js';

const { fromSSE, contentDeltas, toChatCompletion } = pkg;

/** What is compared for a finished answer. */
export interface Answer {
  content: string | null;
  finish: string | null;
  totalTokens: number | null;
}

function answerOf(completion: ChatCompletion): Answer {
  const choice = completion.choices[0];
  return {
    content: choice?.message.content ?? null,
    finish: choice?.finish_reason ?? null,
    totalTokens: completion.usage?.total_tokens ?? null,
  };
}

async function floorAnswer(fetchFn: typeof fetch): Promise<Answer> {
  const state = newTally();
  const response = await fetchFn(CHAT_URL);
  await floorParse(response.body!, (chunk) => tally(state, chunk));
  return { content: state.content, finish: state.finish, totalTokens: state.totalTokens };
}

/** The finished-completion contenders over one fake `fetch`. */
export function completionContenders(fetchFn: typeof fetch): Array<Contender<Answer>> {
  const client = openaiClient(fetchFn);
  return [
    {
      name: 'toChatCompletion (ours)',
      ours: true,
      run: () =>
        new Promise<Answer>((resolve, reject) => {
          fromSSE((signal) => fetchFn(CHAT_URL, { signal }))
            .pipe(toChatCompletion())
            .subscribe({ next: (completion) => resolve(answerOf(completion)), error: reject });
        }),
    },
    {
      name: 'openai SDK finalChatCompletion()',
      run: async () => answerOf(await client.chat.completions.stream(PARAMS).finalChatCompletion()),
    },
    { name: 'floor (split + JSON.parse)', run: () => floorAnswer(fetchFn) },
  ];
}

/** The text contenders over one fake `fetch`. */
export function textContenders(fetchFn: typeof fetch): Array<Contender<string>> {
  const client = openaiClient(fetchFn);
  return [
    {
      name: 'contentDeltas (ours)',
      ours: true,
      run: () =>
        new Promise<string>((resolve, reject) => {
          let text = '';
          fromSSE((signal) => fetchFn(CHAT_URL, { signal }))
            .pipe(contentDeltas())
            .subscribe({
              next: (delta) => {
                text += delta;
              },
              error: reject,
              complete: () => resolve(text),
            });
        }),
    },
    {
      name: 'openai SDK for await',
      run: async () => {
        let text = '';
        for await (const chunk of await client.chat.completions.create(PARAMS)) {
          const content = chunk.choices[0]?.delta.content;
          if (content) text += content;
        }
        return text;
      },
    },
    { name: 'Vercel AI SDK textStream', run: () => vercelText(fetchFn) },
    { name: 'floor (split + JSON.parse)', run: async () => (await floorAnswer(fetchFn)).content ?? '' },
  ];
}

export async function runAccumulate(context: BenchContext): Promise<CaseResult> {
  const tokens = context.quick ? 600 : 30_000;
  const { chunks } = realisticChunks(tokens, 2);
  const { pieces } = wirePieces(chunks);
  const fetchFn = fakeFetch(pieces);
  const work = { amount: chunks.length, unit: 'chunks' };
  const completion: Group = {
    id: 'accumulate/completion',
    case: 'accumulate',
    title: 'The finished ChatCompletion, from bytes',
    contenders: completionContenders(fetchFn),
    work,
  };
  const text: Group = {
    id: 'accumulate/text',
    case: 'accumulate',
    title: 'The text, from bytes',
    contenders: textContenders(fetchFn),
    work,
  };
  return {
    case: 'accumulate',
    title: 'Accumulate',
    facts: { chunks: chunks.length },
    groups: [await timeGroup(completion, context.timing), await timeGroup(text, context.timing)],
  };
}
