import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ClickHouseSettings, DatabaseSettings, JurisdictionSettings, PaymentSettings, readConfig, TranscoderSettings } from '../../workers/lib/config.ts';
import { AppError } from '../../workers/lib/errors.ts';

const Settings = z.object({ ...JurisdictionSettings.shape, ...DatabaseSettings.shape, ...TranscoderSettings.shape });
const good = {
  JURISDICTION: 'sa',
  JURISDICTION_URLS: '{"us":"https://us.example","sa":"https://sa.example"}',
  DATABASE_URL: 'postgres://app@db.example/kce',
  NEON_WS_PROXY: '',
  TRANSCODER_URL: '',
};

function failure(env: object): AppError {
  try {
    readConfig(Settings, env);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('readConfig', () => {
  it('parses settings and treats empty optional ones as absent', () => {
    const config = readConfig(Settings, { ...good });
    expect(config.JURISDICTION_URLS).toEqual({ us: 'https://us.example', sa: 'https://sa.example' });
    expect(config.NEON_WS_PROXY).toBeUndefined();
    expect(config.TRANSCODER_URL).toBeUndefined();
  });

  it('names a missing setting in one 500', () => {
    const { DATABASE_URL: _, ...env } = good;
    const error = failure(env);
    expect(error.status).toBe(500);
    expect(error.code).toBe('invalid_configuration');
    expect(error.message).toContain('DATABASE_URL is missing');
    expect(error.details).toEqual({ settings: ['DATABASE_URL'] });
  });

  it('explains malformed settings', () => {
    const error = failure({ ...good, JURISDICTION: 'Saudi', JURISDICTION_URLS: '{"sa":"not a url"}', NEON_WS_PROXY: 'no-port' });
    expect(error.details).toEqual({ settings: ['JURISDICTION', 'JURISDICTION_URLS', 'NEON_WS_PROXY'] });
    expect(error.message).toContain('JURISDICTION must be a two-letter jurisdiction code');
    expect(error.message).toContain('NEON_WS_PROXY must be host:port');
  });

  it('accepts an empty ClickHouse password but not a missing one', () => {
    const clickhouse = { CLICKHOUSE_URL: 'http://127.0.0.1:8123', CLICKHOUSE_USER: 'default', CLICKHOUSE_DATABASE: 'kce_us' };
    expect(readConfig(ClickHouseSettings, { ...clickhouse, CLICKHOUSE_PASSWORD: '' }).CLICKHOUSE_PASSWORD).toBe('');
    expect(() => readConfig(ClickHouseSettings, clickhouse)).toThrow(/CLICKHOUSE_PASSWORD is missing/);
  });
});

describe('payment settings', () => {
  const payments = { PAYMENT_SECRET_KEY: 'sk_test_x', PAYMENT_WEBHOOK_SECRET: 'whsec_x' };

  it('uses the provider itself unless a loopback sandbox is named', () => {
    expect(readConfig(PaymentSettings, { ...payments, PAYMENT_SANDBOX_URL: '' }).PAYMENT_SANDBOX_URL).toBeUndefined();
    expect(readConfig(PaymentSettings, { ...payments, PAYMENT_SANDBOX_URL: 'http://127.0.0.1:4100' }).PAYMENT_SANDBOX_URL).toBe('http://127.0.0.1:4100');
  });

  it('refuses a sandbox anywhere but on this machine, and missing keys', () => {
    for (const url of ['https://sandbox.example.com', 'http://10.0.0.5:4100', 'http://127.0.0.1.example.com']) {
      const error = (() => {
        try {
          readConfig(PaymentSettings, { ...payments, PAYMENT_SANDBOX_URL: url });
        } catch (caught) {
          return caught as AppError;
        }
        throw new Error(`${url} was accepted`);
      })();
      expect(error.message).toContain('PAYMENT_SANDBOX_URL must be a loopback URL');
    }
    expect(() => readConfig(PaymentSettings, { PAYMENT_SANDBOX_URL: '' })).toThrow(/PAYMENT_SECRET_KEY is missing.*PAYMENT_WEBHOOK_SECRET is missing/);
  });
});
