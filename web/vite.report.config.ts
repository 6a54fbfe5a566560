import { defineConfig } from 'vite';

// The standalone chart script of `hearth eval report` (src/eval_report.ts): one IIFE file with
// its CSS inside, no chunks, no public files. cmake/EmbedWeb.cmake builds it into
// <web-dist>/report/, next to the UI, so it is embedded as /report/eval-report.js.
export default defineConfig({
  publicDir: false,
  build: {
    target: 'es2022',
    outDir: 'dist/report',
    emptyOutDir: true,
    reportCompressedSize: false,
    lib: {
      entry: 'src/eval_report.ts',
      formats: ['iife'],
      name: 'hearthEvalReport',
      fileName: () => 'eval-report.js',
    },
  },
});
