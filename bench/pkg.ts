/**
 * The package the bench measures: the BUILT output (`dist/cjs`, what `require('rxjs-chat-stream')`
 * gives users), never the sources run through tsx. tsx's CommonJS transpile reads every import
 * through a getter (~15 ns a call), a cost the build does not have; measuring it shaped the source
 * for a speed users never see. Typed as the sources, so a renamed export fails the type-check.
 */
import { ensureBuilt } from './build.js';

ensureBuilt();

/* eslint-disable @typescript-eslint/no-require-imports */
/** `rxjs-chat-stream`, built. */
export const pkg = require('../dist/cjs/index.js') as typeof import('../lib/index.js');
/** `rxjs-chat-stream/testing`, built. */
export const testing = require('../dist/cjs/testing/index.js') as typeof import('../lib/testing/index.js');
/** The seeded random numbers of the local server (internal), built. */
export const random = require('../dist/cjs/testing/random.js') as typeof import('../lib/testing/random.js');
/** The incremental partial-JSON parser under `partialJson()` (internal), built. */
export const structured = require('../dist/cjs/structured/partialJsonParser.js') as typeof import('../lib/structured/partialJsonParser.js');
/** `rxjs-chat-stream/redis` (the relay's Redis Streams log), built. */
export const redisEntry = require('../dist/cjs/relay/redis/index.js') as typeof import('../lib/relay/redis/index.js');
