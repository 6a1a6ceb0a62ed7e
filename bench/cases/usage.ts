/**
 * Case 4, usage and token counting:
 * - `usage()` and `runningTokens` over a 100k-token reply (no usage chunk: counted) vs one
 *   `countTokens` of the whole text;
 * - tokens per second of `countTokens` on 1 MiB of English and of Persian prose, beside
 *   js-tiktoken's `encode` and gpt-tokenizer's `countTokens` (same counts checked);
 * - the first use of each encoding (rank loading), in a child process so the cache is cold.
 */
import { countTokens as gptTokenizerO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { Tiktoken } from 'js-tiktoken/lite';
import o200kRanks from 'js-tiktoken/ranks/o200k_base';
import { from, reduce, type Observable } from 'rxjs';
import type { ChatCompletion, ChatCompletionChunk } from '../../lib/types.js';
import { runChild } from '../child-process.js';
import { assertSameResults } from '../compare.js';
import type { BenchContext, CaseResult } from '../context.js';
import { median, timeGroup, type ContenderResult, type Group, type GroupResult } from '../harness.js';
import { englishProse, longReplyChunks, MODEL, persianProse } from '../inputs.js';
import { pkg } from '../pkg.js';

const { runningTokens, toChatCompletion, usage, countTokens } = pkg;

/** `text` cut into deltas of `size` characters (as `contentDeltas` would give them). */
export function deltasOf(text: string, size: number): string[] {
  const deltas: string[] = [];
  for (let i = 0; i < text.length; i += size) deltas.push(text.slice(i, i + size));
  return deltas;
}

/** The floor's reducer: the content of choice 0 appended, nothing checked. */
function appendContent(text: string, chunk: ChatCompletionChunk): string {
  const content = chunk.choices[0]?.delta.content;
  return typeof content === 'string' ? text + content : text;
}

function last<T>(source: Observable<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let value: T | undefined;
    let seen = false;
    source.subscribe({
      next: (v) => {
        value = v;
        seen = true;
      },
      error: reject,
      complete: () => (seen ? resolve(value as T) : reject(new Error('no value'))),
    });
  });
}

/** The 100k-token reply: `usage()` and `runningTokens` vs one `countTokens`. */
export function usageGroup(tokens: number): { group: Group; facts: Record<string, number> } {
  const text = englishProse(Math.round(tokens * 4.6), 4);
  const chunks = longReplyChunks(text, 4);
  const deltas = deltasOf(text, 4);
  const counted = countTokens(text, MODEL);
  return {
    facts: { 'reply tokens': counted, 'reply chunks': chunks.length, '4-char deltas': deltas.length },
    group: {
      id: 'usage/reply',
      case: 'usage',
      title: `Usage of a ${Math.round(counted / 1000)}k-token reply (no usage chunk: counted)`,
      reference: 'countTokens(whole text) (ours)',
      work: { amount: counted, unit: 'tokens' },
      contenders: [
        { name: 'countTokens(whole text) (ours)', ours: true, run: () => countTokens(text, MODEL) },
        {
          name: 'usage() over the chunks (ours)',
          ours: true,
          run: async () => (await last(from(chunks).pipe(usage()))).completion_tokens,
        },
        {
          // What usage() costs before it counts: the same merge, no count (its content counted
          // only to check it, outside the timing).
          name: 'toChatCompletion() over the chunks, the merge alone (ours)',
          ours: true,
          run: () => last(from(chunks).pipe(toChatCompletion())),
          check: (completion: ChatCompletion) => countTokens(completion.choices[0]?.message.content ?? '', MODEL),
        },
        {
          // The floor of usage() for any merge: rxjs delivers the chunks, each one's content is read
          // and appended, one count. No check of any field, so nothing a merge must do; what
          // usage() costs beyond it is the merge's checks and bookkeeping.
          name: 'floor: read each content + one countTokens, no merge',
          run: async () => countTokens(await last(from(chunks).pipe(reduce(appendContent, ''))), MODEL),
        },
        {
          name: 'runningTokens in 4-char deltas (ours)',
          ours: true,
          run: () => last(from(deltas).pipe(runningTokens(MODEL))),
        },
      ],
    },
  };
}

