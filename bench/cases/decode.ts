/**
 * Case 1, decode + parse: wire bytes (16 KiB reads) of a long stream in today's format to parsed
 * chunks, each folded into the same tally: `fromSSE` vs the openai SDK's stream vs
 * eventsource-parser + JSON.parse vs the hand-written floor.
 */
import { CHAT_URL, PARAMS, eventsourceParserParse, floorParse, newTally, openaiClient, tally, type Tally } from '../contenders.js';
import type { BenchContext, CaseResult } from '../context.js';
import { timeGroup, type Contender, type Group } from '../harness.js';
import { fakeFetch, realisticChunks, wirePieces } from '../inputs.js';
import { pkg } from '../pkg.js';

const { fromSSE } = pkg;

/** The four decoders over one fake `fetch`. */
export function decodeContenders(fetchFn: typeof fetch): Array<Contender<Tally>> {
  const client = openaiClient(fetchFn);
  return [
    {
      name: 'fromSSE (ours)',
      ours: true,
      run: () =>
        new Promise<Tally>((resolve, reject) => {
          const state = newTally();
          fromSSE((signal) => fetchFn(CHAT_URL, { signal })).subscribe({
            next: (chunk) => tally(state, chunk),
            error: reject,
            complete: () => resolve(state),
          });
        }),
    },
    {
      name: 'openai SDK stream',
      run: async () => {
        const state = newTally();
        const stream = await client.chat.completions.create(PARAMS);
        for await (const chunk of stream) tally(state, chunk);
        return state;
      },
    },
    {
      name: 'eventsource-parser + JSON.parse',
      run: async () => {
        const state = newTally();
        const response = await fetchFn(CHAT_URL);
        await eventsourceParserParse(response.body!, (chunk) => tally(state, chunk));
        return state;
      },
    },
    {
      name: 'floor (split + JSON.parse)',
      run: async () => {
        const state = newTally();
        const response = await fetchFn(CHAT_URL);
        await floorParse(response.body!, (chunk) => tally(state, chunk));
        return state;
      },
    },
  ];
}

export async function runDecode(context: BenchContext): Promise<CaseResult> {
  const tokens = context.quick ? 600 : 30_000;
  const { chunks } = realisticChunks(tokens, 1);
  const { bytes, pieces } = wirePieces(chunks);
  const group: Group = {
    id: 'decode',
    case: 'decode',
    title: 'Decode + parse: bytes → chunks',
    contenders: decodeContenders(fakeFetch(pieces)),
    work: { amount: chunks.length, unit: 'chunks' },
  };
  return {
    case: 'decode',
    title: 'Decode + parse',
    facts: { chunks: chunks.length, 'wire MB': +(bytes / 1048576).toFixed(2), 'read size': '16 KiB' },
    groups: [await timeGroup(group, context.timing)],
  };
}
