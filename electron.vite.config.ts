import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

const alias = { '@shared': resolve(import.meta.dirname, 'src/shared') };

// Main-process bundle has several entries: the Electron app, the CLI/browser-mode host,
// and the worker-thread entry used by the job runner. All share the same services.
export default defineConfig({
  main: {
    resolve: { alias },
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src/main/app/electron-main.ts'),
          cli: resolve(import.meta.dirname, 'src/main/cli/index.ts'),
          worker: resolve(import.meta.dirname, 'src/main/jobs/worker-entry.ts'),
          'volume-worker': resolve(import.meta.dirname, 'src/main/volumes/decode-worker.ts'),
          'proofreading-mesh': resolve(import.meta.dirname, 'src/main/proofreading/mesh/mesh-worker.ts'),
          'studio-preview': resolve(import.meta.dirname, 'src/main/studio-ml/preview-worker.ts'),
        },
      },
    },
  },
  preload: {
    resolve: { alias },
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src/preload/index.ts') },
        // Sandboxed preload scripts must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src/renderer'),
    resolve: { alias },
    plugins: [react()],
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve(import.meta.dirname, 'src/renderer/index.html') } },
    },
    worker: { format: 'es' },
  },
});
