import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, mkdir, writeFile, rm, realpath } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { loadConfig } from '../dist/adapters/config.js';
import { ConfigError } from '../dist/core/errors.js';

const temps = [];
test.after.each(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A temp project from { 'relative/path': 'content' }; returns its absolute path. */
async function project(files = {}) {
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'fmig-config-')));
  temps.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  return dir;
}

/** Loads and expects a ConfigError (exit 2); returns it. */
async function fails(opts) {
  try {
    await loadConfig({ env: {}, ...opts });
  } catch (e) {
    // A bad URL from --url or the environment is reported as the URL's problem, not the file's.
    assert.ok(e instanceof ConfigError || e.code === 'bad-url', String(e));
    assert.is(e.exitCode, 2);
    assert.ok(e.code === 'config' || e.code === 'bad-url', e.code);
    return e;
  }
  assert.unreachable('loadConfig should have failed');
}

const toml = (text) => project({ 'migrate.toml': text });

test('no migrate.toml: every default, rooted at the working directory', async () => {
  const cwd = await project();
  const c = await loadConfig({ cwd, env: {} });
  assert.equal(c, {
    file: null,
    root: cwd,
    dir: path.join(cwd, 'sql'),
    database: {
      url: `pglite://${path.join(cwd, '.fmig/pglite')}`,
      urlSource: 'default',
      schema: 'public',
      table: 'fmig_ledger',
      directUrl: null,
      lockWaitMs: 300_000,
      lockTimeoutMs: 5000,
      lockRetries: 5,
      statementTimeoutMs: 0,
      lock: 'advisory',
      lockLeaseMs: 30000,
      lockHeartbeatMs: 10000,
    },
    git: { main: null },
    schema: { files: null },
    targets: [],
    folders: null,
    backup: { beforeUp: false, pgDump: null, dir: path.join(cwd, '.fmig/backups'), keep: null },
    lint: { postgres: 14, rules: {} },
  });
});

test('every key is read', async () => {
  const cwd = await toml(`
dir = "db/migrations"
[database]
url = "postgres://app@db.example:5432/app"
schema = "meta data"
table = "Ledger"
lock_timeout = "2m"
lock_wait = "30s"
lock_retries = 2
direct_url = "postgres://app@db-direct.example:5432/app"
statement_timeout = "1500ms"
[git]
main = "origin/trunk"
[schema]
files = "schema/**/*.sql"
[backup]
before_up = true
pg_dump = "/opt/pg/bin/pg_dump"
dir = "../backups"
keep = 3
`);
  const c = await loadConfig({ cwd, env: {} });
  assert.is(c.file, path.join(cwd, 'migrate.toml'));
  assert.equal(c.backup, { beforeUp: true, pgDump: '/opt/pg/bin/pg_dump', dir: path.resolve(cwd, '../backups'), keep: 3 });
  assert.is(c.dir, path.join(cwd, 'db/migrations'));
  // direct_url, the server itself, is what fmig migrates through.
  assert.equal(c.database, {
    url: 'postgres://app@db-direct.example:5432/app',
    urlSource: 'database.direct_url',
    schema: 'meta data',
    table: 'Ledger',
    directUrl: 'postgres://app@db-direct.example:5432/app',
    lockWaitMs: 30_000,
    lockTimeoutMs: 120_000,
    lockRetries: 2,
    statementTimeoutMs: 1500,
    lock: 'advisory',
    lockLeaseMs: 30000,
    lockHeartbeatMs: 10000,
  });
  assert.is(c.git.main, 'origin/trunk');
  assert.is(c.schema.files, 'schema/**/*.sql');
});

test('found by walking up from a subdirectory; paths are relative to the file', async () => {
  const root = await toml('dir = "revisions"\n[database]\nurl = "pglite://state/db"\n');
  const cwd = path.join(root, 'a', 'b');
  await mkdir(cwd, { recursive: true });
  const c = await loadConfig({ cwd, env: {} });
  assert.is(c.file, path.join(root, 'migrate.toml'));
  assert.is(c.root, root);
  assert.is(c.dir, path.join(root, 'revisions'));
  assert.is(c.database.url, `pglite://${path.join(root, 'state/db')}`);
});

test('--config names another file, relative to the working directory, instead of searching', async () => {
  const cwd = await project({ 'migrate.toml': 'dir = "ignored"\n', 'conf/fmig.toml': 'dir = "../sql2"\n' });
  const c = await loadConfig({ cwd, configPath: 'conf/fmig.toml', env: {} });
  assert.is(c.file, path.join(cwd, 'conf/fmig.toml'));
  assert.is(c.root, path.join(cwd, 'conf'));
  assert.is(c.dir, path.join(cwd, 'sql2'));
});

