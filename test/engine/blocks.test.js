// Files with transaction control of their own beyond one BEGIN/COMMIT pair: chained blocks,
// resuming at a chain, and a block that is never closed.
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { project, removeProjects, state, inspect } from '../helpers/cli.js';

const steps = (url) => inspect(url, async (db) => (await db.query('select step from steps order by step')).map((r) => r.step));

forEachTarget('engine: own transaction blocks', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('COMMIT AND CHAIN: a failure in the chained block rolls back only it, and --resume reopens it with BEGIN', async () => {
    const { url } = await fresh();
    const p = await project({
      '001_steps': 'create table steps (step int primary key);\n',
      '002_chain': 'BEGIN;\ninsert into steps values (1);\nCOMMIT AND CHAIN;\ninsert into steps values (2);\ninsert into needed values (1);\nCOMMIT;\n',
    });
    let r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, 'relation "needed" does not exist');
    assert.equal(await steps(url), [1], 'the first block committed, the chained one rolled back');
    let s = await state(url);
    const row = s.rows.find((x) => x.revision === '002');
    assert.is(row.finished_at, null);
    assert.is(row.statements_done, 2, 'progress points at the COMMIT AND CHAIN that opened the failed block');

    r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, 'up refuses while a revision waits for --resume');

    await inspect(url, (db) => db.exec('create table needed (id int)'));
    r = await p.fmig('up', '--resume', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(await steps(url), [1, 2], 'step 1 did not run twice, step 2 ran once');
    s = await state(url);
    assert.ok(s.rows.find((x) => x.revision === '002').finished_at);
    assert.equal(s.log.map((l) => [l.revision, l.action]), [['001', 'up'], ['002', 'failed'], ['002', 'up']]);
  });

  test('a block the file opens and never closes commits at the end, with the ledger row, as psql -1 commits it', async () => {
    const { url } = await fresh();
    const p = await project({
      '001_steps': 'create table steps (step int primary key);\n',
      '002_open': 'insert into steps values (1);\nBEGIN;\ninsert into steps values (2);\n',
    });
    const r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(await steps(url), [1, 2]);
    const s = await state(url);
    assert.equal(s.rows.map((x) => [x.revision, x.statements_done, x.finished_at !== null]), [['001', null, true], ['002', 3, true]]);
  });

  test('with -- fmig:no-transaction, a block that is opened and never closed is refused before anything of it runs', async () => {
    const { url } = await fresh();
    const p = await project({
      '001_steps': 'create table steps (step int primary key);\n',
      '002_open': '-- fmig:no-transaction\ninsert into steps values (1);\nBEGIN;\ninsert into steps values (2);\n',
    });
    const r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, 'sql/002_open.up.sql:3: the transaction block opened here is never closed');
    assert.equal(await steps(url), [], 'nothing of the file ran');
    const s = await state(url);
    assert.equal(s.rows.map((x) => x.revision), ['001']);
  });

  test('a golang-migrate file holding CREATE INDEX CONCURRENTLY without a directive applies, outside a transaction', async () => {
    const { url } = await fresh();
    const p = await project({
      '1_steps': 'create table steps (step int primary key, note text);\n',
      '2_note_index': 'CREATE INDEX CONCURRENTLY steps_note ON steps (note);\n',
    });
    let r = await p.fmig('up', '--dry-run', '--url', url);
    assert.match(r.stdout, 'statement by statement, no transaction (CREATE INDEX CONCURRENTLY cannot run inside one)');
    r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    const s = await state(url);
    assert.equal(s.rows.map((x) => [x.revision, x.statements_done]), [['1', null], ['2', 1]]);
    const idx = await inspect(url, (db) => db.query("select indexname from pg_indexes where indexname = 'steps_note'"));
    assert.is(idx.length, 1);
  });
});

