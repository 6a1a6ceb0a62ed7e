/**
 * Case 6, memory: a stream of 1,000,000 chunks, generated lazily, through `contentDeltas` (the
 * heap must stay flat) and `toChatCompletion` (it grows with the content only), beside the openai
 * SDK's raw loop and its `finalChatCompletion()`. Each contender runs alone in a child process
 * with `--expose-gc`; the heap is sampled after a full GC every 5 % of the stream.
 */
import { runChild } from '../child-process.js';
import { BenchMismatchError } from '../compare.js';
import type { BenchContext, CaseResult } from '../context.js';
import type { ContenderResult, GroupResult } from '../harness.js';
import { MEMORY_CONTENDERS, type MemoryContender, type MemoryReport } from './memoryChild.js';

const NAMES: Record<MemoryContender, string> = {
  contentDeltas: 'fromSSE + contentDeltas (ours)',
  toChatCompletion: 'fromSSE + toChatCompletion (ours)',
  'sdk-for-await': 'openai SDK for await (deltas only)',
  'sdk-finalChatCompletion': 'openai SDK finalChatCompletion()',
};

export async function runMemory(context: BenchContext): Promise<CaseResult> {
  const total = context.quick ? 20_000 : 1_000_000;
  const reports: MemoryReport[] = [];
  for (const contender of MEMORY_CONTENDERS) {
    context.log(`  memory: ${contender} over ${total} chunks (child process)…`);
    const report = await runChild<MemoryReport>(['memory', contender, String(total)]);
    if (report.computed !== report.contentChars) {
      throw new BenchMismatchError(
        `memory: "${contender}" saw ${report.computed} characters of content, the stream has ${report.contentChars}`,
        'memory',
        contender,
        '$.computed',
      );
    }
    reports.push(report);
  }
  const reference = reports[0]!;
  const contentMB = (reference.contentChars * 2) / 1048576;
  const group: GroupResult = {
    id: 'memory/heap',
    case: 'memory',
    title: `${total.toLocaleString('en-US')} chunks generated lazily (MB = heap growth from 10 % to the end of the stream, after full GCs)`,
    reference: NAMES.contentDeltas,
    rounds: 1,
    clock: 'wall',
    checked: true,
    work: { amount: total, unit: 'chunks' },
    note:
      `The content is ${reference.contentChars.toLocaleString('en-US')} characters ` +
      `(at most ${contentMB.toFixed(1)} MB as two-byte strings, half that as one-byte strings). ` +
      '"retainedMB" is the heap the finished result holds beyond the 10 % sample.',
    contenders: reports.map(
      (report): ContenderResult => ({
        name: NAMES[report.contender as keyof typeof NAMES] ?? report.contender,
        ours: report.contender === 'contentDeltas' || report.contender === 'toChatCompletion',
        samples: [report.ms],
        medianMs: report.ms,
        minMs: report.ms,
        maxMs: report.ms,
        wallMedianMs: report.ms,
        ratio: report.ms / reference.ms,
        mb: report.growthMB,
        series: report.heapMB,
        perSecond: total / (report.ms / 1000),
        metrics: { retainedMB: report.retainedMB, rssPeakMB: report.rssPeakMB, heapAt10pcMB: report.heapMB[1] ?? Number.NaN },
      }),
    ),
  };
  return {
    case: 'memory',
    title: 'Memory',
    facts: { chunks: total, 'content chars': reference.contentChars, 'heap samples': reference.heapMB.length },
    groups: [group],
  };
}
