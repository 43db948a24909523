// `[database] lock = "table"`, fmig's lock as a leased row in fmig_lock for servers without
// advisory locks, forced on PostgreSQL: processes started at once apply each revision exactly
// once; a holder killed with SIGKILL stops heartbeating, its lease runs out, and the process
// waiting takes the lock over (saying from whom) and applies the rest.
import * as assert from 'uvu/assert';
import os from 'node:os';
import { startFmig, until } from '../helpers/background.js';
import { forEachTarget } from '../helpers/databases.js';
import { openDatabase } from '../../dist/adapters/db/open.js';
import { inspect, project, removeProjects, state } from '../helpers/cli.js';

const PROCESSES = 4;
// The default lease (30s, heartbeat 10s) where processes run side by side: on a starved machine a
// short lease can run out under a live holder, and then another process takes it over. A short
// lease only where the holder is killed, so that the test does not wait 30 s.
const TOML = 'dir = "sql"\n[database]\nlock = "table"\nlock_wait = "0"\nlock_timeout = "0"\n';
const SHORT_LEASE = TOML + 'lock_lease = "2s"\nlock_heartbeat = "500ms"\n';

const revision = (n) => {
  const id = String(n).padStart(3, '0');
  return [`${id}_t${id}`, { up: `create table t${id} (id int);\ninsert into t${id} values (${n});\n`, down: `drop table t${id};\n` }];
};



