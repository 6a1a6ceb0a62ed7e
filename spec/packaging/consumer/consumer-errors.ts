/**
 * A user's file with exactly three type errors, each on the line its `// error TSnnnn` names.
 * `spec/packaging.spec.ts` checks that the compiler reports those and no others: were a type to
 * turn into `any`, its error would vanish. Never run.
 */
import { accumulate, contentDeltas, fromChunks, type ChatCompletionChunk, type CompletionUsage } from 'rxjs-chat-stream';

declare const chunk: ChatCompletionChunk;

export const n: number = chunk.choices[0]?.delta.content; // error TS2322

export const deltas$ = fromChunks([chunk]).pipe(contentDeltas('0')); // error TS2345

fromChunks([chunk])
  .pipe(accumulate())
  .subscribe((snapshot) => {
    const used: CompletionUsage | undefined = snapshot.usgae; // error TS2322
    return used;
  });
