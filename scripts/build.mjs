// Builds dist/ so that a fmig running from it never sees half a build: the compiler and the
// bundler write into a temporary folder beside dist/, and only a build that succeeded is moved
// into dist/, file by file with rename() (atomic: a reader gets the old file or the new one,
// never a part of either).
//
// A running fmig reads dist/cli/: cli.js, then chunks it names, loaded when first used. The
// chunks' names carry a hash of their content, so a name never stands for two contents: the
// new chunks go in first, and cli.js, which names them, last. The chunks of the build before
// stay one more build, for a fmig started from it that has yet to load one; older ones go.
// A failed build changes nothing in dist/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = path.join(root, 'dist');
const MANIFEST = '.build-files';

const tmp = mkdtempSync(path.join(root, '.dist-building-'));
const ok =
  run(path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), ['-p', path.join(root, 'tsconfig.json'), '--outDir', tmp]) &&
  run(path.join(root, 'scripts', 'bundle.mjs'), [path.join(tmp, 'cli')]);
try {
  if (ok) install(tmp, dist);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (!ok) process.exitCode = 1;

function run(script, args) {
  const r = spawnSync(process.execPath, [script, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status === 0) return true;
  console.error(`build failed (${path.relative(root, script)}); dist/ is left as it was`);
  return false;
}

/** Moves the finished build in `from` into `to`. */
function install(from, to) {
  const cli = path.join(from, 'cli');
  const compiled = files(from).filter((f) => !f.startsWith(`cli${path.sep}`));
  for (const f of compiled) move(path.join(from, f), path.join(to, f));
  // Compiled files of sources that are gone would otherwise linger and still be importable.
  // The embedded database's templates (scripts/pglite-template.mjs) are no compiled files: they stay.
  const keep = new Set(compiled);
  const ours = (f) => !f.startsWith(`cli${path.sep}`) && !/^pglite-(template|memory)-/.test(f);
  for (const f of existsSync(to) ? files(to) : []) if (ours(f) && !keep.has(f)) rmSync(path.join(to, f));

  const outCli = path.join(to, 'cli');
  const built = readdirSync(cli);
  const previous = readManifest(outCli);
  const last = ['package.json', 'cli.js'];
  for (const f of [...built.filter((f) => !last.includes(f)), ...last]) move(path.join(cli, f), path.join(outCli, f));
  writeFileSync(path.join(cli, MANIFEST), built.join('\n') + '\n');
  move(path.join(cli, MANIFEST), path.join(outCli, MANIFEST));
  const wanted = new Set([...built, ...previous, MANIFEST]);
  for (const f of readdirSync(outCli)) if (!wanted.has(f)) rmSync(path.join(outCli, f), { recursive: true, force: true });
}

function move(from, to) {
  mkdirSync(path.dirname(to), { recursive: true });
  renameSync(from, to);
}

/** Every file under `dir`, relative to it. */
function files(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)));
}

function readManifest(dir) {
  try {
    return readFileSync(path.join(dir, MANIFEST), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