test('--config naming a missing file is an error naming it', async () => {
  const cwd = await toml('');
  const e = await fails({ cwd, configPath: 'nope.toml' });
  assert.match(e.message, 'nope.toml');
  assert.match(e.message, /no such file/);
});

test('a TOML syntax error names the file, line and column, and never the password', async () => {
  const cwd = await toml('dir = "sql"\n[database]\nurl = "postgres://u:secret@h/db\n');
  const e = await fails({ cwd });
  assert.match(e.message, /^migrate\.toml: line 3, column \d+: /);
  assert.not.match(e.message, 'secret');
});

test('an unknown key names the closest valid key', async () => {
  const cwd = await toml('[database]\ntabel = "x"\n');
  const e = await fails({ cwd });
  assert.equal(e.problems, ['unknown key "database.tabel" (did you mean "database.table"?); valid here: database.url, database.direct_url, database.schema, database.table, database.lock_wait, database.lock_timeout, database.lock_retries, database.statement_timeout, database.lock, database.lock_lease, database.lock_heartbeat']);
});

test('a key in the wrong table names where it belongs', async () => {
  const cwd = await toml('url = "postgres://h/db"\n[database]\nmain = "origin/main"\n');
  const e = await fails({ cwd });
  assert.match(e.problems[0], 'unknown key "url" (did you mean "database.url"?)');
  assert.match(e.problems[1], 'unknown key "database.main" (did you mean "git.main"?)');
});

test('an unknown table is named (not each key in it), with the closest one', async () => {
  const cwd = await toml('[datbase]\nurl = "x"\nschema = "y"\n');
  const e = await fails({ cwd });
  assert.equal(e.problems, ['unknown table "datbase" (did you mean "database"?); valid here: dir, [database], [git], [schema], [targets], [backup], [lint]']);
});

test('an unknown key with nothing close lists the valid keys', async () => {
  const cwd = await toml('[git]\nzzzzzz = 1\n');
  const e = await fails({ cwd });
  assert.equal(e.problems, ['unknown key "git.zzzzzz"; valid here: git.main']);
});

test('a wrong type names the key and the expected type', async () => {
  const cases = [
    ['dir = 3\n', 'dir: expected a string, got an integer'],
    ['[database]\nlock_timeout = true\n', 'database.lock_timeout: expected a duration such as "10s" or "500ms", got a boolean'],
    ['database = "x"\n', 'database: expected a table ([database]), got a string'],
    ['[git]\nmain = ["a"]\n', 'git.main: expected a string, got an array'],
    ['[database]\nschema = 1.5\n', 'database.schema: expected a string, got a number'],
    ['[[git]]\nmain = "x"\n', 'git: expected a table ([git]), got an array'],
    ['[database]\nlock_retries = "5"\n', 'database.lock_retries: expected a whole number such as 5, got a string'],
    ['[database]\nlock_retries = 2.5\n', 'database.lock_retries: 2.5 is not a whole number from 0 to 100'],
    ['[database]\nlock_retries = -1\n', 'database.lock_retries: -1 is not a whole number from 0 to 100'],
    ['[database]\nlock_wait = "soon"\n', 'database.lock_wait: bad duration "soon"; use e.g. "10s", "500ms", "2m"'],
    ['[database]\ndirect_url = "mysql://x@y/z"\n', 'database.direct_url: "mysql://***@y/z" is not a server URL; use postgres://user@host:port/database (the server itself, not the pooler)'],
    ['[schema]\nfiles = 3\n', 'schema.files: expected a string, got an integer'],
    ['[schema]\nfiles = ""\n', 'schema.files: must not be empty (a glob such as "schema/**/*.sql")'],
    ['[schema]\nfile = "x"\n', 'unknown key "schema.file" (did you mean "schema.files"?); valid here: schema.files'],
  ];
  for (const [text, problem] of cases) {
    const e = await fails({ cwd: await toml(text) });
    assert.equal(e.problems, [problem], text);
  }
});

test('direct_url comes after --url and FMIG_DATABASE_URL, before DATABASE_URL and database.url', async () => {
  const cwd = await toml('[database]\nurl = "postgres://pooler:6432/app"\ndirect_url = "postgres://db:5432/app"\n');
  assert.is((await loadConfig({ cwd, env: { DATABASE_URL: 'postgres://pooler2:6432/app' } })).database.url, 'postgres://db:5432/app');
  assert.is((await loadConfig({ cwd, env: { FMIG_DATABASE_URL: 'postgres://other/app' } })).database.url, 'postgres://other/app');
  assert.is((await loadConfig({ cwd, env: {}, url: 'postgres://cli/app' })).database.url, 'postgres://cli/app');
});

