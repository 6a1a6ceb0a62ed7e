/**
 * A small seeded pseudo-random generator (mulberry32) and the random-looking strings the API
 * sends (ids, fingerprints, obfuscation padding): the same seed gives the same stream, always.
 * @internal
 */

/** Returns numbers in [0, 1), the same sequence for the same seed. */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

/** `length` characters drawn from `alphabet` (alphanumeric by default). */
export function randomString(random: Random, length: number, alphabet: string = ALPHANUMERIC): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

/** An integer in [min, max]. */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** `chatcmpl-` and 29 characters, like the API's completion ids. */
export function completionId(random: Random): string {
  return `chatcmpl-${randomString(random, 29)}`;
}

/** `call_` and 24 characters, like the API's tool-call ids. */
export function toolCallId(random: Random): string {
  return `call_${randomString(random, 24)}`;
}

/** `fp_` and 10 hex digits, like the API's system fingerprints. */
export function systemFingerprint(random: Random): string {
  return `fp_${randomString(random, 10, HEX)}`;
}

/** `req_` and 32 hex digits, like the API's `x-request-id`. */
export function requestId(random: Random): string {
  return `req_${randomString(random, 32, HEX)}`;
}
