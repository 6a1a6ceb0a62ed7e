/**
 * The bench's inputs, all generated here from a seed so the bench runs anywhere (no files from
 * ../shared, no network): ordinary English and Persian prose, chunk streams built with the
 * project's own `buildChunks`, their wire bytes cut into 16 KiB reads, and a fake `fetch` that
 * answers every request with those bytes.
 */
import type { ChatCompletionChunk } from '../lib/types.js';
import { testing, random } from './pkg.js';

const { buildChunks, toSSEText } = testing;
const { seededRandom: seeded } = random;

const ENGLISH_FUNCTION = (
  'the of and to a in that is was he for it with as his on be at by i this had not are but from or have an ' +
  'they which one you were her all she there would their we him been has when who will more no if out so ' +
  'said what up its about into than them can only other new some could time these two may then do first any ' +
  'my now such like our over man me even most made after also did many before must through back years where ' +
  'much your way well down should because each just those people how too little state good very make world'
).split(' ');

const ENGLISH_CONTENT = (
  'stream model answer token request response server client message network latency budget invoice gateway ' +
  'proxy browser component service pipeline operator observable subscription error retry timeout window ' +
  'buffer parser event chunk delta snapshot usage billing report customer product market revenue quarter ' +
  'engineer team project meeting schedule deadline review release version feature issue question problem ' +
  'solution design pattern system process method result value number table chart figure summary history ' +
  'river mountain forest garden kitchen window evening morning winter summer letter story reader writer ' +
  'teacher student school village city country language music picture journey friend family doctor office ' +
  'careful quiet simple clear early late quick slow bright heavy light small large long short strong gentle ' +
  'running walking reading writing thinking building sending waiting counting measuring comparing learning ' +
  'carried opened closed turned watched followed asked answered explained noticed remembered finished began'
).split(' ');

const SYLLABLES = 'ba be bi bo ca co da de di do fa fe ga go ha he ka ke la le li lo ma me mi mo na ne ni no pa pe ' +
  'pi po ra re ri ro sa se si so ta te ti to va ve vi wa we ya zo ther ing tion ment ness able ous ful ly er est'
    .split(' ');

const PERSIAN_FUNCTION = (
  'و در به از که این را با است برای آن یک تا می هم بر شد ها های کرد شده بود نیز کند ما او شود دارد ' +
  'اما اگر یا پس هر چه همه خود بسیار دیگر باید وقتی چون حتی هنوز فقط'
).split(' ');

const PERSIAN_CONTENT = (
  'پاسخ مدل درخواست سرور کاربر پیام شبکه زمان هزینه گزارش سامانه برنامه نویس داده جریان رویداد خطا ' +
  'کتاب خانه شهر کشور زبان فارسی دانشگاه دانشجو استاد کلاس درس مدرسه روز شب صبح عصر هفته ماه سال ' +
  'باران کوه دریا جنگل باغ گل درخت آسمان ستاره خورشید آب نان چای بازار خیابان کوچه پنجره در دیوار ' +
  'دوست خانواده پدر مادر برادر خواهر کودک مردم کار زندگی آینده گذشته امروز فردا دیروز سفر راه ' +
  'خوب بزرگ کوچک زیبا تازه قدیمی روشن تاریک سریع آرام ساده مهم دشوار آسان طولانی کوتاه ' +
  'نوشتن خواندن گفتن شنیدن دیدن رفتن آمدن ساختن فرستادن شمردن سنجیدن آموختن پرسیدن ' +
  'نوشت خواند گفت شنید دید رفت آمد ساخت فرستاد پرسید داشت می‌کند می‌شود می‌رود می‌آید'
).split(' ');

const PERSIAN_LETTERS = 'ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی';

/** A Zipf-like pick: low indices far more often (word frequency in real text). */
function zipf(random: () => number, size: number): number {
  return Math.min(size - 1, Math.floor(Math.pow(size + 1, random()) - 1));
}

interface Language {
  function: readonly string[];
  content: readonly string[];
  rare: () => string;
  comma: string;
  stops: readonly string[];
  capitalise: boolean;
}

function prose(language: Language, bytes: number, seed: number): string {
  const random = seeded(seed);
  const encoder = new TextEncoder();
  const parts: string[] = [];
  let size = 0;
  let paragraphLength = 0;
  for (;;) {
    const words = 6 + Math.floor(random() * 18);
    let sentence = '';
    for (let w = 0; w < words; w++) {
      const roll = random();
      // Function words, a Zipf-distributed core vocabulary, and a long tail of rarer words (made
      // up from syllables, so that no tokeniser's memo of recent words sees only a few hundred).
      let word =
        roll < 0.45
          ? language.function[zipf(random, language.function.length)]!
          : roll < 0.8
            ? language.content[zipf(random, language.content.length)]!
            : roll < 0.97
              ? language.rare()
              : String(Math.floor(random() * 2025));
      if (w === 0 && language.capitalise) word = word[0]!.toUpperCase() + word.slice(1);
      sentence += (w === 0 ? '' : ' ') + word;
      if (w > 2 && w < words - 2 && random() < 0.08) sentence += language.comma;
    }
    sentence += language.stops[Math.floor(random() * language.stops.length)]!;
    paragraphLength++;
    const separator = paragraphLength > 4 && random() < 0.25 ? '\n\n' : ' ';
    if (separator === '\n\n') paragraphLength = 0;
    const piece = sentence + separator;
    const pieceBytes = encoder.encode(piece).length;
    if (size + pieceBytes > bytes && parts.length > 0) break;
    parts.push(piece);
    size += pieceBytes;
  }
  return parts.join('').trimEnd();
}

