/**
 * Case partial-json: the JSON value so far after every delta of a streamed JSON text (structured
 * output, tool-call arguments), which users of every peer re-parse from the start per delta.
 * Input: an array of records (strings with escapes and non-ASCII, integers, floats, booleans,
 * null, nested objects and arrays), generated from a seed, cut in 4-character deltas.
 * - ours: `partialJson()` over the deltas (rxjs `from` → the operator), and the bare
 *   `PartialJsonParser` loop;
 * - `@streamparser/json` with partial values (`emitPartialTokens` + `emitPartialValues`: every
 *   value and partial value through `onValue`; its tree is one live, mutable object);
 * - re-parsing each prefix with `partial-json`'s `parse` and with the Vercel AI SDK's
 *   `parsePartialJson` (from `ai`): quadratic, so at ~100 KB only, one round and no warm-up;
 * - one `JSON.parse` of the whole text (the floor: no partial values at all).
 * Every contender's final value is checked deep-equal to ours (and ours to `JSON.parse`) first.
 */
import { JSONParser } from '@streamparser/json';
import { parsePartialJson } from 'ai';
import { parse as partialJsonParse } from 'partial-json';
import { from } from 'rxjs';
import type { Random } from '../../lib/testing/random.js';
import { pkg, random, structured } from '../pkg.js';
import type { BenchContext, CaseResult } from '../context.js';
import { timeGroup, type Contender, type Group, type GroupResult } from '../harness.js';

const { partialJson } = pkg;
const { PartialJsonParser } = structured;
const { seededRandom } = random;

