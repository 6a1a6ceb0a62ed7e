/** Helpers of the relay specs: a relay on a real port, and the events of an answer read as they come. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RelayHandler } from '../../lib/relay/relay.js';

export interface RunningRelay {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves a relay handler on 127.0.0.1, any free port. */
export async function serveRelay(handler: RelayHandler): Promise<RunningRelay> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async close() {
      await handler.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** One event of an answer: its id (`''` when none) and data. */
export interface WireEvent {
  id: string;
  data: string;
}

/** Parses the events of an event-stream text (one `data:` line each, as the relay writes; comments skipped). */
export function wireEvents(text: string): WireEvent[] {
  const events: WireEvent[] = [];
  for (const block of text.split('\n\n')) {
    let id = '';
    let data: string | undefined;
    for (const line of block.split('\n')) {
      if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('data: ')) data = line.slice(6);
    }
    if (data !== undefined) events.push({ id, data });
  }
  return events;
}

/**
 * Reads an answer's events until `count` came (then aborts the connection) or it ends. Returns them
 * with the answer's status and stream id.
 */
export async function readEvents(
  url: string,
  init: RequestInit = {},
  count = Infinity,
): Promise<{ status: number; streamId: string | null; events: WireEvent[]; text: string }> {
  const controller = new AbortController();
  const response = await fetch(url, { ...init, signal: controller.signal });
  const streamId = response.headers.get('x-stream-id');
  if (response.body === null) return { status: response.status, streamId, events: [], text: '' };
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let events: WireEvent[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    const whole = text.slice(0, text.lastIndexOf('\n\n') + 2);
    events = wireEvents(whole);
    if (events.length >= count) {
      controller.abort();
      events = events.slice(0, count);
      break;
    }
  }
  if (count === Infinity) events = wireEvents(text);
  return { status: response.status, streamId, events, text };
}

/** A chat request to a relay. */
export function chatRequest(prompt: string, extra: Record<string, unknown> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }], ...extra }),
  };
}

/** The text of an answer's chunk events, in order. */
export function answerText(events: readonly WireEvent[]): string {
  let text = '';
  for (const event of events) {
    if (event.data === '[DONE]' || event.data.startsWith('{"error"')) continue;
    const chunk = JSON.parse(event.data) as { choices: Array<{ delta?: { content?: string | null } }> };
    text += chunk.choices[0]?.delta?.content ?? '';
  }
  return text;
}

/** Waits until `check()` is true (polling every 10 ms), or fails after `ms`. */
export async function waitFor(check: () => boolean, ms = 5000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
