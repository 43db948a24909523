// A revision blocked by another session's open transaction: each statement gives up after
// lock_timeout, the revision is tried again with a growing pause (printed with who blocks it),
// and succeeds once the blocker commits; with a blocker that never leaves, exit 1 after the
// last try, the blocker named, nothing half done. Only a server has other sessions: on
// PGlite the data directory belongs to one process, so nothing can block a revision there.
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import postgres from 'postgres';
import { forEachTarget } from '../helpers/databases.js';
import { cliEnv, FMIG_BIN, inspect, project, removeProjects, state } from '../helpers/cli.js';
import { retryDelayMs } from '../../dist/commands/lock-retry.js';

// Short waits through configuration: lock_timeout sets the pauses too (doubling from it).
const TOML = (retries) => `dir = "sql"\n[database]\nlock_timeout = "150ms"\nlock_retries = ${retries}\n`;

/** Starts `fmig ...args` in `dir`; `until(re)` resolves when stderr matches; `done` gives { code, stdout, stderr }. */
function start(dir, args) {
  const child = spawn(process.execPath, [FMIG_BIN, ...args], { cwd: dir, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters = [];
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    for (const w of [...waiters]) if (w.re.test(stderr)) waiters.splice(waiters.indexOf(w), 1) && w.resolve(stderr);
  });
  const done = new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  done.then((r) => waiters.splice(0).forEach((w) => w.reject(new Error(`fmig exited (${r.code}) before ${w.re}: ${r.stderr}`))));
  return { done, until: (re) => new Promise((resolve, reject) => (re.test(stderr) ? resolve(stderr) : waiters.push({ re, resolve, reject }))) };
}

/** A session of the test's own holding a transaction open after reading `table` (ACCESS SHARE blocks ALTER TABLE). */
async function blocker(url, table) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const reserved = await sql.reserve();
  const [{ pid }] = await reserved.unsafe('select pg_backend_pid() as pid');
  await reserved.unsafe('begin');
  await reserved.unsafe(`select count(*) from ${table}`);
  return {
    pid,
    async commit() {
      await reserved.unsafe('commit');
      reserved.release();
      await sql.end({ timeout: 5 });
    },
  };
}

