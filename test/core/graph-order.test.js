// The graph as Alembic users expect it, on literal graphs: revert order from the graph (never
// from the order rows were written), `down <rev>` reverting exactly the applied descendants of
// <rev>, `up <rev>` on several heads, and second roots (`-- fmig:root`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RevisionGraph } from '../../dist/core/graph.js';
import { parseDownTarget, parseUpTarget, planDown, planUp, revertOrder } from '../../dist/core/plan.js';
import { parseDirectives } from '../../dist/core/directives.js';
import { parseFolder } from '../../dist/core/folder.js';
import { drawGraph } from '../../dist/core/history-graph.js';
import { loadHasher } from '../../dist/core/checksum.js';
import { GRAPHS, descendantsOf } from '../helpers/graphs.js';

const rowsOf = (g, ids = Object.keys(g)) => ids.map((id) => ({ revision: id, parents: g[id] }));

/** Fails unless no revision in `reverted` comes before one of its children. */
function childrenFirst(g, reverted, what) {
  reverted.forEach((id, i) => {
    for (const [c, ps] of Object.entries(g)) {
      if (ps.includes(id) && reverted.includes(c)) assert.ok(reverted.indexOf(c) < i, `${what}: ${c} (a child of ${id}) is reverted after it: ${reverted}`);
    }
  });
}

for (const [name, g] of Object.entries(GRAPHS)) {
  test(`${name}: down <rev> reverts exactly its applied descendants, children first, whatever the rows' order`, () => {
    const ids = Object.keys(g);
    // Rows in id order (as same-millisecond rows come back) and in reverse: the plan is the same.
    for (const rows of [rowsOf(g, [...ids].sort()), rowsOf(g, [...ids].sort().reverse())]) {
      for (const id of ids) {
        const reverted = planDown(rows, parseDownTarget(id));
        assert.equal(new Set(reverted), descendantsOf(g, id), `down ${id}`);
        childrenFirst(g, reverted, `down ${id}`);
      }
      const all = planDown(rows, parseDownTarget('base'));
      assert.equal(all.length, ids.length);
      childrenFirst(g, all, 'down base');
      for (let n = 1; n <= ids.length; n++) assert.equal(planDown(rows, parseDownTarget(`-${n}`)), all.slice(0, n), `down -${n}`);
    }
  });

  test(`${name}: revert order is the application order reversed`, () => {
    const graph = new RevisionGraph(Object.entries(g).map(([id, parents]) => ({ id, parents })));
    assert.equal(revertOrder(rowsOf(g)), [...graph.order()].reverse());
  });
}

test('the diamond, by hand: down 3 keeps 7; down 7 keeps 3; down 1 reverts all but 1', () => {
  const rows = rowsOf(GRAPHS.diamond);
  assert.equal(planDown(rows, parseDownTarget('3')), ['2', '5']);
  assert.equal(planDown(rows, parseDownTarget('7')), ['2', '5']);
  assert.equal(planDown(rows, parseDownTarget('5')), ['2']);
  assert.equal(planDown(rows, parseDownTarget('2')), []);
  assert.equal(planDown(rows, parseDownTarget('1')), ['2', '5', '7', '3']);
  assert.equal(planDown(rows, parseDownTarget('base')), ['2', '5', '7', '3', '1']);
  // With only part of it applied (5 and 2 reverted), the free revisions go highest first.
  assert.equal(planDown(rowsOf(GRAPHS.diamond, ['1', '3', '7']), parseDownTarget('-1')), ['7']);
  assert.equal(planDown(rowsOf(GRAPHS.diamond, ['1', '3', '7']), parseDownTarget('3')), []);
});

test('down: a recorded parent that is no longer applied does not hold its child back; a revision not applied is refused', () => {
  const rows = [
    { revision: '2', parents: ['1'] },
    { revision: '3', parents: ['2'] },
  ];
  assert.equal(planDown(rows, parseDownTarget('base')), ['3', '2']);
  assert.throws(() => planDown(rows, parseDownTarget('1')), /1 is not applied/);
});

test('down: a cycle in the recorded parents is a clear error, not a loop', () => {
  const rows = [
    { revision: '1', parents: ['2'] },
    { revision: '2', parents: ['1'] },
  ];
  try {
    planDown(rows, parseDownTarget('base'));
    assert.unreachable();
  } catch (e) {
    assert.is(e.exitCode, 1);
    assert.match(e.message, 'cycle');
  }
});

