#!/usr/bin/env node
/**
 * The `rxjs-chat-stream` executable (package `bin`): runs {@link main} with the process's
 * arguments, streams and environment; Ctrl-C / SIGTERM abort the running command (a second
 * Ctrl-C exits at once).
 * @internal
 */
import { main } from './cli.js';

const controller = new AbortController();
const onSignal = (signal: NodeJS.Signals): void => {
  if (controller.signal.aborted) process.exit(130);
  controller.abort(signal);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// `rxjs-chat-stream demo | head`: a closed pipe ends the program quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
}).then((code) => {
  process.exitCode = code;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // Idle keep-alive sockets of a remote endpoint must not hold the exit; the timer is unref'd,
  // so it only fires when something else still keeps the process alive.
  setTimeout(() => process.exit(code), 200).unref();
});
