/**
 * `npm run examples:serve`: the example pages and their chat relay on http://127.0.0.1:8787.
 *
 * The upstream: `OPENAI_BASE_URL` with `OPENAI_API_KEY` (or `GILAS_API_KEY`, whose API is used when
 * no base URL is given); with no key, the local server (rxjs-chat-stream/testing), started here,
 * with realistic timing. The key is never printed. `PORT` changes the port.
 */
import { startMockServer } from '../../lib/testing/index.js';
import { startChatServer, type Upstream } from './server.js';

const GILAS_BASE_URL = 'https://api.gilas.io/v1/';

async function main(): Promise<void> {
  const env = process.env;
  const key = env['OPENAI_API_KEY']?.trim() || env['GILAS_API_KEY']?.trim();
  let upstream: Upstream;
  let where: string;
  let stop: () => Promise<void> = () => Promise.resolve();
  if (key) {
    const baseURL = env['OPENAI_BASE_URL']?.trim() || (env['OPENAI_API_KEY']?.trim() ? 'https://api.openai.com/v1' : GILAS_BASE_URL);
    upstream = { baseURL, apiKey: key, ...(env['MODEL'] ? { model: env['MODEL'] } : {}) };
    where = baseURL;
  } else {
    const mock = await startMockServer();
    upstream = { baseURL: mock.baseURL, apiKey: 'local' };
    where = `the local server (${mock.baseURL})`;
    stop = () => mock.close();
  }
  const server = await startChatServer({ upstream, port: Number(env['PORT'] ?? 8787) });
  console.log(`Example pages on ${server.url}/ and ${server.url}/angular/, answers from ${where}`);
  const end = (): void => {
    void server.close().then(stop).then(() => process.exit(0));
  };
  process.on('SIGINT', end);
  process.on('SIGTERM', end);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : 'The server did not start');
  process.exit(1);
});
