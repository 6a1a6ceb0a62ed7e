/**
 * The `rxjs-chat-stream` command, runnable in-process: `main(argv, io)` parses the arguments,
 * runs the command and resolves to its exit code. It never throws and never calls
 * `process.exit`; `main.ts` is the thin runner that wires it to the process.
 * @internal
 */
import { nonEmpty, parse, parseBaseURL, parsePort, parseRate, parseTiming, parseWhole, wantsHelp } from './args.js';
import { runBatch } from './batch.js';
import { runChat } from './chat.js';
import { DEFAULT_MODEL, COUNT_PROMPT, runDemo } from './demo.js';
import { openEndpoint, type Endpoint, type EndpointFlags } from './endpoint.js';
import { describeFailure, UsageError } from './failures.js';
import { HELP, PROGRAM } from './help.js';
import { EXIT, line, type CliIO } from './io.js';
import { runServe } from './serve.js';
import { runRelay } from './relay.js';

export type { CliIO } from './io.js';
export { EXIT } from './io.js';

const COMMANDS = ['demo', 'chat', 'serve', 'batch', 'relay'] as const;
type Command = (typeof COMMANDS)[number];

const ENDPOINT_OPTIONS = {
  'base-url': { type: 'string' },
  local: { type: 'boolean' },
  timing: { type: 'string' },
  model: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function endpointFlags(values: { 'base-url'?: string; local?: boolean; timing?: string }): EndpointFlags {
  const flags: EndpointFlags = {};
  if (values.local && values['base-url'] !== undefined) throw new UsageError('--local and --base-url cannot be used together');
  if (values['base-url'] !== undefined) {
    parseBaseURL(values['base-url'], '--base-url');
    flags['base-url'] = values['base-url'];
  }
  if (values.local) flags.local = true;
  if (values.timing !== undefined) flags.timing = parseTiming(values.timing);
  return flags;
}

/** Opens the endpoint, runs `body`, closes the endpoint; failures become one line and a code. */
async function withEndpoint(
  flags: EndpointFlags,
  io: CliIO,
  announce: boolean,
  body: (endpoint: Endpoint) => Promise<void>,
): Promise<number> {
  let endpoint: Endpoint | undefined;
  try {
    endpoint = await openEndpoint(flags, io);
    if (announce) line(io.stdout, endpoint.description);
    await body(endpoint);
    return EXIT.ok;
  } catch (error) {
    const failure = describeFailure(error, {
      ...(endpoint ? { baseURL: endpoint.baseURL, keyConfigured: endpoint.apiKey !== undefined } : {}),
      ...(endpoint?.apiKeyVariable ? { keyVariable: endpoint.apiKeyVariable } : {}),
      ...(endpoint?.apiKey ? { apiKey: endpoint.apiKey } : {}),
    });
    line(io.stderr, `${PROGRAM}: ${failure.message}`);
    return failure.exitCode;
  } finally {
    await endpoint?.close();
  }
}

async function demo(args: readonly string[], io: CliIO): Promise<number> {
  const { values } = parse(
    args,
    { ...ENDPOINT_OPTIONS, prompt: { type: 'string' }, json: { type: 'boolean' } },
    false,
  );
  const flags = endpointFlags(values);
  const model = nonEmpty(values.model, '--model') ?? DEFAULT_MODEL;
  const prompt = nonEmpty(values.prompt, '--prompt') ?? COUNT_PROMPT;
  const json = values.json === true;
  flags.model = model;
  // In --json mode the document names the endpoint; stdout holds nothing else.
  return withEndpoint(flags, io, !json, async (endpoint) => {
    if (!json) {
      line(io.stdout, `Model: ${model}`);
      line(io.stdout);
    }
    const report = await runDemo(endpoint, { model, prompt, quiet: json }, io);
    if (json) line(io.stdout, JSON.stringify(report, null, 2));
  });
}

async function chat(args: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { ...ENDPOINT_OPTIONS, system: { type: 'string' } }, true);
  const prompt = positionals.join(' ');
  if (prompt.trim() === '') throw new UsageError('missing the prompt: rxjs-chat-stream chat "your prompt"');
  const flags = endpointFlags(values);
  const model = nonEmpty(values.model, '--model') ?? DEFAULT_MODEL;
  const system = values.system;
  flags.model = model;
  // stdout is the answer alone; the endpoint is named in the stderr line at the end.
  return withEndpoint(flags, io, false, async (endpoint) => {
    await runChat(endpoint, { model, prompt, ...(system === undefined ? {} : { system }) }, io);
  });
}

