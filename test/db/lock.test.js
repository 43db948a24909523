import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { openDatabase } from '../../dist/adapters/db/open.js';
import { UnreachableError } from '../../dist/core/errors.js';
import { forEachTarget, scratchDir } from '../helpers/databases.js';

const OPEN = new URL('../../dist/adapters/db/open.js', import.meta.url).href;
const settings = { baseDir: os.tmpdir(), lockTimeoutMs: 60_000, statementTimeoutMs: 0 };
const ledger = { schema: 'public', table: 'fmig_ledger' };

/** Each line the child prints is JSON: { k: kind, v: value }. */
const CHILD = `
const { openDatabase } = await import(process.env.FMIG_OPEN);
const o = JSON.parse(process.env.FMIG_CHILD);
const say = (k, v) => console.log(JSON.stringify({ k, v }));
let db;
try {
  db = await openDatabase(o.url, { baseDir: o.baseDir, lockTimeoutMs: o.timeoutMs, statementTimeoutMs: 0, onProgress: (m) => say('progress', m) });
  const release = await db.lock({ schema: 'public', table: 'fmig_ledger', timeoutMs: o.timeoutMs, onWait: (h) => say('waiting', h) });
  say('locked');
  if (o.sql) await db.exec(o.sql);
  if (o.hold) setInterval(() => {}, 1000);
  else await release();
} catch (e) {
  say('error', { code: e.code, exitCode: e.exitCode, message: e.message, hint: e.hint });
} finally {
  if (!o.hold) await db?.close();
}
`;

/** Starts a process that opens `url` and takes the lock; `next(kind)` resolves to its first line of that kind. */
function child(options) {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    env: { ...process.env, FMIG_OPEN: OPEN, FMIG_CHILD: JSON.stringify({ baseDir: os.tmpdir(), ...options }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = [];
  const waiters = [];
  let stderr = '';
  let buffer = '';
  const settle = () => {
    for (const w of [...waiters]) {
      const hit = lines.find((l) => l.k === w.kind);
      if (hit || exited) {
        waiters.splice(waiters.indexOf(w), 1);
        hit ? w.resolve(hit.v) : w.reject(new Error(`child exited without "${w.kind}": ${JSON.stringify(lines)} ${stderr}`));
      }
    }
  };
  let exited = false;
  proc.stdout.on('data', (d) => {
    buffer += d;
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffer.slice(0, i)));
      buffer = buffer.slice(i + 1);
    }
    settle();
  });
  proc.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise((resolve) =>
    proc.on('exit', (code) => {
      exited = true;
      settle();
      resolve(code);
    }),
  );
  return {
    proc,
    lines,
    exit,
    next: (kind) => new Promise((resolve, reject) => (waiters.push({ kind, resolve, reject }), settle())),
  };
}

/** The pid of a process that has exited. */
function deadPid() {
  return spawnSync(process.execPath, ['-e', '']).pid;
}

