/**
 * The SPA's response headers, written to `_headers` at build time (Pages and Workers static assets
 * both read it). The Content-Security-Policy names exactly the origins the SPA talks to: itself, the
 * jurisdiction's storage (uploads go straight there) and the image hosts allowed for course covers.
 * Loopback origins appear only in a local build (`npm run dev`, the tests, the benchmarks).
 */
export interface SpaOrigins {
  /** Where the browser PUTs uploads: the jurisdiction's S3 endpoint. */
  uploads: string[];
  /** Hosts course cover images may come from. */
  images: string[];
}

const LOCAL_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*'];
const HTTPS_ORIGIN = /^https:\/\/(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$/;

function originList(name: string, value: string | undefined): string[] {
  const origins = (value ?? '').split(/[\s,]+/).filter(Boolean);
  const bad = origins.filter((origin) => !HTTPS_ORIGIN.test(origin));
  if (bad.length > 0) throw new Error(`${name} must list https origins such as https://media.example.com (no path); not ${bad.join(', ')}`);
  return origins;
}

/**
 * `KCE_WEB_TARGET=local` for a build served on this machine; otherwise a production build, which
 * needs `KCE_UPLOAD_ORIGINS` (the storage endpoint) and may name `KCE_IMAGE_ORIGINS`.
 */
export function originsFor(env: Record<string, string | undefined>): SpaOrigins {
  if (env.KCE_WEB_TARGET === 'local') return { uploads: LOCAL_ORIGINS, images: LOCAL_ORIGINS };
  const uploads = originList('KCE_UPLOAD_ORIGINS', env.KCE_UPLOAD_ORIGINS);
  if (uploads.length === 0) {
    throw new Error("KCE_UPLOAD_ORIGINS is not set: name the jurisdiction's storage origin (uploads go straight there), or set KCE_WEB_TARGET=local for a local build");
  }
  return { uploads, images: originList('KCE_IMAGE_ORIGINS', env.KCE_IMAGE_ORIGINS) };
}

export function contentSecurityPolicy({ uploads, images }: SpaOrigins): string {
  return [
    "default-src 'self'",
    ["img-src 'self' data: blob:", ...images].join(' '),
    // hls.js plays through MediaSource, whose URLs are blob:.
    "media-src 'self' blob:",
    ["connect-src 'self'", ...uploads].join(' '),
    "style-src 'self' 'unsafe-inline'",
    "script-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
  ].join('; ');
}

export function headersFile(origins: SpaOrigins): string {
  return `# Written by web/vite.config.ts from web/headers.ts: security headers everywhere, immutable hashed bundles.
/*
  X-Content-Type-Options: nosniff
  Referrer-Policy: strict-origin-when-cross-origin
  X-Frame-Options: DENY
  Permissions-Policy: camera=(), microphone=(), geolocation=()
  Content-Security-Policy: ${contentSecurityPolicy(origins)}

/assets/*
  Cache-Control: public, max-age=31536000, immutable

/index.html
  Cache-Control: no-cache
`;
}
