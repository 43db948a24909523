// `fmig history`: the graph of this repository's own sql/ folder (a branch and its merge),
// drawn newest first, with what the database has applied.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drawGraph } from '../dist/core/history-graph.js';
import { forEachTarget } from './helpers/databases.js';
import { cleanup, makeRepo, tempDir } from './helpers/git.js';

const SQL = fileURLToPath(new URL('../sql', import.meta.url));

async function project() {
  const dir = await tempDir('fmig-history-');
  cpSync(SQL, path.join(dir, 'sql'), { recursive: true });
  writeFileSync(path.join(dir, 'migrate.toml'), 'dir = "sql"\n');
  return makeRepo(dir);
}

const EXPECTED = `\
* 000012 matching_indexes (pending)
* 000011 inbox_and_balance_views (pending)
* 000010 apply_category_rules (pending)
* 000009 touch_updated_at (pending)
*   000008 merge_categories_and_matches (pending)
|\\
| * 000007 matches (applied)
* | 000006 categories (pending)
|/
* 000005 attachments (applied)
* 000004 inbox_items (applied)
* 000003 transactions (applied)
* 000002 accounts (applied)
* 000001 institutions (applied)
`;

forEachTarget('history', (test, { fresh }) => {
  test.after(cleanup);

  test('draws the sql/ folder with its branch and merge, marking what is applied', async () => {
    const repo = await project();
    const { url } = await fresh();
    const up = await repo.fmig('up', '000007', '--url', url);
    assert.is(up.code, 0, up.stderr);
    const r = await repo.fmig('history', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, EXPECTED);

    const j = await repo.fmig('history', '--json', '--url', url);
    assert.is(j.code, 0, j.stderr);
    assert.equal(j.json.revisions.map((x) => x.revision), ['000012', '000011', '000010', '000009', '000008', '000007', '000006', '000005', '000004', '000003', '000002', '000001']);
    assert.equal(j.json.revisions[4], { revision: '000008', slug: 'merge_categories_and_matches', parents: ['000006', '000007'], applied: false });
    assert.equal(j.json.revisions[5], { revision: '000007', slug: 'matches', parents: ['000005'], applied: true });
    assert.equal(j.json.revisions[11], { revision: '000001', slug: 'institutions', parents: [], applied: true });
  });
});

test('with no database reached: the drawing without markers, applied null, and no embedded database created', async () => {
  const repo = await project();
  const r = await repo.fmig('history');
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, EXPECTED.replace(/ \((applied|pending)\)/g, ''));
  const j = await repo.fmig('history', '--json');
  assert.ok(j.json.revisions.every((x) => x.applied === null));
  assert.not.ok(existsSync(path.join(repo.dir, '.fmig')), 'history must not create the embedded database');
  await cleanup();
});

test('an unreachable server is a warning: the graph is still drawn, applied null', async () => {
  const repo = await project();
  const r = await repo.fmig('history', '--json', '--url', 'postgres://nobody@127.0.0.1:1/none');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /could not connect/);
  assert.ok(r.json.revisions.every((x) => x.applied === null));
  await cleanup();
});

const n = (id, ...parents) => ({ id, parents, label: id });

test('two heads on one parent are drawn side by side and join', () => {
  assert.is(drawGraph([n('h2', 'b'), n('h1', 'a'), n('b', 'a'), n('a')]).join('\n'), ['* h2', '| * h1', '* | b', '|/', '* a'].join('\n'));
});

test('a merge of four parents is drawn like git: *---. and a fan', () => {
  const lines = drawGraph([n('M', 'a', 'b', 'c', 'd'), n('d', 'r'), n('c', 'r'), n('b', 'r'), n('a', 'r'), n('r')]);
  assert.equal(lines, ['*---.   M', '|\\ \\ \\', '| | | * d', '| | * | c', '| | |/', '| * | b', '| |/', '* | a', '|/', '* r']);
});

test('a merge of seven parents with a line to its right: the line makes room, every parent gets a lane', () => {
  const ps = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'];
  const lines = drawGraph([n('T', 'M', 'Y'), n('M', ...ps), n('Y', 'r'), ...ps.map((p) => n(p, 'r')), n('r')]);
  assert.equal(lines, [
    '*   T',
    '|\\',
    '|  \\',
    '|    \\',
    '|      \\',
    '|        \\',
    '|          \\',
    '*---------. |   M',
    '|\\ \\ \\ \\ \\ \\ \\',
    '| | | | | | | * Y',
    '* | | | | | | | p1',
    '| | | | | | |/',
    '| | | | | |/|',
    '| | | | |/| |',
    '| | | |/| | |',
    '| | |/| | | |',
    '| |/| | | | |',
    '|/| | | | | |',
    '| * | | | | | p2',
    '|/ / / / / /',
    '| * | | | | p3',
    '|/ / / / /',
    '| * | | | p4',
    '|/ / / /',
    '| * | | p5',
    '|/ / /',
    '| * | p6',
    '|/ /',
    '| * p7',
    '|/',
    '* r',
  ]);
});

test.run();
