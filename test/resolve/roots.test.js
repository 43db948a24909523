// `fmig resolve`'s plan on graphs with a second root (`-- fmig:root`): the moved side's root
// gets a parent line in place of its root line, never both.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadHasher } from '../../dist/core/checksum.js';
import { parseFolder } from '../../dist/core/folder.js';
import { planRebase, setParentLine } from '../../dist/core/resolve-plan.js';

const hash = await loadHasher();
const enc = new TextEncoder();
const now = new Date(Date.UTC(2026, 4, 6, 7, 8, 9));

const FILES = {
  '000001_base.up.sql': 'create table base ();\n',
  '000002_a.up.sql': '-- fmig:parent 000001\ncreate table a ();\n',
  '000003_r.up.sql': '-- an independent line of work\n-- fmig:root\ncreate table r ();\n',
  '000004_s.up.sql': 'create table s ();\n',
};

const parse = (files) => parseFolder(Object.entries(files).map(([name, text]) => ({ name, bytes: enc.encode(text) })), hash);

/** The plan's input from a parsed folder. */
function input(folder, heads) {
  const revisions = folder.revisions.map((r) => ({ ...r, upName: r.up.name, downName: null, upText: r.up.text }));
  return { revisions, graph: folder.graph, heads, published: new Set(), applied: new Set(), now };
}

/** The folder after the plan's renames and edits. */
function after(files, plan) {
  const out = { ...files };
  for (const r of plan.renames) for (const [from, to] of r.files) (out[to] = out[from]), delete out[from];
  for (const e of plan.edits) out[e.file] = e.text;
  return out;
}

test('setParentLine replaces a root line, and writes one for no parents', () => {
  assert.is(setParentLine('-- note\n-- fmig:root\nselect 1;\n', ['7']), '-- note\n-- fmig:parent 7\nselect 1;\n');
  assert.is(setParentLine('-- fmig:parent 1\n-- fmig:root\nselect 1;\n', ['7']), '-- fmig:parent 7\nselect 1;\n');
  assert.is(setParentLine('-- fmig:parent 1\nselect 1;\n', []), '-- fmig:root\nselect 1;\n');
});

test('two roots, two heads: the second root moves onto the kept head, its root line becoming a parent line', () => {
  const folder = parse(FILES);
  assert.equal(folder.graph.roots(), ['000001', '000003']);
  assert.equal(folder.graph.heads(), ['000002', '000004']);
  const { plan, refusals } = planRebase(input(folder, ['000002', '000004']));
  assert.equal(refusals, []);
  assert.equal(plan.moved, ['000003', '000004']);
  assert.equal(plan.renames, []);
  assert.equal(plan.edits.map((e) => [e.file, e.text]), [['000003_r.up.sql', '-- an independent line of work\n-- fmig:parent 000002\ncreate table r ();\n']]);
  const merged = parse(after(FILES, plan));
  assert.equal(merged.graph.heads(), ['000004']);
  assert.equal(merged.graph.order(), ['000001', '000002', '000003', '000004']);
});

test('two roots, two heads, the first root moved: renamed after the kept head, which keeps its root line', () => {
  const folder = parse(FILES);
  const { plan } = planRebase(input(folder, ['000004', '000002']));
  assert.equal(plan.moved, ['000001', '000002']);
  assert.equal(plan.renames.map((r) => [r.revision, r.newId]), [['000001', '000005'], ['000002', '000006']]);
  const merged = parse(after(FILES, plan));
  assert.equal(merged.graph.roots(), ['000003']);
  assert.equal(merged.graph.heads(), ['000006']);
  assert.equal(merged.graph.order(), ['000003', '000004', '000005', '000006']);
});

test.run();
