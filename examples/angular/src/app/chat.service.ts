import { Injectable } from '@angular/core';
import type { Observable } from 'rxjs';
import { fromSSE, type ChatCompletionChunk } from 'rxjs-chat-stream';

/** The chat server's relay (examples/chat-server): the API key stays there. */
@Injectable({ providedIn: 'root' })
export class ChatService {
  /** A cold stream of chunks: each subscription is one request, unsubscribing aborts it. */
  chunks(prompt: string): Observable<ChatCompletionChunk> {
    return fromSSE((signal) =>
      fetch('/api/chat', {
        method: 'POST',
        signal,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: prompt }] }),
      }),
    );
  }
}
