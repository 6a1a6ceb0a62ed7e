/*
 * `POST /v1/chat/completions`: the request read and checked, the fault and the quirks picked, the
 * reply planned once (text or the script, cut at `max_tokens`, usage counted), then written as a
 * stream of timed chunks or, after the same time, as one body; a fault changes either as its rule
 * says (`faults.ts`), the quirks change the chunks (`quirks.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { concat, mergeMap, timer, type Observable, type SchedulerLike } from 'rxjs';
import { InvalidInputError } from '../../errors.js';
import { pipeSSE } from '../../http/pipeSSE.js';
import { redactSecrets } from '../../redact.js';
import type { ChatCompletionChunk } from '../../types.js';
import { planChunks, planCompletion, planReply, type ReplyPlan } from '../completion.js';
import { requestId, seededRandom, systemFingerprint, type Random } from '../random.js';
import { scriptedReply, scriptedThought, type MockChatRequest, type MockReply, type MockReplyObject } from '../responder.js';
import { countPromptTokens, encodingForModel, loadEncoding, tokenPieces } from '../tokenize.js';
import { FAULT_RULES, pickFault, type BodyPlay, type StreamPlay } from './faults.js';
import { apiError, badRequest, RequestError } from './apiErrors.js';
import { dropConnection, headerValue, parseRequest, readBody, sendError, sendText } from './http.js';
import type { ResolvedOptions } from './options.js';
import { applyQuirks, pickQuirks, reasoningOf, type MockQuirk } from './quirks.js';
import type { MockServerStats } from './stats.js';
import { delaysFor, timedChunks } from './timing.js';

/** Answers chat completions for one server. @internal */
export function chatHandler(
  options: ResolvedOptions,
  stats: MockServerStats,
  scheduler: SchedulerLike,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const ids: Random = seededRandom(options.seed ^ 0x5eed);
  /** One fingerprint per server, as one deployment of a model has one. */
  const fingerprint = systemFingerprint(ids);
  let chatRequests = 0;

  return async (req, res) => {
    const request = parseRequest(await readBody(req));
    const fault = pickFault(headerValue(req, 'x-mock-fault'), () => options.nextFault(request));
    const quirks = pickQuirks(headerValue(req, 'x-mock-quirks'), options.quirks);
    const index = chatRequests++;
    const headers = { 'x-request-id': requestId(ids) };
    const rule = fault === undefined ? undefined : FAULT_RULES[fault];
    if (rule?.status !== undefined) return sendError(res, stats, rule.status(request), headers);

    // Loads the model's token ranks once (a no-op after that), in any runtime.
    await loadEncoding(encodingForModel(request.model));
    const plan = await planFor(request, index, quirks);
    const timingRandom = seededRandom((options.seed * 31 + index) >>> 0);

    if (request.stream !== true) {
      const text = JSON.stringify(planCompletion(plan));
      const wait = delaysFor(planChunks(plan, false), options.timing, timingRandom).reduce((a, b) => a + b, 0);
      track(stats, res);
      const body: BodyPlay = {
        text,
        send: (status, answer) => sendText(res, stats, status, answer, headers),
        drop: () => dropConnection(res.socket),
      };
      const action = scheduler.schedule(() => (rule?.body ?? normalBody)(body), wait);
      res.on('close', () => action.unsubscribe());
      return;
    }

    const chunks = applyQuirks(planChunks(plan, request.stream_options?.include_usage === true), quirks);
    const play = streamPlay(chunks, timingRandom, plan, res);
    const source = rule?.stream === undefined ? play.timed(0, play.length) : rule.stream(play);
    track(stats, res);
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    pipeSSE(source, res, {}, scheduler);
  };

  /** The reply to a request, planned: `options.reply`'s or the script's, cut at `max_tokens`, with reasoning when a quirk asks. */
  async function planFor(request: MockChatRequest, index: number, quirks: ReadonlySet<MockQuirk>): Promise<ReplyPlan> {
    let custom: MockReplyObject | undefined;
    try {
      custom = normaliseReply(await options.reply?.(request));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new RequestError(500, apiError(redactSecrets(`options.reply failed: ${message}`), 'server_error'));
    }
    const reply = custom ?? scriptedReply(request, options.toolCall);

    let content = reply.content ?? '';
    let finishReason = reply.finishReason;
    const limit = request.max_completion_tokens ?? request.max_tokens ?? undefined;
    if (limit !== undefined) {
      const pieces = tokenPieces(content, request.model);
      if (pieces.length > limit) {
        content = pieces.slice(0, limit).join('');
        finishReason ??= 'length';
      }
    }
    let promptTokens: number;
    try {
      promptTokens = countPromptTokens(request.messages, request.model, request.tools);
    } catch (error) {
      // The counter rejects malformed messages and tools with an InvalidInputError: the request's fault.
      if (error instanceof InvalidInputError) throw badRequest(`Invalid request: ${error.message}`);
      throw error;
    }
    const reasoning = reasoningOf(quirks);
    return planReply(content, {
      model: request.model,
      n: request.n ?? 1,
      ...(reply.toolCalls && reply.toolCalls.length > 0 ? { toolCall: reply.toolCalls } : {}),
      ...(finishReason ? { finishReason } : {}),
      ...(reasoning === undefined ? {} : { reasoning: { as: reasoning, text: scriptedThought(request, reply) } }),
      promptTokens,
      format: options.format,
      systemFingerprint: fingerprint,
      obfuscation: request.stream_options?.include_obfuscation !== false,
      seed: options.seed + index * 7919,
      created: Math.floor(scheduler.now() / 1000),
    });
  }

  /** A streamed reply's chunks, timed, and what a fault may do to the response. */
  function streamPlay(chunks: readonly ChatCompletionChunk[], random: Random, plan: ReplyPlan, res: ServerResponse): StreamPlay {
    const delays = delaysFor(chunks, options.timing, random);
    const timed = (from: number, to: number, firstDelay?: number): Observable<ChatCompletionChunk> =>
      timedChunks(chunks, delays, scheduler, from, to, firstDelay);
    // Mid-stream faults strike after `faultAfterChunks` chunks, but always before the first finish chunk.
    const firstFinish = chunks.findIndex((chunk) => chunk.choices.some((choice) => choice.finish_reason !== null));
    const cut = Math.min(options.faultAfterChunks, firstFinish === -1 ? chunks.length : firstFinish);
    return {
      id: plan.id,
      length: chunks.length,
      cut,
      timed,
      afterCut: (action) =>
        concat(timed(0, cut), timer(cut < chunks.length ? (delays[cut] ?? 0) : options.timing.perTokenMs, scheduler).pipe(mergeMap(action))),
      write: (text) => void res.write(text),
      end: () => void res.end(),
      drop: () => dropConnection(res.socket),
    };
  }
}

/** A non-streamed reply without a fault: the completion, 200. */
function normalBody(play: BodyPlay): void {
  play.send(200, play.text);
}

function normaliseReply(reply: MockReply | null | undefined): MockReplyObject | undefined {
  if (reply === null || reply === undefined) return undefined;
  if (typeof reply === 'string') return { content: reply };
  if (typeof reply !== 'object') throw new InvalidInputError('startMockServer() options.reply result', reply, 'a string or { content, toolCalls }');
  return reply;
}

/** Counts a chat completion's response: active until it closes, then completed or aborted. */
function track(stats: MockServerStats, res: ServerResponse): void {
  // The client may have left while the request was read or the reply prepared: its 'close' has
  // fired already, so count it now (a listener added later would never run).
  if (res.destroyed || res.closed || !res.socket || res.socket.destroyed) {
    stats.aborted++;
    return;
  }
  stats.active++;
  res.on('close', () => {
    stats.active--;
    if (res.writableFinished) stats.completed++;
    else stats.aborted++;
  });
}
