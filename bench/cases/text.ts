/**
 * Case 7, text for people watching (issue 13):
 * - what measuring and re-cutting costs on top of the text: `fromSSE` + `contentDeltas` alone vs
 *   the same with `streamMetrics()` on the chunks and `textChunks({ by: 'word' })` on the text
 *   (one request, shared with `connect`), over the accumulate case's 30k-chunk stream;
 * - that `textChunks` is linear: 1 MB and 250 KB of text in 4-character deltas, for ordinary
 *   English prose (words found without `Intl.Segmenter`), Persian prose (every delta through the
 *   segmenter) and a text without a single space (a piece that never ends).
 */
import { connect, forkJoin, from, reduce } from 'rxjs';
import { pkg } from '../pkg.js';
import { CHAT_URL } from '../contenders.js';
import type { BenchContext, CaseResult } from '../context.js';
import { timeGroup, type Contender, type Group, type GroupResult } from '../harness.js';
import { englishProse, fakeFetch, persianProse, realisticChunks, wirePieces } from '../inputs.js';
import { deltasOf } from './usage.js';

const { contentDeltas, streamMetrics, textChunks, fromSSE } = pkg;

/** What the pipeline contenders compute: the text (checked equal) and, for ours, the metrics' counts. */
interface Watched {
  text: string;
  chunks: number;
}

/** The text contenders over one fake `fetch`: contentDeltas alone, and with metrics and words. */
export function watchContenders(fetchFn: typeof fetch): Array<Contender<Watched>> {
  const request = () => fromSSE((signal) => fetchFn(CHAT_URL, { signal }));
  const joined = reduce((text: string, piece: string) => text + piece, '');
  return [
    {
      name: 'contentDeltas alone (ours)',
      ours: true,
      run: () =>
        new Promise<Watched>((resolve, reject) => {
          request()
            .pipe(contentDeltas(), joined)
            .subscribe({ next: (text) => resolve({ text, chunks: -1 }), error: reject });
        }),
      check: (result) => result.text,
    },
    {
      name: 'contentDeltas + streamMetrics + textChunks(word) (ours)',
      ours: true,
      run: () =>
        new Promise<Watched>((resolve, reject) => {
          request()
            .pipe(
              connect((chunks) =>
                forkJoin({ metrics: chunks.pipe(streamMetrics()), text: chunks.pipe(contentDeltas(), textChunks({ by: 'word' }), joined) }),
              ),
            )
            .subscribe({ next: ({ metrics, text }) => resolve({ text, chunks: metrics.chunks }), error: reject });
        }),
      check: (result) => result.text,
      metrics: (result) => ({ chunks: result.chunks }),
    },
  ];
}

/** `text` through `textChunks` in 4-character deltas: the number of pieces, and whether they join to the text. */
function cut(deltas: readonly string[], text: string, by: 'word' | 'line'): { pieces: number; whole: boolean } {
  let pieces = 0;
  let at = 0;
  let whole = true;
  // Checked piece by piece against the text, so the run keeps nothing (a joined megabyte would
  // make the garbage collector's work, not the operator's, grow with the size).
  from(deltas)
    .pipe(textChunks({ by }))
    .subscribe((piece) => {
      pieces++;
      whole &&= text.startsWith(piece, at);
      at += piece.length;
    });
  return { pieces, whole: whole && at === text.length };
}

/** textChunks on 250 KB and on 1 MB of one kind of text: the ratio of the two is the linearity. */
function linearityGroup(kind: string, make: (bytes: number) => string, by: 'word' | 'line'): { group: Group; facts: Record<string, number> } {
  const small = make(256 * 1024);
  const large = make(1024 * 1024);
  const smallDeltas = deltasOf(small, 4);
  const largeDeltas = deltasOf(large, 4);
  return {
    facts: { [`${kind}: 1 MB characters`]: large.length },
    group: {
      id: `text/linearity-${kind}`,
      case: 'text',
      title: `textChunks({ by: '${by}' }) in 4-character deltas, ${kind}: 250 KB vs 1 MB`,
      reference: 'textChunks, 250 KB (ours)',
      rounds: 5,
      contenders: [
        { name: 'textChunks, 250 KB (ours)', ours: true, run: () => cut(smallDeltas, small, by), check: (r: { whole: boolean }) => r.whole },
        { name: 'textChunks, 1 MB (ours)', ours: true, run: () => cut(largeDeltas, large, by), check: (r: { whole: boolean }) => r.whole },
      ],
      note: 'The 1 MB run does 4x the work of the 250 KB one: a ratio near 4 is linear (the target is at most 4.5).',
    },
  };
}

/** A text of `bytes` UTF-8 bytes of Persian letters without a space or a line break. */
function unbroken(bytes: number): string {
  const letters = 'ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی';
  let text = '';
  const chunk = letters.repeat(64);
  while (text.length * 2 < bytes) text += chunk;
  return text.slice(0, bytes / 2);
}

export async function runText(context: BenchContext): Promise<CaseResult> {
  const tokens = context.quick ? 600 : 30_000;
  const { chunks } = realisticChunks(tokens, 2);
  const { pieces } = wirePieces(chunks);
  const fetchFn = fakeFetch(pieces);
  const groups: GroupResult[] = [];
  groups.push(
    await timeGroup(
      {
        id: 'text/pipeline',
        case: 'text',
        title: 'The text from bytes, alone and with streamMetrics + textChunks (one request, connect)',
        reference: 'contentDeltas alone (ours)',
        contenders: watchContenders(fetchFn),
        work: { amount: chunks.length, unit: 'chunks' },
      },
      context.timing,
    ),
  );
  const facts: Record<string, number> = { chunks: chunks.length };
  if (!context.quick) {
    const kinds = [
      linearityGroup('English prose', (bytes) => englishProse(bytes, 6), 'word'),
      linearityGroup('Persian prose', (bytes) => persianProse(bytes, 6), 'word'),
      linearityGroup('no space', unbroken, 'word'),
      linearityGroup('no line break', (bytes) => englishProse(bytes, 7).replace(/\n/g, ' '), 'line'),
    ];
    for (const { group, facts: more } of kinds) {
      groups.push(await timeGroup(group, context.timing));
      Object.assign(facts, more);
    }
  } else {
    const { group, facts: more } = linearityGroup('English prose', (bytes) => englishProse(bytes / 64, 6), 'word');
    groups.push(await timeGroup(group, context.timing));
    Object.assign(facts, more);
  }
  return { case: 'text', title: 'Text for people watching', facts, groups };
}
