import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, parseDatabaseUrl } from '../../dist/adapters/db/open.js';
import { ScriptFailed, toDbError } from '../../dist/adapters/db/driver.js';
import { UnreachableError, UsageError } from '../../dist/core/errors.js';
import { forEachTarget, testServerUrl, admin, pgliteTemplate } from '../helpers/databases.js';
import { emptySqlDir } from '../helpers/cli.js';

const settings = { baseDir: os.tmpdir(), lockTimeoutMs: 1234, statementTimeoutMs: 0 };

/** Runs `fn` and returns what it threw; fails when it does not throw. */
async function thrown(fn) {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  assert.unreachable('expected an error');
}

forEachTarget('driver', (it, { target, fresh }) => {
  const dbs = [];
  const open = async (opts = {}) => {
    // An empty revision folder: the embedded database loads no contrib extension (none is used here).
    const db = await openDatabase((await fresh()).url, { ...settings, sqlDir: emptySqlDir(), ...opts });
    dbs.push(db);
    return db;
  };
  it.after.each(async () => {
    for (const db of dbs.splice(0)) await db.close();
  });

  it('reports which driver it is', async () => {
    const db = await open();
    assert.is(db.kind, target.kind);
    assert.is(db.embedded, target.kind === 'pglite');
  });

  it('returns the same value types on every driver', async () => {
    const db = await open();
    const when = new Date('2024-05-06T07:08:09.123Z');
    const [row] = await db.query(
      `select 1::int4 as i, 2::int2 as s, 9007199254740993::int8 as big, count(*) as n, 1.50::numeric as num,
              1.5::float8 as f, true as b, null::text as nothing, $1::timestamptz as at,
              $2::text[] as arr, '{}'::text[] as empty, $3::text as t, $4::int4 as p`,
      [when, ['a', 'b,c', '"q"', 'NULL'], 'hé', 42],
    );
    assert.equal(row, {
      i: 1, s: 2, big: '9007199254740993', n: '1', num: '1.50', f: 1.5, b: true, nothing: null,
      at: when, arr: ['a', 'b,c', '"q"', 'NULL'], empty: [], t: 'hé', p: 42,
    });
    assert.instance(row.at, Date);
    assert.ok(Array.isArray(await db.query('select 1 where false')));
  });

  it('reads and writes arrays of strings whatever they hold, nested too, and the same on every driver', async () => {
    const db = await open();
    const tricky = ['', 'NULL', null, 'back\\slash', '{br}', ' sp ', 'a,b', '"', 'é✓𝄞', 'null'];
    const [row] = await db.query(
      `select $1::text[] as arr, $1::text[] = array['', 'NULL', null, 'back\\slash', '{br}', ' sp ', 'a,b', '"', 'é✓𝄞', 'null'] as same,
              array[array['x', null], array['{', '}']] as nested, '[0:1]={a,b}'::text[] as bounded,
              array['v']::varchar[] as vc, array['n']::name[] as nm`,
      [tricky],
    );
    assert.equal(row, { arr: tricky, same: true, nested: [['x', null], ['{', '}']], bounded: ['a', 'b'], vc: ['v'], nm: ['n'] });
  });

  it('transact: commits every script, or at the first failure rolls all back and names that script', async () => {
    const db = await open();
    await db.exec('create table t (x int primary key)');
    // The last script ends in a line comment: the COMMIT must still run.
    await db.transact(['insert into t values (1)', 'insert into t values (2) -- two']);
    assert.equal(await db.query('select x from t order by x'), [{ x: 1 }, { x: 2 }]);
    const e = await thrown(() => db.transact(['insert into t values (3)', 'insert into t values (1)', 'insert into t values (4)']));
    assert.instance(e, ScriptFailed);
    assert.is(e.index, 1, 'the duplicate key, not what failed after it');
    assert.is(toDbError(e.reason).sqlstate, '23505');
    assert.equal(await db.query('select x from t order by x'), [{ x: 1 }, { x: 2 }], 'nothing of the failed run stays');
    await db.transact(['insert into t values (5)']);
    assert.equal((await db.query('select count(*)::int as n from t'))[0].n, 3, 'the session is usable after a failure');
  });

  it('runs a multi-statement script with dollar quotes, and the session keeps its SET', async () => {
    const db = await open();
    await db.exec(`
      create schema app;
      set search_path = app, public;
      create table t (x text);
      create function app.greet(n text) returns text language plpgsql as $body$
        begin
          return 'hello; ' || n || $$ ' $$; -- not the end
        end
      $body$;
      insert into t values (greet('you'));`);
    assert.equal(await db.query('select x from t'), [{ x: "hello; you ' " }]);
    assert.equal(await db.query('show search_path'), [{ search_path: 'app, public' }]);
    await db.exec(`set work_mem = '5MB'`);
    assert.equal(await db.query('show work_mem'), [{ work_mem: '5MB' }]);
  });

  it('applies lock_timeout, statement_timeout and application_name to the work session', async () => {
    const db = await open({ lockTimeoutMs: 2500, statementTimeoutMs: 0 });
    const [row] = await db.query(
      `select current_setting('lock_timeout') as lt, current_setting('statement_timeout') as st, current_setting('application_name') as app`,
    );
    assert.equal(row, { lt: '2500ms', st: '0', app: 'fmig' });
  });

  it('commits a transaction when its function returns', async () => {
    const db = await open();
    const result = await db.transaction(async (tx) => {
      await tx.exec('create table kept (x int); insert into kept values (1)');
      return (await tx.query('select count(*)::int as n from kept'))[0].n;
    });
    assert.is(result, 1);
    assert.equal(await db.query('select x from kept'), [{ x: 1 }]);
  });

  it('rolls a transaction back when its function throws, and rethrows', async () => {
    const db = await open();
    const boom = new Error('boom');
    const e = await thrown(() =>
      db.transaction(async (tx) => {
        await tx.exec('create table gone (x int)');
        await tx.query('insert into gone values ($1)', [1]);
        throw boom;
      }),
    );
    assert.is(e, boom);
    assert.equal(await db.query(`select to_regclass('gone') as t`), [{ t: null }]);
  });

  it('rolls back when a statement in the transaction fails, with the error fields kept', async () => {
    const db = await open();
    const e = await thrown(() =>
      db.transaction(async (tx) => {
        await tx.exec('create table gone (x int)');
        await tx.query('select nosuch from gone');
      }),
    );
    assert.is(toDbError(e)?.sqlstate, '42703');
    assert.equal(await db.query(`select to_regclass('gone') as t`), [{ t: null }]);
  });

  it('refuses a statement sent outside an open transaction instead of hanging', async () => {
    const db = await open();
    const e = await thrown(() => db.transaction(async () => db.query('select 1')));
    assert.match(e.message, /outside the open transaction/);
    assert.equal(await db.query('select 1 as one'), [{ one: 1 }]);
  });

  it('keeps PostgreSQL error fields readable by toDbError', async () => {
    const db = await open();
    const missing = toDbError(await thrown(() => db.query('select nosuch from pg_class')));
    assert.is(missing.sqlstate, '42703');
    assert.is(missing.position, 8);
    assert.match(missing.message, /nosuch/);

    const script = toDbError(await thrown(() => db.exec('create table t (x int);\nselect nosuch from t;')));
    assert.is(script.sqlstate, '42703');
    assert.is(script.position, 32, 'position counts from the start of the script');

    await db.exec('create table u (id int primary key); insert into u values (1)');
    const dup = toDbError(await thrown(() => db.query('insert into u values ($1)', [1])));
    assert.is(dup.sqlstate, '23505');
    assert.is(dup.detail, 'Key (id)=(1) already exists.');

    const raised = toDbError(
      await thrown(() => db.exec(`do $$ begin raise exception 'nope' using detail = 'the detail', hint = 'the hint'; end $$`)),
    );
    assert.equal(
      { ...raised, where: raised.where?.replace(/\d+/g, 'N') },
      { sqlstate: 'P0001', message: 'nope', detail: 'the detail', hint: 'the hint', position: undefined, where: 'PL/pgSQL function inline_code_block line N at RAISE' },
    );
  });

  if (target.kind === 'postgres') {
    it('runs every statement on one connection, not the lock connection', async () => {
      const db = await open();
      const pids = new Set();
      for (let i = 0; i < 5; i++) pids.add((await db.query('select pg_backend_pid() as pid'))[0].pid);
      assert.is(pids.size, 1);
      const release = await db.lock({ schema: 'public', table: 'fmig_ledger', timeoutMs: 5000 });
      const holders = await db.query(`select pid from pg_locks where locktype = 'advisory' and granted
        and database = (select oid from pg_database where datname = current_database())`);
      assert.is(holders.length, 1);
      assert.is.not(holders[0].pid, [...pids][0]);
      await release();
    });

    it('fails every statement once the work connection is lost, rather than reconnecting without its settings', async () => {
      const db = await open();
      const [{ pid }] = await db.query('select pg_backend_pid() as pid');
      await admin(testServerUrl, 'select pg_terminate_backend($1)', [pid]);
      const first = await thrown(() => db.query('select 1'));
      assert.ok(first, 'the statement on the killed connection fails');
      const e = await thrown(() => db.query('select 1'));
      assert.instance(e, UnreachableError);
      assert.is(e.exitCode, 3);
      assert.match(e.message, /lost the connection/);
    });
  }

  if (target.kind === 'pglite') {
    it('resolves a relative pglite:// directory against baseDir', async () => {
      const base = fs.mkdtempSync(path.join(os.tmpdir(), 'fmig-base-'));
      try {
        fs.mkdirSync(path.join(base, '.fmig'));
        fs.cpSync(await pgliteTemplate(), path.join(base, '.fmig', 'pglite'), { recursive: true });
        const db = await openDatabase('pglite://.fmig/pglite', { ...settings, baseDir: base });
        assert.is(db.display, 'pglite://.fmig/pglite');
        await db.exec('create table here (x int)');
        await db.close();
        const again = await openDatabase(`pglite://${path.join(base, '.fmig', 'pglite')}`, settings);
        assert.equal(await again.query(`select to_regclass('here')::text as t`), [{ t: 'here' }]);
        await again.close();
      } finally {
        fs.rmSync(base, { recursive: true, force: true });
      }
    });
  }
});

