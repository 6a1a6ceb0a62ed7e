/**
 * Which API the `demo` and `chat` commands talk to: `--base-url` / `OPENAI_BASE_URL` /
 * `OPENAI_API_KEY` / `GILAS_API_KEY` when given, else the embedded local server, started for the command and
 * closed after it. And the `openai` client for it, loaded at run time (an optional peer).
 * @internal
 */
import type { ChatCompletionsClient } from '../sources/fromChatCompletion.js';
import { startMockServer, type MockTiming } from '../testing/index.js';
import { encodingForModel } from '../tokens/encodingForModel.js';
import { loadEncoding } from '../tokens/loadEncoding.js';
import type { ChatCompletion } from '../types.js';
import { describeTiming, displayURL, parseBaseURL } from './args.js';
import { oneLine, SetupError, UsageError } from './failures.js';
import { line, type CliIO } from './io.js';
import { redactValue } from '../redact.js';

/** The default endpoint of the `openai` SDK, used when only `OPENAI_API_KEY` is set. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
/** The Gilas API, used when the key is `GILAS_API_KEY` and no base URL is given (as its docs do). */
export const GILAS_BASE_URL = 'https://api.gilas.io/v1/';

/** What the user asked for on the command line. */
export interface EndpointFlags {
  'base-url'?: string;
  local?: boolean;
  timing?: 'realistic' | 'instant' | MockTiming;
  /** The model the command will ask for (the local server loads its tokenizer for it up front). */
  model?: string;
}

/** The client the commands use: the SDK's `chat.completions.create`, streamed and not. */
export interface CliClient {
  /** A streamed request, for `fromChatCompletion`. */
  readonly streaming: ChatCompletionsClient;
  /** A non-streamed request. */
  complete(body: Record<string, unknown>, signal: AbortSignal): PromiseLike<ChatCompletion>;
}

/** An endpoint ready to use. */
export interface Endpoint {
  kind: 'local' | 'remote';
  /** The base URL, safe to print (no credentials). */
  baseURL: string;
  client: CliClient;
  /** The key in use (only to scrub it from messages; never printed). */
  apiKey: string | undefined;
  /** The variable the key came from (`OPENAI_API_KEY` or `GILAS_API_KEY`), to name it in a hint. */
  apiKeyVariable: string | undefined;
  /** One line saying which endpoint this is. */
  description: string;
  /** Stops the local server; nothing for a remote endpoint. */
  close(): Promise<void>;
}

interface SDKClient {
  chat: { completions: { create(body: object, options?: { signal?: AbortSignal }): PromiseLike<unknown> } };
}

/** The SDK's logger option: what it logs goes through {@link sdkLogger}. */
interface SDKLogger {
  error(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  info(message: string, ...rest: unknown[]): void;
  debug(message: string, ...rest: unknown[]): void;
}

type OpenAIConstructor = new (options: {
  apiKey: string;
  baseURL: string;
  maxRetries: number;
  organization: string | null;
  project: string | null;
  logLevel: 'warn';
  logger: SDKLogger;
}) => SDKClient;

/**
 * The logger the commands give the SDK: warnings and errors to stderr, each part redacted (the
 * SDK logs a server's text as it came, as in "Could not parse message into JSON: …", where a
 * server or proxy may have echoed the `Authorization` header), and the key in use masked too.
 */
function sdkLogger(io: CliIO, apiKey: string | undefined): SDKLogger {
  const write = (message: string, rest: unknown[]): void => {
    const parts = [message, ...rest].map((part) => {
      if (typeof part === 'string') return part;
      if (part instanceof Error) return part.message;
      try {
        return JSON.stringify(redactValue(part)) ?? String(part);
      } catch {
        return String(part);
      }
    });
    line(io.stderr, `openai: ${oneLine(parts.join(' '), apiKey)}`);
  };
  return {
    error: (message, ...rest) => write(message, rest),
    warn: (message, ...rest) => write(message, rest),
    info: () => undefined,
    debug: () => undefined,
  };
}

const isMissingModule = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && /openai/.test(String((error as Error).message));
};

/** The `openai` SDK's client class, or a one-line {@link SetupError} saying to install it. */
export async function loadOpenAI(io: CliIO): Promise<OpenAIConstructor> {
  let module: unknown;
  try {
    module = await (io.loadOpenAI ?? (() => import('openai')))();
  } catch (error) {
    if (isMissingModule(error)) {
      throw new SetupError("the 'openai' package is not installed: run `npm install openai` (this command calls the API with it)");
    }
    throw error;
  }
  const candidate = module as { default?: unknown; OpenAI?: unknown } | null;
  const ctor = [candidate?.OpenAI, candidate?.default, (candidate?.default as { OpenAI?: unknown } | undefined)?.OpenAI].find(
    (value) => typeof value === 'function',
  );
  if (ctor === undefined) {
    throw new SetupError("the 'openai' package is not installed: run `npm install openai` (this command calls the API with it)");
  }
  return ctor as OpenAIConstructor;
}

