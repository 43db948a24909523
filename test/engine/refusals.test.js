// Input fmig cannot use, and states it must not run in: each gets its message and exit code,
// and the database is left exactly as it was.
import { test as plain } from 'uvu';
import * as assert from 'uvu/assert';
import { admin, forEachTarget, freshDatabase, targets, testServerUrl } from '../helpers/databases.js';
import { project, removeProjects, state, snapshot } from '../helpers/cli.js';

const A = { '1_a': { up: 'create table a (id int);\n', down: 'drop table a;\n' } };

forEachTarget('engine: refusals', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('an applied file edited: up refuses with exit 1, names the file, and applies nothing, not even other pending revisions', async () => {
    const { url } = await fresh();
    const p = await project(A);
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    const before = [await state(url), await snapshot(url)];
    await p.revisions({ '1_a': { up: 'create table a (id int, extra text);\n', down: 'drop table a;\n' }, '2_b': 'create table b (id int);\n' });
    const r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, 'refusing to run');
    assert.match(r.stderr, '1_a.up.sql was edited after it was applied');
    assert.match(r.stderr, 'fmig repair');
    assert.not.match(r.stdout, 'applied');
    assert.equal([await state(url), await snapshot(url)], before);
  });

  test('bad input of every kind: its exit code, a message naming the culprit, and no change to the database', async () => {
    const { url } = await fresh();
    const p = await project(A);
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    const before = [await state(url), await snapshot(url)];
    const good = await p.read('migrate.toml');

    const cases = [
      {
        name: 'unknown key in migrate.toml',
        files: { 'migrate.toml': 'dir = "sql"\n[database]\nshema = "x"\n', ...pending('2_b') },
        code: 2,
        says: ['migrate.toml', 'unknown key "database.shema"', 'database.schema'],
      },
      { name: 'bad file name', files: { 'sql/abc.up.sql': 'create table abc (id int);\n', ...pending('2_b') }, code: 2, says: ['abc.up.sql', 'not a revision file name'] },
      {
        name: 'duplicate id',
        files: { ...pending('2_b'), ...pending('2_c') },
        code: 2,
        says: ['revision 2 is claimed by more than one pair of files', '2_b.up.sql', '2_c.up.sql'],
      },
      {
        name: 'cycle',
        files: { ...pending('2_b', '-- fmig:parent 3\n'), ...pending('3_c', '-- fmig:parent 2\n') },
        code: 2,
        says: ['cycle', '2_b.up.sql', '3_c.up.sql'],
      },
      { name: 'unknown parent', files: pending('2_b', '-- fmig:parent 9\n'), code: 2, says: ['2_b.up.sql', 'parent 9'] },
      {
        name: 'unknown directive',
        files: pending('2_b', '-- fmig:no-transactions\n'),
        code: 2,
        says: ['2_b.up.sql', 'unknown directive "-- fmig:no-transactions"', 'did you mean "-- fmig:no-transaction"'],
      },
      {
        name: 'divergent heads',
        files: { ...pending('2_b', '-- fmig:parent 1\n'), ...pending('3_c', '-- fmig:parent 1\n') },
        code: 1,
        says: ['divergent heads', '2 b  (sql/2_b.up.sql)', '3 c  (sql/3_c.up.sql)', 'fmig resolve'],
      },
    ];
    for (const c of cases) {
      await p.write(c.files);
      const r = await p.fmig('up', '--url', url);
      assert.is(r.code, c.code, `${c.name}: exit ${c.code}\n${r.stderr}`);
      for (const s of c.says) assert.match(r.stderr, s, `${c.name}: says ${s}`);
      assert.is(r.stdout, '', `${c.name}: nothing on stdout`);
      await p.write(Object.fromEntries(Object.keys(c.files).map((f) => [f, f === 'migrate.toml' ? good : null])));
    }
    assert.equal([await state(url), await snapshot(url)], before, 'none of them changed the database');
  });
});

/** A pending revision's up file, with a header. */
function pending(name, header = '') {
  return { [`sql/${name}.up.sql`]: `${header}create table t${name} (id int);\n` };
}

plain.after.each(removeProjects);

plain('an unreachable server: exit 3, and the password appears nowhere', async () => {
  const p = await project(A);
  for (const args of [['up'], ['up', '--json'], ['status'], ['down']]) {
    const r = await p.fmig(...args, '--url', 'postgres://u:s3cretpw@127.0.0.1:1/x');
    assert.is(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, 'could not connect to postgres://u:***@127.0.0.1:1/x');
    assert.not.match(r.stdout + r.stderr, 's3cretpw');
  }
  const env = await import('../helpers/cli.js').then((m) => m.cliEnv({ DATABASE_URL: 'postgres://u:s3cretpw@127.0.0.1:1/x' }));
  const r = await p.fmig('up', { env });
  assert.is(r.code, 3);
  assert.not.match(r.stdout + r.stderr, 's3cretpw');
});

if (testServerUrl) {
  plain('a database that does not exist on the server: exit 3, saying so', async () => {
    const p = await project(A);
    const url = new URL(testServerUrl);
    url.pathname = '/fmig_no_such_database';
    const r = await p.fmig('up', '--url', url.toString());
    assert.is(r.code, 3, r.stderr);
    assert.match(r.stderr, 'database "fmig_no_such_database" does not exist');
  });

  plain('a user without rights on the ledger: exit 1, what the server said and what to do, no stack', async () => {
    const p = await project(A);
    const db = await freshDatabase(targets.find((t) => t.kind === 'postgres'));
    const role = `fmig_norights_${process.pid}`;
    await admin(testServerUrl, `create role ${role} login`);
    try {
      assert.is((await p.fmig('up', '--url', db.url)).code, 0);
      const url = new URL(db.url);
      url.username = role;
      for (const args of [['status'], ['up']]) {
        const r = await p.fmig(...args, '--url', url.toString());
        assert.is(r.code, 1, r.stderr);
        assert.match(r.stderr, /^error: the database refused: permission denied for (table|schema) \S+ \(SQLSTATE 42501\)\n  the database user needs rights/);
        assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
      }
    } finally {
      await db.drop();
      await admin(testServerUrl, `drop role ${role}`);
    }
  });
}

plain.run();