test('--lock-wait wins over database.lock_wait, and a bad one is named', async () => {
  const cwd = await toml('[database]\nlock_wait = "1m"\n');
  assert.is((await loadConfig({ cwd, env: {} })).database.lockWaitMs, 60_000);
  assert.is((await loadConfig({ cwd, env: {}, lockWait: '2s' })).database.lockWaitMs, 2000);
  const e = await fails({ cwd, lockWait: 'soon' });
  assert.equal(e.problems, ['--lock-wait: bad duration "soon"; use e.g. "10s", "500ms", "2m"']);
});

test('a bad duration names the key, the value and examples', async () => {
  const e = await fails({ cwd: await toml('[database]\nlock_timeout = "abc"\nstatement_timeout = -5\n') });
  assert.equal(e.problems, [
    'database.lock_timeout: bad duration "abc"; use e.g. "10s", "500ms", "2m"',
    'database.statement_timeout: bad duration -5; use e.g. "10s", "500ms", "2m"',
  ]);
});

test('every problem is reported at once', async () => {
  const cwd = await toml('dirr = "x"\n[database]\nschema = ""\nlock_timeout = "soon"\ntable = 7\nurl = "${NOPE}"\n[git]\nmain = false\n');
  const e = await fails({ cwd });
  assert.is(e.problems.length, 6);
  assert.match(e.message, /^migrate\.toml: 6 problems:\n/);
  for (const part of ['"dirr"', 'database.schema: must not be empty', 'database.lock_timeout: bad duration "soon"', 'database.table: expected a string', 'git.main: expected a string', 'NOPE']) {
    assert.match(e.message, part);
  }
});

test('schema and table: any name up to 63 bytes', async () => {
  const ok = await loadConfig({ cwd: await toml(`[database]\nschema = "Odd \\"name\\"; drop"\ntable = "${'t'.repeat(63)}"\n`), env: {} });
  assert.is(ok.database.schema, 'Odd "name"; drop');
  assert.is(ok.database.table.length, 63);
  const e = await fails({ cwd: await toml(`[database]\ntable = "${'t'.repeat(64)}"\nschema = "${'é'.repeat(32)}"\n`) });
  assert.is(e.problems.length, 2);
  assert.match(e.problems[0], /^database\.schema: .* is 64 bytes long/);
  assert.match(e.problems[1], /^database\.table: .* is 64 bytes long; PostgreSQL names are at most 63$/);
});

test('${VAR} and ${VAR:-default} in string values are read from the environment', async () => {
  const cwd = await toml('dir = "${MIG_DIR:-sql}"\n[database]\nschema = "app_${TENANT}"\ntable = "${T:-led}_${U:-x}"\nlock_timeout = "${LT:-3s}"\n[git]\nmain = "${MAIN:-${REMOTE:-origin}/main}"\n');
  const c = await loadConfig({ cwd, env: { TENANT: 'acme', T: '', U: 'y', REMOTE: 'upstream' } });
  assert.is(c.dir, path.join(cwd, 'sql'));
  assert.is(c.database.schema, 'app_acme');
  assert.is(c.database.table, 'led_y', 'an empty variable takes the :- default');
  assert.is(c.database.lockTimeoutMs, 3000);
  assert.is(c.git.main, 'upstream/main');
  const c2 = await loadConfig({ cwd, env: { TENANT: '', MIG_DIR: 'm', LT: '250ms', MAIN: 'origin/dev' } });
  assert.is(c2.database.schema, 'app_', 'plain ${VAR} set but empty gives ""');
  assert.is(c2.dir, path.join(cwd, 'm'));
  assert.is(c2.database.lockTimeoutMs, 250);
  assert.is(c2.git.main, 'origin/dev');
});

test('an unset ${VAR} with no default names the key and the variable', async () => {
  const e = await fails({ cwd: await toml('[database]\nschema = "${SCHEMA_NAME}"\n[git]\nmain = "${A:-${B}}"\n') });
  assert.equal(e.problems, [
    'database.schema: environment variable SCHEMA_NAME is not set (write ${SCHEMA_NAME:-default} to give a default)',
    'git.main: environment variable B is not set (write ${B:-default} to give a default)',
  ]);
});

test('a malformed ${ reference is a problem that does not echo the value', async () => {
  const e = await fails({ cwd: await toml('[database]\nurl = "postgres://u:${PW@h/db"\n') });
  assert.equal(e.problems, ['database.url: "${" at character 14 does not start a ${VAR} or ${VAR:-default} reference']);
});

