// fmig's own lock, as users meet it: eight `fmig up` started at once apply each revision
// exactly once, round after round; a lock held past --lock-wait ends in exit 3 naming the
// holder (process, host, command); the embedded database's lock file left by a process that
// is gone is taken over, with a message.
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { startFmig, until } from '../helpers/background.js';
import { forEachTarget } from '../helpers/databases.js';
import { inspect, project, removeProjects, state } from '../helpers/cli.js';

const PROCESSES = 8;
// Each round adds revisions and starts every process together. FMIG_TEST_LOCK_ROUNDS=20 for the long run.
const ROUNDS = Number(process.env.FMIG_TEST_LOCK_ROUNDS || 2);
const PER_ROUND = 2;

const revision = (n) => {
  const id = String(n).padStart(3, '0');
  return [`${id}_t${id}`, { up: `create table t${id} (id int);\ninsert into t${id} values (${n});\n`, down: `drop table t${id};\n` }];
};


/** Resolves once `check()` is true, polling. */

forEachTarget('faults: fmig\'s own lock', (test, { target, fresh }) => {
  const pglite = target.kind === 'pglite';
  test.after.each(removeProjects);

  test(`${PROCESSES} processes at once, ${ROUNDS} rounds: every revision applied exactly once, the others wait and find nothing to do`, async () => {
    const { url } = await fresh();
    // lock_wait "0": the losers wait however long the winner takes, on a loaded machine too.
    const p = await project({}, { toml: 'dir = "sql"\n[database]\nlock_wait = "0"\n' });
    let n = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const added = Array.from({ length: PER_ROUND }, () => revision(++n));
      await p.revisions(Object.fromEntries(added));
      const runs = await Promise.all(Array.from({ length: PROCESSES }, () => p.fmigProcess('up', '--url', url)));
      for (const r of runs) assert.is(r.code, 0, r.stderr);
      const applied = runs.flatMap((r) => [...r.stdout.matchAll(/^applied (\S+)/gm)].map((m) => m[1])).sort();
      assert.equal(applied, added.map(([name]) => name), `round ${round}: each new revision applied by exactly one process`);
      const idle = runs.filter((r) => !/^applied /m.test(r.stdout));
      for (const r of idle) assert.match(r.stdout, 'nothing to apply');
      const s = await state(url);
      assert.is(s.rows.length, n);
      assert.ok(s.rows.every((r) => r.finished_at instanceof Date && r.error === null));
      assert.equal(s.log.map((l) => l.action), Array(n).fill('up'), 'one up log row per revision');
      const counts = await inspect(url, (db) => Promise.all(added.map(([name]) => db.query(`select count(*)::int as c from ${name.slice(4)}`))));
      assert.equal(counts.map(([{ c }]) => c), added.map(() => 1), 'each insert ran once');
    }
  });

  test('a lock held past --lock-wait: exit 3, naming the holder (pid, host, command, since when); nothing changed', async () => {
    const { url } = await fresh();
    const p = await project({ '001_slow': { up: 'select pg_sleep(30);\ncreate table slow ();\n', down: 'drop table slow;' } }, { toml: 'dir = "sql"\n[database]\nlock_timeout = "0"\n' });
    const holder = startFmig(p.dir, ['up', '--url', url]);
    try {
      // The holder has the lock once its lock file exists (PGlite) or its advisory lock shows (server).
      await until(
        async () =>
          pglite
            ? fs.existsSync(`${url.slice('pglite://'.length)}.lock`)
            : (await inspect(url, (db) => db.query(`select 1 from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())`))).length > 0,
        'the first fmig to take the lock',
      );
      const p2 = await project({ '001_slow': { up: 'create table other ();', down: 'drop table other;' } });
      const r = await p2.fmig('up', '--url', url, '--lock-wait', '1s');
      assert.is(r.code, 3, r.stderr);
      assert.match(r.stderr, /^warning: waiting for /m);
      assert.match(r.stderr, `error: timed out after 1s waiting for`);
      assert.match(r.stderr, `held by pid ${holder.child.pid} on host ${os.hostname()} (fmig up --url `);
      assert.match(r.stderr, /since \d\d:\d\d:\d\d/);
      assert.match(r.stderr, 'lock_wait');
    } finally {
      holder.child.kill('SIGKILL');
      await holder.done;
    }
    if (!pglite) {
      const s = await state(url);
      assert.not.ok(s.tables.includes('public.other'));
    }
  });

  if (pglite) {
    test('the lock file of a process that is gone is taken over, with a message', async () => {
      const { url, dir } = await fresh();
      const dead = spawnSync(process.execPath, ['-e', '']).pid;
      fs.writeFileSync(`${dir}.lock`, JSON.stringify({ pid: dead, hostname: os.hostname(), since: new Date().toISOString(), command: 'fmig up' }) + '\n');
      const p = await project({ '001_a': { up: 'create table a ();', down: 'drop table a;' } });
      const r = await p.fmig('up', '--url', url);
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stderr, `warning: took over the lock of the embedded database`);
      assert.match(r.stderr, `its holder, pid ${dead} on host ${os.hostname()} (fmig up, since `);
      assert.match(r.stderr, '), is gone');
      assert.not.ok(fs.existsSync(`${dir}.lock`), 'released on exit');
      assert.equal((await state(url)).rows.map((x) => x.revision), ['001']);
    });
  }
});
