import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, mkdir, writeFile, readFile, readdir, rm, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { init } from '../dist/commands/init.js';
import { loadConfig } from '../dist/adapters/config.js';
import { ConfigError, UsageError } from '../dist/core/errors.js';

const temps = [];
test.after.each(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir() {
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'fmig-init-')));
  temps.push(dir);
  return dir;
}

/** A Context for `cwd` whose reporter collects the lines it is given. */
function context(cwd, env = {}) {
  const lines = [];
  const ctx = {
    cwd,
    env,
    config: () => loadConfig({ cwd, env }),
    report: { line: (t) => lines.push(t), warn: (t) => lines.push(`warn: ${t}`), progress() {} },
    json: false,
  };
  return { ctx, lines };
}

const read = (dir, rel) => readFile(path.join(dir, rel), 'utf8');

test('a fresh directory gets migrate.toml, sql/ and a .gitignore with .fmig/', async () => {
  const cwd = await tempDir();
  const { ctx, lines } = context(cwd);
  const result = await init(ctx, {});
  assert.equal(result, { created: ['migrate.toml', 'sql/', '.gitignore'], skipped: [] });
  assert.equal(lines, ['created migrate.toml', 'created sql/', 'created .gitignore']);
  assert.ok((await stat(path.join(cwd, 'sql'))).isDirectory());
  assert.equal(await readdir(path.join(cwd, 'sql')), ['.gitkeep'], 'a file, so that git carries the folder');
  assert.is(await read(cwd, '.gitignore'), '.fmig/\n');
});

test('the migrate.toml written loads without problems and documents every key', async () => {
  const cwd = await tempDir();
  await init(context(cwd).ctx, {});
  const c = await loadConfig({ cwd, env: {} });
  assert.is(c.file, path.join(cwd, 'migrate.toml'));
  assert.is(c.dir, path.join(cwd, 'sql'));
  assert.is(c.database.urlSource, 'default');
  assert.is(c.database.schema, 'public');
  assert.is(c.database.table, 'fmig_ledger');
  assert.is(c.database.lockTimeoutMs, 5000);
  assert.is(c.database.lockWaitMs, 300_000);
  assert.is(c.database.lockRetries, 5);
  assert.is(c.database.statementTimeoutMs, 0);
  assert.is(c.git.main, null);
  const text = await read(cwd, 'migrate.toml');
  for (const part of ['dir = "sql"', '[database]', '# url = ', 'FMIG_DATABASE_URL', 'DATABASE_URL', 'schema = "public"', 'table = "fmig_ledger"', 'lock_wait = "5m"', 'lock_timeout = "5s"', 'lock_retries = 5', '# direct_url = ', 'statement_timeout = "0"', '[git]', '# main = "origin/main"']) {
    assert.ok(text.includes(part), part);
  }
  // Uncommenting the examples still gives a valid file.
  await writeFile(path.join(cwd, 'migrate.toml'), text.replace('# url = ', 'url = ').replace('# main = ', 'main = '));
  const c2 = await loadConfig({ cwd, env: {} });
  assert.is(c2.database.url, 'postgres://postgres@localhost:5432/app');
  assert.is(c2.git.main, 'origin/main');
});

test('--dir names the folder and is written into migrate.toml', async () => {
  const cwd = await tempDir();
  const { ctx, lines } = context(cwd);
  const result = await init(ctx, { dir: 'db/migrations' });
  assert.equal(result.created, ['migrate.toml', 'db/migrations/', '.gitignore']);
  assert.ok(lines.includes('created db/migrations/'));
  assert.is((await loadConfig({ cwd, env: {} })).dir, path.join(cwd, 'db/migrations'));
});

