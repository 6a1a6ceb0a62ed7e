/**
 * The bench's output: the machine and versions it ran on, a plain table for the terminal, the
 * JSON for machines, and docs/benchmarks.md (whose hand-written "What we found" section, between
 * its markers, is kept when the page is regenerated).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { resolve } from 'node:path';
import type { CaseResult } from './context.js';
import type { ContenderResult, GroupResult } from './harness.js';
import type { TargetResult } from './targets.js';

const ROOT = resolve(__dirname, '..');
export const FINDINGS_START = '<!-- findings:start (hand-written; kept when the bench regenerates this page) -->';
export const FINDINGS_END = '<!-- findings:end -->';

export interface BenchMeta {
  date: string;
  machine: { cpu: string; cores: number; memoryGB: number; os: string; loadAverage: number[] };
  node: string;
  packages: Record<string, string>;
  commit?: string;
  quick: boolean;
  rounds: number;
  warmup: number;
  durationS?: number;
}

export interface BenchReport {
  meta: BenchMeta;
  targets: TargetResult[];
  cases: CaseResult[];
}

const PACKAGES = ['rxjs', 'openai', 'ai', '@ai-sdk/openai', 'eventsource-parser', 'js-tiktoken', 'gpt-tokenizer', 'tsx', 'typescript'];

function versionOf(name: string): string {
  const file = resolve(ROOT, 'node_modules', name, 'package.json');
  if (!existsSync(file)) return 'not installed';
  return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? '?';
}

export function collectMeta(options: { quick: boolean; rounds: number; warmup: number }): BenchMeta {
  const own = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  let commit: string | undefined;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    commit = undefined;
  }
  return {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      cores: cpus().length,
      memoryGB: Math.round((totalmem() / 1073741824) * 10) / 10,
      os: `${platform()} ${release()}`,
      loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    },
    node: process.version,
    packages: { [own.name]: own.version, ...Object.fromEntries(PACKAGES.map((name) => [name, versionOf(name)])) },
    ...(commit ? { commit } : {}),
    ...options,
  };
}

/** How a target's figure is written: `1.06x`, `1.2 MB`, `53.2 KB`. */
function unitOf(target: TargetResult): string {
  return target.unit === 'x' ? 'x' : ` ${target.unit}`;
}

function ms(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  if (value >= 100) return `${value.toFixed(0)} ms`;
  if (value >= 10) return `${value.toFixed(1)} ms`;
  return `${value.toFixed(2)} ms`;
}

function rate(value: number | undefined, unit: string | undefined): string {
  if (value === undefined || unit === undefined || !Number.isFinite(value)) return '';
  const scaled = value >= 1e6 ? `${(value / 1e6).toFixed(2)}M` : value >= 1e3 ? `${(value / 1e3).toFixed(1)}k` : value.toFixed(0);
  return `${scaled} ${unit}/s`;
}

/** One decimal, without a "-0.0" for a tiny negative (GC noise). */
function fixed1(value: number): string {
  return (Math.abs(value) < 0.05 ? 0 : value).toFixed(1);
}

function mb(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '' : fixed1(value);
}

function extras(contender: ContenderResult): string {
  return Object.entries(contender.metrics)
    .map(([key, value]) => `${key} ${key.endsWith('Ms') ? ms(value) : key.endsWith('MB') || key.endsWith('KB') ? fixed1(value) : value}`)
    .join(', ');
}

function spread(contender: ContenderResult): string {
  return contender.samples.length > 1 ? `${ms(contender.minMs)}–${ms(contender.maxMs)}` : '';
}

interface Row {
  group: string;
  contender: string;
  clock: string;
  median: string;
  wall: string;
  ratio: string;
  mb: string;
  rate: string;
  spread: string;
  notes: string;
}

function rows(group: GroupResult): Row[] {
  return group.contenders.map((c) => ({
    group: group.id,
    contender: c.name,
    clock: group.clock,
    median: ms(c.medianMs),
    wall: group.clock === 'wall' ? '' : ms(c.wallMedianMs),
    ratio: c.name === group.reference ? '1.00 (ref)' : `${c.ratio.toFixed(2)}x`,
    mb: mb(c.mb),
    rate: rate(c.perSecond, group.work?.unit),
    spread: spread(c),
    notes: extras(c),
  }));
}

const COLUMNS: Array<[keyof Row, string]> = [
  ['group', 'case'],
  ['contender', 'contender'],
  ['clock', 'clock'],
  ['median', 'median'],
  ['ratio', 'ratio to ref'],
  ['wall', 'wall median'],
  ['mb', 'MB'],
  ['rate', 'throughput'],
  ['spread', 'min–max'],
  ['notes', 'other medians'],
];

