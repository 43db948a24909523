// [targets.<name>] in migrate.toml: bad input is exit 2 naming the key, and a target's
// ${VAR} matters only when that target is used. A target sets [database] keys of its own, fmig's
// lock among them: on a server, a target with lock = "table" takes the leased row in its
// schema's fmig_lock while the others take the advisory lock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { project, removeProjects, inspect } from '../helpers/cli.js';
import { freshDatabase, targets } from '../helpers/databases.js';

const server = targets.find((t) => t.kind === 'postgres');

test.after.each(removeProjects);

test('unknown keys, schema with schemas, a bad schemas value: every problem named, exit 2', async () => {
  const p = await project({}, { toml: 'dir = "sql"\n[targets.eu]\nurl = "postgres://x@127.0.0.1:1/x"\nschmeas = "select 1"\n[targets.t]\nschema = "a"\nschemas = ["b"]\n[targets.u]\nschemas = 5\n' });
  const r = await p.fmig('status', '--all');
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /unknown key "targets\.eu\.schmeas" \(did you mean "targets\.eu\.schemas"\?\)/);
  assert.match(r.stderr, /targets\.t: schema and schemas together/);
  assert.match(r.stderr, /targets\.u\.schemas: expected a query \(a string\) or a list of schema names, got an integer/);
});

test('an unset ${VAR} in a target stops only a command that uses it; unknown targets and --url with --all are refused', async () => {
  const p = await project({ '000001_a': 'create table a (id int);\n' }, { toml: 'dir = "sql"\n[targets.eu]\nurl = "${FMIG_TEST_EU_URL}"\n[targets.local]\nurl = "pglite://memory"\n' });
  let r = await p.fmig('heads', '--target', 'local');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /000001_a/);
  r = await p.fmig('up', '--target', 'eu');
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /targets\.eu\.url: environment variable FMIG_TEST_EU_URL is not set/);
  r = await p.fmig('up', '--target', 'loca');
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /no \[targets\.loca\] in migrate\.toml \(did you mean local\?\)/);
  r = await p.fmig('up', '--all', '--url', 'pglite://memory');
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /--url and --target\/--all/);
  r = await p.fmig('up', '-j', '2');
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /-j goes with --target or --all/);
  r = await p.fmig('history', '--all');
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /history runs on one database/);
});

test('bad lock settings in a target: exit 2 naming targets.<name>.lock..., nothing is touched; other targets still run', async () => {
  const p = await project(
    { '000001_a': 'create table a (id int);\n' },
    {
      toml:
        'dir = "sql"\n[database]\nlock_heartbeat = "4s"\n' +
        '[targets.kind]\nurl = "pglite://db-kind"\nlock = "row"\n' +
        '[targets.zero]\nurl = "pglite://db-zero"\nlock = "table"\nlock_lease = "0"\n' +
        '[targets.half]\nurl = "pglite://db-half"\nlock = "table"\nlock_lease = "6s"\n' +
        '[targets.beat]\nurl = "pglite://db-beat"\nlock_lease = "10s"\nlock_heartbeat = "6s"\n' +
        '[targets.shape]\nurl = "pglite://db-shape"\nlock = 1\n' +
        '[targets.good]\nurl = "pglite://db-good"\nlock = "table"\nlock_lease = "20s"\nlock_heartbeat = "5s"\n',
    },
  );
  const refused = async (args, message) => {
    const r = await p.fmig(...args);
    assert.is(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, message);
  };
  // The shape (a number for a string) is wrong in the file: every command is refused.
  await refused(['up', '--target', 'good'], 'targets.shape.lock: expected a string, got an integer');
  await p.write({ 'migrate.toml': (await p.read('migrate.toml')).replace('[targets.shape]\nurl = "pglite://db-shape"\nlock = 1\n', '') });
  await refused(['up', '--target', 'kind'], 'targets.kind.lock: "row" is not a lock fmig has; use "advisory" (the default) or "table"');
  await refused(['up', '--target', 'zero'], 'targets.zero.lock_lease: must be more than 0');
  // The target's lease against the heartbeat of [database], and a target's own pair.
  await refused(['up', '--target', 'half'], 'targets.half.lock_lease: must be at least twice database.lock_heartbeat (a late heartbeat would lose the lock); they are 6s and 4s');
  await refused(['status', '--all'], 'targets.beat.lock_heartbeat: must be at most half of targets.beat.lock_lease');
  for (const t of ['kind', 'zero', 'half', 'beat']) assert.not.ok(existsSync(path.join(p.dir, `db-${t}`)), `${t}: no database made`);
  const r = await p.fmig('up', '--target', 'good');
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.ok(existsSync(path.join(p.dir, 'db-good')));
});

if (server) {
  test('a target with lock = "table" takes the leased row in its schema, the default target the advisory lock', async () => {
    const dbs = [await freshDatabase(server), await freshDatabase(server)];
    try {
      // Each revision records, while it runs, which of fmig's locks is held on its database.
      const seen = `create table seen as select
  (select count(*)::int from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())) as advisory,
  to_regclass('fmig_lock') is not null as lock_table;\n`;
      const p = await project(
        { '000001_seen': seen },
        { toml: `dir = "sql"\n[targets.crdb]\nurl = "${dbs[0].url}"\nschemas = ["t1", "t2"]\nlock = "table"\nlock_lease = "20s"\nlock_heartbeat = "5s"\n[targets.pg]\nurl = "${dbs[1].url}"\n` },
      );
      const r = await p.fmig('up', '--all', '-j', '3');
      assert.is(r.code, 0, r.stdout + r.stderr);
      for (const schema of ['t1', 't2']) {
        const rows = await inspect(dbs[0].url, (db) => db.query(`select advisory, lock_table from ${schema}.seen`));
        assert.equal(rows, [{ advisory: 0, lock_table: true }], schema);
        const held = await inspect(dbs[0].url, (db) => db.query(`select count(*)::int as n from ${schema}.fmig_lock`));
        assert.equal(held, [{ n: 0 }], `${schema}: the lock row is gone once released`);
      }
      const rows = await inspect(dbs[1].url, (db) => db.query('select advisory, lock_table from seen'));
      assert.equal(rows, [{ advisory: 1, lock_table: false }]);
    } finally {
      await Promise.all(dbs.map((d) => d.drop()));
    }
  });
}

test.run();
