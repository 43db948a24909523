// The typed API (`import { open } from 'fmig'`): its published types check with tsc in a
// TypeScript fixture, a test suite's global set-up written in TypeScript migrates a fresh
// embedded database in one call, results are what `--json` prints, progress comes as events,
// errors as typed classes with the command line's exit code, and nothing is printed. On the
// targets of migrate.toml (tenant schemas), a call resolves to the fan-out's document.
import { test as plain } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { run } from '../helpers/git.js';
import { forEachTarget } from '../helpers/databases.js';
import { inspect, project, removeProjects, REPO_ROOT, state, tempDir } from '../helpers/cli.js';
import { open, FmigError, UnreachableError, UsageError } from 'fmig';

const TSC = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TSCONFIG = path.join(REPO_ROOT, 'test', 'api', 'tsconfig.json');
const rev = (n) => ({ up: `create table t${n} (id int);\n`, down: `drop table t${n};\n` });

let compiledTo;
/** The TypeScript fixtures compiled (once) inside the package, where `import 'fmig'` resolves to the package itself; the module `name`. */
async function fixture(name) {
  if (!compiledTo) {
    const out = mkdtempSync(path.join(REPO_ROOT, 'test', 'api', '.out-'));
    process.on('exit', () => rmSync(out, { recursive: true, force: true }));
    compiledTo = run(process.execPath, [TSC, '-p', TSCONFIG, '--noEmit', 'false', '--outDir', out], { cwd: REPO_ROOT }).then((r) => {
      assert.is(r.code, 0, r.stdout + r.stderr);
      return out;
    });
  }
  return import(pathToFileURL(path.join(await compiledTo, `${name}.js`)).href);
}

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
  try {
    const { default: setup } = await fixture('global-setup');
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

forEachTarget('api: on targets', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('up on 3 tenant schemas: each migrated once, the failing tenant named with its exit code, a target event per run; the re-run applies only its rest', async () => {
    const { url } = await fresh();
    // tenant_b already has the table the second revision creates.
    await inspect(url, (db) => db.exec('create schema tenant_b; create table tenant_b.t2 (other text);'));
    const p = await project(
      { '001_a': rev(1), '002_b': rev(2), '003_c': rev(3) },
      { toml: `dir = "sql"\n[targets.tenants]\nurl = "${url}"\nschemas = ["tenant_a", "tenant_b", "tenant_c"]\n` },
    );
    const { default: migrateTenants } = await fixture('tenants');
    const { value, printed } = await captured(() => migrateTenants(p.dir));
    assert.is(printed, '', 'the API prints nothing');
    let { result, runs } = value;
    assert.is(result.command, 'up');
    assert.is(result.ok, false);
    assert.is(result.exitCode, 1, 'the exit code fmig up --target tenants gives');
    assert.equal(result.counts, { runs: 3, ok: 2, failed: 1, notRun: 0 });
    const bySchema = Object.fromEntries(result.targets.map((t) => [t.schema, t]));
    assert.equal(Object.keys(bySchema), ['tenant_a', 'tenant_b', 'tenant_c']);
    for (const t of result.targets) assert.is(t.target, 'tenants');
    const failed = bySchema.tenant_b;
    assert.is(failed.state, 'failed');
    assert.is(failed.exitCode, 1);
    assert.is(failed.error.exitCode, 1);
    assert.match(failed.error.message, /002_b failed/);
    assert.match(failed.error.message, /"t2" already exists/);
    for (const s of ['tenant_a', 'tenant_c']) {
      assert.is(bySchema[s].state, 'ok', s);
      assert.equal(bySchema[s].result.applied.map((a) => a.revision), ['001', '002', '003'], s);
    }
    assert.equal(runs.map((r) => r.schema).sort(), ['tenant_a', 'tenant_b', 'tenant_c'], 'a target event per run');
    assert.equal(runs.find((r) => r.schema === 'tenant_b'), failed);
    for (const [schema, want] of [['tenant_a', ['001', '002', '003']], ['tenant_b', ['001']], ['tenant_c', ['001', '002', '003']]]) {
      const s = await state(url, { schema });
      assert.equal(s.rows.map((r) => r.revision), want, schema);
      assert.equal(s.log.map((l) => `${l.action} ${l.revision}`), want.map((r) => `up ${r}`), `${schema}: each revision applied once`);
    }

    await inspect(url, (db) => db.exec('drop table tenant_b.t2'));
    ({ result, runs } = await migrateTenants(p.dir));
    assert.is(result.exitCode, 0);
    assert.equal(Object.fromEntries(result.targets.map((t) => [t.schema, t.result.applied.map((a) => a.revision)])), { tenant_a: [], tenant_b: ['002', '003'], tenant_c: [] });
  });

  test('status on a target without schemas is still a fan-out document; errors that stop every run are thrown', async () => {
    const { url } = await fresh();
    const p = await project({ '001_a': rev(1) }, { toml: `dir = "sql"\n[targets.one]\nurl = "${url}"\n` });
    const fmig = open({ cwd: p.dir, env: {} });
    const r = await fmig.status({ targets: 'one' });
    assert.is(r.exitCode, 0);
    assert.equal(r.targets.map((t) => [t.target, t.schema, t.result.pending.map((x) => x.revision)]), [['one', null, ['001']]]);
    const unknown = await fmig.up({ targets: 'nope' }).catch((e) => e);
    assert.ok(unknown instanceof UsageError, String(unknown));
    assert.is(unknown.exitCode, 2);
    const both = await open({ cwd: p.dir, env: {}, url }).up({ all: true }).catch((e) => e);
    assert.ok(both instanceof UsageError, String(both));
    const jobsAlone = await fmig.up({ jobs: 2 }).catch((e) => e);
    assert.ok(jobsAlone instanceof UsageError, String(jobsAlone));
    assert.equal((await state(url)).rows, [], 'nothing applied');
  });
});
