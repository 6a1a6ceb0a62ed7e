import { TestScheduler } from 'rxjs/testing';
import { reasoningDeltas } from '../../lib/operators/reasoningDeltas.js';
import { choicePath, entryIndex } from '../../lib/protocol/chunkShape.js';
import type { ChatCompletionChunk } from '../../lib/types.js';
import { chunk } from '../helpers/chunk.js';

describe('chunkShape', () => {
  describe('entryIndex', () => {
    it('should take a valid index as it is, whatever the position', () => {
      expect(entryIndex(0, 3)).toBe(0);
      expect(entryIndex(5, 0)).toBe(5);
      expect(entryIndex(Number.MAX_SAFE_INTEGER, 1)).toBe(Number.MAX_SAFE_INTEGER);
    });

    it('should use the position when the index is missing or null', () => {
      expect(entryIndex(undefined, 3)).toBe(3);
      expect(entryIndex(null, 2)).toBe(2);
      expect(entryIndex(undefined, 0)).toBe(0);
    });

    it('should answer -1 for an index that is not a non-negative safe integer', () => {
      for (const bad of [-1, -5, 1.5, 2 ** 53, NaN, Infinity, '1', '0', true, {}, []]) {
        expect(entryIndex(bad, 4)).toBe(-1);
      }
    });
  });

  it('should name a choice by its position in the chunk', () => {
    expect(choicePath(0)).toBe('chunk.choices[0]');
    expect(choicePath(12)).toBe('chunk.choices[12]');
  });

  it('should read reasoning text from both reasoning fields, reasoning_content first', () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ cold, expectObservable }) => {
      const values = {
        a: chunk({ content: null, reasoning_content: 'DeepSeek' } as ChatCompletionChunk.Choice.Delta),
        b: chunk({ content: null, reasoning: 'OpenRouter' } as ChatCompletionChunk.Choice.Delta),
        c: chunk({ content: null, reasoning_content: 'one', reasoning: 'two' } as ChatCompletionChunk.Choice.Delta),
      };
      const e1 = cold('  -a-b-c---|', values);
      const expected = ' -x-y-(zw)|';
      expectObservable(e1.pipe(reasoningDeltas())).toBe(expected, {
        x: 'DeepSeek',
        y: 'OpenRouter',
        z: 'one',
        w: 'two',
      });
    });
  });
});
