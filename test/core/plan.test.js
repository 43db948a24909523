import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RevisionGraph } from '../../dist/core/graph.js';
import { parseDownTarget, parseUpTarget, planDown, planUp } from '../../dist/core/plan.js';
import { nextRevisionId, slugify } from '../../dist/core/new-id.js';
import { compareIds } from '../../dist/core/names.js';

const graph = new RevisionGraph([
  { id: '1', parents: [] },
  { id: '2', parents: ['1'] },
  { id: '3', parents: ['1'] },
  { id: '4', parents: ['2', '3'] },
  { id: '5', parents: ['4'] },
]);

test('up: head, +N, and a revision with its ancestors only', () => {
  assert.equal(planUp(graph, new Set(['1']), parseUpTarget(undefined)), ['2', '3', '4', '5']);
  assert.equal(planUp(graph, new Set(['1']), parseUpTarget('+2')), ['2', '3']);
  assert.equal(planUp(graph, new Set(), parseUpTarget('3')), ['1', '3']);
  assert.equal(planUp(graph, new Set(['1', '2', '3', '4', '5']), parseUpTarget('head')), []);
});

test('down: -N newest first, to a revision (it stays applied, its descendants go), base', () => {
  const applied = [
    { revision: '1', parents: [] },
    { revision: '2', parents: ['1'] },
    { revision: '3', parents: ['1'] },
    { revision: '4', parents: ['2', '3'] },
  ];
  assert.equal(planDown(applied, parseDownTarget(undefined)), ['4']);
  assert.equal(planDown(applied, parseDownTarget('-3')), ['4', '3', '2']);
  assert.equal(planDown(applied, parseDownTarget('2')), ['4'], '3 does not descend from 2: it stays');
  assert.equal(planDown(applied, parseDownTarget('base')), ['4', '3', '2', '1']);
  assert.equal(planDown(applied, parseDownTarget('-9')), ['4', '3', '2', '1']);
  assert.throws(() => planDown(applied, parseDownTarget('5')), /not applied/);
});

test('bad targets are usage errors (exit 2)', () => {
  for (const [fn, arg] of [[parseUpTarget, '-1'], [parseUpTarget, 'x-y'], [parseDownTarget, '+1']]) {
    try {
      fn(arg);
      assert.unreachable();
    } catch (e) {
      assert.is(e.exitCode, 2);
    }
  }
});

test('new ids: next sequence number at the same width, else UTC timestamps', () => {
  const now = new Date(Date.UTC(2026, 10, 25, 12, 34, 56));
  assert.is(nextRevisionId(['000041', '000042'], now), '000043');
  assert.is(nextRevisionId(['9'], now), '10');
  assert.is(nextRevisionId([], now), '20261125123456');
  assert.is(nextRevisionId(['20261125123450'], now), '20261125123456');
  assert.is(nextRevisionId(['20991231000000'], now), '20991231000001');
  assert.is(nextRevisionId(['20261125123456'], now), '20261125123457');
  assert.is(slugify('Add invoices: 2nd try!'), 'add_invoices_2nd_try');
});

test('compareIds: numeric for digits, code point otherwise', () => {
  assert.ok(compareIds('9', '10') < 0);
  assert.ok(compareIds('010', '9') > 0);
  assert.ok(compareIds('a', 'B') > 0);
  assert.ok(compareIds('1', '01') !== 0);
});

test.run();
