import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { loadModule, parseSync } from 'libpg-query';
import { memoryPglite } from '../helpers/databases.js';
import { isTransactionControl, planExecution, describeExecution, blockAt, findBlocks, cannotRunInTransaction } from '../../dist/core/transactions.js';
import { splitStatements } from '../../dist/core/split.js';

await loadModule();

const corpusDir = new URL('../fixtures/sql/', import.meta.url);

/** What PostgreSQL's parser says a statement is, in isTransactionControl's terms. */
function pgControl(stmt) {
  const node = parseSync(stmt).stmts[0].stmt.TransactionStmt;
  if (!node) return null;
  const kinds = {
    TRANS_STMT_BEGIN: 'begin',
    TRANS_STMT_START: 'begin',
    TRANS_STMT_COMMIT: node.chain ? 'commit-chain' : 'commit',
    TRANS_STMT_ROLLBACK: node.chain ? 'rollback-chain' : 'rollback',
    TRANS_STMT_SAVEPOINT: 'savepoint',
    TRANS_STMT_RELEASE: 'release',
    TRANS_STMT_ROLLBACK_TO: 'rollback-to',
    TRANS_STMT_PREPARE: 'prepare-transaction',
    TRANS_STMT_COMMIT_PREPARED: 'commit-prepared',
    TRANS_STMT_ROLLBACK_PREPARED: 'rollback-prepared',
  };
  return kinds[node.kind];
}

const cases = [
  ['BEGIN', 'begin'],
  ['begin work', 'begin'],
  ['Begin Transaction Isolation Level Serializable, Read Only', 'begin'],
  ['BEGIN /* why */ ISOLATION LEVEL REPEATABLE READ', 'begin'],
  ['START TRANSACTION', 'begin'],
  ['start transaction read write', 'begin'],
  ['COMMIT', 'commit'],
  ['commit work', 'commit'],
  ['COMMIT AND NO CHAIN', 'commit'],
  ['COMMIT AND CHAIN', 'commit-chain'],
  ['commit transaction -- done\n and chain', 'commit-chain'],
  ['END', 'commit'],
  ['end transaction', 'commit'],
  ['END AND CHAIN', 'commit-chain'],
  ['ROLLBACK', 'rollback'],
  ['ROLLBACK WORK AND NO CHAIN', 'rollback'],
  ['ROLLBACK AND CHAIN', 'rollback-chain'],
  ['ABORT', 'rollback'],
  ['abort transaction and chain', 'rollback-chain'],
  ['SAVEPOINT sp1', 'savepoint'],
  ['RELEASE SAVEPOINT sp1', 'release'],
  ['release sp1', 'release'],
  ['ROLLBACK TO SAVEPOINT sp1', 'rollback-to'],
  ['rollback work to sp1', 'rollback-to'],
  ["PREPARE TRANSACTION 'gid-1'", 'prepare-transaction'],
  ["COMMIT PREPARED 'gid-1'", 'commit-prepared'],
  ["ROLLBACK PREPARED 'gid-1'", 'rollback-prepared'],
  ['PREPARE transaction AS SELECT 1', null],
  ['PREPARE q(int) AS SELECT $1', null],
  ['SET TRANSACTION ISOLATION LEVEL SERIALIZABLE', null],
  ["DO $$ BEGIN COMMIT; END $$", null],
  ['CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END', null],
  ["SELECT 'begin'", null],
  ['SELECT 1 AS "commit"', null],
  ['CREATE TABLE "begin" (endx int)', null],
];

test('isTransactionControl classifies statements as PostgreSQL does', () => {
  for (const [stmt, expected] of cases) {
    assert.is(isTransactionControl(stmt), expected, stmt);
    assert.is(pgControl(stmt), expected, `libpg-query on ${stmt}`);
  }
  assert.is(isTransactionControl('BEGIN ATOMIC'), null);
});

test('isTransactionControl agrees with PostgreSQL on every corpus statement', () => {
  let controls = 0;
  for (const file of readdirSync(corpusDir).filter((f) => f.endsWith('.sql'))) {
    for (const s of splitStatements(readFileSync(new URL(file, corpusDir), 'utf8'))) {
      const mine = isTransactionControl(s.text);
      assert.is(mine, pgControl(s.text), `${file}: ${s.text}`);
      if (mine) controls++;
    }
  }
  assert.ok(controls >= 10, 'the corpus exercises transaction control');
});

