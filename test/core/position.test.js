import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryPglite } from '../helpers/databases.js';
import { locate, caret, lineOf, offsetOf } from '../../dist/core/position.js';
import { splitStatements } from '../../dist/core/split.js';
import { planExecution } from '../../dist/core/transactions.js';

test('locate: first line, first and last character', () => {
  assert.equal(locate('select 1', 1), { line: 1, column: 1, lineText: 'select 1' });
  assert.equal(locate('select 1', 8), { line: 1, column: 8, lineText: 'select 1' });
});

test('locate: LF, CRLF and lone CR each end one line; lineText has no line break', () => {
  const text = 'a\nbb\r\nccc\rdddd';
  assert.equal(locate(text, 3), { line: 2, column: 1, lineText: 'bb' });
  assert.equal(locate(text, 7), { line: 3, column: 1, lineText: 'ccc' });
  assert.equal(locate(text, 11), { line: 4, column: 1, lineText: 'dddd' });
  assert.equal(locate(text, 14), { line: 4, column: 4, lineText: 'dddd' });
});

test('locate: a position on a line break points just past the line', () => {
  const text = 'ab\r\ncd';
  assert.equal(locate(text, 3), { line: 1, column: 3, lineText: 'ab' });
  assert.equal(locate(text, 4), { line: 1, column: 3, lineText: 'ab' });
});

test('locate: positions count code points, so emoji before the error count once', () => {
  const text = "select '😀🎉', 'é'\n     , nosuch";
  const position = [...text].indexOf('n') + 1;
  assert.equal(locate(text, position), { line: 2, column: 8, lineText: '     , nosuch' });
  const sameLine = "select '😀😀' as a, nosuch";
  assert.is(locate(sameLine, [...sameLine].indexOf('n') + 1).column, 19);
  assert.is(offsetOf(sameLine, 19), sameLine.indexOf('nosuch'));
});

test('locate: a position beyond the text lands after its last character', () => {
  assert.equal(locate('ab\ncd', 99), { line: 2, column: 3, lineText: 'cd' });
  assert.equal(locate('', 1), { line: 1, column: 1, lineText: '' });
  // PostgreSQL's "at end of input" counts trailing line breaks; the caret goes after the last character.
  assert.equal(locate('SELECT 1 +\r\n\n', 13), { line: 1, column: 11, lineText: 'SELECT 1 +' });
  assert.equal(locate('x;\nSELECT 1 +', 11, 3), { line: 2, column: 11, lineText: 'SELECT 1 +' });
});

test('locate: with an offset, the position counts from a statement starting mid-file', () => {
  const file = "-- 😀 header\r\nselect 1;\r\nselect '🎉',\r\n  nosuch;\r\n";
  const stmt = splitStatements(file)[1];
  const position = [...stmt.text].indexOf('n') + 1;
  assert.equal(locate(file, position, stmt.start), { line: 4, column: 3, lineText: '  nosuch;' });
  assert.is(locate(file, 1, stmt.start).line, 3);
});

test('lineOf: the line of a JS offset, CRLF counted once', () => {
  const file = 'a\r\nb\nc\rd';
  assert.is(lineOf(file, 0), 1);
  assert.is(lineOf(file, file.indexOf('b')), 2);
  assert.is(lineOf(file, file.indexOf('c')), 3);
  assert.is(lineOf(file, file.indexOf('d')), 4);
  assert.is(lineOf(file, 2), 1, 'the \\n of a CRLF is still on its line');
});

test('caret: a ^ under the column, tabs kept, astral characters one column', () => {
  assert.is(caret('select nosuch', 8), 'select nosuch\n       ^');
  assert.is(caret('\tselect\t nosuch', 10), '\tselect\t nosuch\n\t      \t ^');
  assert.is(caret("'😀', x", 6), "'😀', x\n     ^");
  assert.is(caret('ab', 3), 'ab\n  ^');
  assert.is(caret('', 1), '\n^');
});

/** PostgreSQL's error position for `sql`, from a real server. */
async function pgPosition(db, sql) {
  try {
    await db.exec(sql);
  } catch (e) {
    return Number(e.position);
  }
  throw new Error(`expected ${sql} to fail`);
}

test("real PostgreSQL positions map to the file's line and column", async () => {
  const db = await memoryPglite();
  try {
    // A file read with its BOM already dropped, CRLF line endings, emoji before the error.
    const file = "-- 😀 a comment\r\nSELECT '🎉🎉' AS party,\r\n\t'é' AS e,\r\n\tnosuch_column;\r\n";
    const whole = locate(file, await pgPosition(db, file));
    assert.equal(whole, { line: 4, column: 2, lineText: '\tnosuch_column;' });
    assert.is(caret(whole.lineText, whole.column), '\tnosuch_column;\n\t^');

    // Statement by statement: the position counts from the statement's first character.
    const multi = "SELECT 1;\nSELECT '😀' AS x,\n  y_missing\r\n;\nSELECT 2;";
    const stmt = splitStatements(multi)[1];
    const pos = await pgPosition(db, stmt.text);
    assert.equal(locate(multi, pos, stmt.start), { line: 3, column: 3, lineText: '  y_missing' });
    assert.is(lineOf(multi, stmt.start), 2);

    // An error at the very last character, and one at the end of input, just past it.
    const last = "SELECT '😀' || x";
    assert.equal(locate(last, await pgPosition(db, last)), { line: 1, column: 15, lineText: last });
    const eof = 'SELECT 1 +\n';
    assert.equal(locate(eof, await pgPosition(db, eof)), { line: 1, column: 11, lineText: 'SELECT 1 +' });

    // A wrapped file's blanked script keeps positions: same line and column in the original.
    const wrapped = "BEGIN /* 😀 */;\r\nCREATE TABLE w (id int);\r\nINSERT INTO w VALUES ('🎉', bad_col);\r\nCOMMIT;\r\n";
    const plan = planExecution(wrapped, false);
    await db.exec('BEGIN');
    const inScript = await pgPosition(db, plan.script);
    await db.exec('ROLLBACK');
    assert.equal(locate(wrapped, inScript), { line: 3, column: 28, lineText: "INSERT INTO w VALUES ('🎉', bad_col);" });
  } finally {
    await db.close();
  }
});

test.run();
