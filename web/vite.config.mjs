import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The hub dashboard. JSX goes through Vite's built-in esbuild (automatic React runtime), no React plugin needed.
// Output lands in dist/web, which `rampart serve` serves; relative asset URLs so it works under any prefix.
// RAMPART_WEB_OUT lets tests build into a temp dir instead of the repository.
const root = fileURLToPath(new URL('.', import.meta.url));
export default defineConfig({
  root,
  base: './',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'react' },
  build: {
    outDir: process.env.RAMPART_WEB_OUT ?? fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
  },
});
