import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configKeys, loadConfig } from '../src/config.js';
import { isUsoError } from '../src/errors.js';

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(isUsoError(err, 'config_invalid')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('loadConfig', () => {
  it('runs on embedded defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      DATA_DIR: './data',
      TZ: 'Europe/London',
      MONGODB_DB: 'uso',
      SYNC_CONCURRENCY: 4,
    });
    expect(config.MONGODB_URI).toBeUndefined();
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ MONGODB_URI: '', PORT: ' ' }).PORT).toBe(3000);
  });

  it('names every offending variable in one message without echoing values', () => {
    const message = errorOf({
      PORT: 'eighty',
      TZ: 'Mars/Olympus',
      MONGODB_URI: 'http://db',
      SLACK_BOT_TOKEN: 'secret-token-value',
    });
    expect(message.split('\n')[0]).toBe('Invalid configuration:');
    expect(message).toMatch(/PORT: expected a port number/);
    expect(message).toMatch(/TZ: expected an IANA time zone/);
    expect(message).toMatch(/MONGODB_URI: expected a mongodb:\/\//);
    expect(message).toMatch(/SLACK_BOT_TOKEN: expected a bot token/);
    expect(message).not.toContain('secret-token-value');
  });

  it('requires the rest of a group once one of its settings is set', () => {
    const message = errorOf({ INTEGRIS_BASE_URL: 'https://integris.example/api' });
    expect(message).toMatch(/INTEGRIS_CLIENT_ID: required when any Integris setting is set/);
    expect(message).toMatch(/INTEGRIS_CLIENT_SECRET: required/);
    expect(errorOf({ SLACK_BOT_TOKEN: 'xoxb-1' })).toMatch(/SLACK_SIGNING_SECRET: required when Slack is configured/);
  });

  it('splits webhook secrets for rotation and checks each', () => {
    const config = loadConfig({ INTEGRIS_WEBHOOK_SECRETS: 'aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb' });
    expect(config.INTEGRIS_WEBHOOK_SECRETS).toEqual(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']);
    expect(errorOf({ INTEGRIS_WEBHOOK_SECRETS: 'short' })).toMatch(/at least 16 characters/);
  });

  it('is documented: every variable is in the README table and .env.example', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    for (const key of configKeys) {
      expect(readme, key).toContain(`| \`${key}\``);
      expect(example, key).toMatch(new RegExp(`^#? ?${key}=`, 'm'));
    }
  });
});