/** The plain table for the terminal. */
export function textTable(report: BenchReport): string {
  const all = report.cases.flatMap((c) => c.groups.flatMap(rows));
  const widths = COLUMNS.map(([key, title]) => Math.max(title.length, ...all.map((row) => row[key].length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  const out: string[] = [line(COLUMNS.map(([, title]) => title)), line(widths.map((w) => '-'.repeat(w)))];
  let previous = '';
  for (const row of all) {
    const caseName = row.group.split('/')[0]!;
    if (previous && caseName !== previous) out.push('');
    previous = caseName;
    out.push(line(COLUMNS.map(([key]) => row[key])));
  }
  if (report.targets.length > 0) {
    out.push('', 'Targets (reported, not asserted):');
    for (const t of report.targets) {
      out.push(`  ${t.met ? 'met    ' : 'NOT met'}  ${t.measured.toFixed(2)}${unitOf(t)} (limit ${t.limit}${unitOf(t)})  ${t.target}`);
    }
  }
  return out.join('\n');
}

function escape(cell: string): string {
  return cell.replace(/\|/g, '\\|');
}

function markdownGroup(group: GroupResult): string {
  const lines = [`#### ${group.title}`, ''];
  lines.push(
    `\`${group.id}\`: ${group.rounds} round${group.rounds === 1 ? '' : 's'}; ${group.clock === 'cpu' ? 'CPU time' : 'wall-clock time'}; ratio = median / median of **${group.reference}**.`,
    '',
  );
  const cpu = group.clock === 'cpu';
  lines.push(
    `| contender | median (${group.clock}) | ratio |${cpu ? ' wall median |' : ''} MB | throughput | min–max | other medians |`,
    `| --- | ---: | ---: |${cpu ? ' ---: |' : ''} ---: | ---: | --- | --- |`,
  );
  for (const row of rows(group)) {
    lines.push(
      `| ${escape(row.contender)} | ${row.median} | ${row.ratio} |${cpu ? ` ${row.wall} |` : ''} ${row.mb} | ${row.rate} | ${row.spread} | ${escape(row.notes)} |`,
    );
  }
  for (const c of group.contenders) {
    if (c.series && c.series.length > 0) lines.push('', `Heap after GC, every 5 %, ${c.name} (MB): ${c.series.map((v) => v.toFixed(1)).join(' ')}`);
  }
  if (group.note) lines.push('', group.note);
  return lines.join('\n');
}

const DEFAULT_FINDINGS = '_Not written yet: profile the targets that were missed and say what was found._';

function keptFindings(existing: string | undefined): string {
  if (existing === undefined) return DEFAULT_FINDINGS;
  const start = existing.indexOf(FINDINGS_START);
  const end = existing.indexOf(FINDINGS_END);
  if (start < 0 || end < start) return DEFAULT_FINDINGS;
  return existing.slice(start + FINDINGS_START.length, end).trim() || DEFAULT_FINDINGS;
}

/** docs/benchmarks.md for this report, keeping the findings of the page it replaces. */
export function markdown(report: BenchReport, existing?: string): string {
  const { meta } = report;
  const out: string[] = [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench` (bench/index.ts). Edit only the "What we found" section: the rest is rewritten on each run. -->',
    '',
    'Side by side, in one process, on the same input: this package against what users would pick',
    'instead (the `openai` SDK, `eventsource-parser`, the Vercel AI SDK, js-tiktoken, gpt-tokenizer)',
    'and against a hand-written floor. Every contender\'s result is checked equal to ours before',
    'anything is timed. Each group runs warm-up rounds, then rounds in which the contenders take',
    'turns (the order rotates each round, backwards every other round); the tables give medians, and the ratio of each median to',
    'the reference\'s (ours unless said). Ratios are of CPU time (user + system of the process over',
    'the run) wherever the work never waits: another program competing for the cores inflates wall',
    'time but barely CPU time. Wall-clock medians are given beside them. The many-streams case,',
    'which waits on sockets, and the child-process measurements use wall-clock time.',
    '',
    'Run it with `npm run bench` (`-- --quick` for a short run, `-- --json` for machines,',
    '`-- --only <case>` for one case); a full run takes about 5 minutes and rewrites this page.',
    '',
    '## Where and when',
    '',
    `- Date: ${meta.date}${meta.commit ? ` (commit ${meta.commit})` : ''}`,
    `- Machine: ${meta.machine.cpu}, ${meta.machine.cores} cores, ${meta.machine.memoryGB} GB, ${meta.machine.os}; load average at start ${meta.machine.loadAverage.join(' / ')}`,
    `- Node ${meta.node}; ${Object.entries(meta.packages).map(([name, version]) => `${name} ${version}`).join(', ')}`,
    `- ${meta.quick ? 'Quick run' : 'Full run'}: ${meta.rounds} rounds, ${meta.warmup} warm-up${meta.durationS ? `, ${Math.round(meta.durationS)} s in all` : ''}`,
    '',
    '> The machine is shared (2 cores, other work running at the same time): single runs are noisy.',
    '> Read the ratios of medians, and the min–max spread beside them, not the absolute times.',
    '',
    '## Targets',
    '',
    'Reported, not asserted (issues 3 and 5).',
    '',
    '| target | measured | limit | |',
    '| --- | ---: | ---: | --- |',
    ...report.targets.map(
      (t) =>
        `| ${escape(t.target)} <br><sub>${escape(t.measure)}</sub> | ${t.measured.toFixed(2)}${unitOf(t)} | ${t.limit}${unitOf(t)} | ${t.met ? 'met' : '**not met**'} |`,
    ),
    '',
    '## Results',
    '',
  ];
  for (const c of report.cases) {
    out.push(`### ${c.title}`, '');
    const facts = Object.entries(c.facts);
    if (facts.length > 0) out.push(`Input: ${facts.map(([key, value]) => `${key} ${typeof value === 'number' ? value.toLocaleString('en-US') : value}`).join('; ')}.`, '');
    for (const group of c.groups) out.push(markdownGroup(group), '');
  }
  out.push('## What we found', '', FINDINGS_START, '', keptFindings(existing), '', FINDINGS_END, '');
  return out.join('\n');
}
