import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ChatCompletionAccumulator } from '../../lib/accumulation/ChatCompletionAccumulator.js';
import { flatten, FLATTEN_MIN_LENGTH } from '../../lib/accumulation/flatten.js';
import type { ChatCompletionChunk } from '../../lib/types.js';

const head = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm' };
const chunk = (delta: Record<string, unknown>, finish: string | null = null): ChatCompletionChunk =>
  ({ ...head, choices: [{ index: 0, delta, finish_reason: finish }] }) as unknown as ChatCompletionChunk;

describe('flatten', () => {
  it('should return the very value it was given, string or not', () => {
    let long = '';
    for (let i = 0; long.length < FLATTEN_MIN_LENGTH * 2; i++) long += `piece ${i} `;
    const values: unknown[] = [long, 'short', '', null, undefined, 42, { a: 1 }, ['x']];
    for (const value of values) expect(flatten(value)).toBe(value);
    expect(long.startsWith('piece 0 piece 1 ')).toBe(true);
  });

  it('should leave the long strings of the finished completion equal to their pieces joined', () => {
    const pieces = Array.from({ length: 3000 }, (_, i) => ` w${i}`);
    const acc = new ChatCompletionAccumulator();
    acc.push(chunk({ role: 'assistant', content: '', tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] }));
    for (const piece of pieces) {
      acc.push(chunk({ content: piece, refusal: piece, reasoning_content: piece, audio: { transcript: piece }, function_call: { arguments: piece } }));
      acc.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
    }
    acc.push(chunk({}, 'stop'));
    const joined = pieces.join('');
    expect(joined.length).toBeGreaterThan(FLATTEN_MIN_LENGTH);
    const message = acc.toChatCompletion().choices[0]!.message as unknown as Record<string, unknown>;
    expect(message).toMatchObject({
      content: joined,
      refusal: joined,
      reasoning_content: joined,
      audio: { transcript: joined },
      function_call: { arguments: joined },
      tool_calls: [{ function: { arguments: joined } }],
    });
    acc.push(chunk({ content: '!' }));
    expect(acc.toChatCompletion().choices[0]!.message.content).toBe(`${joined}!`);
  });

  it('should let the finished completion keep its long content in about a byte per character (V8, child process)', () => {
    // A rope of 200k pieces costs over 10 bytes of heap per character; flat one-byte text, 1.
    const script = `
      const { ChatCompletionAccumulator } = require('./lib/accumulation/ChatCompletionAccumulator.ts');
      const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
      const head = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm' };
      const base = heap();
      let acc = new ChatCompletionAccumulator();
      for (let i = 0; i < 200000; i++) acc.push({ ...head, choices: [{ index: 0, delta: { content: ' w' + (i % 97) }, finish_reason: null }] });
      acc.push({ ...head, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
      const rope = heap() - base;
      const completion = acc.toChatCompletion();
      acc = undefined;
      const flat = heap() - base;
      console.log(JSON.stringify({ chars: completion.choices[0].message.content.length, rope, flat }));
    `;
    const output = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '-e', script], {
      cwd: resolve(__dirname, '../..'),
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
      timeout: 60_000,
    });
    const { chars, rope, flat } = JSON.parse(output.trim().split('\n').pop()!) as { chars: number; rope: number; flat: number };
    expect(chars).toBeGreaterThan(700_000);
    expect(rope / chars).toBeGreaterThan(4);
    expect(flat / chars).toBeLessThan(2);
  });
});
