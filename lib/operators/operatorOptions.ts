/*
 * Checking operator options at the call: a bad one is an `InvalidInputError` naming it, never a
 * bare `TypeError` later. Not exported from the package.
 */
import type { SchedulerLike, TimestampProvider } from 'rxjs';
import { InvalidInputError } from '../errors.js';
import { isObject } from '../json.js';
import { encodingForModel, type EncodingName } from '../tokens/encodingForModel.js';

/**
 * The options object (`{}` for undefined); anything else than an object is an error. `caller`
 * names the operator (`'smooth()'`), or an option that is itself an object
 * (`'streamMany() options.retry'`, then said as it is).
 * @internal
 */
export function optionsOf<T extends object>(options: unknown, caller: string): Partial<T> {
  if (options === undefined) return {};
  if (!isObject(options)) throw new InvalidInputError(caller.endsWith(')') ? `${caller} options` : caller, options, 'an object');
  return options as Partial<T>;
}

/**
 * A number `>= min` (finite unless `infinite`), or `fallback` when undefined. `unit` names what it
 * counts in the message (`'ms'`: `a finite number of ms >= 0`).
 * @internal
 */
export function numberOption(value: unknown, path: string, fallback: number, min = 0, infinite = false, unit?: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || (!infinite && !Number.isFinite(value))) {
    throw new InvalidInputError(path, value, `a ${infinite ? '' : 'finite '}number ${unit === undefined ? '' : `of ${unit} `}>= ${min}`);
  }
  return value;
}

/** A finite number `> 0` (a limit, a rate), or undefined. `unit` as for {@link numberOption}. @internal */
export function positiveOption(value: unknown, path: string, unit?: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidInputError(path, value, `a finite number ${unit === undefined ? '' : `of ${unit} `}> 0`);
  }
  return value;
}

/** A fraction from 0 to 1, or `fallback` when undefined. @internal */
export function fractionOption(value: unknown, path: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new InvalidInputError(path, value, 'a number from 0 to 1');
  return value;
}

/** A whole number `>= min`, or undefined. @internal */
export function integerOption(value: unknown, path: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidInputError(path, value, `a whole number >= ${min}`);
  }
  return value;
}

/** A function, or undefined. @internal */
export function functionOption<F extends (...args: never[]) => unknown>(value: unknown, path: string): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new InvalidInputError(path, value, 'a function');
  return value as F;
}

/** A string, or undefined. @internal */
export function stringOption(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidInputError(path, value, 'a string');
  return value;
}

/** Whether `value` is shaped like a scheduler (`schedule` and `now`). @internal */
export function isScheduler(value: unknown): value is SchedulerLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as SchedulerLike).schedule === 'function' &&
    typeof (value as SchedulerLike).now === 'function'
  );
}

/** A scheduler, or `fallback` when undefined. @internal */
export function schedulerOption<S extends SchedulerLike = SchedulerLike>(value: unknown, path: string, fallback: S): S {
  if (value === undefined) return fallback;
  if (!isScheduler(value)) throw new InvalidInputError(path, value, 'a SchedulerLike (schedule and now)');
  return value as S;
}

/** A clock (anything with `now()`), or `fallback` when undefined. @internal */
export function clockOption(value: unknown, path: string, fallback: TimestampProvider): TimestampProvider {
  if (value === undefined) return fallback;
  if (typeof value !== 'object' || value === null || typeof (value as TimestampProvider).now !== 'function') {
    throw new InvalidInputError(path, value, 'a SchedulerLike or a TimestampProvider (now)');
  }
  return value as TimestampProvider;
}

const ENCODINGS: readonly EncodingName[] = ['o200k_base', 'cl100k_base'];

/**
 * The encoding `model` / `encoding` options name, checked: undefined when neither is given (the
 * stream's own `model` will pick it).
 * @internal
 */
export function encodingOption(options: { model?: unknown; encoding?: unknown }, caller: string): EncodingName | undefined {
  const model = stringOption(options.model, `${caller} options.model`);
  const encoding = options.encoding;
  if (encoding !== undefined && !(ENCODINGS as readonly unknown[]).includes(encoding)) {
    throw new InvalidInputError(`${caller} options.encoding`, encoding, `'o200k_base' or 'cl100k_base'`);
  }
  if (model === undefined && encoding === undefined) return undefined;
  return encodingForModel(model ?? '', { encoding: encoding as EncodingName | undefined });
}