/** Tokens per second on ordinary prose, three tokenisers, the same count checked. */
export function tokensPerSecondGroup(language: 'English' | 'Persian', bytes: number): { group: Group; facts: Record<string, number> } {
  const text = language === 'English' ? englishProse(bytes, 5) : persianProse(bytes, 5);
  const tiktoken = new Tiktoken(o200kRanks);
  const counted = countTokens(text, MODEL);
  return {
    facts: { [`${language} text bytes`]: new TextEncoder().encode(text).length, [`${language} text tokens`]: counted },
    group: {
      id: `usage/tokens-per-second-${language.toLowerCase()}`,
      case: 'usage',
      title: `countTokens on ${(bytes / 1048576).toFixed(bytes < 1048576 ? 2 : 0)} MiB of ${language} prose (o200k_base)`,
      work: { amount: counted, unit: 'tokens' },
      contenders: [
        { name: 'countTokens (ours)', ours: true, run: () => countTokens(text, MODEL) },
        { name: 'js-tiktoken encode().length', run: () => tiktoken.encode(text).length },
        { name: 'gpt-tokenizer countTokens', run: () => gptTokenizerO200k(text) },
      ],
    },
  };
}

/** What the child reports for one cold first use. */
interface FirstUse {
  ms: number;
  heapMB: number;
  rssMB: number;
  tokens: number;
}

const FIRST_USE_CONTENDERS = ['ours', 'js-tiktoken', 'gpt-tokenizer'] as const;
const FIRST_USE_NAMES: Record<(typeof FIRST_USE_CONTENDERS)[number], string> = {
  ours: 'countTokens first call (ours)',
  'js-tiktoken': 'js-tiktoken new Tiktoken(ranks)',
  'gpt-tokenizer': 'gpt-tokenizer import of the encoding',
};

/** The first use of each encoding, measured in fresh child processes (`repeats` each, medians). */
export async function firstUseGroups(repeats: number, log: (line: string) => void): Promise<GroupResult[]> {
  const groups: GroupResult[] = [];
  for (const encoding of ['o200k_base', 'cl100k_base'] as const) {
    const runs = new Map<string, FirstUse[]>(FIRST_USE_CONTENDERS.map((name) => [name, []]));
    for (let r = 0; r < repeats; r++) {
      for (const contender of FIRST_USE_CONTENDERS) {
        runs.get(contender)!.push(await runChild<FirstUse>(['first-use', contender, encoding]));
      }
      log(`  usage/first-use-${encoding}: round ${r + 1}/${repeats}`);
    }
    assertSameResults(
      `usage/first-use-${encoding}`,
      FIRST_USE_CONTENDERS.flatMap((contender) => runs.get(contender)!.map((m) => ({ name: contender, value: m.tokens }))),
    );
    const reference = median(runs.get('ours')!.map((m) => m.ms));
    groups.push({
      id: `usage/first-use-${encoding}`,
      case: 'usage',
      title: `First use of ${encoding} (cold, in a child process; MB = heap retained after GC)`,
      reference: FIRST_USE_NAMES.ours,
      rounds: repeats,
      clock: 'wall',
      checked: true,
      contenders: FIRST_USE_CONTENDERS.map((contender): ContenderResult => {
        const measured = runs.get(contender)!;
        const times = measured.map((m) => m.ms);
        const medianMs = median(times);
        return {
          name: FIRST_USE_NAMES[contender],
          ours: contender === 'ours',
          samples: times,
          medianMs,
          minMs: Math.min(...times),
          maxMs: Math.max(...times),
          wallMedianMs: medianMs,
          ratio: medianMs / reference,
          metrics: { rssMB: median(measured.map((m) => m.rssMB)) },
          mb: median(measured.map((m) => m.heapMB)),
        };
      }),
    });
  }
  return groups;
}

export async function runUsage(context: BenchContext): Promise<CaseResult> {
  const reply = usageGroup(context.quick ? 2_000 : 100_000);
  const bytes = context.quick ? 16 * 1024 : 1024 * 1024;
  const english = tokensPerSecondGroup('English', bytes);
  const persian = tokensPerSecondGroup('Persian', bytes);
  const groups: GroupResult[] = [];
  groups.push(await timeGroup(reply.group, context.timing));
  const tokenTiming = { ...context.timing, rounds: Math.min(context.timing.rounds, 7) };
  groups.push(await timeGroup(english.group, tokenTiming));
  groups.push(await timeGroup(persian.group, tokenTiming));
  groups.push(...(await firstUseGroups(context.quick ? 1 : 3, context.log)));
  return {
    case: 'usage',
    title: 'Usage and token counting',
    facts: { ...reply.facts, ...english.facts, ...persian.facts },
    groups,
  };
}