function wrap(sdk: SDKClient): CliClient {
  return {
    streaming: sdk as unknown as ChatCompletionsClient,
    complete: (body, signal) => sdk.chat.completions.create({ ...body, stream: false }, { signal }) as PromiseLike<ChatCompletion>,
  };
}

/**
 * The API key from the environment: `OPENAI_API_KEY`, else `GILAS_API_KEY` (the variable the Gilas
 * documentation uses), with the name of the variable it came from.
 */
export function keyFromEnv(env: CliIO['env']): { key: string; variable: 'OPENAI_API_KEY' | 'GILAS_API_KEY' } | undefined {
  for (const variable of ['OPENAI_API_KEY', 'GILAS_API_KEY'] as const) {
    const key = env[variable]?.trim();
    if (key) return { key, variable };
  }
  return undefined;
}

/**
 * Picks the endpoint: `--local` forces the local server; else `--base-url`, else `OPENAI_BASE_URL`;
 * a key alone means its API: `OPENAI_API_KEY` the OpenAI API, `GILAS_API_KEY` the Gilas API;
 * neither means the local server (on 127.0.0.1, any free port, `--timing`, default realistic).
 */
export async function openEndpoint(flags: EndpointFlags, io: CliIO): Promise<Endpoint> {
  const env = io.env;
  const OpenAI = await loadOpenAI(io);
  const flagURL = flags['base-url'];
  const envURL = env['OPENAI_BASE_URL']?.trim() || undefined;
  const keyed = keyFromEnv(env);
  const envKey = keyed?.key;
  if (flags.local && flagURL !== undefined) throw new UsageError('--local and --base-url cannot be used together');

  const remote = !flags.local && (flagURL !== undefined || envURL !== undefined || envKey !== undefined);
  if (!remote) {
    const timing = flags.timing ?? 'realistic';
    // The server counts tokens with the model's encoding: load it now, so that the first
    // request's measured time is the server's timing, not the loading of ~2 MB of ranks.
    await loadEncoding(encodingForModel(flags.model ?? 'gpt-4o-mini'));
    const server = await startMockServer({ timing });
    const sdk = new OpenAI({
      apiKey: 'local',
      baseURL: server.baseURL,
      maxRetries: 0,
      organization: null,
      project: null,
      logLevel: 'warn',
      logger: sdkLogger(io, undefined),
    });
    const why = flags.local ? '--local' : 'OPENAI_BASE_URL, OPENAI_API_KEY and GILAS_API_KEY are not set';
    return {
      kind: 'local',
      baseURL: server.baseURL,
      client: wrap(sdk),
      apiKey: undefined,
      apiKeyVariable: undefined,
      description: `Endpoint: the embedded local server at ${server.baseURL} (${why}; ${describeTiming(timing)})`,
      close: () => server.close(),
    };
  }
  if (flags.timing !== undefined) {
    throw new UsageError('--timing applies to the local server only (add --local, or unset OPENAI_BASE_URL and the API key)');
  }
  // A key alone picks its own API: the Gilas one for GILAS_API_KEY, OpenAI's for OPENAI_API_KEY.
  const keyURL = keyed?.variable === 'GILAS_API_KEY' ? GILAS_BASE_URL : OPENAI_BASE_URL;
  const url = parseBaseURL(flagURL ?? envURL ?? keyURL, flagURL !== undefined ? '--base-url' : 'OPENAI_BASE_URL');
  const baseURL = displayURL(url);
  const sdk = new OpenAI({
    // Keyless OpenAI-compatible servers (a local vLLM or Ollama) take any key; a server that wants
    // one answers 401, reported as such.
    apiKey: envKey ?? 'none',
    baseURL: url.href,
    // One request per step: a retry would hide the first failure and distort the measured times.
    maxRetries: 0,
    organization: env['OPENAI_ORG_ID'] ?? null,
    project: env['OPENAI_PROJECT_ID'] ?? null,
    logLevel: 'warn',
    logger: sdkLogger(io, envKey),
  });
  const source =
    flagURL !== undefined
      ? '--base-url'
      : envURL !== undefined
        ? 'OPENAI_BASE_URL'
        : keyed?.variable === 'GILAS_API_KEY'
          ? 'the Gilas API, since GILAS_API_KEY is set'
          : 'the OpenAI API, since OPENAI_API_KEY is set';
  return {
    kind: 'remote',
    baseURL,
    client: wrap(sdk),
    apiKey: envKey,
    apiKeyVariable: keyed?.variable,
    description: `Endpoint: remote, ${baseURL} (${source}; ${keyed ? `API key from ${keyed.variable}` : 'no API key'})`,
    close: () => Promise.resolve(),
  };
}
