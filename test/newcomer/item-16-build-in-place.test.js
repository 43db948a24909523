// `npm run build` (which `npm test` runs first) while fmig runs from dist/: the build is made in
// a temporary folder and moved in, so a fmig starting at any moment finds a whole build, a
// fmig started from the build before still finds the chunks it has yet to load, and a build
// that fails leaves dist/ as it was. Run on a copy of the repository, never on its own dist/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { REPO_ROOT, tempDir, removeProjects } from '../helpers/cli.js';

test.after.each(removeProjects);

async function copyOfRepository() {
  const dir = await tempDir('fmig-build-');
  for (const f of ['src', 'scripts', 'bin', 'package.json', 'tsconfig.json']) cpSync(path.join(REPO_ROOT, f), path.join(dir, f), { recursive: true });
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  // Built already, as the repository is when its tests run (`npm test` builds first): its dist/
  // is the build before. The PGlite templates (an initdb, seconds of CPU) come with it: what is
  // tested here is the move into dist/, which does not touch them.
  cpSync(path.join(REPO_ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  return dir;
}

const build = (dir) =>
  new Promise((resolve) => {
    const child = spawn('npm', ['run', 'build'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });

/** The chunks dist/cli/cli.js loads, or null when it or one of them is missing or empty. */
function wholeBuild(dir) {
  const cli = path.join(dir, 'dist', 'cli');
  let text;
  try {
    text = readFileSync(path.join(cli, 'cli.js'), 'utf8');
  } catch {
    return null;
  }
  const chunks = [...text.matchAll(/require\("\.\/([^"]+)"\)/g)].map((m) => m[1]);
  if (!text.length || !chunks.length) return null;
  for (const c of chunks) {
    try {
      if (!readFileSync(path.join(cli, c)).length) return null;
    } catch {
      return null;
    }
  }
  return chunks;
}

const editHeads = (dir, word) => {
  const f = path.join(dir, 'src', 'commands', 'heads.ts');
  writeFileSync(f, readFileSync(f, 'utf8').replace(/\(\$\{h\.file\}\)/, `(${word} \${h.file})`));
};

test('while a build runs, dist/cli/ always holds a whole build; the chunks of the build before stay', async () => {
  const dir = await copyOfRepository();
  const first = wholeBuild(dir);
  assert.ok(first, 'the build before is whole');

  editHeads(dir, 'file');
  const running = build(dir);
  let done = false;
  running.then(() => (done = true));
  let checks = 0;
  const broken = [];
  while (!done) {
    if (!wholeBuild(dir)) broken.push(checks);
    checks++;
    await new Promise((r) => setImmediate(r));
  }
  const { code, out } = await running;
  assert.is(code, 0, out);
  assert.ok(checks > 10, `dist/ was looked at ${checks} times during the build`);
  assert.equal(broken, [], `dist/cli/ was not a whole build at ${broken.length} of ${checks} looks`);

  const second = wholeBuild(dir);
  assert.not.equal(second, first, 'the edit changed the chunks');
  for (const c of first) assert.ok(existsSync(path.join(dir, 'dist', 'cli', c)), `${c} of the build before is still there`);
  assert.not.match(readdirSync(dir).join(' '), /dist-building/, 'no temporary folder left');
  const out2 = execFileSync(process.execPath, [path.join(dir, 'bin', 'fmig'), '--help'], { encoding: 'utf8' });
  assert.match(out2, /Usage/);
});

test('a build that fails leaves dist/ as it was', async () => {
  const dir = await copyOfRepository();
  const snapshot = () =>
    readdirSync(path.join(dir, 'dist'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath ?? e.path, e.name))
      .sort()
      .map((f) => `${f} ${createHash('sha1').update(readFileSync(f)).digest('hex')}`);
  const before = snapshot();
  writeFileSync(path.join(dir, 'src', 'commands', 'heads.ts'), 'export const = ;\n');
  const r = await build(dir);
  assert.is.not(r.code, 0);
  const changed = snapshot().filter((f) => !before.includes(f));
  assert.equal(changed, [], 'files in dist/ changed by the failed build');
  assert.not.match(readdirSync(dir).join(' '), /dist-building/);
});

test.run();
