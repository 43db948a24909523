// Bundles the command line into dist/cli/: one module for what every command needs, and one
// chunk per lazily imported part (each command, each driver), so a run loads a handful of
// files instead of ~50.
//
// The chunks are CommonJS, loaded by require(): esbuild splits ES modules, and each chunk is
// then turned into CommonJS, its dynamic imports into require() calls that resolve as
// promises. Node's ES module loader costs a few milliseconds to start and more for each
// module it resolves, links and evaluates; a no-op `fmig up`, which every deploy runs, pays
// that on top of Node's own start. (dist/cli/package.json says the .js files there are
// CommonJS; bin/ says the same of bin/fmig.)
//
// PGlite and libpg-query (PostgreSQL's parser) stay outside, loaded from their packages (which
// ship CommonJS too): each finds its wasm and data files next to its own module.
//
// postgres.js imports node:tls and node:crypto at its top, for SSL and for password
// authentication; a connection without either never touches them, yet loading them costs a few
// milliseconds and ~2 MiB on every run. In the bundle they load on first use instead. So does
// node:perf_hooks, whose `performance.now()` postgres.js calls only to pace reconnecting.
import { build, transform } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// scripts/build.mjs names a folder of its own, which it then moves into dist/ (see there).
const outdir = process.argv[2] ? path.resolve(process.argv[2]) : new URL('../dist/cli/', import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });

const { outputFiles } = await build({
  entryPoints: [new URL('../src/cli.ts', import.meta.url).pathname],
  outdir,
  write: false,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@electric-sql/pglite', '@electric-sql/pglite/*', 'libpg-query'],
  define: { FMIG_VERSION: JSON.stringify(version) },
  chunkNames: '[name]-[hash]',
  // Whitespace only: names stay, so stack traces and error classes read as in the source.
  minifyWhitespace: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [lazyBuiltins(['tls', 'crypto', 'perf_hooks'], /[\\/]node_modules[\\/]postgres[\\/]/)],
});

mkdirSync(outdir, { recursive: true });
for (const file of outputFiles) {
  const meta = file.text.includes('import.meta');
  const { code } = await transform(file.text, {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // import('./chunk.js') becomes Promise.resolve().then(() => require('./chunk.js')).
    supported: { 'dynamic-import': false },
    ...(meta && {
      banner: 'var __import_meta_url = require("node:url").pathToFileURL(__filename).href;',
      define: { 'import.meta.url': '__import_meta_url' },
    }),
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'warning',
    sourcefile: path.basename(file.path),
  });
  writeFileSync(file.path, code);
}
writeFileSync(path.join(outdir, 'package.json'), '{ "type": "commonjs" }\n');

/** Resolves `import x from '<builtin>'` in files matching `importer` to an object that loads the builtin when first used. */
function lazyBuiltins(names, importer) {
  const filter = new RegExp(`^(node:)?(${names.join('|')})$`);
  return {
    name: 'lazy-builtins',
    setup(b) {
      b.onResolve({ filter }, (args) => (importer.test(args.importer) ? { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' } : undefined));
      // `require` is the CommonJS module's own, once the chunk is turned into CommonJS.
      // postgres.js takes `performance` from perf_hooks by name: that one is named here too.
      b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
        contents: `let m;
const load = () => (m ??= require('node:${args.path}'));
const lazy = new Proxy({}, { get: (_, k) => load()[k], has: (_, k) => k in load() });
export default lazy;
${args.path === 'perf_hooks' ? 'export const performance = { now: () => load().performance.now() };' : ''}`,
        loader: 'js',
      }));
    },
  };
}
