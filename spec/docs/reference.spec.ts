/**
 * docs/operators.md is the reference of every source and operator: each one the package exports
 * has its own section there, with a marble diagram and a TypeScript example (which
 * examples.spec.ts type-checks, and runs where marked). A new operator without them fails here.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

/** The functions lib/index.ts exports from the modules of sources, operators and the wire format. */
function streamFunctions(): string[] {
  const index = readFileSync(join(ROOT, 'lib', 'index.ts'), 'utf8');
  return [...index.matchAll(/^export \{([^}]*)\} from '\.\/(sources|operators|sse|protocol|http)\//gm)].flatMap((match) =>
    (match[1] ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '' && !name.startsWith('type ')),
  );
}

/** The reference's sections: each `###` heading and the text up to the next heading. */
function sections(): { heading: string; body: string }[] {
  const text = readFileSync(join(ROOT, 'docs', 'operators.md'), 'utf8');
  return text
    .split(/^(?=#{1,3} )/m)
    .filter((part) => part.startsWith('### '))
    .map((part) => ({ heading: part.slice(0, part.indexOf('\n')), body: part }));
}

describe('docs/operators.md, the reference', () => {
  const functions = streamFunctions();
  const all = sections();

  it('should find the exported sources and operators', () => {
    expect(functions).toEqual(expect.arrayContaining(['fromChatCompletion', 'fromSSE', 'contentDeltas', 'toChatCompletion', 'toSSE']));
    expect(functions.length).toBeGreaterThanOrEqual(29);
  });

  it.each(functions)('should have a section for %s, with a marble diagram and an example', (name) => {
    const section = all.find(({ heading }) => heading.includes(`\`${name}(`));
    expect(section?.heading).toBeDefined();
    const body = section?.body ?? '';
    // A diagram: a plain fenced block with a timeline (dashes, then an end, an error or a value).
    expect(body).toMatch(/^```\n[\s\S]*?-{2,}[\s\S]*?^```$/m);
    expect(body).toMatch(/^```ts\n/m);
  });
});
