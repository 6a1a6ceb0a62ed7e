import { APIConnectionError, APIUserAbortError, AuthenticationError, InternalServerError, NotFoundError } from 'openai';
import { describeFailure, InterruptedError, oneLine, SetupError, UsageError } from '../../lib/cli/failures.js';
import { HTTPStatusError, IncompleteStreamError, StreamAPIError } from '../../lib/errors.js';

describe('describeFailure', () => {
  const context = { baseURL: 'https://api.example.com/v1', apiKey: 'sk-secret-0123456789', keyConfigured: true };

  it('should report a 401 without the server message, which may echo the key', () => {
    const error = new AuthenticationError(
      401,
      { message: 'Incorrect API key provided: sk-secr************6789.', type: 'invalid_request_error', code: 'invalid_api_key' },
      undefined,
      new Headers(),
    );
    expect(describeFailure(error, context)).toEqual({
      message: 'authentication failed (401) at https://api.example.com/v1: the server rejected the API key (check OPENAI_API_KEY)',
      exitCode: 2,
    });
    expect(describeFailure(error, { baseURL: context.baseURL }).message).toMatch(/set OPENAI_API_KEY \(or GILAS_API_KEY for the Gilas API\)$/);
  });

  it('should report other HTTP errors with the status and the server message, without the key', () => {
    const notFound = new NotFoundError(404, { message: 'The model `x` does not exist' }, undefined, new Headers());
    expect(describeFailure(notFound, context)).toEqual({
      message: 'not found (404) from https://api.example.com/v1: The model `x` does not exist',
      exitCode: 2,
    });
    const echoing = new InternalServerError(500, { message: 'upstream said: Bearer sk-secret-0123456789 bad' }, undefined, new Headers());
    const described = describeFailure(echoing, context);
    expect(described.exitCode).toBe(2);
    expect(described.message).toBe('server error (500) from https://api.example.com/v1: upstream said: Bearer *** bad');
    expect(describeFailure(new HTTPStatusError({ status: 429, error: { message: 'Slow down' } }), context)).toEqual({
      message: 'rate limited (429) from https://api.example.com/v1: Slow down',
      exitCode: 2,
    });
  });

  it('should name the system error of a connection failure', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const error = new APIConnectionError({ cause: new TypeError('fetch failed', { cause: new AggregateError([refused]) }) });
    expect(describeFailure(error, context)).toEqual({
      message: 'cannot reach https://api.example.com/v1: connection refused (ECONNREFUSED)',
      exitCode: 2,
    });
    const unknownHost = new APIConnectionError({ cause: new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ENOTFOUND' }) }) });
    expect(describeFailure(unknownHost, context).message).toBe('cannot reach https://api.example.com/v1: host not found (ENOTFOUND)');
    expect(describeFailure(new APIConnectionError({}), context).message).toBe('cannot reach https://api.example.com/v1: connection failed');
    const badPort = new APIConnectionError({ cause: new TypeError('fetch failed', { cause: new Error('bad port') }) });
    expect(describeFailure(badPort, context).message).toBe('cannot reach https://api.example.com/v1: connection failed (bad port)');
  });

  it('should exit 130 when interrupted, 2 for usage and set-up errors, 1 for a broken stream or anything else', () => {
    expect(describeFailure(new InterruptedError())).toEqual({ message: 'interrupted', exitCode: 130 });
    expect(describeFailure(new APIUserAbortError())).toEqual({ message: 'interrupted', exitCode: 130 });
    expect(describeFailure(new UsageError('bad flag'))).toEqual({ message: 'bad flag', exitCode: 2 });
    expect(describeFailure(new SetupError('no openai'))).toEqual({ message: 'no openai', exitCode: 2 });
    expect(describeFailure(new StreamAPIError({ message: 'overloaded' }))).toEqual({ message: 'stream failed (StreamAPIError): overloaded', exitCode: 1 });
    expect(describeFailure(new IncompleteStreamError('cut', { reason: 'no-done' }))).toEqual({
      message: 'stream failed (IncompleteStreamError): cut',
      exitCode: 1,
    });
    expect(describeFailure(new RangeError('boom'))).toEqual({ message: 'unexpected error (RangeError): boom', exitCode: 1 });
    expect(describeFailure('text')).toEqual({ message: 'unexpected error: text', exitCode: 1 });
  });
});

describe('oneLine', () => {
  it('should join lines, scrub the key and bearer tokens, and cut long messages', () => {
    expect(oneLine('first\n  second\r\nthird')).toBe('first second third');
    expect(oneLine('key sk-abc-123456 here', 'sk-abc-123456')).toBe('key *** here');
    expect(oneLine('Authorization: Bearer abc.def-ghi, then')).toBe('Authorization: Bearer ***, then');
    const long = oneLine('x'.repeat(1000));
    expect(long).toHaveLength(298);
    expect(long.endsWith('…')).toBe(true);
  });
});
