import { Component, computed, inject, signal } from '@angular/core';
import { chatResource } from 'rxjs-chat-stream/angular';
import { ChatService } from './chat.service';
import { firstWords } from './firstWords';

/** One question: a new object each time, so asking the same text again is a new request. */
interface Prompt {
  text: string;
}

/**
 * The chat page: one answer per prompt, streamed by `chatResource`. Same ids as the browser
 * example's page (#prompt, #send, #stop, #answer, #error, #status, `main[data-state]`): the
 * Chromium tests (spec/browser/examples.spec.ts) drive both pages alike.
 */
@Component({
  selector: 'app-root',
  template: `
    <main [attr.data-state]="state()">
      <h1>Streaming chat with Angular</h1>
      <form (submit)="$event.preventDefault(); ask(box.value)">
        <label for="prompt">Prompt</label>
        <textarea #box id="prompt" name="prompt" dir="auto" rows="2">Count to 30, with a comma between each number and no newlines.</textarea>
        <div class="buttons">
          <button id="send" type="submit">Send</button>
          <button id="stop" type="button" [disabled]="state() !== 'streaming'" (click)="stop()">Stop</button>
        </div>
      </form>
      <p id="status" aria-live="polite">{{ status() }}</p>
      @if (answer.error(); as error) {
        <p id="error" role="alert">{{ error.name }}: {{ error.message }}</p>
      }
      <div id="answer" dir="auto" aria-live="polite">{{ text() }}</div>
      @if (usage(); as usage) {
        <p id="usage">Usage: {{ usage.prompt_tokens }} prompt + {{ usage.completion_tokens }} completion = {{ usage.total_tokens }} tokens</p>
      }
    </main>
  `,
})
export class App {
  private readonly chat = inject(ChatService);
  private readonly prompt = signal<Prompt | undefined>(undefined);
  /** Set by the stop button; a new prompt clears it. */
  private readonly stopped = signal(false);

  readonly answer = chatResource({
    params: () => this.prompt(),
    stream: ({ params }) => this.chat.chunks(params.text),
    metrics: () => firstWords(),
  });

  /** The answer so far ('' while waiting, and kept when stopped). */
  readonly text = computed(() => (this.answer.hasValue() ? this.answer.value().text : ''));
  readonly usage = computed(() => (this.answer.hasValue() ? this.answer.value().usage : null));

  readonly state = computed(() => {
    if (this.stopped()) return 'stopped';
    switch (this.answer.status()) {
      case 'idle':
        return 'idle';
      case 'error':
        return 'error';
      case 'loading':
      case 'reloading':
        return 'streaming';
      default:
        return this.answer.hasValue() && this.answer.value().done ? 'done' : 'streaming';
    }
  });

  readonly status = computed(() => {
    const first = this.answer.hasValue() ? this.answer.value().metrics?.timeToFirstToken : undefined;
    const after = first === undefined ? '' : `first token after ${Math.round(first)} ms`;
    switch (this.state()) {
      case 'idle':
        return 'Ask something.';
      case 'stopped':
        return 'Stopped: the request was aborted.';
      case 'error':
        return 'The request failed.';
      case 'done':
        return `Done: ${after || 'no words'}.`;
      default:
        return after === '' ? 'Waiting for the first token…' : `Streaming: ${after}`;
    }
  });

  ask(text: string): void {
    if (text.trim() === '') return;
    this.stopped.set(false);
    this.prompt.set({ text: text.trim() });
  }

  /** Aborts the request in flight (its value is kept on screen). */
  stop(): void {
    if (this.state() !== 'streaming') return;
    this.stopped.set(true);
    this.answer.set(this.answer.hasValue() ? this.answer.value() : undefined);
  }
}
