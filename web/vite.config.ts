import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The SPA, built to `web/dist`: served by the api Worker's static assets locally, Pages in production. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Per-route chunks are reported by bench/web; the player and charts are lazy on purpose.
    chunkSizeWarningLimit: 700,
  },
});
