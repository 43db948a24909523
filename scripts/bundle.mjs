// Bundles the command line into dist/cli/: one module for what every command needs, and one
// chunk per lazily imported part (each command, each driver), so a run loads a handful of
// files instead of ~50. Node resolves and compiles every ES module separately; on a no-op
// `fmig up` that was the largest cost after Node's own start.
//
// PGlite stays outside: it finds its wasm and data files next to its own module.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const outdir = new URL('../dist/cli/', import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints: [new URL('../src/cli.ts', import.meta.url).pathname],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@electric-sql/pglite', '@electric-sql/pglite/*'],
  define: { FMIG_VERSION: JSON.stringify(version) },
  chunkNames: '[name]-[hash]',
  // Whitespace only: names stay, so stack traces and error classes read as in the source.
  minifyWhitespace: true,
  legalComments: 'none',
  logLevel: 'warning',
});
