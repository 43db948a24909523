// The embedded database's state file answers a run with nothing to do without starting
// PostgreSQL; it must never answer for a data directory that changed since it was written,
// whoever changed it: fmig, PGlite used directly, or a process killed half-way.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { freshDatabase, targets } from '../helpers/databases.js';
import { project, removeProjects, FMIG_BIN, cliEnv } from '../helpers/cli.js';

const test = suite('pglite: the state file beside the data directory');
const pglite = targets.find((t) => t.kind === 'pglite');
const made = [];
test.after.each(async () => {
  await removeProjects();
  for (const db of made.splice(0)) await db.drop();
});

const REVS = {
  '001_a': { up: 'create table a (id int);\n', down: 'drop table a;\n' },
  '002_b': { up: 'create table b (id int);\n', down: 'drop table b;\n' },
};

/** A project on a fresh embedded database, migrated; `dir` is the data directory. */
async function migrated(revs = REVS, { stateless = false } = {}) {
  const db = await freshDatabase(pglite);
  made.push(db);
  if (stateless) fs.rmSync(`${db.dir}.state`, { force: true });
  const p = await project(revs, { toml: `dir = "sql"\n[database]\nurl = "${db.url}"\n` });
  const r = await p.fmig('up');
  assert.is(r.code, 0, r.stderr);
  return { p, dir: db.dir, stateFile: `${db.dir}.state` };
}

const pending = async (p) => {
  const r = await p.fmig('status', '--json');
  assert.is(r.code, 0, r.stderr);
  return r.json.pending.map((x) => x.revision);
};

/** Runs SQL on the data directory through PGlite itself, as another program would; `kill` ends the process right after, without closing. */
function behindTheBack(dir, sql, { kill = false } = {}) {
  const script = `
    import { PGlite } from '@electric-sql/pglite';
    const db = await PGlite.create(${JSON.stringify(dir)});
    await db.exec(${JSON.stringify(sql)});
    if (${kill}) process.kill(process.pid, 'SIGKILL');
    await db.close();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code, signal) => (code === 0 || (kill && signal === 'SIGKILL') ? resolve() : reject(new Error(`exit ${code ?? signal}: ${err}`))));
  });
}

test('fmig writes it when it closes the database, and a no-op up and status answer from it', async () => {
  const { p, stateFile } = await migrated();
  assert.ok(fs.existsSync(stateFile), 'written by up');
  assert.equal(await pending(p), []);
  const r = await p.fmig('up');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'nothing to apply');
  await p.revisions({ '003_c': { up: 'create table c (id int);\n', down: 'drop table c;\n' } });
  assert.equal(await pending(p), ['003'], 'a new file is pending');
  assert.is((await p.fmig('up')).code, 0);
  assert.equal(await pending(p), []);
});

test('a ledger row deleted through PGlite directly is seen at once', async () => {
  const { p, dir } = await migrated();
  assert.equal(await pending(p), []);
  await behindTheBack(dir, "delete from fmig_ledger where revision = '002'; drop table b;");
  assert.equal(await pending(p), ['002']);
  const r = await p.fmig('up');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'applied 002_b');
});

test('a change by a process killed before it closed the database is seen', async () => {
  const { p, dir } = await migrated();
  await behindTheBack(dir, "delete from fmig_ledger where revision = '002'; drop table b;", { kill: true });
  assert.equal(await pending(p), ['002']);
});

test('an applied file edited since is refused by a no-op up answered from the state file', async () => {
  const { p } = await migrated();
  await p.revisions({ '001_a': { up: 'create table a (id bigint);\n', down: 'drop table a;\n' } });
  const r = await p.fmig('up');
  assert.is(r.code, 1, r.stdout);
  assert.match(r.stderr, '001');
});

test('a state file not newer than the directory\'s last change is not trusted', async () => {
  const { p, dir, stateFile } = await migrated();
  // The ledger as the state file would tell it, stale: 002 is gone from it.
  const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  state.ledger.rows = state.ledger.rows.filter((r) => r.revision !== '002');
  fs.writeFileSync(stateFile, JSON.stringify(state));
  assert.equal(await pending(p), ['002'], 'the doctored file is believed: the fingerprint still matches');
  // Written in the same clock tick as the last change to the directory: a change made after it
  // in that tick could leave the same times, so the file proves nothing.
  // touch -r copies pg_control's times to the nanosecond (a Date rounds to the millisecond,
  // possibly up, which could leave the state file newer after all).
  execFileSync('touch', ['-r', `${dir}/global/pg_control`, stateFile]);
  assert.equal(await pending(p), [], 'the database was read');
});

test('a killed fmig leaves no state file and a data directory that opens', async () => {
  const { p, stateFile } = await migrated();
  await p.revisions({ '003_slow': { up: 'select pg_sleep(30);\ncreate table c (id int);\n', down: 'drop table c;\n' } });
  const child = spawn(process.execPath, [FMIG_BIN, 'up'], { cwd: p.dir, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  // Once the lock is held and the database open, the state file is gone.
  for (let i = 0; i < 600 && fs.existsSync(stateFile); i++) await new Promise((r) => setTimeout(r, 100));
  assert.not.ok(fs.existsSync(stateFile), 'removed on opening');
  await new Promise((r) => setTimeout(r, 500));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  assert.not.ok(fs.existsSync(stateFile));
  assert.equal(await pending(p), ['003'], 'the database opens; the killed revision is not recorded');
});

test('an extension the database has is loaded though no file names it', async () => {
  // The first revision creates pgcrypto in dynamic SQL that spells out neither its name nor
  // CREATE EXTENSION (the first run loads every extension: without a state file, nothing says
  // which the database has); the second calls one of its functions.
  const { p, stateFile } = await migrated({
    '001_ext': {
      up: "do $$ begin execute format('%s %s %s', 'create', 'extension', 'pg' || 'crypto'); end $$;\n",
      down: "do $$ begin execute format('%s %s %s', 'drop', 'extension', 'pg' || 'crypto'); end $$;\n",
    },
  }, { stateless: true });
  assert.ok(JSON.parse(fs.readFileSync(stateFile, 'utf8')).extensions.includes('pgcrypto'));
  await p.revisions({ '002_use': { up: 'create table k as select gen_random_bytes(8) as b;\n', down: 'drop table k;\n' } });
  const r = await p.fmig('up');
  assert.is(r.code, 0, r.stderr);
});

test('PGlite used directly opens a directory fmig left', async () => {
  const { dir } = await migrated();
  const db = await PGlite.create(dir);
  try {
    const { rows } = await db.query('select revision from fmig_ledger order by revision');
    assert.equal(rows.map((r) => r.revision), ['001', '002']);
  } finally {
    await db.close();
  }
});

test.run();
