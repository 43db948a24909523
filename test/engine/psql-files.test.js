// SQL files as real projects write them: COPY ... FROM stdin with its data in the file (what
// pg_dump writes), and psql meta-commands, which fmig refuses before running anything.
import * as assert from 'uvu/assert';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { forEachTarget, freshDatabase, targets, testServerUrl } from '../helpers/databases.js';
import { project, removeProjects, repositoryCopy, state, inspect, snapshot } from '../helpers/cli.js';
import { clientTools, pgDump } from '../helpers/psql.js';

const server = testServerUrl && clientTools ? targets.find((t) => t.kind === 'postgres') : undefined;

const rows = (url, sql) => inspect(url, (db) => db.query(sql));

/** Rows whose text holds what COPY's text format escapes: tabs, newlines, backslashes, quotes, a NULL. */
const DATA_ROWS = `
insert into institutions (name, country, bic) values ('Bank "one"', 'DE', 'DEUTDEFF'), (E'Tab\\there\\\\and back', 'FR', null);
insert into accounts (institution_id, name, currency, opening_balance) select id, 'main', 'EUR', 12.5 from institutions;
insert into transactions (account_id, posted_on, amount, currency, description, counterparty)
  select id, date '2026-01-02', -42.1234, 'EUR', E'line one\\nline two; it''s -- not a comment', null from accounts;
`;

