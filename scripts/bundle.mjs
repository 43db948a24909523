// Bundles the command line into dist/cli/: one module for what every command needs, and one
// chunk per lazily imported part (each command, each driver), so a run loads a handful of
// files instead of ~50. Node resolves and compiles every ES module separately; on a no-op
// `fmig up` that was the largest cost after Node's own start.
//
// PGlite stays outside: it finds its wasm and data files next to its own module.
//
// postgres.js imports node:tls and node:crypto at its top, for SSL and for password
// authentication; a connection without either never touches them, yet loading them costs a few
// milliseconds and ~2 MiB on every run. In the bundle they load on first use instead.
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
  plugins: [lazyBuiltins(['tls', 'crypto'], /[\\/]node_modules[\\/]postgres[\\/]/)],
});

/** Resolves `import x from '<builtin>'` in files matching `importer` to an object that loads the builtin when first used. */
function lazyBuiltins(names, importer) {
  const filter = new RegExp(`^(node:)?(${names.join('|')})$`);
  return {
    name: 'lazy-builtins',
    setup(b) {
      b.onResolve({ filter }, (args) => (importer.test(args.importer) ? { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' } : undefined));
      b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
        contents: `import { createRequire } from 'node:module';
let m;
const load = () => (m ??= createRequire(import.meta.url)('node:${args.path}'));
export default new Proxy({}, { get: (_, k) => load()[k], has: (_, k) => k in load() });`,
        loader: 'js',
      }));
    },
  };
}
