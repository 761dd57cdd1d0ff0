import { defineConfig } from 'vitest/config';

// Polkadot.js is one large dependency: one chunk for it, no warning about its size.
export default defineConfig({
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      output: { manualChunks: { polkadot: ['@polkadot/api', '@polkadot/keyring', '@polkadot/util-crypto'] } },
    },
  },
  test: { include: ['src/**/*.test.ts'] },
});
