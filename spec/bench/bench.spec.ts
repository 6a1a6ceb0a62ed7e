import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { assertSameResults, BenchMismatchError, firstDifference } from '../../bench/compare.js';
import type { CaseResult } from '../../bench/context.js';
import { checkGroup, median, percentile, timeGroup, type Group } from '../../bench/harness.js';
import { CASES, parseArgs } from '../../bench/index.js';
import { FINDINGS_END, FINDINGS_START, markdown, type BenchReport } from '../../bench/report.js';
import { evaluateTargets } from '../../bench/targets.js';

const ROOT = resolve(__dirname, '..', '..');
const quiet = { log: () => undefined };

describe('bench', () => {
  describe('firstDifference', () => {
    it('should find no difference between deeply equal values', () => {
      expect(firstDifference({ a: [1, 'x', { b: null }], c: 2 }, { c: 2, a: [1, 'x', { b: null }] })).toBeUndefined();
      expect(firstDifference({ a: 1, b: undefined }, { a: 1 })).toBeUndefined();
      expect(firstDifference(0, -0)).toBeUndefined();
    });

    it('should name the path and the index where two strings differ', () => {
      expect(firstDifference({ text: 'Hello world' }, { text: 'Hello words' })).toMatch(/^\$\.text: strings differ at index 9 /);
    });

    it('should report different lengths, types and numbers', () => {
      expect(firstDifference([1, 2], [1, 2, 3])).toBe('$: arrays of length 2 vs 3');
      expect(firstDifference({ n: 1 }, { n: 2 })).toBe('$.n: 1 vs 2');
      expect(firstDifference({ n: null }, { n: 'null' })).toBe('$.n: null vs "null"');
      expect(firstDifference([], {})).toBe('$: an array vs an object');
    });
  });

  describe('assertSameResults', () => {
    it('should throw a BenchMismatchError naming the contender that differs', () => {
      expect(() =>
        assertSameResults('g', [
          { name: 'ours', value: { content: 'abc' } },
          { name: 'peer', value: { content: 'abc' } },
          { name: 'wrong', value: { content: 'abd' } },
        ]),
      ).toThrow(expect.objectContaining({ name: 'BenchMismatchError', contender: 'wrong', group: 'g' }));
      expect(() => assertSameResults('g', [{ name: 'ours', value: 1 }, { name: 'peer', value: 1 }])).not.toThrow();
    });
  });

  describe('checkGroup', () => {
    it('should compare what check() projects, with the reference first', async () => {
      const group: Group = {
        id: 'g',
        case: 'g',
        title: 'g',
        contenders: [
          { name: 'peer', run: () => ({ text: 'same', time: 2 }), check: (r: { text: string }) => r.text },
          { name: 'ours', ours: true, run: () => ({ text: 'same', time: 1 }), check: (r: { text: string }) => r.text },
        ],
      };
      const checked = await checkGroup(group);
      expect([...checked.keys()]).toEqual(['ours', 'peer']);
      expect(checked.get('peer')).toBe('same');
    });

    it('should reject when a contender computes something else', async () => {
      const group: Group = {
        id: 'g',
        case: 'g',
        title: 'g',
        contenders: [
          { name: 'ours', ours: true, run: async () => 'abc' },
          { name: 'peer', run: async () => 'abx' },
        ],
      };
      await expect(checkGroup(group)).rejects.toEqual(expect.any(BenchMismatchError));
    });
  });

  describe('timeGroup', () => {
    it('should time every contender each round, after the check and the warm-up', async () => {
      const runs = { ours: 0, peer: 0 };
      const group: Group = {
        id: 'g',
        case: 'g',
        title: 'g',
        work: { amount: 10, unit: 'things' },
        contenders: [
          { name: 'ours', ours: true, run: () => (runs.ours++, 42), metrics: () => ({ x: 1 }) },
          { name: 'peer', run: () => (runs.peer++, 42), metrics: () => ({ x: 3 }) },
        ],
      };
      const result = await timeGroup(group, { rounds: 3, warmup: 1, ...quiet });
      expect(runs).toEqual({ ours: 5, peer: 5 });
      expect(result.checked).toBe(true);
      expect(result.reference).toBe('ours');
      expect(result.contenders.map((c) => c.samples.length)).toEqual([3, 3]);
      expect(result.contenders[0]!.ratio).toBe(1);
      expect(result.contenders[1]!.metrics).toEqual({ x: 3 });
      expect(result.contenders[0]!.perSecond).toBeGreaterThan(0);
    });

    it('should time nothing when the results differ', async () => {
      let timed = 0;
      const group: Group = {
        id: 'g',
        case: 'g',
        title: 'g',
        contenders: [
          { name: 'ours', ours: true, run: () => (timed++, 1) },
          { name: 'peer', run: () => (timed++, 2) },
        ],
      };
      await expect(timeGroup(group, { rounds: 5, warmup: 2, ...quiet })).rejects.toEqual(expect.any(BenchMismatchError));
      expect(timed).toBe(2);
    });

    it('should give no result when a contender computes something else in the timed runs only', async () => {
      let runs = 0;
      const group: Group = {
        id: 'g',
        case: 'g',
        title: 'g',
        contenders: [
          { name: 'ours', ours: true, run: () => 'abc' },
          // Right when checked first, wrong once warmed up (a cache, a reused buffer, …).
          { name: 'drifting', run: () => (runs++ === 0 ? 'abc' : 'abx') },
        ],
      };
      await expect(timeGroup(group, { rounds: 2, warmup: 1, ...quiet })).rejects.toEqual(
        expect.objectContaining({ name: 'BenchMismatchError', contender: 'drifting', group: 'g' }),
      );
      expect(runs).toBe(4);
    });

    it('should compare what check() projects in the timed runs too', async () => {
      const group: Group = {
        id: 'g',
        case: 'g',
        title: 'g',
        contenders: [
          { name: 'ours', ours: true, run: () => ({ text: 'same', at: performance.now() }), check: (r: { text: string }) => r.text },
          { name: 'peer', run: () => ({ text: 'same', at: performance.now() }), check: (r: { text: string }) => r.text },
        ],
      };
      const result = await timeGroup(group, { rounds: 2, warmup: 0, ...quiet });
      expect(result.checked).toBe(true);
    });
  });

  describe('median and percentile', () => {
    it('should compute medians and nearest-rank percentiles', () => {
      expect(median([3, 1, 2])).toBe(2);
      expect(median([4, 1, 3, 2])).toBe(2.5);
      expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
      expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99)).toBe(99);
    });
  });

  describe('parseArgs', () => {
    it('should default to a full run and take --quick, --json, --only', () => {
      expect(parseArgs([])).toEqual({ quick: false, json: false, only: [], rounds: 9, warmup: 2, docs: 'auto' });
      expect(parseArgs(['--quick', '--json', '--only', 'decode,usage', '--only=memory'])).toEqual({
        quick: true,
        json: true,
        only: ['decode', 'usage', 'memory'],
        rounds: 1,
        warmup: 0,
        docs: 'auto',
      });
    });

    it('should refuse unknown cases and options', () => {
      expect(() => parseArgs(['--only', 'nope'])).toThrow(/unknown case "nope"/);
      expect(() => parseArgs(['--fast'])).toThrow(/unknown option --fast/);
      expect(() => parseArgs(['--rounds', '0'])).toThrow(/--rounds/);
    });
  });

  describe('markdown', () => {
    const report: BenchReport = {
      meta: {
        date: '2025-01-01T00:00:00.000Z',
        machine: { cpu: 'cpu', cores: 2, memoryGB: 4, os: 'linux', loadAverage: [1, 1, 1] },
        node: 'v20.0.0',
        packages: { rxjs: '7.8.2' },
        quick: true,
        rounds: 1,
        warmup: 0,
      },
      targets: [],
      cases: [],
    };

    it('should keep the hand-written findings of the page it replaces', () => {
      const previous = `# old\n\n${FINDINGS_START}\n\nWe found a hot spot.\n\n${FINDINGS_END}\n`;
      const page = markdown(report, previous);
      expect(page).toContain('We found a hot spot.');
      expect(page).toContain('Node v20.0.0');
      expect(page.indexOf(FINDINGS_START)).toBeLessThan(page.indexOf('We found a hot spot.'));
    });

    it('should say that findings are missing on a first page', () => {
      expect(markdown(report)).toContain('Not written yet');
    });
  });

  describe('evaluateTargets', () => {
    it('should set the measured ratios beside the limits, for the groups that ran', () => {
      const group = (id: string, contenders: Array<[string, number]>): CaseResult['groups'][number] => ({
        id,
        case: id.split('/')[0]!,
        title: id,
        reference: contenders[0]![0],
        rounds: 1,
        clock: 'cpu',
        checked: true,
        contenders: contenders.map(([name, medianMs]) => ({
          name,
          ours: false,
          samples: [medianMs],
          medianMs,
          minMs: medianMs,
          maxMs: medianMs,
          wallMedianMs: medianMs,
          ratio: 1,
          metrics: {},
        })),
      });
      const targets = evaluateTargets([
        {
          case: 'accumulate',
          title: 'Accumulate',
          facts: {},
          groups: [
            group('accumulate/text', [['contentDeltas (ours)', 11], ['floor (split + JSON.parse)', 10]]),
            group('accumulate/completion', [['toChatCompletion (ours)', 15], ['floor (split + JSON.parse)', 10]]),
          ],
        },
      ]);
      expect(targets.map((t) => [t.measured, t.met])).toEqual([
        [1.1, true],
        [1.5, false],
      ]);
    });
  });

  describe('npm run bench -- --quick', () => {
    it('should run every case with every contender computing the same on a small input', async () => {
      const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'bench/index.ts', '--quick', '--json', '--no-docs'], {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
        child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
        child.on('close', (exitCode) => done({ code: exitCode, stdout: out, stderr: err }));
      });
      if (code !== 0) throw new Error(`the quick bench failed (${code}):\n${stderr.slice(-3000)}`);
      const report = JSON.parse(stdout) as BenchReport;
      expect(report.meta.quick).toBe(true);
      expect(report.cases.map((c) => c.case)).toEqual(Object.keys(CASES));
      for (const result of report.cases) {
        expect(result.groups.length).toBeGreaterThan(0);
        for (const group of result.groups) {
          expect({ group: group.id, checked: group.checked }).toEqual({ group: group.id, checked: true });
          expect(group.contenders.length).toBeGreaterThanOrEqual(2);
          expect(group.contenders.some((c) => c.name === group.reference)).toBe(true);
          for (const contender of group.contenders) expect(Number.isFinite(contender.medianMs)).toBe(true);
        }
      }
      expect(report.targets.length).toBeGreaterThan(0);
    }, 300_000);
  });
});
