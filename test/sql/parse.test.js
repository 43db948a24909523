import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseStatements, nodeType } from '../../dist/sql/parse.js';

test('each statement of a file is parsed on its own, with its line and column', async () => {
  const sql = 'create table a (x int);\n\n  create index concurrently i on a (x);\nselec 1;\ncopy a from stdin;\n1\n\\.\n';
  const r = await parseStatements(sql);
  assert.equal(r.map((s) => [s.line, s.column, nodeType(s) ?? null]), [
    [1, 1, 'CreateStmt'],
    [3, 3, 'IndexStmt'],
    [4, 1, null],
    [5, 1, 'CopyStmt'],
  ]);
  assert.match(r[2].error, /syntax error at or near "selec"/);
  assert.is(r[1].node.IndexStmt.concurrent, true);
});

test('an empty file has no statements', async () => {
  assert.equal(await parseStatements('-- nothing\n'), []);
});

test.run();