forEachTarget('lock', (it, { target, fresh }) => {
  const pglite = target.kind === 'pglite';
  const dbs = [];
  const open = async (url, opts = {}) => {
    const db = await openDatabase(url, { ...settings, ...opts });
    dbs.push(db);
    return db;
  };
  it.after.each(async () => {
    for (const db of dbs.splice(0)) await db.close();
  });

  /** Takes the lock in this process; returns the holder's pid as other processes see it, and how to let go. */
  const hold = async (url) => {
    const db = await open(url);
    const release = await db.lock({ ...ledger, timeoutMs: 5000 });
    if (pglite) return { pid: process.pid, letGo: () => db.close() };
    // The holder is named by its process (and host), and on a server by its backend too.
    const [{ pid }] = await db.query(`select pid from pg_locks where locktype = 'advisory' and granted
      and database = (select oid from pg_database where datname = current_database())`);
    return { pid: process.pid, serverPid: pid, letGo: release };
  };

  it('a second process waits for the lock, says who holds it, and gets it once released', async () => {
    const { url } = await fresh();
    const holder = await hold(url);
    const other = child({ url, timeoutMs: 120_000 });
    const waiting = await other.next(pglite ? 'progress' : 'waiting');
    assert.match(waiting, `pid ${holder.pid} on host ${os.hostname()} (`);
    assert.match(waiting, /since \d\d:\d\d:\d\d/);
    if (!pglite) assert.match(waiting, `server pid ${holder.serverPid}, user `);
    assert.not.ok(other.lines.some((l) => l.k === 'locked'));
    await holder.letGo();
    await other.next('locked');
    assert.is(await other.exit, 0);
    assert.not.ok(other.lines.some((l) => l.k === 'error'));
  });

  it('with a short timeout the waiter fails with lock-timeout (exit 3), naming the holder', async () => {
    const { url } = await fresh();
    const holder = await hold(url);
    const other = child({ url, timeoutMs: 300 });
    const error = await other.next('error');
    assert.is(error.code, 'lock-timeout');
    assert.is(error.exitCode, 3);
    assert.match(error.message, /^timed out after 300ms waiting for /);
    assert.match(error.message, `held by pid ${holder.pid} on host ${os.hostname()} (`);
    assert.ok(error.hint);
    assert.is(await other.exit, 0);
    await holder.letGo();
  });

  it('a lock whose holder was killed is free again', async () => {
    const { url } = await fresh();
    const other = child({ url, timeoutMs: 10_000, hold: true });
    await other.next('locked');
    other.proc.kill('SIGKILL');
    await other.exit;
    const db = await open(url, { lockTimeoutMs: 60_000 });
    const release = await db.lock({ ...ledger, timeoutMs: 60_000 });
    await release();
  });

  if (pglite) {
    it('a stale lock file (its process has exited) is taken over, and removed on close', async () => {
      const { url, dir } = await fresh();
      const lockFile = `${dir}.lock`;
      fs.writeFileSync(lockFile, JSON.stringify({ pid: deadPid(), hostname: os.hostname(), since: new Date().toISOString(), command: 'fmig up' }));
      const db = await open(url, { lockTimeoutMs: 60_000 });
      assert.is(JSON.parse(fs.readFileSync(lockFile, 'utf8')).pid, process.pid);
      await db.close();
      assert.not.ok(fs.existsSync(lockFile));
    });

    it('a leftover lock file naming this very pid (a restarted container) is stale', async () => {
      const { url, dir } = await fresh();
      fs.writeFileSync(`${dir}.lock`, JSON.stringify({ pid: process.pid, hostname: os.hostname(), since: '2020-01-01T00:00:00Z', command: 'fmig up' }));
      const db = await open(url, { lockTimeoutMs: 60_000 });
      assert.equal(await db.query('select 1 as one'), [{ one: 1 }]);
    });

    it('one process opening the same directory twice waits for itself rather than corrupting it', async () => {
      const { url } = await fresh();
      await open(url);
      const e = await openDatabase(url, { ...settings, lockTimeoutMs: 200 }).catch((x) => x);
      assert.instance(e, UnreachableError);
      assert.is(e.code, 'lock-timeout');
      assert.match(e.message, `held by pid ${process.pid} on host ${os.hostname()} (`);
    });

    it('a lock file from another host is respected, and the message says where to look', async () => {
      const { url, dir } = await fresh();
      fs.writeFileSync(`${dir}.lock`, JSON.stringify({ pid: 1, hostname: 'build-box-7', since: new Date().toISOString(), command: 'fmig up' }));
      const e = await openDatabase(url, { ...settings, lockTimeoutMs: 200 }).catch((x) => x);
      assert.instance(e, UnreachableError);
      assert.is(e.exitCode, 3);
      assert.match(e.message, 'held by pid 1 on host build-box-7 (fmig up, since ');
      assert.match(e.hint, `delete ${dir}.lock`);
    });

    it('two processes creating the same new directory at once: one creates it, the other waits, no write is lost', async () => {
      const base = fs.mkdtempSync(path.join(scratchDir, 'fmig-race-'));
      try {
        const url = `pglite://${path.join(base, 'db')}`;
        const sql = (who) => `create table if not exists t (who text); insert into t values ('${who}')`;
        const a = child({ url, timeoutMs: 120_000, sql: sql('a') });
        const b = child({ url, timeoutMs: 120_000, sql: sql('b') });
        assert.equal([await a.exit, await b.exit], [0, 0]);
        for (const c of [a, b]) assert.not.ok(c.lines.some((l) => l.k === 'error'), JSON.stringify(c.lines));
        const created = [...a.lines, ...b.lines].filter((l) => l.k === 'progress' && l.v.startsWith('creating'));
        assert.is(created.length, 1);
        const db = await open(url);
        assert.equal(await db.query('select who from t order by who'), [{ who: 'a' }, { who: 'b' }]);
      } finally {
        fs.rmSync(base, { recursive: true, force: true });
      }
    });
  } else {
    it('the lock is keyed on the ledger schema and table, quoted', async () => {
      const { url } = await fresh();
      const one = await open(url);
      const two = await open(url);
      const held = await one.lock({ schema: 'a.b', table: 'c', timeoutMs: 1000 });
      const other = await two.lock({ schema: 'a', table: 'b.c', timeoutMs: 1000 });
      await other();
      const e = await two.lock({ schema: 'a.b', table: 'c', timeoutMs: 200 }).catch((x) => x);
      assert.is(e.code, 'lock-timeout');
      await held();
      await (await two.lock({ schema: 'a.b', table: 'c', timeoutMs: 1000 }))();
    });

    it('holding the lock does not stall CREATE INDEX CONCURRENTLY on the work connection', async () => {
      const { url } = await fresh();
      // The statement timeout only turns a deadlock into a failure instead of a hang.
      const db = await open(url, { statementTimeoutMs: 60_000 });
      const release = await db.lock({ ...ledger, timeoutMs: 1000 });
      await db.exec('create table t (x int)');
      await db.exec('create index concurrently t_x on t (x)');
      assert.equal(await db.query(`select indexname from pg_indexes where tablename = 't'`), [{ indexname: 't_x' }]);
      await release();
    });
  }
});
