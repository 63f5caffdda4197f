/**
 * PBKDF2-SHA256 through WebCrypto with a per-user random salt. Production Workers refuse more than
 * 100,000 iterations in one call, so that is both our cost and our ceiling per call; the algorithm,
 * iterations and salt are stored with the hash so the cost can be raised later.
 */
export const PASSWORD_ALGORITHM = 'pbkdf2-sha256';
export const PASSWORD_ITERATIONS = 100_000;
const MAX_ITERATIONS_PER_CALL = 100_000;

export interface PasswordHash {
  algorithm: string;
  iterations: number;
  salt: string;
  hash: string;
}

const encoder = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

async function derive(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<Uint8Array> {
  if (iterations > MAX_ITERATIONS_PER_CALL) throw new Error(`PBKDF2 is capped at ${MAX_ITERATIONS_PER_CALL} iterations per call`);
  const key = await crypto.subtle.importKey('raw', encoder.encode(password.normalize('NFC')), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

export async function hashPassword(password: string, iterations = PASSWORD_ITERATIONS): Promise<PasswordHash> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, iterations);
  return { algorithm: PASSWORD_ALGORITHM, iterations, salt: toBase64(salt), hash: toBase64(hash) };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  if (stored.algorithm !== PASSWORD_ALGORITHM) return false;
  const actual = await derive(password, fromBase64(stored.salt), stored.iterations);
  return constantTimeEqual(actual, fromBase64(stored.hash));
}

/** Compares every byte whatever the first difference, so timing says nothing about the hash. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

/** Verified against when the email is unknown, so a miss costs as long as a wrong password. */
export const DECOY_HASH: PasswordHash = {
  algorithm: PASSWORD_ALGORITHM,
  iterations: PASSWORD_ITERATIONS,
  salt: 'a2NlLWRlY295LXNhbHQhIQ==',
  hash: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
};
