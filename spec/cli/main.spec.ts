import { main } from '../../lib/cli/cli.js';
import { memoryIO } from './helpers.js';

describe('main', () => {
  describe('help', () => {
    it('should print the program help for --help and -h and exit 0', async () => {
      for (const flag of ['--help', '-h']) {
        const run = memoryIO();
        expect(await main([flag], run.io)).toBe(0);
        expect(run.stdout).toContain('Usage:');
        for (const command of ['demo', 'chat', 'serve']) expect(run.stdout).toContain(command);
        expect(run.stderr).toBe('');
      }
    });

    it('should print the help on stderr and exit 2 when no command is given', async () => {
      const run = memoryIO();
      expect(await main([], run.io)).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('Commands:');
    });

    it.each([
      ['demo', ['--json', '--prompt', '--model', '--base-url', '--timing']],
      ['chat', ['<prompt>', '--system', '--model', '--base-url']],
      ['serve', ['--port', '--host', '--api-key', '--api-key-env', '--timing']],
    ])('should print the help of %s with --help, -h and `help %s`', async (command, flags) => {
      for (const argv of [[command, '--help'], [command, '-h'], ['help', command], [command, '--model', 'x', '-h']]) {
        const run = memoryIO();
        expect(await main(argv, run.io)).toBe(0);
        expect(run.stdout).toContain(`Usage: rxjs-chat-stream ${command}`);
        for (const flag of flags) expect(run.stdout).toContain(flag);
        expect(run.stderr).toBe('');
      }
    });
  });

  describe('usage errors', () => {
    it.each([
      [['demo', '--jsno'], /demo: unknown option '--jsno' \(see rxjs-chat-stream demo --help\)/],
      [['chat', 'hi', '--modle', 'x'], /chat: unknown option '--modle'/],
      [['serve', '--port'], /serve: option '--port <value>' argument missing/],
      [['demo', '--model'], /demo: option '--model <value>' argument missing/],
      [['demo', 'extra'], /demo: unexpected argument 'extra'/],
      [['chat'], /chat: missing the prompt/],
      [['chat', '   '], /chat: missing the prompt/],
      [['serve', '--port', 'eighty'], /serve: --port must be a port number from 0 to 65535, got 'eighty'/],
      [['serve', '--port', '70000'], /--port must be a port number/],
      [['serve', '--timing', 'fast'], /serve: --timing must be 'realistic', 'instant' or 'TTFT,PER_TOKEN\[,JITTER\]'/],
      [['demo', '--timing', '5,2,3'], /--timing must be/],
      [['demo', '--base-url', 'not a url'], /demo: --base-url is not a URL \(expected something like https:/],
      [['demo', '--base-url', 'sk-secret-in-a-url'], /^(?![\s\S]*sk-secret)[\s\S]*is not a URL/],
      [['chat', 'hi', '--base-url', 'ftp://example.com'], /--base-url must be an http:\/\/ or https:\/\/ URL/],
      [['demo', '--model', ''], /--model must not be empty/],
      [['frobnicate'], /unknown command 'frobnicate' \(commands: demo, chat, serve/],
      [['--verbose'], /unknown option '--verbose'/],
      [['help', 'nope'], /unknown command 'nope'/],
    ])('should exit 2 with one line for %j', async (argv, message) => {
      const run = memoryIO();
      expect(await main(argv, run.io)).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.errorLines).toHaveLength(1);
      expect(run.errorLines[0]).toMatch(/^rxjs-chat-stream: /);
      expect(run.errorLines[0]).toMatch(message);
    });

    it('should refuse --timing against a remote endpoint, and --local with --base-url', async () => {
      const remote = memoryIO({ OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
      expect(await main(['chat', 'hi', '--timing', 'instant'], remote.io)).toBe(2);
      expect(remote.errorLines).toEqual([expect.stringContaining('--timing applies to the local server only')]);

      const both = memoryIO();
      expect(await main(['demo', '--local', '--base-url', 'http://127.0.0.1:9/v1'], both.io)).toBe(2);
      expect(both.errorLines).toEqual([expect.stringContaining('--local and --base-url cannot be used together')]);
    });

    it('should say in one line that the openai package is missing, and exit 2', async () => {
      const missing = Object.assign(new Error("Cannot find module 'openai'"), { code: 'MODULE_NOT_FOUND' });
      const run = memoryIO({}, { loadOpenAI: () => Promise.reject(missing) });
      expect(await main(['chat', 'hi', '--local'], run.io)).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.errorLines).toEqual([
        "rxjs-chat-stream: the 'openai' package is not installed: run `npm install openai` (this command calls the API with it)",
      ]);
    });
  });
});