test('statements PostgreSQL refuses inside a transaction make the file run statement by statement', () => {
  const sql = '-- golang-migrate style, no directive\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_a ON t (a);\n';
  const plan = planExecution(sql, false);
  assert.is(plan.mode, 'statements');
  assert.is(plan.reason, 'cannot-run-in-transaction');
  assert.is(describeExecution(plan), 'statement by statement, no transaction (CREATE INDEX CONCURRENTLY cannot run inside one)');
  for (const [stmt, name] of [
    ['create unique index concurrently x on t(a)', 'CREATE UNIQUE INDEX CONCURRENTLY'],
    ['DROP INDEX CONCURRENTLY x', 'DROP INDEX CONCURRENTLY'],
    ['reindex (verbose) index concurrently x', 'REINDEX CONCURRENTLY'],
    ['vacuum analyze t', 'VACUUM'],
    ['alter system set work_mem = 1', 'ALTER SYSTEM'],
    ['create database x', 'CREATE DATABASE'],
  ]) assert.is(cannotRunInTransaction(stmt), name, stmt);
  for (const stmt of ['create index x on t(a)', 'drop index x', 'reindex index x', "select 'create index concurrently'", 'alter table t add column concurrently int']) {
    assert.is(cannotRunInTransaction(stmt), null, stmt);
  }
  // Inside a function body it is not top level.
  assert.is(planExecution("do $$ begin execute 'vacuum'; end $$;", false).mode, 'transaction');
});

test('a file without transaction control runs as one transaction, as written', () => {
  const sql = '-- fmig:parent 1\nCREATE TABLE a (id int);\nDO $$ BEGIN COMMIT; END $$;\n';
  const plan = planExecution(sql, false);
  assert.equal(plan, { mode: 'transaction', script: sql, statements: splitStatements(sql) });
  assert.is(describeExecution(plan), 'one transaction');
});

test('an empty or comment-only file is an empty transaction', () => {
  assert.equal(planExecution('', false), { mode: 'transaction', script: '', statements: [] });
  assert.equal(planExecution('-- fmig:parent 2\n/* nothing yet */\n', false), { mode: 'transaction', script: '', statements: [] });
});

test("a file wrapped in BEGIN … COMMIT runs in fmig's transaction, the pair blanked, lines kept", () => {
  const sql = '-- fmig:parent 1\nBEGIN;\nCREATE TABLE a (id int);\r\nINSERT INTO a VALUES (1);\nCOMMIT;\n';
  const plan = planExecution(sql, false);
  assert.is(plan.mode, 'transaction');
  assert.is(plan.script, '-- fmig:parent 1\n      \nCREATE TABLE a (id int);\r\nINSERT INTO a VALUES (1);\n       \n');
  assert.is(plan.script.length, sql.length);
  assert.equal(plan.ownTransaction, { modes: '' });
  assert.is(describeExecution(plan), "one transaction (the file's own BEGIN/COMMIT replaced by fmig's)");
});

test('the wrapping pair may be START TRANSACTION … END, with modes, comments and line breaks', () => {
  const sql = 'START TRANSACTION -- go\n  ISOLATION LEVEL SERIALIZABLE ;\nSELECT 1;\nEND AND NO CHAIN';
  const plan = planExecution(sql, false);
  assert.is(plan.mode, 'transaction');
  assert.is(plan.script, '                       \n                                \nSELECT 1;\n                ');
  assert.equal(plan.ownTransaction, { modes: 'ISOLATION LEVEL SERIALIZABLE' });
  // An astral character blanks to one space: PostgreSQL counts it as one character.
  const emoji = planExecution("BEGIN /* 😀 */;\nSELECT '😀';\nCOMMIT;", false);
  assert.is(emoji.script, "              \nSELECT '😀';\n       ");
  assert.equal(planExecution('begin work; select 1; commit work;', false).ownTransaction, { modes: '' });
  const modes = planExecution('BEGIN TRANSACTION ISOLATION LEVEL READ COMMITTED /* c */ , READ ONLY -- ro\n; SELECT 1; COMMIT', false);
  assert.equal(modes.ownTransaction, { modes: 'ISOLATION LEVEL READ COMMITTED, READ ONLY' });
});

test('a file holding CREATE INDEX CONCURRENTLY gets no opening transaction, whatever else it holds', () => {
  const sql = readFileSync(new URL('transactions.sql', corpusDir), 'utf8');
  const plan = planExecution(sql, false);
  assert.is(plan.mode, 'statements');
  assert.is(plan.reason, 'cannot-run-in-transaction');
  assert.is(plan.opening, false);
  assert.is(plan.statements.length, 16);
  assert.equal(plan.blocks, [
    { begin: 0, end: 6, opener: 'begin' },
    { begin: 8, end: 10, opener: 'begin' },
    { begin: 10, end: 12, opener: 'chain' },
    { begin: 13, end: 15, opener: 'begin' },
  ]);
  assert.is(plan.statements[7].text, 'CREATE INDEX CONCURRENTLY t1_id ON t1 (id)');
  assert.is(describeExecution(plan), 'statement by statement, no transaction (CREATE INDEX CONCURRENTLY cannot run inside one)');
});

