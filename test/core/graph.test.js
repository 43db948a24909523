import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RevisionGraph, GraphError } from '../../dist/core/graph.js';

const g = (spec) => new RevisionGraph(Object.entries(spec).map(([id, parents]) => ({ id, parents })));

test('a chain has one head and one root, in order', () => {
  const graph = g({ 1: [], 2: ['1'], 3: ['2'] });
  assert.equal(graph.heads(), ['3']);
  assert.equal(graph.roots(), ['1']);
  assert.equal(graph.order(), ['1', '2', '3']);
  assert.is(graph.kind('1'), 'base');
  assert.is(graph.kind('3'), 'head');
});

test('two branches on one parent are two heads; parents before children, lower id first', () => {
  const graph = g({ a: [], c: ['a'], b: ['a'], d: ['c'] });
  assert.equal(graph.heads(), ['b', 'd']);
  assert.equal(graph.order(), ['a', 'b', 'c', 'd']);
  assert.is(graph.kind('a'), 'branch-point');
});

test('a merge with seven parents joins every branch', () => {
  const spec = { 0: [] };
  for (let i = 1; i <= 7; i++) spec[i] = ['0'];
  spec[8] = ['1', '2', '3', '4', '5', '6', '7'];
  const graph = g(spec);
  assert.equal(graph.heads(), ['8']);
  assert.is(graph.kind('8'), 'merge');
  assert.equal(graph.order(), ['0', '1', '2', '3', '4', '5', '6', '7', '8']);
  assert.equal([...graph.ancestors('8')].sort(), ['0', '1', '2', '3', '4', '5', '6', '7']);
  assert.equal([...graph.descendants('0')].sort(), ['1', '2', '3', '4', '5', '6', '7', '8']);
});

test('ids compare numerically when all digits, also past 2^64', () => {
  const graph = g({ '10': [], '9': [], '100000000000000000000': [], '99999999999999999999': [] });
  assert.equal(graph.order(), ['9', '10', '99999999999999999999', '100000000000000000000']);
});

test('an unknown parent is an error naming the revision and the parent', () => {
  try {
    g({ 1: [], 2: ['7'] });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, GraphError);
    assert.is(e.problems[0].code, 'unknown-parent');
    assert.equal(e.problems[0].ids, ['2']);
    assert.is(e.problems[0].parent, '7');
  }
});

test('a cycle is an error listing the revisions in it', () => {
  try {
    g({ 1: [], 2: ['1', '4'], 3: ['2'], 4: ['3'] });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, GraphError);
    assert.is(e.problems.length, 1);
    assert.is(e.problems[0].code, 'cycle');
    assert.equal(e.problems[0].ids, ['2', '3', '4']);
  }
});

test('the same nodes in any input order give the same application order', () => {
  const nodes = [
    { id: '5', parents: ['2', '3'] },
    { id: '1', parents: [] },
    { id: '3', parents: ['1'] },
    { id: '2', parents: ['1'] },
    { id: '4', parents: ['2'] },
  ];
  const a = new RevisionGraph(nodes).order();
  const b = new RevisionGraph([...nodes].reverse()).order();
  assert.equal(a, ['1', '2', '3', '4', '5']);
  assert.equal(a, b);
});

test('10,000 revisions in a chain', () => {
  const nodes = Array.from({ length: 10000 }, (_, i) => ({ id: String(i + 1), parents: i ? [String(i)] : [] }));
  const graph = new RevisionGraph(nodes);
  assert.equal(graph.heads(), ['10000']);
  assert.is(graph.order().length, 10000);
});

test.run();
