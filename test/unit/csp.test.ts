import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, headersFile, originsFor } from '../../web/headers.ts';

const directives = (policy: string) => new Map(policy.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)] as const));

describe('the SPA Content-Security-Policy', () => {
  it('in production names only this origin, the storage endpoint and the listed image hosts', () => {
    const policy = contentSecurityPolicy(originsFor({ KCE_UPLOAD_ORIGINS: 'https://kce-us.r2.example.com', KCE_IMAGE_ORIGINS: 'https://images.example.com' }));
    const d = directives(policy);
    expect(d.get('connect-src')).toEqual(["'self'", 'https://kce-us.r2.example.com']);
    expect(d.get('img-src')).toEqual(["'self'", 'data:', 'blob:', 'https://images.example.com']);
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    expect(d.get('object-src')).toEqual(["'none'"]);
    // No scheme-wide sources, no loopback.
    for (const [name, sources] of d) {
      expect(sources, name).not.toContain('https:');
      expect(sources, name).not.toContain('http:');
      expect(sources.join(' '), name).not.toMatch(/localhost|127\.0\.0\.1|http:\/\//);
    }
  });

  it('keeps loopback origins to local builds', () => {
    const local = directives(contentSecurityPolicy(originsFor({ KCE_WEB_TARGET: 'local' })));
    expect(local.get('connect-src')).toEqual(["'self'", 'http://localhost:*', 'http://127.0.0.1:*']);
  });

  it('refuses to build for production without the storage origin, or with anything but https origins', () => {
    expect(() => originsFor({})).toThrow(/KCE_UPLOAD_ORIGINS is not set/);
    for (const bad of ['http://s3.example.com', 'https:', 'https://s3.example.com/bucket', '*', "https://a.example.com 'unsafe-inline'", 'https://localhost:* data:']) {
      expect(() => originsFor({ KCE_UPLOAD_ORIGINS: bad }), bad).toThrow(/must list https origins/);
    }
    expect(() => originsFor({ KCE_UPLOAD_ORIGINS: 'https://s3.example.com', KCE_IMAGE_ORIGINS: 'https:' })).toThrow(/KCE_IMAGE_ORIGINS/);
  });

  it('writes the policy into _headers for every path', () => {
    const file = headersFile(originsFor({ KCE_UPLOAD_ORIGINS: 'https://s3.example.com' }));
    expect(file).toMatch(/^\/\*\n(?: {2}.+\n)*? {2}Content-Security-Policy: default-src 'self'; /m);
    expect(file).toContain('/assets/*\n  Cache-Control: public, max-age=31536000, immutable');
  });
});