async function serve(args: readonly string[], io: CliIO): Promise<number> {
  const { values } = parse(
    args,
    {
      port: { type: 'string' },
      host: { type: 'string' },
      'api-key': { type: 'string' },
      'api-key-env': { type: 'string' },
      timing: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  const port = values.port === undefined ? 8787 : parsePort(values.port);
  const host = nonEmpty(values.host, '--host') ?? '127.0.0.1';
  const apiKey = serveKey(values['api-key'], values['api-key-env'], io.env);
  const apiKeySource = values['api-key-env'] !== undefined ? `--api-key-env ${values['api-key-env'].trim()}` : '--api-key';
  const timing = values.timing === undefined ? 'realistic' : parseTiming(values.timing);
  try {
    await runServe({ port, host, timing, ...(apiKey === undefined ? {} : { apiKey, apiKeySource }) }, io);
    return EXIT.ok;
  } catch (error) {
    const failure = describeFailure(error, apiKey === undefined ? {} : { apiKey });
    line(io.stderr, `${PROGRAM}: ${failure.message}`);
    return failure.exitCode;
  }
}

/**
 * The key `serve` requires: `--api-key K`, or the value of the variable `--api-key-env NAME` names
 * (which keeps the key out of the process list and the shell history). Never both.
 */
function serveKey(flag: string | undefined, variable: string | undefined, env: CliIO['env']): string | undefined {
  const name = nonEmpty(variable, '--api-key-env');
  if (name === undefined) return nonEmpty(flag, '--api-key');
  if (flag !== undefined) throw new UsageError('give --api-key or --api-key-env, not both');
  const key = env[name];
  if (key === undefined || key.trim() === '') throw new UsageError(`--api-key-env: the environment variable ${name} is not set or empty`);
  return key;
}

/** `relay --upstream URL`: the resumable relay in the foreground. */
async function relayCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values } = parse(
    args,
    {
      port: { type: 'string' },
      host: { type: 'string' },
      upstream: { type: 'string' },
      redis: { type: 'string' },
      'api-key-env': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  const port = values.port === undefined ? 8788 : parsePort(values.port);
  const host = nonEmpty(values.host, '--host') ?? '127.0.0.1';
  const upstream = nonEmpty(values.upstream, '--upstream');
  if (upstream === undefined) throw new UsageError('missing --upstream URL (the API base URL, e.g. https://api.openai.com/v1)');
  parseBaseURL(upstream, '--upstream');
  const redis = nonEmpty(values.redis, '--redis');
  if (redis !== undefined && !/^rediss?:\/\/./.test(redis)) throw new UsageError(`--redis must be a redis:// URL, got '${redis}'`);
  const variable = nonEmpty(values['api-key-env'], '--api-key-env');
  let apiKey: string | undefined;
  if (variable !== undefined) {
    apiKey = io.env[variable];
    if (apiKey === undefined || apiKey.trim() === '') throw new UsageError(`--api-key-env: the environment variable ${variable} is not set or empty`);
  }
  try {
    await runRelay(
      {
        port,
        host,
        upstream,
        ...(redis === undefined ? {} : { redis }),
        ...(apiKey === undefined ? {} : { apiKey, apiKeySource: `--api-key-env ${variable}` }),
      },
      io,
    );
    return EXIT.ok;
  } catch (error) {
    const failure = describeFailure(error, apiKey === undefined ? {} : { apiKey });
    line(io.stderr, `${PROGRAM}: ${failure.message}`);
    return failure.exitCode;
  }
}

/** `batch requests.jsonl`: results on stdout; exit 1 when any request failed (its line says why). */
async function batch(args: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      ...ENDPOINT_OPTIONS,
      concurrency: { type: 'string' },
      rpm: { type: 'string' },
      tpm: { type: 'string' },
      retries: { type: 'string' },
      ordered: { type: 'boolean' },
      resume: { type: 'string' },
    },
    true,
  );
  const [file, ...extra] = positionals;
  if (file === undefined) throw new UsageError('missing the requests file: rxjs-chat-stream batch requests.jsonl > results.jsonl');
  if (extra.length > 0) throw new UsageError(`one requests file only, got ${positionals.length}`);
  const flags = endpointFlags(values);
  const model = nonEmpty(values.model, '--model') ?? DEFAULT_MODEL;
  flags.model = model;
  const resume = nonEmpty(values.resume, '--resume');
  const options = {
    file,
    model,
    concurrency: values.concurrency === undefined ? 8 : parseWhole(values.concurrency, '--concurrency', 1),
    retries: values.retries === undefined ? 2 : parseWhole(values.retries, '--retries', 0),
    ordered: values.ordered === true,
    ...(values.rpm === undefined ? {} : { requestsPerMinute: parseRate(values.rpm, '--rpm') }),
    ...(values.tpm === undefined ? {} : { tokensPerMinute: parseRate(values.tpm, '--tpm') }),
    ...(resume === undefined ? {} : { resume }),
  };
  let failed = 0;
  const code = await withEndpoint(flags, io, false, async (endpoint) => {
    failed = (await runBatch(endpoint, options, io)).failed;
  });
  return code === EXIT.ok && failed > 0 ? EXIT.failed : code;
}

