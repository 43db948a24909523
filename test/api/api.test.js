// The typed API (`import { open } from 'fmig'`): its published types check with tsc in a
// TypeScript fixture, a test suite's global set-up written in TypeScript migrates a fresh
// embedded database in one call, results are what `--json` prints, progress comes as events,
// errors as typed classes with the command line's exit code, and nothing is printed.
import { test as plain } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { run } from '../helpers/git.js';
import { forEachTarget } from '../helpers/databases.js';
import { project, removeProjects, REPO_ROOT, state, tempDir } from '../helpers/cli.js';
import { open, FmigError, UnreachableError, UsageError } from 'fmig';

const TSC = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TSCONFIG = path.join(REPO_ROOT, 'test', 'api', 'tsconfig.json');
const rev = (n) => ({ up: `create table t${n} (id int);\n`, down: `drop table t${n};\n` });

/** Runs `fn` and returns what it wrote to this process's stdout and stderr meanwhile. */
async function captured(fn) {
  const out = [];
  const writes = [process.stdout.write, process.stderr.write];
  process.stdout.write = process.stderr.write = (chunk, ...rest) => {
    out.push(String(chunk));
    const cb = rest.find((x) => typeof x === 'function');
    cb?.();
    return true;
  };
  try {
    return { value: await fn(), printed: out.join('') };
  } finally {
    [process.stdout.write, process.stderr.write] = writes;
  }
}

plain('package.json publishes the API and its declarations', () => {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  assert.is(pkg.types, './dist/api.d.ts');
  assert.equal(pkg.exports['.'], { types: './dist/api.d.ts', import: './dist/api.js' });
  assert.ok(pkg.files.includes('dist'));
  assert.match(readFileSync(path.join(REPO_ROOT, 'dist', 'api.d.ts'), 'utf8'), 'export declare function open(');
});

plain("tsc type-checks the TypeScript fixtures against the published types (each expected error is one)", async () => {
  const r = await run(process.execPath, [TSC, '-p', TSCONFIG], { cwd: REPO_ROOT });
  assert.is(r.code, 0, r.stdout + r.stderr);
});

plain('a global set-up in TypeScript migrates a fresh embedded database in one call', async () => {
  // Compiled inside the package, where `import 'fmig'` resolves to the package itself.
  const out = mkdtempSync(path.join(REPO_ROOT, 'test', 'api', '.out-'));
  try {
    const r = await run(process.execPath, [TSC, '-p', TSCONFIG, '--noEmit', 'false', '--outDir', out], { cwd: REPO_ROOT });
    assert.is(r.code, 0, r.stdout + r.stderr);
    const { default: setup } = await import(pathToFileURL(path.join(out, 'global-setup.js')).href);
    const p = await project({ '001_a': rev(1), '002_b': rev(2) });
    const data = path.join(await tempDir('fmig-api-'), 'db');
    const { value: result, printed } = await captured(() => setup(p.dir, data));
    assert.equal(result.applied.map((a) => a.revision), ['001', '002']);
    assert.equal(result.pending, []);
    assert.is(printed, '', 'the API prints nothing');
    const s = await state(`pglite://${data}`);
    assert.equal(s.rows.map((x) => x.revision), ['001', '002']);
    assert.equal(s.tables, ['public.t1', 'public.t2']);
  } finally {
    rmSync(out, { recursive: true, force: true });
    await removeProjects();
  }
});

plain('errors are typed classes carrying the exit code', async () => {
  const p = await project({ '001_a': rev(1) });
  try {
    const bad = await open({ cwd: p.dir, url: 'mysql://x' }).status().catch((e) => e);
    assert.ok(bad instanceof FmigError);
    assert.is(bad.exitCode, 2);
    const usage = await open({ cwd: p.dir }).wait({ atLeast: '001', head: true }).catch((e) => e);
    assert.ok(usage instanceof UsageError);
    const down = await open({ cwd: p.dir, url: 'postgres://root@127.0.0.1:1/none?connect_timeout=2' }).up().catch((e) => e);
    assert.ok(down instanceof UnreachableError, String(down));
    assert.is(down.exitCode, 3);
    assert.is(down.code, 'unreachable');
  } finally {
    await removeProjects();
  }
});

plain.run();

forEachTarget('api: results are what --json prints', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('status, heads and verify equal the CLI --json; up and down report progress as events', async () => {
    const { url } = await fresh();
    const p = await project({ '001_a': rev(1), '002_b': rev(2) });
    const events = [];
    const fmig = open({ cwd: p.dir, url });
    fmig.on('progress', (e) => events.push(e));
    const { value: up, printed } = await captured(() => fmig.up({ target: '001' }));
    assert.is(printed, '');
    assert.equal(up.applied.map((a) => a.revision), ['001']);
    assert.ok(events.some((e) => e.kind === 'info' && /^applied 001_a/.test(e.message)), JSON.stringify(events));
    for (const e of events) assert.ok(['progress', 'info', 'warning'].includes(e.kind));

    assert.equal(await fmig.status(), (await p.fmig('status', '--url', url, '--json')).json);
    assert.equal(await fmig.heads(), (await p.fmig('heads', '--json')).json);
    assert.equal(await fmig.verify(), (await p.fmig('verify', '--json')).json);

    const down = await fmig.down();
    assert.equal(down.reverted.map((r) => r.revision), ['001']);
    assert.equal((await state(url)).rows, []);
  });
});
