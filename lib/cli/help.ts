/**
 * The help texts of the program and of each command.
 * @internal
 */

export const PROGRAM = 'rxjs-chat-stream';

const ENDPOINT = `Endpoint:
  --base-url, else OPENAI_BASE_URL, else (when only a key is set) the key's own API: the OpenAI
  API for OPENAI_API_KEY, the Gilas API (https://api.gilas.io/v1/) for GILAS_API_KEY. The key
  is read from OPENAI_API_KEY, else GILAS_API_KEY, and never printed. With none of them, or with --local,
  the command starts the embedded local server (127.0.0.1, any free port, no key, no network)
  and closes it at the end. One line says which endpoint is used.`;

const EXIT_CODES = `Exit codes:
  0 done · 1 failed · 2 bad flag or argument, unreachable endpoint, HTTP error (401 …),
  missing 'openai' package · 130 interrupted`;

export const HELP: Record<'program' | 'demo' | 'chat' | 'serve' | 'batch' | 'relay', string> = {
  program: `${PROGRAM}: OpenAI-compatible chat-completion streams as RxJS Observables

Usage:
  ${PROGRAM} <command> [options]
  ${PROGRAM} <command> --help

Commands:
  demo    Run the cookbook notebook "How to stream completions" with the toolkit
  chat    Stream one answer to the terminal, then timing and usage on stderr
  serve   Start the local OpenAI-compatible server in the foreground
  batch   Stream many requests (JSON Lines) within budgets; one result per line
  relay   Run the resumable relay (in memory, or on Redis) in front of an API
  help    Show the help of a command (${PROGRAM} help demo)

Options:
  -h, --help   Show this help

${ENDPOINT}

${EXIT_CODES}

Examples:
  npm run demo
  ${PROGRAM} demo --json
  GILAS_API_KEY=… ${PROGRAM} chat "What's 1+1?"        (the Gilas API)
  ${PROGRAM} serve --port 8787
`,

  demo: `Usage: ${PROGRAM} demo [options]

Reproduces the OpenAI cookbook notebook "How to stream completions" with the toolkit:
  1. a non-streamed "Count to 100 …" request: the time it took, the full reply, its usage;
  2. a streamed "What's 1+1? Answer in one word.": every chunk and its delta;
  3. the count request streamed (stream_options.include_usage): one line per chunk,
     "Message received 0.31 seconds after request: 1" (elapsed()), the reply rebuilt with
     toChatCompletion(), the usage (the server's, or counted with usage()), and the time saved:
     time to first token against the full response, side by side with step 1.

Options:
  --model <name>     The model (default gpt-4o-mini)
  --prompt <text>    Replaces the count-to-100 prompt of steps 1 and 3
  --json             Print one JSON document with the numbers instead (for scripts): per step
                     totalMs, timeToFirstTokenMs, reply, usage {prompt, completion, total,
                     estimated}, chunks, endpoint ('local' | 'remote'); the endpoint line goes
                     to stderr
  --base-url <url>   An OpenAI-compatible API (overrides OPENAI_BASE_URL)
  --local            Use the embedded local server even when OPENAI_* variables are set
  --timing <t>       Local server only: realistic (default: 300 ms to the first token, then
                     25 ms per token), instant, or TTFT,PER_TOKEN[,JITTER] in ms (e.g. 50,2)
  -h, --help         Show this help

${ENDPOINT}

${EXIT_CODES}

Examples:
  npm run demo
  ${PROGRAM} demo --json --timing 50,2
  ${PROGRAM} demo --prompt "Count to 20, with a comma between each number."
`,

  chat: `Usage: ${PROGRAM} chat <prompt> [options]

Streams one answer to stdout as it arrives, then prints one line on stderr: time to first token,
tokens per second (completion tokens from the first token to the end), total time and usage
(the server's, with stream_options.include_usage, or counted locally; the line says which).
Words after "chat" are joined into the prompt.

Options:
  --model <name>     The model (default gpt-4o-mini)
  --system <text>    A system message before the prompt
  --base-url <url>   An OpenAI-compatible API (overrides OPENAI_BASE_URL)
  --local            Use the embedded local server even when OPENAI_* variables are set
  --timing <t>       Local server only: realistic (default), instant, or TTFT,PER_TOKEN[,JITTER] in ms
  -h, --help         Show this help

${ENDPOINT}

${EXIT_CODES}

Examples:
  ${PROGRAM} chat "Count to 10"
  ${PROGRAM} chat "Explain SSE in one sentence" --model gpt-4o --system "Be brief."
`,

  serve: `Usage: ${PROGRAM} serve [options]

Starts the local OpenAI-compatible server in the foreground (POST /v1/chat/completions, streamed
and not; GET /v1/models), prints its base URL, and stops cleanly on Ctrl-C or SIGTERM. Answers
are scripted and deterministic ("Count to N" gets "1, 2, …, N.", "What's 1+1?" gets "2");
faults on demand with the x-mock-fault request header (see docs/local-server.md).

Options:
  --port <n>         The port (default 8787; 0 picks any free one and prints it)
  --host <address>   The address to listen on (default 127.0.0.1)
  --api-key <key>    Require "Authorization: Bearer <key>" (401 otherwise); never printed
  --api-key-env <name>
                     The same, with the key read from that environment variable (so it
                     shows in no process list)
  --timing <t>       realistic (default: 300 ms to the first token, then 25 ms per token),
                     instant, or TTFT,PER_TOKEN[,JITTER] in ms (e.g. 50,2)
  -h, --help         Show this help

${EXIT_CODES}

Examples:
  ${PROGRAM} serve --port 8787
  ${PROGRAM} serve --port 0 --timing instant --api-key test-key
  MOCK_KEY=test-key ${PROGRAM} serve --api-key-env MOCK_KEY
`,

  relay: `Usage: ${PROGRAM} relay --upstream <url> [options]

Runs the resumable relay in the foreground (see docs/relay.md): POST /v1/chat/completions calls the
upstream once and streams the answer with an id per event and the header x-stream-id; GET
/v1/streams/<id> (with Last-Event-ID) resumes it, also after it ended; DELETE /v1/streams/<id>
cancels it. Stops cleanly on Ctrl-C or SIGTERM.

Options:
  --upstream <url>   The API base URL the relay calls (e.g. https://api.openai.com/v1)
  --port <n>         The port (default 8788; 0 picks any free one and prints it)
  --host <address>   The address to listen on (default 127.0.0.1)
  --redis <url>      Keep streams in Redis (redis://127.0.0.1:6379), shared by every relay
                     process using it; default: in this process's memory
  --api-key-env <name>
                     Send the key in that environment variable to the upstream; never printed,
                     never sent to a client
  -h, --help         Show this help

${EXIT_CODES}

Examples:
  OPENAI_API_KEY=… ${PROGRAM} relay --upstream https://api.openai.com/v1 --api-key-env OPENAI_API_KEY
  ${PROGRAM} relay --port 8788 --upstream http://127.0.0.1:8787/v1 --redis redis://127.0.0.1:6379
`,

  batch: `Usage: ${PROGRAM} batch <requests.jsonl> [options] > results.jsonl

Streams every request of a JSON Lines file with streamMany, a bounded number at a time, within
request and token budgets, and prints one JSON result per line on stdout as each ends:
  {"index":0,"custom_id":"q1","completion":{…},"usage":{…,"estimated":false},"metrics":{…}}
  {"index":1,"error":{"name":"RateLimitError","message":"…","status":429},"metrics":{…}}
A request line is a chat request ({"model":…,"messages":[…]}, with an optional "custom_id"
that is not sent) or an OpenAI Batch API line ({"custom_id":…,"body":{…}}). A line without
"model" gets --model; without "stream_options", {"include_usage":true}. The file is checked
whole before anything is sent. 429s and 5xx before output are retried (retry-after honoured;
a 429 also lowers the concurrency for a while). A progress bar is drawn on stderr when it is a
terminal; a summary line is printed on stderr at the end.

Options:
  --concurrency <n>  The most requests in flight (default 8)
  --rpm <n>          A budget of requests per minute
  --tpm <n>          A budget of tokens per minute (prompt, counted, + max_completion_tokens
                     or max_tokens; a request with neither pays its completion when it ends)
  --retries <n>      Retries per request before output (default 2)
  --ordered          Print the results in the order of the file (default: as they end)
  --resume <file>    Skip the requests this results file answered (by custom_id, else by
                     index); append the new results to it with >> (not >, which empties it
                     before the command reads it)
  --model <name>     The model of lines without one (default gpt-4o-mini)
  --base-url <url>   An OpenAI-compatible API (overrides OPENAI_BASE_URL)
  --local            Use the embedded local server even when OPENAI_* variables are set
  --timing <t>       Local server only: realistic (default), instant, or TTFT,PER_TOKEN[,JITTER] in ms
  -h, --help         Show this help

${ENDPOINT}

Exit codes:
  0 every request answered · 1 some failed (their lines say why) · 2 bad flag, unreadable or
  invalid requests file, unreachable endpoint · 130 interrupted (the results so far are
  printed: rerun with --resume)

Examples:
  ${PROGRAM} batch requests.jsonl --concurrency 50 --rpm 500 --tpm 200000 > results.jsonl
  ${PROGRAM} batch requests.jsonl --resume results.jsonl >> results.jsonl
`,
};
