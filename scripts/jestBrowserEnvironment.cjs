// Jest environment for the Angular specs: jsdom (a DOM for components), plus Node's own fetch and
// the web classes it works with (AbortController, Response, streams...), so a component talks to
// the local server over real HTTP as it would in a browser. jsdom has no fetch, and its own
// AbortController is not one Node's fetch accepts: both come from Node here.
const { TestEnvironment } = require('jest-environment-jsdom');

const FROM_NODE = [
  'fetch',
  'Request',
  'Response',
  'Headers',
  'FormData',
  'AbortController',
  'AbortSignal',
  'ReadableStream',
  'WritableStream',
  'TransformStream',
  'TextDecoder',
  'TextEncoder',
  'TextDecoderStream',
  'TextEncoderStream',
  'structuredClone',
];

class BrowserEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of FROM_NODE) this.global[name] = globalThis[name];
  }
}

module.exports = BrowserEnvironment;
