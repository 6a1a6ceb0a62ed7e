/**
 * The example pages in real Chromium (Debian's /usr/bin/chromium, headless, kept off the network),
 * served by examples/chat-server, which relays to the local server. Both pages share one contract
 * (#prompt, #send, #stop, #answer, #error, #status, `main[data-state]`), so each behaviour is
 * checked on each page. Build the pages first: `npm run examples:build`.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DEFAULT_PAGES, startChatServer, type ChatServer } from '../../examples/chat-server/server.js';
import { startMockServer, type MockServer } from '../../lib/testing/index.js';

const ROOT = resolve(__dirname, '..', '..');
const COUNT = 'Count to 40, with a comma between each number and no newlines.';
const COUNTED = `${Array.from({ length: 40 }, (_, i) => i + 1).join(', ')}.`;
/** The local server answers a prompt with this in it with an HTTP 500. */
const FAIL = 'please fail';

/** Launch options every Chromium here uses: headless, no sandbox (root in CI), nothing fetched from the network. */
export const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
};

const PAGES = [
  { name: 'browser example', path: '/', pageFolder: DEFAULT_PAGES['/']!, screenshot: 'browser-example.png' },
  { name: 'Angular example', path: '/angular/', pageFolder: DEFAULT_PAGES['/angular/']!, screenshot: 'angular-example.png' },
];

describe.each(PAGES)('the $name in Chromium', ({ path, pageFolder, screenshot }) => {
  let mock: MockServer;
  let server: ChatServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(join(pageFolder, 'index.html'))) {
      throw new Error(`${pageFolder} is not built: run \`npm run examples:build\` first`);
    }
    mock = await startMockServer({
      // Slow enough to see the answer grow: 40 numbers are ~80 chunks, about 2.5 s.
      timing: { timeToFirstTokenMs: 150, perTokenMs: 30, jitter: 0 },
      faults: (request) => (JSON.stringify(request.messages).includes(FAIL) ? 'server-error' : undefined),
    });
    server = await startChatServer({ upstream: { baseURL: mock.baseURL, apiKey: 'sk-local-never-shown' } });
    browser = await chromium.launch(CHROMIUM);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await mock?.close();
  });

  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 900, height: 720 } });
    page.setDefaultTimeout(10_000);
    await page.goto(`${server.url}${path}`);
    await page.locator('#prompt').waitFor();
  });

  afterEach(async () => {
    await page.close();
  });

  /** Waits until the local server has no stream open; its stats. */
  const settled = async () => {
    for (let waited = 0; mock.stats.active !== 0; waited += 10) {
      if (waited > 5000) throw new Error('the local server still has a stream open');
      await new Promise((done) => setTimeout(done, 10));
    }
    return { ...mock.stats };
  };

  const ask = async (prompt: string): Promise<void> => {
    await page.locator('#prompt').fill(prompt);
    await page.locator('#send').click();
  };
  const answer = (): Promise<string> => page.locator('#answer').innerText();
  const state = (): Promise<string | null> => page.locator('main').getAttribute('data-state');

  it('should show the first words before the last chunk arrives, then exactly the reply', async () => {
    const before = await settled();
    await ask(COUNT);
    // The first words are on the page while the server is still streaming.
    await page.waitForFunction(() => (document.querySelector('#answer')?.textContent ?? '').startsWith('1, 2'));
    const early = await answer();
    expect(mock.stats.active).toBe(1);
    expect(early.length).toBeLessThan(COUNTED.length);
    expect(COUNTED.startsWith(early.trim())).toBe(true);
    await page.waitForFunction(() => document.querySelector('main')?.dataset['state'] === 'done', undefined, { timeout: 15_000 });
    expect((await answer()).trim()).toBe(COUNTED);
    expect(await page.locator('#status').innerText()).toMatch(/first token after \d+ ms/);
    if (path === '/angular/') {
      // The server's own usage (the relay asks for it), shown by the page.
      expect(await page.locator('#usage').innerText()).toMatch(/^Usage: \d+ prompt \+ \d+ completion = \d+ tokens$/);
    }
    const after = await settled();
    expect(after.completed - before.completed).toBe(1);
    expect(after.aborted - before.aborted).toBe(0);
    // The docs' picture of the page: written to docs/ by `npm run screenshots`, else to a temp folder.
    const folder = process.env['UPDATE_SCREENSHOTS'] === '1' ? join(ROOT, 'docs') : mkdtempSync(join(tmpdir(), 'screenshots-'));
    await page.screenshot({ path: join(folder, screenshot) });
    expect(existsSync(join(folder, screenshot))).toBe(true);
  });

  it('should abort the upstream request when stop is pressed', async () => {
    const before = await settled();
    await ask(COUNT);
    await page.waitForFunction(() => (document.querySelector('#answer')?.textContent ?? '').length > 3);
    await page.locator('#stop').click();
    await waitFor(() => mock.stats.aborted - before.aborted === 1, 'the local server to see the abort');
    expect(await state()).toBe('stopped');
    expect((await answer()).length).toBeLessThan(COUNTED.length);
    const after = await settled();
    expect(after.completed - before.completed).toBe(0);
  });

  it('should abort the upstream request when the page is left', async () => {
    const before = await settled();
    await ask(COUNT);
    await page.waitForFunction(() => (document.querySelector('#answer')?.textContent ?? '').length > 3);
    await page.goto('about:blank');
    await waitFor(() => mock.stats.aborted - before.aborted === 1, 'the local server to see the abort');
    const after = await settled();
    expect(after.completed - before.completed).toBe(0);
  });

  it('should show an HTTP 500, then answer the next prompt', async () => {
    await ask(`Say hi, ${FAIL}`);
    await page.locator('#error').waitFor({ state: 'visible' });
    expect(await page.locator('#error').innerText()).toContain('500');
    expect(await state()).toBe('error');
    await ask('Say hi');
    await page.waitForFunction(() => document.querySelector('main')?.dataset['state'] === 'done', undefined, { timeout: 15_000 });
    expect((await answer()).trim()).toBe('You said: "Say hi"');
    expect(await page.locator('#error').isVisible()).toBe(false);
  });

  it('should render a Persian prompt and answer right to left', async () => {
    await ask('سلام، حالت چطوره؟');
    await page.waitForFunction(() => document.querySelector('main')?.dataset['state'] === 'done', undefined, { timeout: 15_000 });
    expect(await answer()).toMatch(/[\u0600-\u06FF]/);
    expect(await page.locator('#answer').evaluate((element) => element.matches(':dir(rtl)'))).toBe(true);
    expect(await page.locator('#prompt').evaluate((element) => element.matches(':dir(rtl)'))).toBe(true);
    // An English answer in the same element goes left to right again.
    await ask('Say hi');
    await page.waitForFunction(() => document.querySelector('main')?.dataset['state'] === 'done', undefined, { timeout: 15_000 });
    expect(await page.locator('#answer').evaluate((element) => element.matches(':dir(ltr)'))).toBe(true);
  });

  it('should never send the API key to the page', async () => {
    const bodies: string[] = [];
    page.on('response', (response) => {
      void response.text().then(
        (text) => bodies.push(text),
        () => undefined,
      );
    });
    await page.reload();
    await ask('Say hi');
    await page.waitForFunction(() => document.querySelector('main')?.dataset['state'] === 'done', undefined, { timeout: 15_000 });
    expect(bodies.length).toBeGreaterThan(1);
    expect(bodies.filter((body) => body.includes('sk-local-never-shown'))).toEqual([]);
  });
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 10));
  }
}