/** Ordinary English prose of about `bytes` UTF-8 bytes (at most), the same for the same seed. */
export function englishProse(bytes: number, seed = 1): string {
  const random = seeded(seed * 7919 + 1);
  return prose(
    {
      function: ENGLISH_FUNCTION,
      content: ENGLISH_CONTENT,
      rare: () => {
        let word = '';
        const syllables = 2 + Math.floor(random() * 3);
        for (let s = 0; s < syllables; s++) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
        return word;
      },
      comma: ',',
      stops: ['.', '.', '.', '?', '!', ':'],
      capitalise: true,
    },
    bytes,
    seed,
  );
}

/** Ordinary Persian prose of about `bytes` UTF-8 bytes (at most), the same for the same seed. */
export function persianProse(bytes: number, seed = 1): string {
  const random = seeded(seed * 104729 + 3);
  return prose(
    {
      function: PERSIAN_FUNCTION,
      content: PERSIAN_CONTENT,
      rare: () => {
        let word = '';
        const letters = 3 + Math.floor(random() * 5);
        for (let s = 0; s < letters; s++) word += PERSIAN_LETTERS[Math.floor(random() * PERSIAN_LETTERS.length)];
        return word;
      },
      comma: '،',
      stops: ['.', '.', '.', '؟', '!'],
      capitalise: false,
    },
    bytes,
    seed,
  );
}

/** The model name every stream and request of the bench uses. */
export const MODEL = 'gpt-4o';

/** About how many UTF-8 bytes of English prose make one o200k token (the bench reports the real count). */
const BYTES_PER_TOKEN = 4.0;

/** A realistic stream of about `tokens` content chunks (one per token), today's format, usage chunk last. */
export function realisticChunks(tokens: number, seed = 1): { text: string; chunks: ChatCompletionChunk[] } {
  const text = englishProse(Math.round(tokens * BYTES_PER_TOKEN), seed);
  const chunks = buildChunks(text, { model: MODEL, includeUsage: true, promptTokens: 12, seed, format: 'today' });
  return { text, chunks };
}

/**
 * The chunks of a long reply without the usage chunk, built slice by slice (each slice with
 * `buildChunks`, its role and finish chunks dropped but the first's and the last's): the same
 * text, one chunk per token, in time linear in its length.
 */
export function longReplyChunks(text: string, seed = 1, sliceChars = 20_000): ChatCompletionChunk[] {
  const chunks: ChatCompletionChunk[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + sliceChars);
    // Cut after a space, so no character is split.
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end);
      if (space > start) end = space + 1;
    }
    const slice = buildChunks(text.slice(start, end), { model: MODEL, seed });
    const first = start === 0;
    const last = end === text.length;
    chunks.push(...slice.slice(first ? 0 : 1, last ? slice.length : -1));
    start = end;
  }
  return chunks;
}

/** Wire bytes cut into reads of `readSize` bytes (views into one buffer, never copied). */
export function wirePieces(chunks: readonly ChatCompletionChunk[], readSize = 16 * 1024): { bytes: number; pieces: Uint8Array[] } {
  const all = new TextEncoder().encode(toSSEText(chunks));
  const pieces: Uint8Array[] = [];
  for (let offset = 0; offset < all.length; offset += readSize) pieces.push(all.subarray(offset, offset + readSize));
  return { bytes: all.length, pieces };
}

/** A fresh byte stream over the pieces, one piece per pull, as a socket delivers reads. */
export function byteStream(pieces: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const piece = pieces[next++];
      if (piece === undefined) controller.close();
      else controller.enqueue(piece);
    },
  });
}

/** A byte stream that pulls from a (lazy) async iterable of pieces. */
export function byteStreamFrom(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const result = await iterator.next();
      if (result.done) controller.close();
      else controller.enqueue(result.value);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

/** A 200 `text/event-stream` response over a fresh stream of the pieces. */
export function sseResponse(body: ReadableStream<Uint8Array>): Response {
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream', 'x-request-id': 'req_bench' } });
}

/** A `fetch` that answers every request with the same wire bytes (read through a fresh stream each time). */
export function fakeFetch(pieces: readonly Uint8Array[]): typeof fetch {
  return (async () => sseResponse(byteStream(pieces))) as unknown as typeof fetch;
}

/** A `fetch` that answers every request with a fresh stream made by `body()`. */
export function fakeFetchOf(body: () => ReadableStream<Uint8Array>): typeof fetch {
  return (async () => sseResponse(body())) as unknown as typeof fetch;
}
