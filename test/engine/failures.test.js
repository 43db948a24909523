// A statement that fails: what the user is told, and what the database is left holding, for a
// transactional revision, --single-transaction, a no-transaction revision (and --resume), and
// files with their own BEGIN ... COMMIT.
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { project, removeProjects, state, inspect } from '../helpers/cli.js';

const counted = (url) => inspect(url, async (db) => (await db.query('select step from counter order by step')).map((r) => r.step));

/** Asserts the compiler-style report: `file:line:column`, SQLSTATE, message, the line, a caret under `column`. */
function assertReport(stderr, { file, line, column, sqlstate, message, lineText }) {
  assert.match(stderr, `${file}:${line}:${column}: error ${sqlstate}: ${message}`);
  const lines = stderr.split('\n');
  const at = lines.findIndex((l) => l === `  | ${lineText}`);
  assert.ok(at >= 0, `the offending line is shown:\n${stderr}`);
  const pad = [...lineText].slice(0, column - 1).map((ch) => (ch === '\t' ? '\t' : ' ')).join('');
  assert.is(lines[at + 1], `  | ${pad}^`, 'the caret sits under the column');
}

forEachTarget('engine: failures', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('a failing transactional revision leaves no trace; the one before stays; line and column are right for LF, CRLF and non-ASCII files', async () => {
    const { url } = await fresh();
    const p = await project({
      '001_one': 'create table one (id int);\n',
      '002_two': 'create table two_a (id int);\nselect * from missing_table;\ncreate table two_b (id int);\n',
      '003_three': 'create table three (id int);\n',
    });
    let r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stdout, 'applied 001_one');
    assert.not.match(r.stdout, '002_two');
    assertReport(r.stderr, { file: 'sql/002_two.up.sql', line: 2, column: 15, sqlstate: '42P01', message: 'relation "missing_table" does not exist', lineText: 'select * from missing_table;' });
    assert.match(r.stderr, /database state: 002_two was rolled back and left no trace; 1 revision\(s\) applied by this run stay applied; 1 revision\(s\) applied in all/);

    const check = async () => {
      const s = await state(url);
      assert.equal(s.tables, ['public.one'], 'no table from the failed revision, none from the one after');
      assert.equal(s.rows.map((x) => x.revision), ['001']);
      assert.equal(s.log.map((l) => [l.revision, l.action]), [['001', 'up']], 'no log row for a rolled-back revision');
    };
    await check();

    // CRLF: the lines still count one each, the caret line has no stray CR.
    await p.revisions({ '002_two': 'create table two_a (id int);\r\n\r\nselect * from missing_table;\r\n' });
    r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assertReport(r.stderr, { file: 'sql/002_two.up.sql', line: 3, column: 15, sqlstate: '42P01', message: 'relation "missing_table" does not exist', lineText: 'select * from missing_table;' });
    await check();

    // Characters, not bytes (nor UTF-16 units): é is 2 bytes, 𝄞 4 bytes and 2 units, each one character; and a BOM.
    const line = "select 'é𝄞', nope_col from one;";
    await p.revisions({ '002_two': `\ufeff-- café ☕ 𝄞\r\ncreate table two_a (id int);\r\n${line}\r\n` });
    r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assertReport(r.stderr, { file: 'sql/002_two.up.sql', line: 3, column: 14, sqlstate: '42703', message: 'column "nope_col" does not exist', lineText: line });
    await check();
  });

  test('--single-transaction: a failure in the third revision leaves nothing at all; without the failure all apply', async () => {
    const { url } = await fresh();
    const p = await project({
      '1_a': 'create table a (id int);\ninsert into a values (1);\n',
      '2_b': 'create table b (id int);\n',
      '3_c': 'create table c (id int);\ninsert into c values (1/0);\n',
    });
    let r = await p.fmig('up', '--single-transaction', '--url', url);
    assert.is(r.code, 1, r.stderr);
    // No position from PostgreSQL: the report still names the statement's line.
    assertReport(r.stderr, { file: 'sql/3_c.up.sql', line: 2, column: 1, sqlstate: '22012', message: 'division by zero', lineText: 'insert into c values (1/0);' });
    assert.match(r.stderr, 'database state: the whole run was rolled back');
    let s = await state(url);
    assert.equal(s.tables, []);
    assert.equal(s.rows, []);
    assert.equal(s.log, []);

    await p.revisions({ '3_c': 'create table c (id int);\ninsert into c values (1);\n' });
    r = await p.fmig('up', '--single-transaction', '--url', url);
    assert.is(r.code, 0, r.stderr);
    s = await state(url);
    assert.equal(s.tables, ['public.a', 'public.b', 'public.c']);
    assert.equal(s.rows.map((x) => x.revision), ['1', '2', '3']);
    assert.equal(s.log.map((l) => [l.revision, l.action]), [['1', 'up'], ['2', 'up'], ['3', 'up']]);
  });

  test('a no-transaction revision that fails part-way: the row keeps its progress; up refuses; up --resume runs only the rest', async () => {
    const { url } = await fresh();
    const p = await project({
      '1_counter': 'create table counter (step text);\n',
      '2_steps': "-- fmig:no-transaction\ninsert into counter values ('s1');\ninsert into counter values ('s2');\ninsert into needed (x) values (1);\ninsert into counter values ('s4');\n",
      '3_after': 'create table after_steps (id int);\n',
    });
    let r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assertReport(r.stderr, { file: 'sql/2_steps.up.sql', line: 4, column: 13, sqlstate: '42P01', message: 'relation "needed" does not exist', lineText: 'insert into needed (x) values (1);' });
    assert.match(r.stderr, 'stopped at statement 3 of 4; 2 statement(s) done');
    assert.match(r.stderr, 'database state: 2_steps stopped part-way');
    assert.match(r.stderr, 'fmig up --resume');

    let s = await state(url);
    const failedRow = s.rows.find((x) => x.revision === '2');
    assert.is(failedRow.finished_at, null);
    assert.is(failedRow.statements_done, 2);
    assert.match(failedRow.error, 'relation "needed" does not exist');
    assert.match(failedRow.error, 'sql/2_steps.up.sql:4:13');
    assert.equal(s.log.map((l) => [l.revision, l.action]), [['1', 'up'], ['2', 'failed']]);
    assert.equal(await counted(url), ['s1', 's2']);
    assert.equal(s.tables, ['public.counter']);
    const before = s;

    // Plain `up` refuses, touching nothing (not even the pending revision after it).
    r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, 'refusing to run');
    assert.match(r.stderr, '2 stopped part-way after 2 statement(s)');
    assert.match(r.stderr, '--resume');
    assert.equal(await state(url), before);

    // Fix the cause, then resume: statements 3 and 4 only, then the pending revision.
    await inspect(url, (db) => db.exec('create table needed (x int)'));
    r = await p.fmig('up', '--resume', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, 'resumed 2_steps');
    assert.match(r.stdout, 'applied 3_after');
    assert.equal(await counted(url), ['s1', 's2', 's4'], 'statements 1 and 2 did not run again');
    s = await state(url);
    const row = s.rows.find((x) => x.revision === '2');
    assert.ok(row.finished_at instanceof Date);
    assert.is(row.statements_done, 4);
    assert.is(row.error, null);
    assert.equal(s.log.map((l) => [l.revision, l.action]), [['1', 'up'], ['2', 'failed'], ['2', 'up'], ['3', 'up']]);
    assert.equal(s.tables, ['public.after_steps', 'public.counter', 'public.needed']);
  });

  test("a file's own BEGIN/COMMIT pair: one transactional revision, rolled back whole on failure", async () => {
    const { url } = await fresh();
    const p = await project({ '1_own': 'BEGIN;\ncreate table own_a (id int);\nselect 1/0;\nCOMMIT;\n' });
    let r = await p.fmig('up', '--dry-run', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, "-- sql/1_own.up.sql: one transaction (the file's own BEGIN/COMMIT replaced by fmig's)");
    r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assertReport(r.stderr, { file: 'sql/1_own.up.sql', line: 3, column: 1, sqlstate: '22012', message: 'division by zero', lineText: 'select 1/0;' });
    assert.match(r.stderr, 'left no trace');
    let s = await state(url);
    assert.equal([s.tables, s.rows, s.log], [[], [], []]);

    // The modes written after BEGIN hold for fmig's transaction.
    await p.revisions({ '1_own': "BEGIN ISOLATION LEVEL SERIALIZABLE;\ncreate table own_a (l text);\ninsert into own_a select current_setting('transaction_isolation');\nCOMMIT;\n" });
    r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    s = await state(url);
    assert.equal(s.tables, ['public.own_a']);
    assert.equal(await inspect(url, (db) => db.query('select l from own_a')), [{ l: 'serializable' }]);
    assert.is(s.rows[0].statements_done, null, 'ran as a transactional revision');
    assert.equal(s.log.map((l) => l.action), ['up']);
  });

  test('two BEGIN ... COMMIT blocks, the second failing: the first stays, the second rolls back, --resume re-runs the whole second block', async () => {
    const { url } = await fresh();
    const blocks = [
      'BEGIN;',
      "insert into counter values ('b1');",
      'create table block_one (id int);',
      'COMMIT;',
      'BEGIN;',
      "insert into counter values ('b2');",
      'insert into needed (x) values (1);',
      'COMMIT;',
    ].join('\n') + '\n';
    const p = await project({ '1_counter': 'create table counter (step text);\n', '2_blocks': blocks });
    let r = await p.fmig('up', '--dry-run', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, '-- sql/2_blocks.up.sql: as psql -1 runs it: 2 transaction blocks');
    assert.equal((await state(url)).rows, [], '--dry-run changed nothing');

    r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, 'sql/2_blocks.up.sql:7:13: error 42P01');
    let s = await state(url);
    const row = s.rows.find((x) => x.revision === '2');
    assert.is(row.finished_at, null);
    assert.is(row.statements_done, 4, "statements_done points at the second block's BEGIN");
    assert.equal(s.tables, ['public.block_one', 'public.counter'], "the first block's work stays");
    assert.equal(await counted(url), ['b1'], 'the second block rolled back');
    assert.equal(s.log.map((l) => [l.revision, l.action]), [['1', 'up'], ['2', 'failed']]);

    await inspect(url, (db) => db.exec('create table needed (x int)'));
    r = await p.fmig('up', '--resume', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(await counted(url), ['b1', 'b2'], 'the second block ran whole, once; the first did not run again');
    s = await state(url);
    assert.ok(s.rows.find((x) => x.revision === '2').finished_at instanceof Date);
    assert.equal(s.log.map((l) => [l.revision, l.action]), [['1', 'up'], ['2', 'failed'], ['2', 'up']]);
  });
});