test('database URL: --url, FMIG_DATABASE_URL, DATABASE_URL, database.url, default; first found wins', async () => {
  const cwd = await toml('[database]\nurl = "postgres://h/from_file"\n');
  const env = { FMIG_DATABASE_URL: 'postgres://h/fmig_env', DATABASE_URL: 'postgres://h/env' };
  const pick = async (url, env) => {
    const c = await loadConfig({ cwd, url, env });
    return [c.database.url, c.database.urlSource];
  };
  assert.equal(await pick('postgresql://h/flag', env), ['postgresql://h/flag', '--url']);
  assert.equal(await pick(undefined, env), ['postgres://h/fmig_env', 'FMIG_DATABASE_URL']);
  assert.equal(await pick(undefined, { DATABASE_URL: env.DATABASE_URL }), ['postgres://h/env', 'DATABASE_URL']);
  assert.equal(await pick(undefined, { FMIG_DATABASE_URL: '', DATABASE_URL: '' }), ['postgres://h/from_file', 'database.url']);
  const none = await loadConfig({ cwd: await toml('[database]\nurl = "${DB_URL:-}"\n'), env: {} });
  assert.equal([none.database.url, none.database.urlSource], [`pglite://${path.join(none.root, '.fmig/pglite')}`, 'default']);
});

test('an unset ${VAR} in database.url does not matter when another source wins', async () => {
  const cwd = await toml('[database]\nurl = "${APP_DB}"\n');
  const c = await loadConfig({ cwd, url: 'pglite://memory', env: {} });
  assert.is(c.database.url, 'pglite://memory');
  const e = await fails({ cwd });
  assert.match(e.message, 'database.url: environment variable APP_DB is not set');
});

test('pglite URLs: memory, or a directory relative to migrate.toml', async () => {
  const root = await toml('[database]\nurl = "pglite://.data/db"\n');
  const sub = path.join(root, 'sub');
  await mkdir(sub);
  assert.is((await loadConfig({ cwd: sub, env: {} })).database.url, `pglite://${path.join(root, '.data/db')}`);
  assert.is((await loadConfig({ cwd: sub, env: { DATABASE_URL: 'pglite://memory' } })).database.url, 'pglite://memory');
  assert.is((await loadConfig({ cwd: sub, url: 'pglite:///var/x', env: {} })).database.url, 'pglite:///var/x');
  const e = await fails({ cwd: sub, url: 'pglite://' });
  assert.match(e.message, 'database URL from --url names no directory');
});

test('a URL of another scheme names its source and never shows the password', async () => {
  const cases = [
    [{ env: { DATABASE_URL: 'mysql://u:secret@h/db' } }, 'database URL from environment variable DATABASE_URL "mysql://u:***@h/db" is not one fmig can use'],
    [{ env: { FMIG_DATABASE_URL: 'mysql://u:se/cr#et@h/db' } }, 'database URL from environment variable FMIG_DATABASE_URL "mysql://***@h/db"'],
    [{ url: 'u:secret@h/db' }, 'database URL from --url is not one fmig can use'],
    [{ url: 'http://u:secret@h' }, 'database URL from --url "http://u:***@h"'],
  ];
  for (const [opts, message] of cases) {
    const e = await fails({ cwd: await project(), env: {}, ...opts });
    assert.match(e.message, message);
    assert.not.match(e.message, /secret|se\/cr|cr#et/);
  }
  const e = await fails({ cwd: await toml('[database]\nurl = "mysql://root:${PW}@db/x"\n'), env: { PW: 'secret' } });
  assert.match(e.message, 'database URL from database.url "mysql://root:***@db/x"');
  assert.not.match(e.message, 'secret');
});

test('[database] lock: "advisory" by default, "table" with a lease and heartbeat; bad values named', async () => {
  let c = await loadConfig({ cwd: await toml('dir = "sql"\n'), env: {} });
  assert.is(c.database.lock, 'advisory');
  c = await loadConfig({ cwd: await toml('[database]\nlock = "table"\n'), env: {} });
  assert.equal([c.database.lock, c.database.lockLeaseMs, c.database.lockHeartbeatMs], ['table', 30000, 10000]);
  c = await loadConfig({ cwd: await toml('[database]\nlock = "table"\nlock_lease = "2s"\nlock_heartbeat = "500ms"\n'), env: {} });
  assert.equal([c.database.lockLeaseMs, c.database.lockHeartbeatMs], [2000, 500]);
  let e = await fails({ cwd: await toml('[database]\nlock = "row"\n') });
  assert.match(e.message, 'database.lock: "row" is not a lock fmig has; use "advisory" (the default) or "table"');
  e = await fails({ cwd: await toml('[database]\nlock_lease = "10s"\nlock_heartbeat = "6s"\n') });
  assert.match(e.message, 'database.lock_heartbeat: must be at most half of database.lock_lease');
});

test.run();
