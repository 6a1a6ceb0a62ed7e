/**
 * The browser example: one page, no framework. It asks the chat server (`POST /api/chat`, which
 * relays the model's stream), reads the stream with `fromSSE`, shows the answer as it streams (once
 * per animation frame), the time to the first token, and a timeline of when each chunk arrived.
 * Stop (or leaving the page) unsubscribes, which aborts the request all the way upstream.
 */
import { connect, map, merge, tap, type Subscription } from 'rxjs';
import { contentDeltas, elapsed, fromSSE, renderRate } from '../../../lib/index.js';
import { drawTimeline } from './timeline.js';

const byId = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from the page`);
  return element as T;
};

const main = document.querySelector('main') as HTMLElement;
const form = byId<HTMLFormElement>('ask');
const prompt = byId<HTMLTextAreaElement>('prompt');
const send = byId<HTMLButtonElement>('send');
const stop = byId<HTMLButtonElement>('stop');
const status = byId<HTMLParagraphElement>('status');
const errorBox = byId<HTMLParagraphElement>('error');
const answer = byId<HTMLDivElement>('answer');
const timeline = document.getElementById('timeline') as unknown as SVGSVGElement;

type State = 'idle' | 'streaming' | 'done' | 'stopped' | 'error';
let current: Subscription | undefined;

function setState(state: State, text: string): void {
  main.dataset['state'] = state;
  status.textContent = text;
  stop.disabled = state !== 'streaming';
}

function ask(question: string): void {
  current?.unsubscribe();
  answer.textContent = '';
  const text = document.createTextNode('');
  answer.append(text);
  errorBox.hidden = true;
  errorBox.textContent = '';
  /** When each chunk arrived, ms after the request; the first one with words. */
  const arrivals: number[] = [];
  let firstWords: number | undefined;
  setState('streaming', 'Waiting for the first token…');
  drawTimeline(timeline, arrivals, firstWords);

  const chunks$ = fromSSE((signal) =>
    fetch('/api/chat', {
      method: 'POST',
      signal,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: question }] }),
    }),
  );

  current = chunks$
    .pipe(
      elapsed(),
      tap(({ value, elapsed: at }) => {
        arrivals.push(at);
        if (firstWords === undefined && value.choices.some((choice) => (choice.delta.content ?? '') !== '')) {
          firstWords = at;
          status.textContent = `Streaming: first token after ${Math.round(at)} ms`;
        }
      }),
      map(({ value }) => value),
      connect((chunks) =>
        merge(
          // The words, joined and written once per animation frame.
          chunks.pipe(contentDeltas(), renderRate(), tap((words) => text.appendData(words))),
          // The timeline, redrawn at the same pace.
          chunks.pipe(renderRate({ mode: 'latest' }), tap(() => drawTimeline(timeline, arrivals, firstWords))),
        ),
      ),
    )
    .subscribe({
      error: (error: unknown) => {
        drawTimeline(timeline, arrivals, firstWords);
        errorBox.textContent = error instanceof Error ? `${error.name}: ${error.message}` : 'The request failed';
        errorBox.hidden = false;
        setState('error', 'The request failed.');
      },
      complete: () => {
        drawTimeline(timeline, arrivals, firstWords);
        const last = arrivals.at(-1) ?? 0;
        const first = firstWords === undefined ? 'no words' : `first token after ${Math.round(firstWords)} ms`;
        setState('done', `Done: ${first}, ${arrivals.length} chunks in ${(last / 1000).toFixed(2)} s.`);
      },
    });
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const question = prompt.value.trim();
  if (question !== '') ask(question);
});

stop.addEventListener('click', () => {
  current?.unsubscribe();
  current = undefined;
  setState('stopped', 'Stopped: the request was aborted.');
});

// Leaving the page aborts the request too (the browser would cut it; this says so at once).
window.addEventListener('pagehide', () => current?.unsubscribe());
send.disabled = false;
