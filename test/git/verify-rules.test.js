// The pure checks of verify, on literal folders and blob maps; and originOf on a real repository.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFolder } from '../../dist/core/folder.js';
import { publishedState, publishedFindings, outOfOrderFindings, headFindings, crlfFindings, driftFindings } from '../../dist/core/verify-rules.js';
import { formatFinding, failing } from '../../dist/core/findings.js';
import { originOf } from '../../dist/adapters/git.js';
import { gitRepo, revision, cleanup } from '../helpers/git.js';

test.after.each(cleanup);

const enc = new TextEncoder();
const noHash = () => '';
const folderOf = (files) => parseFolder(Object.entries(files).map(([name, text]) => ({ name, bytes: enc.encode(text) })), noHash);
const m = (o) => new Map(Object.entries(o));

test('publishedState: edited, deleted, renamed, and what main gained since the fork', () => {
  const main = m({ '1_a.up.sql': 'b1', '2_b.up.sql': 'b2', '3_c.up.sql': 'b3', '4_d.up.sql': 'b4', '5_e.up.sql': 'b5' });
  const fork = m({ '1_a.up.sql': 'b1', '2_b.up.sql': 'b2', '3_c.up.sql': 'b3', '4_d.up.sql': 'b4-old' });
  const here = m({ '1_a.up.sql': 'x1', '3_cc.up.sql': 'b3', '4_d.up.sql': 'b4-old', '6_f.up.sql': 'b6' });
  const s = publishedState({ main, fork, here });
  assert.equal(s.changed, ['1_a.up.sql'], 'the fork\'s version of a file main edited later is not an edit here');
  assert.equal(s.missing, [{ name: '2_b.up.sql', renamedTo: undefined }, { name: '3_c.up.sql', renamedTo: '3_cc.up.sql' }]);
  assert.equal(s.gained, ['5_e.up.sql']);
  assert.equal([...s.published].sort(), ['1_a.up.sql', '4_d.up.sql']);
  assert.equal(publishedFindings(s, 'sql', 'origin/main').map((f) => [f.code, f.file]), [
    ['published-edited', 'sql/1_a.up.sql'],
    ['published-deleted', 'sql/2_b.up.sql'],
    ['published-renamed', 'sql/3_c.up.sql'],
  ]);
  const [edited] = publishedFindings(s, 'sql', 'origin/main');
  assert.match(edited.message, 'a database that applied it will refuse to run');
  const [endings] = publishedFindings(s, 'sql', 'origin/main', new Set(['1_a.up.sql']));
  assert.is(endings.code, 'published-edited', 'still an error: published files stay byte for byte');
  assert.match(endings.message, 'line endings only');
  assert.not.match(endings.message, 'refuse to run');
});

test('out of order: a new revision shifting a published implicit parent, or taking one of its own; explicit parents are fine', () => {
  const published = new Set(['0001_a.up.sql', '0005_e.up.sql']);
  const shifts = folderOf({ '0001_a.up.sql': '', '0003_c.up.sql': '-- fmig:parent 0001\n', '0005_e.up.sql': '' });
  assert.equal(outOfOrderFindings(shifts, published, 'sql').map((f) => [f.code, f.file, f.fix]), [
    ['out-of-order', 'sql/0003_c.up.sql', 'rename it to an id after 0005 (0006_c.up.sql and its down file), with -- fmig:parent 0005'],
  ]);
  const own = folderOf({ '0001_a.up.sql': '', '0003_c.up.sql': '', '0005_e.up.sql': '-- fmig:parent 0001\n' });
  const [f] = outOfOrderFindings(own, published, 'sql');
  assert.match(f.message, /new revision 0003 has no parent directive and sorts before published revision 0005: it would follow 0001 instead of main's head 0005/);
  assert.match(f.fix, /or add -- fmig:parent 0005 as its first line/);
  const fine = folderOf({ '0001_a.up.sql': '', '0003_c.up.sql': '-- fmig:parent 0005\n', '0005_e.up.sql': '-- fmig:parent 0001\n' });
  assert.equal(outOfOrderFindings(fine, published, 'sql'), []);
  const after = folderOf({ '0001_a.up.sql': '', '0005_e.up.sql': '', '0006_f.up.sql': '' });
  assert.equal(outOfOrderFindings(after, published, 'sql'), []);
});

test('heads, CRLF and ledger drift as findings; formatting and the exit rule', () => {
  const two = folderOf({ '1_a.up.sql': '', '2_b.up.sql': '-- fmig:parent 1\n', '3_c.up.sql': '-- fmig:parent 1\r\nselect 1;\r\n' });
  const heads = headFindings(two, 'sql');
  assert.equal(heads.map((f) => [f.code, f.file]), [['divergent-heads', 'sql/2_b.up.sql'], ['divergent-heads', 'sql/3_c.up.sql']]);
  const crlf = crlfFindings(two, 'sql', 'db/sql');
  assert.equal(crlf.map((f) => [f.code, f.severity, f.file]), [['crlf', 'warning', 'sql/3_c.up.sql']]);
  assert.match(crlf[0].fix, /`db\/sql\/\*\.sql text eol=lf`/);
  assert.not.ok(failing(crlf, false));
  assert.ok(failing(crlf, true));
  assert.ok(failing(heads, false));
  const drift = driftFindings([{ kind: 'missing', revision: '9', message: '9 is applied but its files are not in the folder' }], 'sql');
  assert.equal(drift.map((f) => [f.code, f.file]), [['db-missing', 'sql/9_*']]);
  const line = formatFinding({ ...heads[0], git: { commit: 'abcdef0123456789', author: 'Ann <a@x>', date: '2026-01-02', via: 'branch main' } });
  assert.is(line, 'error divergent-heads sql/2_b.up.sql: revision 2 is one of 2 heads (also 3); up and new need one (added in abcdef0123 by Ann <a@x> on 2026-01-02, brought in by branch main) — fix: run fmig resolve (or fmig resolve --merge when both sides are applied somewhere)');
});

test('originOf: the commit that added each file, its author and date, and the merge or branch that brought it', async () => {
  const repo = await gitRepo({
    files: { ...revision('0001', 'a') },
    steps: [
      { branch: 'feature', author: 'Bo' },
      { commit: revision('0002', 'b'), message: 'add b' },
      { checkout: 'main', author: 'Ann' },
      { commit: revision('0003', 'c'), message: 'add c' },
      { merge: 'feature', message: "Merge branch 'feature'" },
    ],
  });
  const o = await originOf(repo.dir, ['sql/0002_b.up.sql', 'sql/0003_c.up.sql', 'sql/nope.up.sql']);
  assert.equal([...o.keys()].sort(), ['sql/0002_b.up.sql', 'sql/0003_c.up.sql']);
  const b = o.get('sql/0002_b.up.sql');
  assert.is(b.commit, await repo.git('rev-parse', 'feature'));
  assert.is(b.author, 'Bo <bo@example.com>');
  assert.is(b.date, '2026-01-02');
  assert.is(b.via, `merge ${(await repo.git('rev-parse', 'main')).slice(0, 10)} "Merge branch 'feature'"`);
  assert.is(o.get('sql/0003_c.up.sql').via, 'branch main');
  assert.equal(await originOf(repo.dir + '/sql', ['0001_a.up.sql']).then((x) => x.get('0001_a.up.sql').author), 'Ann <ann@example.com>', 'paths are relative to the root given');
  assert.equal((await originOf('/', ['x'])).size, 0, 'outside a repository: nothing, no error');
});

test.run();