test('any other transaction control runs the file as psql -1 does: a block is open before the first statement', () => {
  const shapes = [
    ['BEGIN; SELECT 1; SAVEPOINT s; SELECT 2; COMMIT;', [{ begin: 0, end: 4, opener: 'fmig' }], '1 transaction block (statements 1-5)'],
    ['SELECT 0; BEGIN; SELECT 1; COMMIT;', [{ begin: 0, end: 3, opener: 'fmig' }], '1 transaction block (statements 1-4)'],
    ['BEGIN; SELECT 1; COMMIT; SELECT 2;', [{ begin: 0, end: 2, opener: 'fmig' }], '1 transaction block (statements 1-3), statement 4 on its own'],
    ['BEGIN; SELECT 1; ROLLBACK;', [{ begin: 0, end: 2, opener: 'fmig' }], '1 transaction block (statements 1-3)'],
    ['SELECT 1; COMMIT; SELECT 2;', [{ begin: 0, end: 1, opener: 'fmig' }], '1 transaction block (statements 1-2), statement 3 on its own'],
    [
      'BEGIN; SELECT 1; COMMIT AND CHAIN;',
      [{ begin: 0, end: 2, opener: 'fmig' }, { begin: 2, end: 2, opener: 'chain', unterminated: true }],
      '2 transaction blocks (statements 1-3 and 3); the last block commits with the ledger row',
    ],
    [
      'BEGIN; SELECT 1; COMMIT; BEGIN; SELECT 2; COMMIT;',
      [{ begin: 0, end: 2, opener: 'fmig' }, { begin: 3, end: 5, opener: 'begin' }],
      '2 transaction blocks (statements 1-3 and 4-6)',
    ],
    [
      'A; B; COMMIT AND CHAIN; C; COMMIT AND CHAIN; D; E;',
      [{ begin: 0, end: 2, opener: 'fmig' }, { begin: 2, end: 4, opener: 'chain' }, { begin: 4, end: 6, opener: 'chain', unterminated: true }],
      '3 transaction blocks (statements 1-3, 3-5 and 5-7); the last block commits with the ledger row',
    ],
    ['SAVEPOINT a; SELECT 1; RELEASE a;', [{ begin: 0, end: 2, opener: 'fmig', unterminated: true }], '1 transaction block (statements 1-3); the last block commits with the ledger row'],
    ['A; COMMIT; B; C; BEGIN; D; COMMIT; E;', [{ begin: 0, end: 1, opener: 'fmig' }, { begin: 4, end: 6, opener: 'begin' }], '2 transaction blocks (statements 1-2 and 5-7), statements 3-4 and 8 on their own'],
  ];
  for (const [sql, blocks, described] of shapes) {
    const plan = planExecution(sql, false);
    assert.is(plan.mode, 'statements', sql);
    assert.is(plan.opening, true, sql);
    assert.is(plan.reason, 'own-transactions', sql);
    assert.equal(plan.blocks, blocks, sql);
    assert.is(describeExecution(plan), `as psql -1 runs it: ${described}`, sql);
  }
});

test('COMMIT AND CHAIN closes a block and opens the next at the same statement', () => {
  const plan = planExecution('BEGIN; A; COMMIT AND CHAIN; B; ROLLBACK AND CHAIN; C; COMMIT; D;', false);
  assert.equal(plan.blocks, [{ begin: 0, end: 2, opener: 'fmig' }, { begin: 2, end: 4, opener: 'chain' }, { begin: 4, end: 6, opener: 'chain' }]);
  // A failure in the chaining COMMIT loses the block it closes.
  assert.equal(blockAt(plan.blocks, 2), { begin: 0, end: 2, opener: 'fmig' });
  assert.equal(blockAt(plan.blocks, 3), { begin: 2, end: 4, opener: 'chain' });
  assert.is(blockAt(plan.blocks, 7), undefined);
});