forEachTarget('faults: lock = "table"', (test, { target, fresh }) => {
  if (target.kind !== 'postgres') return; // the embedded database's lock is its lock file, whatever lock says
  test.after.each(removeProjects);

  test(`${PROCESSES} processes at once, 2 rounds: every revision applied exactly once`, async () => {
    const { url } = await fresh();
    const p = await project({}, { toml: TOML });
    let n = 0;
    for (let round = 1; round <= 2; round++) {
      const added = [revision(++n), revision(++n)];
      await p.revisions(Object.fromEntries(added));
      const runs = await Promise.all(Array.from({ length: PROCESSES }, () => p.fmig('up', '--url', url)));
      for (const r of runs) assert.is(r.code, 0, r.stderr);
      const applied = runs.flatMap((r) => [...r.stdout.matchAll(/^applied (\S+)/gm)].map((m) => m[1])).sort();
      assert.equal(applied, added.map(([name]) => name), `round ${round}: each new revision applied by exactly one process`);
      const s = await state(url);
      assert.equal(s.log.map((l) => l.action), Array(n).fill('up'), 'one up log row per revision');
      const counts = await inspect(url, (db) => Promise.all(added.map(([name]) => db.query(`select count(*)::int as c from ${name.slice(4)}`))));
      assert.equal(counts.map(([{ c }]) => c), [1, 1], 'each insert ran once');
      const rows = await inspect(url, (db) => db.query('select count(*)::int as c from fmig_lock'));
      assert.is(rows[0].c, 0, 'the lock row is gone once every process released it');
    }
    const snapshot = await p.fmig('schema', '--url', url);
    assert.not.match(snapshot.stdout, 'fmig_lock', "fmig's lock table is not part of the user's schema");
  });

  test('a holder killed with SIGKILL loses the lock when its lease runs out; the waiter takes it over and goes on', async () => {
    const { url } = await fresh();
    // The holder sleeps in its first revision while `gate.slow` is true; the waiter will not.
    await inspect(url, (db) => db.exec('create table gate (slow boolean); insert into gate values (true);'));
    const p = await project(
      { '001_a': { up: 'select pg_sleep(60) from gate where slow;\ncreate table a ();\n', down: 'drop table a;' }, '002_b': { up: 'create table b ();', down: 'drop table b;' } },
      { toml: SHORT_LEASE },
    );
    const holder = startFmig(p.dir, ['up', '--url', url]);
    let waiter;
    try {
      await until(async () => (await inspect(url, (db) => db.query(`select 1 from pg_stat_activity where wait_event = 'PgSleep' and datname = current_database()`))).length > 0, 'the holder to be in its revision');
      const [row] = await inspect(url, (db) => db.query('select holder from fmig_lock'));
      assert.match(row.holder, `fmig ${holder.child.pid}@${os.hostname()} up`);
      holder.child.kill('SIGKILL');
      assert.is((await holder.done).signal, 'SIGKILL');
      await inspect(url, (db) => db.exec('update gate set slow = false'));
      waiter = startFmig(p.dir, ['up', '--url', url]);
      const r = await waiter.done;
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stderr, `warning: took over fmig's lock from pid ${holder.child.pid} on host ${os.hostname()} (fmig up --url `);
      assert.match(r.stderr, 'whose lease ran out at');
      assert.match(r.stdout, /^applied 001_a/m);
      assert.match(r.stdout, /^applied 002_b/m);
      const s = await state(url);
      assert.equal(s.rows.map((x) => x.revision), ['001', '002']);
      assert.equal(s.log.map((l) => `${l.revision} ${l.action}`), ['001 up', '002 up']);
    } finally {
      holder.child.kill('SIGKILL');
      waiter?.child.kill('SIGKILL');
    }
  });

  test('a live holder paused past its lease (SIGSTOP) stops before its next statement once resumed: the other process has the lock', async () => {
    const { url } = await fresh();
    await inspect(url, (db) => db.exec('create table gate (slow boolean); insert into gate values (true); create table audit (n int);'));
    // The test holds advisory lock 4242: the holder's first revision waits on it while gate.slow.
    const blocker = await openDatabase(url, { baseDir: os.tmpdir(), lockTimeoutMs: 0, statementTimeoutMs: 0 });
    await blocker.query('select pg_advisory_lock(4242)');
    const p = await project(
      { '001_a': { up: 'select pg_advisory_xact_lock(4242) from gate where slow;\ninsert into audit values (1);\n', down: 'delete from audit;' }, '002_b': { up: 'create table b ();', down: 'drop table b;' } },
      { toml: SHORT_LEASE },
    );
    const holder = startFmig(p.dir, ['up', '--url', url]);
    let waiter;
    try {
      await until(async () => (await inspect(url, (db) => db.query(`select 1 from pg_stat_activity where wait_event = 'advisory' and datname = current_database()`))).length > 0, 'the holder to wait in its revision');
      holder.child.kill('SIGSTOP');
      await inspect(url, (db) => db.exec('update gate set slow = false'));
      waiter = startFmig(p.dir, ['up', '--url', url]);
      const w = await waiter.done;
      assert.is(w.code, 0, w.stderr);
      assert.match(w.stderr, `took over fmig's lock from pid ${holder.child.pid}`);
      // The holder's statement can now finish on the server; the holder itself goes on only now.
      await blocker.query('select pg_advisory_unlock(4242)');
      holder.child.kill('SIGCONT');
      const h = await holder.done;
      assert.is(h.code, 3, h.stderr + h.stdout);
      assert.match(h.stderr, /fmig.s lock \(lock table "public"\."fmig_lock"\) (may have passed to|was taken over by) another process/);
      assert.match(h.stderr, 'stopped before its next statement');
      assert.not.match(h.stdout, /^applied/m);
      const s = await state(url);
      assert.equal(s.rows.map((x) => x.revision), ['001', '002']);
      assert.equal(s.log.map((l) => `${l.revision} ${l.action}`), ['001 up', '002 up'], 'each revision applied once, by the process holding the lock');
      const [{ c }] = await inspect(url, (db) => db.query('select count(*)::int as c from audit'));
      assert.is(c, 1, "the paused holder's transaction was rolled back");
    } finally {
      holder.child.kill('SIGCONT');
      holder.child.kill('SIGKILL');
      waiter?.child.kill('SIGKILL');
      await blocker.close();
    }
  });

  test('a lock held past --lock-wait: exit 3, naming the holder and its lease', async () => {
    const { url } = await fresh();
    const p = await project({ '001_slow': { up: 'select pg_sleep(60);\n', down: 'select 1;' } }, { toml: TOML });
    const holder = startFmig(p.dir, ['up', '--url', url]);
    try {
      await until(async () => (await inspect(url, (db) => db.query(`select 1 from pg_stat_activity where wait_event = 'PgSleep' and datname = current_database()`))).length > 0, 'the holder');
      const r = await p.fmig('up', '--url', url, '--lock-wait', '1s');
      assert.is(r.code, 3, r.stderr);
      assert.match(r.stderr, /^warning: waiting for fmig's lock, held by pid \d+ on host /m);
      assert.match(r.stderr, `error: timed out after 1s waiting for fmig's lock on`);
      assert.match(r.stderr, `held by pid ${holder.child.pid} on host ${os.hostname()} (fmig up --url `);
      assert.match(r.stderr, /lease until \d\d:\d\d:\d\d/);
    } finally {
      holder.child.kill('SIGKILL');
      await holder.done;
    }
  });
});