forEachTarget('faults: lock timeouts and retries', (test, { target, fresh }) => {
  test.after.each(removeProjects);

  test('the pause doubles from lock_timeout up to a minute, with jitter between half and one and a half', () => {
    assert.equal([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(5000, n, () => 0.5)), [5000, 10000, 20000, 40000, 60000, 60000]);
    assert.is(retryDelayMs(5000, 1, () => 0), 2500);
    assert.is(retryDelayMs(5000, 1, () => 0.999), 7495);
    assert.is(retryDelayMs(5000, 6, () => 0.999), 60000);
  });

  if (target.kind !== 'postgres') return;

  test('a transactional revision blocked by an open transaction is retried, naming the blocker, and succeeds once it commits', async () => {
    const { url } = await fresh();
    const p = await project({ '001_t': { up: 'create table t (x int);', down: 'drop table t;' }, '002_y': { up: 'alter table t add column y int;\ncreate table after_y ();\n', down: 'alter table t drop column y;' } }, { toml: TOML(8) });
    assert.is((await p.fmig('up', '001', '--url', url)).code, 0);
    const b = await blocker(url, 't');
    const run = start(p.dir, ['up', '--url', url]);
    // fmig looks at who blocks it while it waits; a loaded machine may make it miss the first wait.
    const said = await run.until(new RegExp(`retry \\d of 8.*\\n(.*\\n)*.*held by pid ${b.pid} `));
    assert.match(said, /^warning: 002_y: gave up waiting for a lock and was rolled back; held by .*; trying again in \d+ms \(retry 1 of 8\)$/m);
    assert.match(said, new RegExp(`^warning: 002_y: gave up waiting for a lock and was rolled back; held by pid ${b.pid} \\(user \\w+, application postgres.js, idle in transaction, transaction for [\\d.]+s, last query: select count\\(\\*\\) from t\\); trying again in \\d+ms \\(retry \\d of 8\\)$`, 'm'));
    assert.equal((await state(url)).rows.map((r) => r.revision), ['001'], 'nothing of 002 recorded while it waits');
    await b.commit();
    const r = await run.done;
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^applied 002_y/m);
    const s = await state(url);
    assert.equal(s.rows.map((x) => [x.revision, !!x.finished_at]), [['001', true], ['002', true]]);
    assert.equal(s.log.map((l) => [l.revision, l.action]), [['001', 'up'], ['002', 'up']]);
    assert.ok(s.tables.includes('public.after_y'));
  });

  test('with a blocker that never leaves: exit 1 after the last try, the blocker named, nothing changed', async () => {
    const { url } = await fresh();
    const p = await project({ '001_t': { up: 'create table t (x int);', down: 'drop table t;' }, '002_y': { up: 'create table before_y ();\nalter table t add column y int;\n', down: 'alter table t drop column y;' } }, { toml: TOML(3) });
    assert.is((await p.fmig('up', '001', '--url', url)).code, 0);
    const b = await blocker(url, 't');
    try {
      const r = await p.fmig('up', '--url', url);
      assert.is(r.code, 1, r.stderr);
      assert.is([...r.stderr.matchAll(/trying again in/g)].length, 3);
      assert.match(r.stderr, 'error 55P03');
      assert.match(r.stderr, `gave up after waiting for a lock 4 times (lock_timeout 150ms, lock_retries 3); the lock is held by pid ${b.pid} (`);
      assert.match(r.stderr, '002_y was rolled back and left no trace');
      const s = await state(url);
      assert.equal(s.rows.map((x) => x.revision), ['001']);
      assert.equal(s.log.map((l) => [l.revision, l.action]), [['001', 'up']]);
      assert.not.ok(s.tables.includes('public.before_y'), 'the statement before the blocked one was rolled back with it');
    } finally {
      await b.commit();
    }
    assert.is((await p.fmig('up', '--url', url)).code, 0, 'the next run, unblocked, finishes');
  });

  test('a no-transaction revision retries the statement that timed out, not the ones before it', async () => {
    const { url } = await fresh();
    const up = '-- fmig:no-transaction\ninsert into counter values (1);\nalter table t add column y int;\ncreate table after_y ();\n';
    const p = await project({ '001_t': { up: 'create table t (x int);\ncreate table counter (n int);', down: 'drop table t;' }, '002_y': { up, down: 'alter table t drop column y;' } }, { toml: TOML(8) });
    assert.is((await p.fmig('up', '001', '--url', url)).code, 0);
    const b = await blocker(url, 't');
    const run = start(p.dir, ['up', '--url', url]);
    const said = await run.until(new RegExp(`held by pid ${b.pid} `));
    assert.match(said, `002_y: statement 2 gave up waiting for a lock (the statements before it stay done); held by pid ${b.pid} (`);
    await b.commit();
    const r = await run.done;
    assert.is(r.code, 0, r.stderr);
    const s = await state(url);
    assert.equal(s.rows.map((x) => [x.revision, !!x.finished_at, x.statements_done, x.error]), [['001', true, null, null], ['002', true, 3, null]]);
    assert.equal(s.log.at(-1).action, 'up');
    const [{ n }] = await inspect(url, (db) => db.query('select count(*)::int as n from counter'));
    assert.is(n, 1, 'the statement before the blocked one ran once');
  });

  test('a no-transaction revision still blocked after the last try stops part-way, recorded, and `up --resume` finishes it', async () => {
    const { url } = await fresh();
    const up = '-- fmig:no-transaction\ncreate table before_y ();\nalter table t add column y int;\ncreate table after_y ();\n';
    const p = await project({ '001_t': { up: 'create table t (x int);', down: 'drop table t;' }, '002_y': { up, down: 'alter table t drop column y;' } }, { toml: TOML(2) });
    assert.is((await p.fmig('up', '001', '--url', url)).code, 0);
    const b = await blocker(url, 't');
    try {
      const r = await p.fmig('up', '--url', url);
      assert.is(r.code, 1, r.stderr);
      assert.match(r.stderr, `the lock is held by pid ${b.pid} (`);
      const s = await state(url);
      const row = s.rows.find((x) => x.revision === '002');
      assert.equal([row.finished_at, row.statements_done], [null, 1]);
      assert.ok(s.tables.includes('public.before_y') && !s.tables.includes('public.after_y'));
    } finally {
      await b.commit();
    }
    const r = await p.fmig('up', '--resume', '--url', url);
    assert.is(r.code, 0, r.stderr);
    const s = await state(url);
    assert.equal(s.rows.map((x) => [x.revision, !!x.finished_at, x.statements_done]), [['001', true, null], ['002', true, 3]]);
  });
});