test('up <rev> on two heads: the revision and its unapplied ancestors, nothing of the other head', () => {
  const g = new RevisionGraph([
    { id: '1', parents: [] },
    { id: '2', parents: ['1'] },
    { id: '3', parents: ['1'] },
    { id: '4', parents: ['3'] },
  ]);
  assert.equal(g.heads(), ['2', '4']);
  assert.equal(planUp(g, new Set(), parseUpTarget('4')), ['1', '3', '4']);
  assert.equal(planUp(g, new Set(['1', '2']), parseUpTarget('4')), ['3', '4']);
  assert.equal(planUp(g, new Set(['1', '3']), parseUpTarget('2')), ['2']);
});

test('-- fmig:root: parsed as no parents; refused with parent, with arguments, in a down file', () => {
  assert.equal(parseDirectives('-- fmig:root\ncreate table a ();\n', 'up'), { directives: { parents: [], noTransaction: false }, problems: [] });
  assert.equal(parseDirectives('-- a second root\n--fmig:root\n-- fmig:no-transaction\n', 'up').directives, { parents: [], noTransaction: true });
  const problem = (text, direction = 'up') => parseDirectives(text, direction).problems;
  assert.equal(problem('-- fmig:root\n-- fmig:parent 1\n'), [
    { code: 'bad-directive', message: 'lines 1 and 2: -- fmig:root and -- fmig:parent contradict each other (a root has no parent); keep one' },
  ]);
  assert.equal(problem('-- fmig:parent 1\n-- fmig:root\n')[0].code, 'bad-directive');
  assert.equal(problem('-- fmig:root 1\n'), [{ code: 'bad-directive', message: 'line 1: -- fmig:root takes no arguments (a revision to follow goes in -- fmig:parent)' }]);
  assert.equal(problem('-- fmig:root\ndrop table a;\n', 'down'), [{ code: 'parent-in-down', message: 'line 1: -- fmig:root belongs in the up file, not the down file' }]);
  assert.match(problem('-- fmig:rot\n')[0].message, 'did you mean "-- fmig:root"?');
  // Below the first line of SQL it is an ordinary comment.
  assert.equal(parseDirectives('select 1;\n-- fmig:root\n', 'up').directives.parents, null);
});

const enc = new TextEncoder();
const folderOf = (files) => parseFolder(Object.entries(files).map(([name, text]) => ({ name, bytes: enc.encode(text) })), hash);
const hash = await loadHasher();

test('-- fmig:root in a folder: a second root, joined later by a merge; errors name the file', () => {
  const f = folderOf({
    '1_a.up.sql': 'create table a ();\n',
    '2_b.up.sql': 'create table b ();\n',
    '3_c.up.sql': '-- fmig:root\ncreate table c ();\n',
    '4_d.up.sql': 'create table d ();\n',
    '5_m.up.sql': '-- fmig:parent 2 4\n',
  });
  assert.equal(f.graph.roots(), ['1', '3']);
  assert.equal(f.graph.heads(), ['5']);
  assert.equal(f.byId.get('3').parents, []);
  assert.equal(f.byId.get('4').parents, ['3'], 'the next revision follows the root, as usual');
  assert.equal(f.graph.order(), ['1', '2', '3', '4', '5']);

  for (const [files, pattern] of [
    [{ '1_a.up.sql': 'select 1;\n', '2_b.up.sql': '-- fmig:root\n-- fmig:parent 1\n' }, /2_b\.up\.sql: lines 1 and 2: -- fmig:root and -- fmig:parent contradict/],
    [{ '1_a.up.sql': 'select 1;\n', '2_b.up.sql': '-- fmig:root\n', '2_b.down.sql': '-- fmig:root\n' }, /2_b\.down\.sql: line 1: -- fmig:root belongs in the up file/],
  ]) {
    try {
      folderOf(files);
      assert.unreachable();
    } catch (e) {
      assert.is(e.exitCode, 2);
      assert.match(e.message, pattern);
    }
  }
});

const n = (id, ...parents) => ({ id, parents, label: id });

test('history drawing: two roots merged, and two roots apart (an empty row keeps them from looking joined)', () => {
  assert.is(
    drawGraph([n('5', '2', '4'), n('4', '3'), n('3'), n('2', '1'), n('1')]).join('\n'),
    ['*   5', '|\\', '| * 4', '| * 3', '* 2', '* 1'].join('\n'),
  );
  assert.is(drawGraph([n('4', '3'), n('3'), n('2', '1'), n('1')]).join('\n'), ['* 4', '* 3', '', '* 2', '* 1'].join('\n'));
  assert.is(
    drawGraph([n('6', '1'), n('4', '3'), n('3'), n('2', '1'), n('1')]).join('\n'),
    ['* 6', '| * 4', '| * 3', '|', '| * 2', '|/', '* 1'].join('\n'),
  );
});

test.run();
