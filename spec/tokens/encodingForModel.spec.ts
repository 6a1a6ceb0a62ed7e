import { getEncodingNameForModel, type TiktokenModel } from 'js-tiktoken/lite';
import { encodingForModel } from '../../lib/tokens/encodingForModel.js';
import { InvalidInputError } from '../../lib/errors.js';

describe('encodingForModel', () => {
  it('should give o200k_base to the gpt-4o family, gpt-4.1, gpt-4.5, gpt-5 and the o-series', () => {
    for (const model of [
      'gpt-4o', 'gpt-4o-mini', 'gpt-4o-2024-08-06', 'gpt-4o-mini-2024-07-18', 'chatgpt-4o-latest',
      'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano-2025-04-14', 'gpt-4.5-preview', 'gpt-5', 'gpt-5-mini',
      'gpt-5-nano-2025-08-07', 'o1', 'o1-mini', 'o3', 'o3-mini', 'o4-mini', 'o4-mini-2025-04-16',
    ]) {
      expect([model, encodingForModel(model)]).toEqual([model, 'o200k_base']);
    }
  });

  it('should give cl100k_base to gpt-4, gpt-4-turbo and gpt-3.5-turbo, dated or fine-tuned', () => {
    for (const model of [
      'gpt-4', 'gpt-4-0613', 'gpt-4-32k', 'gpt-4-turbo', 'gpt-4-turbo-2024-04-09', 'gpt-4-1106-preview',
      'gpt-3.5-turbo', 'gpt-3.5-turbo-0125', 'gpt-3.5-turbo-16k', 'gpt-35-turbo', 'gpt-35-turbo-16k',
      'ft:gpt-3.5-turbo-0613:acme::abc123', 'ft:gpt-4-0613:acme::abc123', 'text-embedding-3-small',
    ]) {
      expect([model, encodingForModel(model)]).toEqual([model, 'cl100k_base']);
    }
  });

  it('should agree with js-tiktoken on every chat model it knows in these two encodings', () => {
    const models: TiktokenModel[] = [
      'gpt-3.5-turbo', 'gpt-35-turbo', 'gpt-3.5-turbo-0301', 'gpt-3.5-turbo-0613', 'gpt-3.5-turbo-1106',
      'gpt-3.5-turbo-0125', 'gpt-3.5-turbo-16k', 'gpt-4', 'gpt-4-0314', 'gpt-4-0613', 'gpt-4-32k',
      'gpt-4-turbo', 'gpt-4-turbo-2024-04-09', 'gpt-4-turbo-preview', 'gpt-4-1106-preview',
      'gpt-4-0125-preview', 'gpt-4-vision-preview', 'gpt-4o', 'gpt-4o-2024-05-13', 'gpt-4o-2024-08-06',
      'gpt-4o-2024-11-20', 'gpt-4o-mini', 'gpt-4o-mini-2024-07-18', 'gpt-4o-audio-preview',
      'gpt-4o-realtime-preview-2024-12-17', 'o1', 'o1-mini', 'o1-preview', 'o1-pro', 'o3', 'o3-mini',
      'o4-mini', 'chatgpt-4o-latest', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-4.5-preview',
      'gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'gpt-5-chat-latest',
    ];
    for (const model of models) {
      expect([model, encodingForModel(model)]).toEqual([model, getEncodingNameForModel(model)]);
    }
  });

  it('should read names js-tiktoken rejects: new versions, provider prefixes, any case', () => {
    for (const model of ['gpt-5.1', 'o3-pro', 'ft:gpt-4o-mini-2024-07-18:acme::abc123', 'openai/gpt-4o', 'GPT-4o', ' gpt-4o ']) {
      expect(() => getEncodingNameForModel(model as TiktokenModel)).toThrow('Unknown model');
      expect([model, encodingForModel(model)]).toEqual([model, 'o200k_base']);
    }
    expect(encodingForModel('openai/gpt-3.5-turbo')).toBe('cl100k_base');
    expect(encodingForModel('GPT-4-Turbo')).toBe('cl100k_base');
    expect(encodingForModel('azure/openai/gpt-4')).toBe('cl100k_base');
  });

  it('should fall back to o200k_base for unknown names, never throwing', () => {
    for (const model of ['', 'my-azure-deployment', 'llama3', 'claude-3-5-sonnet', 'gpt', 'gpt-4x']) {
      expect([model, encodingForModel(model)]).toEqual([model, 'o200k_base']);
    }
  });

  it('should prefer an explicit encoding option', () => {
    expect(encodingForModel('gpt-4o', { encoding: 'cl100k_base' })).toBe('cl100k_base');
    expect(encodingForModel('gpt-4', { encoding: 'o200k_base' })).toBe('o200k_base');
  });

  it('should throw an InvalidInputError for an encoding it does not count with', () => {
    expect(() => encodingForModel('gpt-4o', { encoding: 'p50k_base' as 'o200k_base' })).toThrow("Invalid input: options.encoding must be 'o200k_base' or 'cl100k_base', got \"p50k_base\"");
  });
});
