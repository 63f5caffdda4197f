import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { headersFile, originsFor } from './headers.ts';

/** `_headers` for this build's target: a production build fails here if its origins are not set. */
function securityHeaders(): Plugin {
  const origins = originsFor(process.env);
  return {
    name: 'kce-security-headers',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '_headers', source: headersFile(origins) });
    },
  };
}

/** The SPA, built to `web/dist`: served by the api Worker's static assets locally, Pages in production. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react(), securityHeaders()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Per-route chunks are reported by bench/web; the player and charts are lazy on purpose.
    chunkSizeWarningLimit: 700,
  },
});