test('pglite://memory opens an empty in-memory database', async () => {
  const progress = [];
  const db = await openDatabase('pglite://memory', { ...settings, onProgress: (m) => progress.push(m) });
  assert.is(db.kind, 'pglite');
  assert.is(db.display, 'pglite://memory');
  assert.equal(await db.query(`select count(*)::int as n from pg_tables where schemaname = 'public'`), [{ n: 0 }]);
  const release = await db.lock({ schema: 'public', table: 'fmig_ledger', timeoutMs: 10 });
  await release();
  await db.close();
  assert.equal(progress, []);
});

test('a new pglite directory is created on first use, with its parents, and says so', async () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'fmig-new-'));
  try {
    const progress = [];
    const db = await openDatabase('pglite://a/b/db', { ...settings, baseDir: base, onProgress: (m) => progress.push(m) });
    assert.equal(progress, ['creating the embedded database in a/b/db (first run)...']);
    await db.exec('create table t (x int)');
    await db.close();
    assert.ok(fs.existsSync(path.join(base, 'a/b/db/PG_VERSION')));
    assert.equal(fs.readdirSync(path.join(base, 'a/b')).sort(), ['db', 'db.state'], 'no temporary directory or lock file is left beside it, only the state file');
    progress.length = 0;
    const again = await openDatabase('pglite://a/b/db', { ...settings, baseDir: base, onProgress: (m) => progress.push(m) });
    assert.equal(await again.query(`select to_regclass('t')::text as t`), [{ t: 't' }]);
    await again.close();
    assert.equal(progress, []);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('a directory with other files is not taken for an embedded database', async () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'fmig-notdb-'));
  try {
    fs.mkdirSync(path.join(base, 'data'));
    fs.writeFileSync(path.join(base, 'data', 'notes.txt'), 'mine');
    const e = await thrown(() => openDatabase('pglite://data', { ...settings, baseDir: base }));
    assert.instance(e, UnreachableError);
    assert.match(e.message, /not an embedded database/);
    assert.equal(fs.readdirSync(path.join(base, 'data')), ['notes.txt']);
    assert.not.ok(fs.existsSync(path.join(base, 'data.lock')));
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('an unreachable server is exit 3 and the message never shows the password', async () => {
  const e = await thrown(() => openDatabase('postgres://u:sekret@127.0.0.1:1/x', settings));
  assert.instance(e, UnreachableError);
  assert.is(e.exitCode, 3);
  assert.is(e.message, 'could not connect to postgres://u:***@127.0.0.1:1/x: connection refused; is the server running?');
  assert.not.match(`${e.message} ${e.hint} ${e.stack}`, 'sekret');
});

test('a URL that does not parse is a usage error that does not echo the password', async () => {
  const e = await thrown(() => openDatabase('postgres://u:sekret@[nope/x', settings));
  assert.instance(e, UsageError);
  assert.is(e.exitCode, 2);
  assert.not.match(`${e.message} ${e.hint}`, 'sekret');
  assert.not.ok(Object.values(e).some((v) => String(v).includes('sekret')));
});

test('database URLs: schemes and pglite paths', () => {
  assert.equal(parseDatabaseUrl('postgresql://h/db', '/base'), { kind: 'postgres', url: 'postgresql://h/db' });
  assert.equal(parseDatabaseUrl('pglite://memory', '/base'), { kind: 'pglite', dir: null, label: 'memory' });
  assert.equal(parseDatabaseUrl('pglite://.fmig/pglite', '/base'), { kind: 'pglite', dir: path.resolve('/base/.fmig/pglite'), label: '.fmig/pglite' });
  assert.equal(parseDatabaseUrl('pglite:///abs/db', '/base'), { kind: 'pglite', dir: path.resolve('/abs/db'), label: '/abs/db' });
  for (const bad of ['mysql://u:sekret@h/db', 'pglite://', 'file.db']) {
    let e;
    try {
      parseDatabaseUrl(bad, '/base');
    } catch (x) {
      e = x;
    }
    assert.instance(e, UsageError, bad);
    assert.not.match(e.message, 'sekret');
  }
});

if (testServerUrl) {
  const onServer = (database, user) => {
    const u = new URL(testServerUrl);
    u.pathname = `/${database}`;
    if (user) u.username = user;
    u.password = 'sekret';
    return u.toString();
  };

  test('a database that does not exist is exit 3, named, without the password', async () => {
    const e = await thrown(() => openDatabase(onServer('fmig_no_such_db'), settings));
    assert.instance(e, UnreachableError);
    assert.is(e.exitCode, 3);
    assert.match(e.message, /could not connect to postgres:\/\/.*:\*\*\*@.*: database "fmig_no_such_db" does not exist/);
    assert.match(e.hint, 'createdb fmig_no_such_db');
    assert.not.match(`${e.message} ${e.hint} ${e.stack}`, 'sekret');
  });

  test('a role that does not exist is exit 3, without the password', async () => {
    const e = await thrown(() => openDatabase(onServer(new URL(testServerUrl).pathname.slice(1), 'fmig_no_such_role'), settings));
    assert.instance(e, UnreachableError);
    assert.is(e.exitCode, 3);
    assert.match(e.message, 'role "fmig_no_such_role" does not exist');
    assert.not.match(`${e.message} ${e.hint} ${e.stack}`, 'sekret');
  });
}

test.run();
