/**
 * The bench's child process (started by child-process.ts with `--expose-gc --import tsx`).
 * Modes, each printing one JSON line on stdout:
 * - `first-use <ours|js-tiktoken|gpt-tokenizer> <encoding>`: the cold first use of an encoding;
 * - `memory <contender> <chunks>`: heap over a long, lazily generated stream;
 * - `server <replyBytes>`: the local mock server (`timing: 'instant'`) until stdin ends;
 * - `relay <upstream> <memory|redis://…>`: a relay process until stdin ends.
 */
import { firstUse } from './cases/firstUse.js';
import { measureMemory } from './cases/memoryChild.js';
import { serveUntilStdinEnds } from './cases/serverChild.js';
import { relayUntilStdinEnds } from './cases/relayChild.js';

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  let result: unknown;
  switch (mode) {
    case 'first-use':
      result = await firstUse(args[0] ?? '', args[1] ?? '');
      break;
    case 'memory':
      result = await measureMemory(args[0] ?? '', Number(args[1]));
      break;
    case 'server':
      await serveUntilStdinEnds(Number(args[0]));
      return;
    case 'relay':
      await relayUntilStdinEnds(args[0] ?? '', args[1] ?? 'memory');
      return;
    default:
      throw new Error(`bench child: unknown mode ${String(mode)}`);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
