import { describe, expect, it } from 'vitest';
import { constantTimeEqual, hashPassword, PASSWORD_ITERATIONS, verifyPassword } from '../../workers/lib/password.ts';

describe('passwords', () => {
  it('stores algorithm, iterations and a random salt with the hash', async () => {
    const first = await hashPassword('correct horse');
    const second = await hashPassword('correct horse');
    expect(first).toMatchObject({ algorithm: 'pbkdf2-sha256', iterations: PASSWORD_ITERATIONS });
    expect(first.salt).not.toBe(second.salt);
    expect(first.hash).not.toBe(second.hash);
  });

  it('verifies the right password only', async () => {
    const stored = await hashPassword('correct horse', 1_000);
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('correct horsf', stored)).toBe(false);
    expect(await verifyPassword('correct horse', { ...stored, algorithm: 'md5' })).toBe(false);
  });

  it('treats canonically equal Unicode passwords as the same password', async () => {
    const stored = await hashPassword('caf\u00e9', 1_000);
    expect(await verifyPassword('cafe\u0301', stored)).toBe(true);
  });

  it('never asks WebCrypto for more than 100,000 iterations in one call', async () => {
    await expect(hashPassword('x', 100_001)).rejects.toThrow(/100000 iterations per call/);
  });

  it('compares in constant time, including different lengths', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBe(false);
  });
});