forEachTarget('engine: COPY data and psql meta-commands in files', (test, { target, fresh }) => {
  test.after.each(removeProjects);

  test('COPY ... FROM stdin: the data lines go through the COPY protocol, in the revision transaction', async () => {
    const { url } = await fresh();
    const p = await project({
      '001_t': {
        up: "CREATE TABLE t (a int, b text);\nCOPY t (a, b) FROM stdin;\n1\tit's; -- not SQL\n2\t\\N\n3\ttab\\there\n\\.\nINSERT INTO t VALUES (4, 'after');\n",
        down: 'DROP TABLE t;\n',
      },
    });
    let r = await p.fmig('up', '--dry-run', '--url', url);
    assert.match(r.stdout, 'one transaction, statement by statement (COPY data goes through the COPY protocol)');
    r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(await rows(url, 'select a, b from t order by a'), [
      { a: 1, b: "it's; -- not SQL" },
      { a: 2, b: null },
      { a: 3, b: 'tab\there' },
      { a: 4, b: 'after' },
    ]);
    const s = await state(url);
    assert.equal(s.rows.map((x) => [x.revision, x.finished_at !== null]), [['001', true]]);
  });

  test('bad COPY data: the error names the file line of the data line, and nothing of the revision stays', async () => {
    const { url } = await fresh();
    const p = await project({
      '001_t': 'CREATE TABLE t (a int, b text);\nCOPY t (a, b) FROM stdin;\n1\tone\n2\ttwo\nx\tthree\n\\.\n',
    });
    const r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, 'sql/001_t.up.sql:5:1: error 22P02: invalid input syntax for type integer: "x"');
    assert.match(r.stderr, 'context: COPY t, line 3, column a: "x"');
    assert.match(r.stderr, 'nothing of the file was committed');
    const s = await state(url);
    assert.equal(s.rows, []);
    assert.equal(s.tables, [], 'the CREATE TABLE before the COPY was rolled back with it');
    // The session is usable after the failed COPY: a fixed file applies.
    await p.revisions({ '001_t': 'CREATE TABLE t (a int, b text);\nCOPY t (a, b) FROM stdin;\n1\tone\n\\.\n' });
    const again = await p.fmig('up', '--url', url);
    assert.is(again.code, 0, again.stderr);
  });

  test('a psql meta-command refuses the file before anything runs: exit 2, file, line and command', async () => {
    const { url } = await fresh();
    const p = await project({
      '001_a': 'CREATE TABLE a (id int);\n',
      '002_meta': '-- a psql script\nCREATE TABLE b (id int);\n\\set ON_ERROR_STOP on\nSELECT 1 \\gset\n',
    });
    let r = await p.fmig('up', '--url', url);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, 'sql/002_meta.up.sql:3: \\set, sql/002_meta.up.sql:4: \\gset: a psql meta-command, not SQL; fmig runs SQL files, not psql scripts');
    assert.not.match(r.stderr, '    at ');
    const s = await state(url);
    assert.equal(s.rows, [], 'not even the revision before it ran');
    assert.equal(s.tables, []);

    // A down file too, before anything is reverted.
    await p.revisions({ '002_meta': { up: 'CREATE TABLE b (id int);\n', down: 'DROP TABLE b;\n\\i cleanup.sql\n' } });
    r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    r = await p.fmig('down', '--url', url);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, 'sql/002_meta.down.sql:2: \\i');
    assert.equal((await state(url)).tables, ['public.a', 'public.b']);
  });

  test("pg_dump's \\restrict and \\unrestrict lines are skipped", async () => {
    const { url } = await fresh();
    const p = await project({ '001_a': '\\restrict Zx9k2\n\nCREATE TABLE a (id int);\n\n\\unrestrict Zx9k2\n' });
    const r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal((await state(url)).tables, ['public.a']);
  });

  if (server) {
    test("a real pg_dump of this repository's schema, with data rows, applies as one revision", async () => {
      // The source: this repository's sql/ applied with fmig on a server database, and some rows.
      const source = await freshDatabase(server);
      try {
        const repo = await repositoryCopy();
        const r0 = await repo.fmig('up', '--url', source.url);
        assert.is(r0.code, 0, r0.stderr);
        await inspect(source.url, (db) => db.exec(DATA_ROWS));
        const dump = await pgDump(source.url, ['-T', 'fmig_ledger*']);
        assert.match(dump, 'COPY public.transactions');

        const { url } = await fresh();
        const p = await project({});
        const file = path.join(p.dir, 'sql', '001_baseline.up.sql');
        // The dump as pg_dump wrote it, \restrict lines and all.
        await writeFile(file, await rawDump(source.url));
        // pg_dump empties search_path; the next revision starts from the usual session all the same.
        await p.revisions({ '002_after': 'create table after_dump (id int);\n' });
        const r = await p.fmig('up', '--url', url);
        assert.is(r.code, 0, r.stderr);
        assert.ok((await state(url)).tables.includes('public.after_dump'), 'created in public, not in an emptied search_path');
        await inspect(url, (db) => db.exec('drop table after_dump'));
        // The same engine's schema from the repository's own revisions: the source where it is
        // the target, else a database of the target's kind (PGlite's PostgreSQL is another version).
        let expected = source.url;
        if (target.kind !== 'postgres') {
          expected = (await fresh()).url;
          const r1 = await repo.fmig('up', '--url', expected);
          assert.is(r1.code, 0, r1.stderr);
        }
        assert.equal(await snapshot(url), await snapshot(expected), 'same schema as the source');
        const q = 'select i.name, i.bic, a.name as account, a.opening_balance::text, t.amount::text, t.description, t.counterparty from transactions t join accounts a on a.id = t.account_id join institutions i on i.id = a.institution_id order by i.name';
        assert.equal(await rows(url, q), await rows(source.url, q), 'same rows as the source');
        const s = await state(url);
        assert.equal(s.rows.map((x) => [x.revision, x.finished_at !== null]), [['001', true], ['002', true]]);
        if (target.kind === 'postgres') assert.fixture(await pgDump(url, ['-T', 'fmig_ledger*']), dump, 'pg_dump of the copy equals the source');
      } finally {
        await source.drop();
      }
    });
  }
});

/** pg_dump's output as it is, `\restrict` lines kept. */
async function rawDump(url) {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    execFile('pg_dump', ['--no-owner', '--no-privileges', '-T', 'fmig_ledger*', url], { maxBuffer: 64 * 1024 * 1024 }, (err, out) => (err ? reject(err) : resolve(out)));
  });
}