const RUN: Record<Command, (args: readonly string[], io: CliIO) => Promise<number>> = { demo, chat, serve, batch, relay: relayCommand };

const isCommand = (name: string | undefined): name is Command => (COMMANDS as readonly string[]).includes(name ?? '');

/**
 * Runs `rxjs-chat-stream` with `argv` (the arguments after the program name).
 *
 * @param argv For example `['demo', '--json']`.
 * @param io Output streams, environment, the interrupt signal, the clock.
 * @return A promise of the exit code: 0 done, 1 failed, 2 bad usage / unreachable / HTTP error, 130 interrupted.
 */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined) {
      // No command: the help, where errors go, and the usage exit code.
      io.stderr.write(HELP.program);
      return EXIT.usage;
    }
    if (first === '-h' || first === '--help') {
      io.stdout.write(HELP.program);
      return EXIT.ok;
    }
    if (first === 'help') {
      const topic = rest[0];
      if (topic === undefined) io.stdout.write(HELP.program);
      else if (isCommand(topic)) io.stdout.write(HELP[topic]);
      else throw new UsageError(`unknown command '${topic}' (commands: ${COMMANDS.join(', ')})`);
      return EXIT.ok;
    }
    if (!isCommand(first)) {
      throw new UsageError(
        first.startsWith('-')
          ? `unknown option '${first}' (see ${PROGRAM} --help)`
          : `unknown command '${first}' (commands: ${COMMANDS.join(', ')}; see ${PROGRAM} --help)`,
      );
    }
    if (wantsHelp(rest)) {
      io.stdout.write(HELP[first]);
      return EXIT.ok;
    }
    try {
      return await RUN[first](rest, io);
    } catch (error) {
      if (error instanceof UsageError) throw new UsageError(`${first}: ${error.message} (see ${PROGRAM} ${first} --help)`);
      throw error;
    }
  } catch (error) {
    const failure = describeFailure(error);
    line(io.stderr, `${PROGRAM}: ${failure.message}`);
    return failure.exitCode;
  }
}
