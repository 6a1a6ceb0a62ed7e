/** What every case is given, and what it gives back. */
import type { GroupResult, TimingOptions } from './harness.js';

export interface BenchContext {
  /** A short run: small inputs, few rounds (the smoke test uses it). */
  quick: boolean;
  timing: TimingOptions;
  log: (line: string) => void;
}

export interface CaseResult {
  case: string;
  title: string;
  /** Facts about the inputs (chunk counts, bytes…), shown in the docs. */
  facts: Record<string, string | number>;
  groups: GroupResult[];
}
