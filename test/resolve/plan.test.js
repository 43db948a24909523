// The pure part of `fmig resolve`: which revisions move, their new ids and parents, and the
// edit of the `-- fmig:parent` line. Graphs are built from literals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RevisionGraph } from '../../dist/core/graph.js';
import { planRebase, planMerge, setParentLine, hasConflictMarkers } from '../../dist/core/resolve-plan.js';

const now = new Date(Date.UTC(2026, 4, 6, 7, 8, 9));

/** rows: [id, slug, parents | null (implied by id order)] in any order. */
function folder(rows) {
  const sorted = [...rows].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const revisions = sorted.map(([id, slug, parents], i) => ({
    id,
    slug,
    parents: parents ?? (i === 0 ? [] : [sorted[i - 1][0]]),
    explicitParents: parents !== null,
    upName: `${id}_${slug}.up.sql`,
    downName: `${id}_${slug}.down.sql`,
    upText: parents ? `-- fmig:parent ${parents.join(' ')}\ncreate table t${id} ();\n` : `create table t${id} ();\n`,
  }));
  return { revisions, graph: new RevisionGraph(revisions) };
}

const none = new Set();

test('a moved revision whose id sorts before the kept head gets the next sequence number and the kept head as parent', () => {
  const f = folder([
    ['000001', 'base', null],
    ['000002', 'b', ['000001']],
    ['000003', 'a', ['000001']],
  ]);
  const { plan, refusals } = planRebase({ ...f, heads: ['000003', '000002'], published: new Set(['000001', '000003']), applied: none, now });
  assert.equal(refusals, []);
  assert.equal(plan.kept, '000003');
  assert.equal(plan.moved, ['000002']);
  assert.equal(plan.renames, [
    { revision: '000002', newId: '000004', files: [['000002_b.up.sql', '000004_b.up.sql'], ['000002_b.down.sql', '000004_b.down.sql']] },
  ]);
  assert.equal(plan.edits.map(({ file, parents, text }) => ({ file, parents, text })), [
    { file: '000004_b.up.sql', parents: ['000003'], text: '-- fmig:parent 000003\ncreate table t000002 ();\n' },
  ]);
});

test('a moved revision that already sorts after the kept head keeps its id; only its parent line changes', () => {
  const f = folder([
    ['000001', 'base', null],
    ['000002', 'a', ['000001']],
    ['000003', 'b', ['000001']],
  ]);
  const { plan } = planRebase({ ...f, heads: ['000002', '000003'], published: none, applied: none, now });
  assert.equal(plan.renames, []);
  assert.equal(plan.edits.map((e) => [e.file, e.parents]), [['000003_b.up.sql', ['000002']]]);
});

test('a moved chain is renamed in order; revisions that follow by id order need no new line', () => {
  const f = folder([
    ['000001', 'base', null],
    ['000002', 'b1', ['000001']],
    ['000003', 'b2', null],
    ['000004', 'a', ['000001']],
  ]);
  const { plan } = planRebase({ ...f, heads: ['000004', '000003'], published: none, applied: none, now });
  assert.equal(plan.moved, ['000002', '000003']);
  assert.equal(plan.renames.map((r) => [r.revision, r.newId]), [['000002', '000005'], ['000003', '000006']]);
  // 000006 follows 000005 by id order, which is what it should follow: its file is left alone.
  assert.equal(plan.edits.map((e) => [e.file, e.parents]), [['000005_b1.up.sql', ['000004']]]);
});

test('an explicit parent that was renamed is rewritten to the new id', () => {
  const f = folder([
    ['000001', 'base', null],
    ['000002', 'b1', ['000001']],
    ['000003', 'a', ['000001']],
    ['000004', 'b2', ['000002']],
  ]);
  const { plan } = planRebase({ ...f, heads: ['000003', '000004'], published: none, applied: none, now });
  assert.equal(plan.renames.map((r) => [r.revision, r.newId]), [['000002', '000005'], ['000004', '000006']]);
  assert.equal(plan.edits.map((e) => [e.file, e.parents]), [
    ['000005_b1.up.sql', ['000003']],
    ['000006_b2.up.sql', ['000005']],
  ]);
});