test('a block the file never closes is marked unterminated; stray COMMITs open nothing', () => {
  assert.equal(findBlocks([null, 'begin', null, 'begin', null]), [{ begin: 1, end: 4, opener: 'begin', unterminated: true }]);
  assert.equal(findBlocks(['commit', 'savepoint', 'commit-chain', null]), []);
  assert.equal(findBlocks(['begin', null, 'prepare-transaction', 'commit-prepared']), [{ begin: 0, end: 2, opener: 'begin' }]);
  assert.equal(findBlocks([null, 'commit', 'commit', null], true), [{ begin: 0, end: 1, opener: 'fmig' }]);
  const stray = planExecution("SELECT 1; COMMIT PREPARED 'x';", false);
  assert.is(stray.mode, 'statements');
  assert.is(stray.opening, true);
  assert.equal(stray.blocks, [{ begin: 0, end: 1, opener: 'fmig', unterminated: true }]);
});

test('-- fmig:no-transaction runs statement by statement, with any blocks still found', () => {
  const plain = planExecution('-- fmig:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\nDROP INDEX CONCURRENTLY j;', true);
  assert.is(plain.mode, 'statements');
  assert.is(plain.reason, 'no-transaction');
  assert.is(plain.opening, false);
  assert.equal(plain.statements.map((s) => s.text), ['CREATE INDEX CONCURRENTLY i ON t (a)', 'DROP INDEX CONCURRENTLY j']);
  assert.equal(plain.blocks, []);
  assert.is(describeExecution(plain), 'statement by statement, no transaction (-- fmig:no-transaction)');
  const wrapped = planExecution('BEGIN; SELECT 1; COMMIT;', true);
  assert.is(wrapped.mode, 'statements');
  assert.equal(wrapped.blocks, [{ begin: 0, end: 2, opener: 'begin' }]);
  assert.is(describeExecution(wrapped), "statement by statement, no transaction (-- fmig:no-transaction), the file's own 1 transaction block");
});

test('COPY ... FROM stdin with data in the file runs statement by statement in one opened transaction', () => {
  const sql = 'CREATE TABLE t (a int, b text);\nCOPY public.t (a, b) FROM stdin;\n1\tone;two\n2\t\\N\n\\.\nSELECT 1;\n';
  const plan = planExecution(sql, false);
  assert.is(plan.mode, 'statements');
  assert.is(plan.reason, 'copy-data');
  assert.is(plan.opening, true);
  assert.equal(plan.blocks, [{ begin: 0, end: 2, opener: 'fmig', unterminated: true }]);
  assert.is(describeExecution(plan), 'one transaction, statement by statement (COPY data goes through the COPY protocol)');
});

test('PREPARE TRANSACTION takes any string constant as its id', () => {
  for (const stmt of ["PREPARE TRANSACTION U&'g\\0069d'", 'PREPARE TRANSACTION $$gid$$', 'PREPARE TRANSACTION $t$gid$t$', "PREPARE TRANSACTION E'g\\'id'"]) {
    assert.is(isTransactionControl(stmt), 'prepare-transaction', stmt);
    assert.is(pgControl(stmt), 'prepare-transaction', `libpg-query on ${stmt}`);
  }
  for (const stmt of ['PREPARE transaction (int) AS SELECT $1', 'prepare transaction as select 1']) {
    assert.is(isTransactionControl(stmt), null, stmt);
    assert.is(pgControl(stmt), null, `libpg-query on ${stmt}`);
  }
});

test('BEGIN inside DO blocks, functions and BEGIN ATOMIC bodies is not transaction control', () => {
  const sql = readFileSync(new URL('plpgsql.sql', corpusDir), 'utf8') + ';\n' + readFileSync(new URL('atomic.sql', corpusDir), 'utf8');
  assert.equal(planExecution(sql, false), { mode: 'transaction', script: sql, statements: splitStatements(sql) });
});

test("the blanked script runs inside a transaction, and the file's COMMIT no longer commits it", async () => {
  const db = await memoryPglite();
  try {
    const sql = "BEGIN;\nCREATE TABLE kept_out (id int);\nINSERT INTO kept_out VALUES (1);\nCOMMIT;\n";
    const plan = planExecution(sql, false);
    await db.exec('BEGIN');
    await db.exec(plan.script);
    assert.is((await db.query('SELECT count(*)::int AS n FROM kept_out')).rows[0].n, 1);
    await db.exec('ROLLBACK');
    const { rows } = await db.query("SELECT to_regclass('kept_out') AS t");
    assert.is(rows[0].t, null, 'rolling back fmig transaction undid the whole file');
    // Run as written, the file's own COMMIT would have ended the transaction early.
    await db.exec('BEGIN');
    await db.exec(sql);
    await db.exec('ROLLBACK');
    assert.is((await db.query("SELECT to_regclass('kept_out') AS t")).rows[0].t, 'kept_out');
  } finally {
    await db.close();
  }
});

test.run();