const FIRST = ['Ada', 'Bilal', 'Chen', 'Dana', 'Élodie', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kavya', 'Leyla', 'Mateo', 'Nour'];
const LAST = ['Lovelace', 'Okafor', 'Wang', 'Schmidt', 'Núñez', 'Rahimi', 'Hopper', 'Tanaka', 'Silva', 'Berg', 'Iyer', 'Demir'];
const CITIES = ['Lisbon', 'Tehran', 'São Paulo', 'Zürich', 'Osaka', 'Nairobi', 'Montréal', 'Oslo'];
const TAGS = ['admin', 'beta', 'billing', 'churn-risk', 'enterprise', 'trial', 'vip', 'support', 'api'];
const WORDS = 'the customer asked about an invoice for the last quarter and wants a refund before the renewal date said'.split(' ');

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function note(random: Random): string {
  const words: string[] = [];
  const count = 8 + Math.floor(random() * 30);
  for (let i = 0; i < count; i++) words.push(pick(random, WORDS));
  let text = words.join(' ');
  // Escapes and non-ASCII, as models write them: quotes, line breaks, a tab, an emoji.
  if (random() < 0.3) text = `"${text}"`;
  if (random() < 0.3) text += '\nSecond line:\tdone.';
  if (random() < 0.1) text += ' 👍';
  return text;
}

function record(random: Random, id: number): unknown {
  const first = pick(random, FIRST);
  const last = pick(random, LAST);
  return {
    id,
    name: `${first} ${last}`,
    email: `${first.toLowerCase()}.${last.toLowerCase()}@example.com`,
    active: random() < 0.7,
    score: Math.round(random() * 100_000) / 100,
    balance: random() < 0.2 ? -Math.round(random() * 1e6) / 100 : Math.round(random() * 1e8) / 100,
    ratio: random() < 0.1 ? 1.5e-7 * random() : random(),
    manager: random() < 0.3 ? null : Math.floor(random() * id),
    tags: Array.from({ length: Math.floor(random() * 4) }, () => pick(random, TAGS)),
    address: {
      street: `${1 + Math.floor(random() * 300)} ${pick(random, LAST)} Street`,
      city: pick(random, CITIES),
      zip: String(10000 + Math.floor(random() * 89999)),
      geo: { lat: Math.round((random() * 180 - 90) * 1e6) / 1e6, lng: Math.round((random() * 360 - 180) * 1e6) / 1e6 },
    },
    notes: note(random),
  };
}

/** A JSON array of records, about `chars` characters long, the same for the same seed. */
export function recordsText(chars: number, seed = 12): string {
  const random = seededRandom(seed);
  const parts: string[] = [];
  let size = 2;
  for (let id = 0; size < chars; id++) {
    const json = JSON.stringify(record(random, id));
    parts.push(json);
    size += json.length + 1;
  }
  return `[${parts.join(',')}]`;
}

function deltasOf(text: string, size: number): string[] {
  const deltas: string[] = [];
  for (let i = 0; i < text.length; i += size) deltas.push(text.slice(i, i + size));
  return deltas;
}

/** What ours returns: the last value emitted, and how many were. */
interface Parsed {
  value: unknown;
  emissions: number;
}

// Every group has JSON.parse of the whole text among its contenders, so the check before timing
// compares ours (the reference) with JSON.parse, not only with the peers.
const OURS_OPERATOR = 'partialJson() over the deltas (ours)';
const OURS_BARE = 'PartialJsonParser, bare loop (ours)';

function oursOperator(deltas: readonly string[]): Contender<Parsed> {
  return {
    name: OURS_OPERATOR,
    ours: true,
    run: () => {
      const result: Parsed = { value: undefined, emissions: 0 };
      from(deltas)
        .pipe(partialJson())
        .subscribe((value) => {
          result.value = value;
          result.emissions++;
        });
      return result;
    },
    check: (result) => result.value,
    metrics: (result) => ({ emissions: result.emissions }),
  };
}

function oursBare(deltas: readonly string[]): Contender<Parsed> {
  return {
    name: OURS_BARE,
    ours: true,
    run: () => {
      const parser = new PartialJsonParser();
      let emissions = 0;
      for (const delta of deltas) if (parser.push(delta)) emissions++;
      if (parser.end()) emissions++;
      return { value: parser.value, emissions };
    },
    check: (result) => result.value,
  };
}

function streamParser(deltas: readonly string[]): Contender<unknown> {
  return {
    name: '@streamparser/json, partial values (incremental; one mutable tree)',
    run: () => {
      const parser = new JSONParser({ emitPartialTokens: true, emitPartialValues: true });
      let root: unknown;
      parser.onValue = ({ value, parent, stack }) => {
        // The tree a UI would show: the top-level container, filled in place.
        if (root === undefined) root = stack.length === 0 ? value : parent;
      };
      for (const delta of deltas) parser.write(delta);
      if (!parser.isEnded) parser.end();
      return root;
    },
  };
}

function jsonParse(text: string): Contender<unknown> {
  return { name: 'JSON.parse of the whole text, once (no partial values)', run: () => JSON.parse(text) };
}

/** Re-parsing each prefix (`text.slice`, so the peers are not charged for building the prefix). */
function reparsers(text: string, deltaSize: number): Array<Contender<unknown>> {
  return [
    {
      name: "partial-json parse() of each prefix",
      run: () => {
        let value: unknown;
        for (let end = deltaSize; end < text.length + deltaSize; end += deltaSize) value = partialJsonParse(text.slice(0, end));
        return value;
      },
    },
    {
      name: 'ai parsePartialJson() of each prefix',
      run: async () => {
        let value: unknown;
        for (let end = deltaSize; end < text.length + deltaSize; end += deltaSize) value = (await parsePartialJson(text.slice(0, end))).value;
        return value;
      },
    },
  ];
}

function label(chars: number): string {
  return chars >= 1_000_000 ? `${(chars / 1_048_576).toFixed(1)} MB` : `${Math.round(chars / 1024)} KB`;
}

/** ~100 KB (4 KB in --quick): ours against the re-parsers, one round, no warm-up. */
export function reparseGroup(chars: number): Group {
  const text = recordsText(chars);
  const deltas = deltasOf(text, 4);
  return {
    id: 'partial-json/reparse',
    case: 'partial-json',
    title: `Partial JSON of ${label(text.length)} in ${deltas.length} 4-character deltas: re-parsing each prefix`,
    reference: OURS_OPERATOR,
    work: { amount: deltas.length, unit: 'deltas' },
    rounds: 1,
    warmup: 0,
    note:
      'The re-parsers read the whole prefix after every delta (quadratic): one round, no warm-up, at this size only. ' +
      'Each is given `text.slice(0, end)`, so it is not charged for building the prefix.',
    contenders: [oursOperator(deltas), ...reparsers(text, 4), jsonParse(text)],
  };
}

/** The incremental contenders at one size. */
export function sizeGroup(id: string, chars: number): Group {
  const text = recordsText(chars);
  const deltas = deltasOf(text, 4);
  return {
    id,
    case: 'partial-json',
    title: `Partial JSON of ${label(text.length)} (${text.length.toLocaleString('en')} characters) in ${deltas.length.toLocaleString('en')} 4-character deltas`,
    reference: OURS_OPERATOR,
    work: { amount: deltas.length, unit: 'deltas' },
    contenders: [oursOperator(deltas), oursBare(deltas), streamParser(deltas), jsonParse(text)],
  };
}

export async function runPartialJson(context: BenchContext): Promise<CaseResult> {
  const sizes = context.quick ? { reparse: 4_000, small: 8_000, medium: 32_000, large: 128_000 } : { reparse: 100_000, small: 100_000, medium: 256_000, large: 1_024_000 };
  const groups: GroupResult[] = [];
  groups.push(await timeGroup(sizeGroup('partial-json/100k', sizes.small), context.timing));
  groups.push(await timeGroup(sizeGroup('partial-json/250k', sizes.medium), context.timing));
  groups.push(await timeGroup(sizeGroup('partial-json/1m', sizes.large), context.timing));
  groups.push(await timeGroup(reparseGroup(sizes.reparse), context.timing));
  const large = recordsText(sizes.large);
  return {
    case: 'partial-json',
    title: 'Partial JSON: the value so far after every delta',
    facts: {
      'records (largest input)': (JSON.parse(large) as unknown[]).length,
      'characters (largest input)': large.length,
      'delta size': 4,
    },
    groups,
  };
}