test('three heads are put in one line in the given order', () => {
  const f = folder([
    ['000001', 'base', null],
    ['000002', 'b', ['000001']],
    ['000003', 'c', ['000001']],
    ['000004', 'a', ['000001']],
  ]);
  const { plan } = planRebase({ ...f, heads: ['000004', '000002', '000003'], published: none, applied: none, now });
  assert.equal(plan.renames.map((r) => [r.revision, r.newId]), [['000002', '000005'], ['000003', '000006']]);
  assert.equal(plan.edits.map((e) => [e.file, e.parents]), [
    ['000005_b.up.sql', ['000004']],
    ['000006_c.up.sql', ['000005']],
  ]);
});

test('timestamp ids get the UTC time, or the highest id plus one when that is not higher', () => {
  const f = folder([
    ['20260101000000', 'base', null],
    ['20260102000000', 'b', ['20260101000000']],
    ['20260103000000', 'a', ['20260101000000']],
  ]);
  const { plan } = planRebase({ ...f, heads: ['20260103000000', '20260102000000'], published: none, applied: none, now });
  assert.equal(plan.renames[0].newId, '20260506070809');
  const early = planRebase({ ...f, heads: ['20260103000000', '20260102000000'], published: none, applied: none, now: new Date(Date.UTC(2020, 0, 1)) });
  assert.equal(early.plan.renames[0].newId, '20260103000001');
});

test('rebase is refused for a moved revision that is published or applied, naming each', () => {
  const f = folder([
    ['000001', 'base', null],
    ['000002', 'b1', ['000001']],
    ['000003', 'b2', null],
    ['000004', 'a', ['000001']],
  ]);
  const { refusals } = planRebase({ ...f, heads: ['000004', '000003'], published: new Set(['000002']), applied: new Set(['000003']), now });
  assert.equal(refusals, [
    { revision: '000002', reason: 'published' },
    { revision: '000003', reason: 'applied' },
  ]);
  // The kept side may be published and applied: it does not move.
  const kept = planRebase({ ...f, heads: ['000004', '000003'], published: new Set(['000001', '000004']), applied: new Set(['000001', '000004']), now });
  assert.equal(kept.refusals, []);
});

test('a merge revision has all heads as parents, the next id, and empty files', () => {
  const m = planMerge(['000001', '000002', '000003'], ['000003', '000002'], now);
  assert.equal(m, {
    revision: '000004',
    slug: 'merge_000003_000002',
    parents: ['000003', '000002'],
    up: { name: '000004_merge_000003_000002.up.sql', text: '-- fmig:parent 000003 000002\n' },
    down: { name: '000004_merge_000003_000002.down.sql', text: '' },
  });
});

test('setParentLine rewrites the parent line and nothing else', () => {
  const text = '-- Adds b.\n-- fmig:parent 000001\n-- fmig:no-transaction\n\nCREATE TABLE b ();  \n-- fmig:parent 000009 (a comment in the SQL)\n';
  assert.is(
    setParentLine(text, ['000003']),
    '-- Adds b.\n-- fmig:parent 000003\n-- fmig:no-transaction\n\nCREATE TABLE b ();  \n-- fmig:parent 000009 (a comment in the SQL)\n',
  );
});

test('setParentLine keeps CRLF line endings and a BOM, and adds a line at the top where there is none', () => {
  assert.is(setParentLine('\uFEFF-- fmig:parent 1 2\r\nselect 1;\r\n', ['7']), '\uFEFF-- fmig:parent 7\r\nselect 1;\r\n');
  assert.is(setParentLine('\uFEFFselect 1;\r\n', ['7']), '\uFEFF-- fmig:parent 7\r\nselect 1;\r\n');
  assert.is(setParentLine('create table x ();\n', ['000003']), '-- fmig:parent 000003\ncreate table x ();\n');
  assert.is(setParentLine('', ['000003']), '-- fmig:parent 000003\n');
  // A second parent line in the header would add parents: it goes.
  assert.is(setParentLine('-- fmig:parent 1\n-- fmig:parents 2\nselect 1;\n', ['3']), '-- fmig:parent 3\nselect 1;\n');
});

test('conflict markers are found at line starts only', () => {
  assert.ok(hasConflictMarkers('select 1;\n<<<<<<< HEAD\nselect 2;\n=======\nselect 3;\n>>>>>>> b\n'));
  assert.ok(hasConflictMarkers('>>>>>>> theirs\n'));
  assert.not.ok(hasConflictMarkers("select '<<<<<<< not a marker';\n-- =======\n"));
});

test.run();
