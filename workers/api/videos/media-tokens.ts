/**
 * Playback tokens: `{expires}-{signature}` in the PATH of a media URL
 * (`/media/{token}/{videoId}/{jobId}/master.m3u8`), so the relative URLs inside HLS playlists
 * inherit it. It grants the files of one published job of one video until it expires. The key is
 * derived from the jurisdiction's JWT secret under its own label, so a token can never pass for
 * anything else.
 */
const utf8 = new TextEncoder();

function mediaKey(secret: string, usage: 'sign' | 'verify') {
  return crypto.subtle.importKey('raw', utf8.encode(`kce-media-token:${secret}`), { name: 'HMAC', hash: 'SHA-256' }, false, [usage]);
}

const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

export async function signMediaToken(secret: string, videoId: string, jobId: string, expiresAtSeconds: number): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await mediaKey(secret, 'sign'), utf8.encode(`${videoId}.${jobId}.${expiresAtSeconds}`));
  return `${expiresAtSeconds}-${hex(mac)}`;
}

/** Whether the token grants this video's job now; the comparison is constant-time (`crypto.subtle.verify`). */
export async function verifyMediaToken(secret: string, token: string, videoId: string, jobId: string, nowSeconds: number): Promise<boolean> {
  const [, expires, signature] = /^(\d{1,12})-([0-9a-f]{64})$/.exec(token) ?? [];
  if (!expires || !signature || Number(expires) < nowSeconds) return false;
  const mac = Uint8Array.from(signature.match(/../g) ?? [], (pair) => parseInt(pair, 16));
  return crypto.subtle.verify('HMAC', await mediaKey(secret, 'verify'), mac, utf8.encode(`${videoId}.${jobId}.${expires}`));
}
