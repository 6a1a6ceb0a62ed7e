import { GILAS_BASE_URL, OPENAI_BASE_URL, keyFromEnv, openEndpoint } from '../../lib/cli/endpoint.js';
import { memoryIO } from './helpers.js';

describe('openEndpoint', () => {
  // No request is sent: these only pick the endpoint and build the client.
  const remote = async (env: Record<string, string>) => {
    const endpoint = await openEndpoint({}, memoryIO(env).io);
    await endpoint.close();
    return endpoint;
  };

  it('should send a GILAS_API_KEY alone to the Gilas API, as the Gilas docs do', async () => {
    const endpoint = await remote({ GILAS_API_KEY: 'g-key' });
    expect(endpoint.kind).toBe('remote');
    expect(endpoint.baseURL).toBe('https://api.gilas.io/v1');
    expect(GILAS_BASE_URL).toBe('https://api.gilas.io/v1/');
    expect(endpoint.description).toBe('Endpoint: remote, https://api.gilas.io/v1 (the Gilas API, since GILAS_API_KEY is set; API key from GILAS_API_KEY)');
    expect(endpoint.apiKey).toBe('g-key');
  });

  it('should send an OPENAI_API_KEY alone to the OpenAI API, and prefer it to GILAS_API_KEY', async () => {
    expect((await remote({ OPENAI_API_KEY: 'o-key' })).baseURL).toBe(OPENAI_BASE_URL);
    const both = await remote({ OPENAI_API_KEY: 'o-key', GILAS_API_KEY: 'g-key' });
    expect([both.baseURL, both.apiKey, both.apiKeyVariable]).toEqual([OPENAI_BASE_URL, 'o-key', 'OPENAI_API_KEY']);
  });

  it('should let OPENAI_BASE_URL win over the key\'s own API', async () => {
    const endpoint = await remote({ OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', GILAS_API_KEY: 'g-key' });
    expect([endpoint.baseURL, endpoint.apiKeyVariable]).toEqual(['http://127.0.0.1:9/v1', 'GILAS_API_KEY']);
  });

  it('should read blank keys as none', () => {
    expect(keyFromEnv({ OPENAI_API_KEY: '  ', GILAS_API_KEY: 'g' })).toEqual({ key: 'g', variable: 'GILAS_API_KEY' });
    expect(keyFromEnv({ GILAS_API_KEY: '' })).toBeUndefined();
  });
});
