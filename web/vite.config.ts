import { defineConfig } from 'vitest/config';

// `npm run dev` serves the UI with hot reload and forwards API calls to a running hearth server
// (HEARTH_URL, default http://127.0.0.1:8080), so the page stays same-origin as in production.
const target = process.env.HEARTH_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  build: {
    target: 'es2022',
    assetsInlineLimit: 0, // every asset is its own embedded file with its own ETag
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    proxy: Object.fromEntries(['/v1', '/api', '/health'].map((p) => [p, { target, changeOrigin: true }])),
  },
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.ts'],
  },
});
