import { isObject } from '../json.js';
import { InvalidInputError } from '../errors.js';

/*
 * The checks of the pipeline operators' options (streamTimeout, retryStream, streamMany): one
 * place for what a valid number of ms, count or fraction is, each failure an InvalidInputError.
 */

/** The options object itself: `undefined` (all defaults) or an object. @internal */
export function optionsObject<T extends object>(where: string, options: T | undefined): Partial<T> {
  if (options === undefined) return {};
  if (!isObject(options)) throw new InvalidInputError(`${where}() options`, options, 'an object');
  return options;
}

/** A number of ms > 0 (finite), or undefined. @internal */
export function optionalMs(where: string, name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidInputError(`${where}() options.${name}`, value, 'a finite number of ms > 0');
  }
  return value;
}

/** A number of ms >= 0 (finite), or the default. @internal */
export function msOrZero(where: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidInputError(`${where}() options.${name}`, value, 'a finite number of ms >= 0');
  }
  return value;
}

/** A whole number >= `min`, or the default. @internal */
export function wholeNumber(where: string, name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidInputError(`${where}() options.${name}`, value, `a whole number >= ${min}`);
  }
  return value;
}

/** A positive finite number (a rate), or undefined. @internal */
export function optionalRate(where: string, name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidInputError(`${where}() options.${name}`, value, 'a finite number > 0');
  }
  return value;
}

/** A fraction from 0 to 1, or the default. @internal */
export function fraction(where: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new InvalidInputError(`${where}() options.${name}`, value, 'a number from 0 to 1');
  }
  return value;
}

/** A function, or undefined. @internal */
export function optionalFunction<F extends (...args: never[]) => unknown>(where: string, name: string, value: unknown): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new InvalidInputError(`${where}() options.${name}`, value, 'a function');
  return value as F;
}

/** A scheduler (anything with `now()` and `schedule()`), or the default. @internal */
export function schedulerOption<S>(where: string, value: unknown, fallback: S): S {
  if (value === undefined) return fallback;
  const candidate = value as { now?: unknown; schedule?: unknown } | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.now !== 'function' || typeof candidate.schedule !== 'function') {
    throw new InvalidInputError(`${where}() options.scheduler`, value, 'a SchedulerLike (now() and schedule())');
  }
  return value as S;
}
