/**
 * The global, privacy-preserving directory: HMAC-SHA256 (platform key) of the normalized email →
 * home jurisdiction, in a Workers KV namespace shared by every deployment. No email is stored.
 */
const encoder = new TextEncoder();

export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

export async function directoryKey(email: string, platformKey: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(platformKey), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(normalizeEmail(email)));
  return `email:${Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export interface Directory {
  homeOf(email: string): Promise<string | null>;
  record(email: string, jurisdiction: string): Promise<void>;
}

/** The part of a KV namespace the directory uses. */
interface KeyValueStore {
  get(key: string): Promise<string | null>;
  put(key: string, value: string): Promise<void>;
}

export function openDirectory(kv: KeyValueStore, platformKey: string): Directory {
  return {
    homeOf: async (email) => kv.get(await directoryKey(email, platformKey)),
    record: async (email, jurisdiction) => kv.put(await directoryKey(email, platformKey), jurisdiction),
  };
}
