/**
 * The targets of the issues, set beside what was measured. The bench reports them; it does
 * not assert them (timing on a shared machine is no test).
 */
import type { CaseResult } from './context.js';
import type { ContenderResult, GroupResult } from './harness.js';

export interface TargetResult {
  target: string;
  /** How it is measured, in words. */
  measure: string;
  /** The measured figure (a ratio of medians, or MB). */
  measured: number;
  limit: number;
  unit: 'x' | 'MB' | 'KB' | 'streams';
  met: boolean;
}

interface Target {
  target: string;
  measure: string;
  limit: number;
  unit: 'x' | 'MB' | 'KB' | 'streams';
  /** Undefined when the groups it needs did not run (`--only`). */
  evaluate(find: Finder): number | undefined;
}

type Finder = (groupPrefix: string, contenderPrefix: string) => ContenderResult | undefined;

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a / b;
}

function thousand(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : 1000 * ms;
}

const TARGETS: Target[] = [
  {
    target: 'Relay: no stream lost among 1,000 concurrent (Redis, two relay processes)',
    measure: 'relay/concurrent: streams not back whole (median over rounds)',
    limit: 0,
    unit: 'streams',
    evaluate: (find) => find('relay/concurrent', 'Redis log')?.metrics['lost'],
  },
  {
    target: 'Relay pass-through within 1.2x of the parse-only floor',
    measure: 'relay/per-chunk: fromSSE → pipeSSE (text passed through) / fromSSE alone',
    limit: 1.2,
    unit: 'x',
    evaluate: (find) => ratio(find('relay/per-chunk', 'fromSSE → pipeSSE, text passed through')?.medianMs, find('relay/per-chunk', 'fromSSE alone')?.medianMs),
  },
  {
    target: 'Decode + parse faster than eventsource-parser + JSON.parse',
    measure: 'decode: fromSSE median / eventsource-parser median',
    limit: 1,
    unit: 'x',
    evaluate: (find) => ratio(find('decode', 'fromSSE')?.medianMs, find('decode', 'eventsource-parser')?.medianMs),
  },
  {
    target: 'contentDeltas within 1.15x of the hand-written floor',
    measure: 'accumulate/text: fromSSE + contentDeltas / floor',
    limit: 1.15,
    unit: 'x',
    evaluate: (find) => ratio(find('accumulate/text', 'contentDeltas')?.medianMs, find('accumulate/text', 'floor')?.medianMs),
  },
  {
    target: 'toChatCompletion within 1.4x of the hand-written floor',
    measure: 'accumulate/completion: fromSSE + toChatCompletion / floor',
    limit: 1.4,
    unit: 'x',
    evaluate: (find) =>
      ratio(find('accumulate/completion', 'toChatCompletion')?.medianMs, find('accumulate/completion', 'floor')?.medianMs),
  },
  {
    target: 'Pipeline overhead of the three operators under 20% of the raw loop',
    measure: 'pipeline/sdk: fromChatCompletion + 3 operators / raw for await (same SDK stream)',
    limit: 1.2,
    unit: 'x',
    evaluate: (find) => ratio(find('pipeline/sdk', 'fromChatCompletion')?.medianMs, find('pipeline/sdk', 'raw')?.medianMs),
  },
  {
    target: '1,000 concurrent streams: p99 time to first chunk within 1.2x of the raw SDK loop',
    measure: 'many-streams/1000 (20 in --quick): p99 first chunk, ours / raw (medians over rounds)',
    limit: 1.2,
    unit: 'x',
    evaluate: (find) => {
      const group = find('many-streams/1000', 'fromChatCompletion') ? 'many-streams/1000' : 'many-streams/';
      return ratio(find(group, 'fromChatCompletion')?.metrics['p99FirstChunkMs'], find(group, 'raw')?.metrics['p99FirstChunkMs']);
    },
  },
  {
    target: 'Flat memory for deltas-only processing',
    measure: 'memory/heap: heap growth of fromSSE + contentDeltas from 10% to the end of the stream',
    limit: 2,
    unit: 'MB',
    evaluate: (find) => find('memory/heap', 'fromSSE + contentDeltas')?.mb,
  },
  {
    target: 'usage() at most 1.15x toChatCompletion() alone + one countTokens of the whole text',
    measure: 'usage/reply: usage() / (toChatCompletion() + countTokens(whole text)), medians of the same run',
    limit: 1.15,
    unit: 'x',
    evaluate: (find) => {
      const merge = find('usage/reply', 'toChatCompletion')?.medianMs;
      const count = find('usage/reply', 'countTokens')?.medianMs;
      return ratio(find('usage/reply', 'usage()')?.medianMs, merge === undefined || count === undefined ? undefined : merge + count);
    },
  },
  {
    target: 'runningTokens in 4-character deltas under 3x one countTokens of the whole text',
    measure: 'usage/reply: runningTokens / countTokens(whole text)',
    limit: 3,
    unit: 'x',
    evaluate: (find) => ratio(find('usage/reply', 'runningTokens')?.medianMs, find('usage/reply', 'countTokens')?.medianMs),
  },
  {
    target: 'A browser bundle of fromSSE + contentDeltas + toChatCompletion at most 60 KB minified, rxjs included',
    measure: 'bundle/browser: (b), esbuild one file, minified',
    limit: 60,
    unit: 'KB',
    evaluate: (find) => find('bundle/browser', '(b)')?.metrics['oneFileKB'],
  },
  {
    target: 'partialJson: 4x the input costs at most 4.5x the time',
    measure: 'partial-json: partialJson() at ~1 MB / at ~250 KB (4-character deltas)',
    limit: 4.5,
    unit: 'x',
    evaluate: (find) => ratio(find('partial-json/1m', 'partialJson()')?.medianMs, find('partial-json/250k', 'partialJson()')?.medianMs),
  },
  // "N times faster" targets are written as ours × N / theirs, under 1 when met.
  {
    target: 'partialJson at ~100 KB at least 1,000x faster than partial-json re-parsing each prefix',
    measure: 'partial-json/reparse: 1,000 × partialJson() / partial-json parse() of each prefix (under 1: met)',
    limit: 1,
    unit: 'x',
    evaluate: (find) => ratio(thousand(find('partial-json/reparse', 'partialJson()')?.medianMs), find('partial-json/reparse', 'partial-json parse()')?.medianMs),
  },
  {
    target: "partialJson at ~100 KB at least 1,000x faster than ai's parsePartialJson re-parsing each prefix",
    measure: 'partial-json/reparse: 1,000 × partialJson() / ai parsePartialJson() of each prefix (under 1: met)',
    limit: 1,
    unit: 'x',
    evaluate: (find) => ratio(thousand(find('partial-json/reparse', 'partialJson()')?.medianMs), find('partial-json/reparse', 'ai parsePartialJson()')?.medianMs),
  },
  {
    target: 'partialJson at ~1 MB at least 3x faster than @streamparser/json',
    measure: 'partial-json/1m: 3 × partialJson() / @streamparser/json with partial values (under 1: met)',
    limit: 1,
    unit: 'x',
    evaluate: (find) => {
      const ours = find('partial-json/1m', 'partialJson()')?.medianMs;
      return ratio(ours === undefined ? undefined : 3 * ours, find('partial-json/1m', '@streamparser/json')?.medianMs);
    },
  },
  {
    target: 'partialJson at ~1 MB at most 20x one JSON.parse of the whole text',
    measure: 'partial-json/1m: partialJson() / JSON.parse of the whole text',
    limit: 20,
    unit: 'x',
    evaluate: (find) => ratio(find('partial-json/1m', 'partialJson()')?.medianMs, find('partial-json/1m', 'JSON.parse')?.medianMs),
  },
  {
    target: 'contentDeltas + streamMetrics + textChunks(word) within 1.3x of contentDeltas alone',
    measure: 'text/pipeline: fromSSE + connect(streamMetrics, contentDeltas + textChunks) / fromSSE + contentDeltas',
    limit: 1.3,
    unit: 'x',
    evaluate: (find) =>
      ratio(find('text/pipeline', 'contentDeltas + streamMetrics')?.medianMs, find('text/pipeline', 'contentDeltas alone')?.medianMs),
  },
  ...(['English prose', 'Persian prose', 'no space', 'no line break'] as const).map(
    (kind): Target => ({
      target: `textChunks linear in 4-character deltas (${kind}): 1 MB within 4.5x of 250 KB`,
      measure: `text/linearity-${kind}: 1 MB / 250 KB`,
      limit: 4.5,
      unit: 'x',
      evaluate: (find) =>
        ratio(find(`text/linearity-${kind}`, 'textChunks, 1 MB')?.medianMs, find(`text/linearity-${kind}`, 'textChunks, 250 KB')?.medianMs),
    }),
  ),
  {
    target: 'streamMany over 1,000 requests at concurrency 50 within 1.1x of a hand-written bounded loop over the raw SDK',
    measure: 'batch/1000 (100 in --quick): streamMany / raw SDK for await with 50 workers (wall medians)',
    limit: 1.1,
    unit: 'x',
    evaluate: (find) => {
      const group = find('batch/1000', 'streamMany') ? 'batch/1000' : 'batch/1';
      return ratio(find(group, 'streamMany')?.medianMs, find(group, 'raw')?.medianMs);
    },
  },
  {
    target: 'Request budget held: requests per minute under the limit',
    measure: 'batch/budget: requests started per minute after the first burst (first start to last, a 5 s run) / requestsPerMinute 3,000',
    limit: 1,
    unit: 'x',
    evaluate: (find) => {
      const value = find('batch/budget', 'requestsPerMinute')?.metrics['requestsPerMinute'];
      return value === undefined ? undefined : value / 3000;
    },
  },
  {
    target: 'Token budget held: tokens charged per minute under the limit',
    measure: 'batch/budget: tokens charged per minute after the first burst (prompt + max_tokens, first start to last) / tokensPerMinute 180,000',
    limit: 1,
    unit: 'x',
    evaluate: (find) => {
      const value = find('batch/budget', 'tokensPerMinute')?.metrics['tokensPerMinute'];
      return value === undefined ? undefined : value / 180_000;
    },
  },
];

/** The targets whose groups ran, each with its measured figure. */
export function evaluateTargets(cases: readonly CaseResult[]): TargetResult[] {
  const groups: GroupResult[] = cases.flatMap((c) => c.groups);
  const find: Finder = (groupPrefix, contenderPrefix) =>
    groups.find((g) => g.id.startsWith(groupPrefix))?.contenders.find((c) => c.name.startsWith(contenderPrefix));
  const results: TargetResult[] = [];
  for (const target of TARGETS) {
    const measured = target.evaluate(find);
    if (measured === undefined || Number.isNaN(measured)) continue;
    results.push({
      target: target.target,
      measure: target.measure,
      measured,
      limit: target.limit,
      unit: target.unit,
      met: target.unit === 'x' && target.limit === 1 ? measured < 1 : measured <= target.limit,
    });
  }
  return results;
}