test('running it again changes nothing and reports every skip', async () => {
  const cwd = await tempDir();
  await init(context(cwd).ctx, {});
  const before = await Promise.all(['migrate.toml', '.gitignore'].map((f) => read(cwd, f)));
  const { ctx, lines } = context(cwd);
  const result = await init(ctx, {});
  assert.equal(result, { created: [], skipped: ['migrate.toml', 'sql/', '.gitignore'] });
  assert.equal(lines, ['skipped migrate.toml (exists)', 'skipped sql/ (exists)', 'skipped .gitignore (already ignores .fmig/)']);
  assert.equal(await Promise.all(['migrate.toml', '.gitignore'].map((f) => read(cwd, f))), before);
});

test('an existing migrate.toml is left byte for byte, and its dir is the folder created', async () => {
  const cwd = await tempDir();
  const mine = '# mine\r\ndir = "migrations"\r\n[database]\r\nurl = "${APP_DB}"\r\n';
  await writeFile(path.join(cwd, 'migrate.toml'), mine);
  const { ctx } = context(cwd);
  const result = await init(ctx, {});
  assert.equal(result, { created: ['migrations/', '.gitignore'], skipped: ['migrate.toml'] });
  assert.is(await read(cwd, 'migrate.toml'), mine);
  assert.ok((await stat(path.join(cwd, 'migrations'))).isDirectory());
  assert.not.ok(await stat(path.join(cwd, 'sql')).catch(() => null));
});

test('an existing migrate.toml with problems is reported, not overwritten', async () => {
  const cwd = await tempDir();
  await writeFile(path.join(cwd, 'migrate.toml'), 'dri = "x"\n');
  try {
    await init(context(cwd).ctx, {});
    assert.unreachable('init should fail');
  } catch (e) {
    assert.instance(e, ConfigError);
    assert.match(e.message, 'unknown key "dri" (did you mean "dir"?)');
  }
  assert.is(await read(cwd, 'migrate.toml'), 'dri = "x"\n');
});

test('an existing .gitignore keeps its content and gains .fmig/ on its own line', async () => {
  for (const [before, after] of [
    ['node_modules/\n', 'node_modules/\n.fmig/\n'],
    ['node_modules/\ndist', 'node_modules/\ndist\n.fmig/\n'],
    ['', '.fmig/\n'],
  ]) {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, '.gitignore'), before);
    const { ctx, lines } = context(cwd);
    const result = await init(ctx, {});
    assert.ok(result.created.includes('.gitignore'));
    assert.ok(lines.includes('added .fmig/ to .gitignore'));
    assert.is(await read(cwd, '.gitignore'), after, JSON.stringify(before));
  }
});

test('a .gitignore that already ignores .fmig is not touched', async () => {
  for (const existing of ['dist\n.fmig/\n', '/.fmig', 'a\r\n.fmig\r\nb\r\n']) {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, '.gitignore'), existing);
    const result = await init(context(cwd).ctx, {});
    assert.ok(result.skipped.includes('.gitignore'));
    assert.is(await read(cwd, '.gitignore'), existing);
  }
});

test('works in the working directory even when a parent has a migrate.toml', async () => {
  const parent = await tempDir();
  await writeFile(path.join(parent, 'migrate.toml'), 'dir = "up-here"\n');
  const cwd = path.join(parent, 'child');
  await mkdir(cwd);
  const result = await init(context(cwd).ctx, {});
  assert.equal(result.created, ['migrate.toml', 'sql/', '.gitignore']);
  assert.is(await read(parent, 'migrate.toml'), 'dir = "up-here"\n');
  assert.is((await loadConfig({ cwd, env: {} })).dir, path.join(cwd, 'sql'));
});

test('a file where the folder should be is an error, exit 2', async () => {
  const cwd = await tempDir();
  await writeFile(path.join(cwd, 'sql'), 'not a folder');
  try {
    await init(context(cwd).ctx, {});
    assert.unreachable('init should fail');
  } catch (e) {
    assert.instance(e, UsageError);
    assert.is(e.exitCode, 2);
    assert.match(e.message, 'sql/ exists and is not a directory');
  }
  assert.is(await read(cwd, 'sql'), 'not a folder');
});

test.run();
