import { TestScheduler } from 'rxjs/testing';
import { from, lastValueFrom, map, mergeMap, Subject, take, tap, toArray, type GroupedObservable, type Observable } from 'rxjs';
import { choices } from '../../lib/operators/choices.js';
import { toChatCompletion } from '../../lib/operators/toChatCompletion.js';
import { InvalidChunkError, StreamAPIError } from '../../lib/errors.js';
import { buildChunks } from '../../lib/testing/buildChunks.js';
import { chunk, usageChunk } from '../helpers/chunk.js';
import type { ChatCompletionChunk } from '../../lib/types.js';

/** A chunk with one entry for choice `index`. */
const c = (index: number, content: string | null, finish: 'stop' | null = null): ChatCompletionChunk => ({
  ...chunk(null),
  choices: [{ index, delta: content === null ? {} : { content }, finish_reason: finish, logprobs: null }],
});

function twoChoices(): Record<string, ChatCompletionChunk> {
  return { a: c(0, 'Hel'), b: c(1, 'Hi'), c: c(0, 'lo'), d: c(1, '!'), f: c(1, null, 'stop'), g: c(0, null, 'stop'), u: usageChunk(3, 4) };
}

describe('choices', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should emit one inner per choice, each completing at its own finish_reason', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = twoChoices();
      const e1 = cold('  -a-b-c-d-f-g-u-|', values);
      const e1subs = '  ^--------------!';
      const expected = ' -x-y-----------|';
      const x = cold('    a---c-----(g|)', values);
      const y = cold('      b---d-(f|)', values);

      expectObservable(e1.pipe(choices())).toBe(expected, { x, y });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should key each inner by its choice index, as groupBy does', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -a-b-c-d-f-g-u-|', twoChoices());
      const keyed = e1.pipe(
        choices(),
        mergeMap((group: GroupedObservable<number, ChatCompletionChunk>) => group.pipe(map((k) => `${group.key}:${k.choices[0]?.delta.content ?? ''}`))),
      );

      expectObservable(keyed).toBe(' -a-b-c-d-f-g---|', { a: '0:Hel', b: '1:Hi', c: '0:lo', d: '1:!', f: '1:', g: '0:' });
    });
  });

  it('should complete the inners still open, then the outer, when the source completes', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const values = twoChoices();
      const e1 = cold('  -a-b-f-|', values);

      expectObservable(e1.pipe(choices())).toBe(' -x-y---|', { x: cold('a-----|', values), y: cold('b-(f|)', values) });
    });
  });

  it('should drop chunks of a choice after its finish_reason, and make no new inner for it', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const values = { a: c(0, 'x'), f: c(0, null, 'stop'), e: c(0, null), z: c(0, 'late') };
      expectObservable(cold(' -a-f-f-e-z-|', values).pipe(choices())).toBe(' -x---------|', { x: cold('a-(f|)', values) });
    });
  });

  it('should send chunks without choices to the inners still open', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const values = { a: c(0, 'x'), b: c(1, 'y'), f: c(1, null, 'stop'), u: usageChunk(1, 2) };
      expectObservable(cold(' -a-b-f-u-|', values).pipe(choices())).toBe(' -x-y-----|', { x: cold('a-----u-|', values), y: cold('b-(f|)', values) });
    });
  });

  it('should split a chunk that carries several choices, each with only its own entries', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const both = { ...chunk(null), choices: [{ delta: { content: 'zero' } }, { index: 1, delta: { content: 'one' }, finish_reason: 'stop' }] } as unknown as ChatCompletionChunk;
      const zero = { ...both, choices: [{ delta: { content: 'zero' }, index: 0 }] } as unknown as ChatCompletionChunk;
      const one = { ...both, choices: [{ index: 1, delta: { content: 'one' }, finish_reason: 'stop' }] } as unknown as ChatCompletionChunk;

      expectObservable(cold(' -x---|', { x: both }).pipe(choices())).toBe(' -(yz)|', {
        y: cold('a---|', { a: zero }),
        z: cold('(a|)', { a: one }),
      });
    });
  });

  it('should send an error to every open inner and to the outer', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = twoChoices();
      const e1 = cold('  -a-b-f-#', values, new Error('boom'));
      const e1subs = '  ^------!';

      expectObservable(e1.pipe(choices())).toBe(' -x-y---#', { x: cold('a-----#', values, new Error('boom')), y: cold('b-(f|)', values) }, new Error('boom'));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should error with an InvalidChunkError for a chunk it cannot read, and unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = { a: c(0, 'x'), x: { ...chunk(null), choices: [{ index: -2 }] } as unknown as ChatCompletionChunk };
      const e1 = cold('  -a-x-a-|', values);
      const e1subs = '  ^--!';

      expectObservable(e1.pipe(choices())).toBe(' -y-#', { y: cold('a-#', values, expect.any(InvalidChunkError)) }, expect.any(InvalidChunkError));
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it("should error with the server's StreamAPIError for an error sent as a chunk", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold('  -x-|', { x: { object: 'error', message: 'overloaded' } as unknown as ChatCompletionChunk });
      expectObservable(e1.pipe(choices())).toBe(' -#', undefined, expect.any(StreamAPIError));
    });
  });

  it('should complete on an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  |');
      expectObservable(e1.pipe(choices())).toBe('|');
      expectSubscriptions(e1.subscriptions).toBe('(^!)');
    });
  });

  it('should not complete on a never source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<ChatCompletionChunk>('  -');
      expectObservable(e1.pipe(choices())).toBe('-');
      expectSubscriptions(e1.subscriptions).toBe('^');
    });
  });

  it('should unsubscribe from the source on early unsubscribe when no inner is subscribed', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = twoChoices();
      const e1 = cold('  -a-b-c-d-f-g-u-|', values);
      const e1subs = '  ^----!';
      const unsub = '    -----!';

      // The TestScheduler subscribes to each inner as it is emitted and holds it: use the keys alone.
      expectObservable(e1.pipe(choices(), map((group) => group.key)), unsub).toBe(' -x-y--', { x: 0, y: 1 });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should keep the source while an inner is subscribed after the outer left, and leave it after', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = twoChoices();
      const e1 = cold('  -a-b-c-d-f-g-u-|', values);
      const e1subs = '  ^----------!';
      // take(1): the outer leaves after the first inner; that inner runs to its finish_reason.
      const first = e1.pipe(choices(), take(1), mergeMap((group) => group));

      expectObservable(first).toBe(' -a---c-----(g|)', values);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should drop what comes while nobody is subscribed to a choice (no buffering), and end a late subscriber as the inner ends', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const values = twoChoices();
      const held: Array<GroupedObservable<number, ChatCompletionChunk>> = [];
      const e1 = cold('  -a-b-c-d-f-g-u-|', values);
      const late = new Subject<Observable<ChatCompletionChunk>>();
      e1.pipe(choices()).subscribe((group) => held.push(group));
      // Subscribed at frame 6: choice 0 has sent a and c, choice 1 b; they are gone.
      testScheduler.schedule(() => {
        late.next(held[0]!);
        late.next(held[1]!);
      }, 6);

      expectObservable(late.pipe(mergeMap((group) => group.pipe(toArray())))).toBe(' ---------y-x', {
        x: [values['g']],
        y: [values['d'], values['f']],
      });
    });
  });

  it('should follow the inner it kept after the outer left, and leave the source when that inner ends', () => {
    const source = new Subject<ChatCompletionChunk>();
    const inners: number[] = [];
    const seen: ChatCompletionChunk[] = [];
    source
      .pipe(
        choices(),
        tap((group) => inners.push(group.key)),
        take(1),
        mergeMap((group) => group),
      )
      .subscribe((value) => seen.push(value));
    const values = twoChoices();
    source.next(values['a']!);
    source.next(values['b']!);
    source.next(values['c']!);
    expect(inners).toEqual([0]);
    expect(seen).toEqual([values['a'], values['c']]);
    expect(source.observed).toBe(true);
    source.next(values['g']!);
    expect(source.observed).toBe(false);
  });

  it('should let toChatCompletion() rebuild each choice of an n = 3 stream', async () => {
    const chunks = buildChunks('One, two.', { n: 3 });
    const rebuilt = await lastValueFrom(
      from(chunks).pipe(
        choices(),
        mergeMap((group) => group.pipe(toChatCompletion(), map((completion) => [group.key, completion.choices] as const))),
        toArray(),
      ),
    );
    const whole = await lastValueFrom(from(chunks).pipe(toChatCompletion()));
    expect(new Map(rebuilt)).toEqual(new Map(whole.choices.map((choice) => [choice.index, [choice]])));
  });
});
