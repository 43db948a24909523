// `fmig verify` end to end: the CLI as a child process in real temp repositories.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gitRepo, revision, cleanup, run, gitEnv, makeRepo, tempDir } from '../helpers/git.js';

test.after.each(cleanup);

const TOML = { 'migrate.toml': 'dir = "sql"\n' };
const codes = (r) => r.json.findings.map((f) => [f.code, f.file]);

/** main: 0001 → 0002, merged from the branch `schema`; the branch `feature` forks after. */
async function published(extraSteps = []) {
  return gitRepo({
    files: { ...TOML, ...revision('0001', 'users') },
    steps: [
      { branch: 'schema' },
      { commit: revision('0002', 'orders'), author: 'Bo', message: 'add orders' },
      { checkout: 'main' },
      { merge: 'schema', message: "Merge branch 'schema'" },
      { branch: 'feature', author: 'Cy' },
      ...extraSteps,
    ],
  });
}

test('a clean branch with a new revision on main\'s head passes', async () => {
  const repo = await published([{ commit: revision('0003', 'items', '-- fmig:parent 0002\ncreate table items();\n') }]);
  const r = await repo.fmig('verify', '--json');
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.json, { ok: true, findings: [], skipped: [] });
  const text = await repo.fmig('verify');
  assert.match(text.stdout, /verify: ok, 3 revision\(s\)/);
});

test('a published revision edited on a branch is an error naming the commit and merge that published it', async () => {
  const repo = await published([{ commit: { 'sql/0002_orders.up.sql': 'create table orders (id bigint);\n' } }]);
  const r = await repo.fmig('verify', '--json');
  assert.is(r.code, 1);
  assert.equal(codes(r), [['published-edited', 'sql/0002_orders.up.sql']]);
  const f = r.json.findings[0];
  const added = await repo.git('log', '-1', '--format=%H', '--diff-filter=A', 'main', '--', 'sql/0002_orders.up.sql');
  const merge = await repo.git('rev-parse', '--short=10', 'main');
  assert.is(f.git.commit, added);
  assert.is(f.git.author, 'Bo <bo@example.com>');
  assert.match(f.git.via, new RegExp(`merge ${merge} "Merge branch 'schema'"`));
  assert.match(f.fix, /git checkout main -- sql\/0002_orders\.up\.sql/);
  const text = await repo.fmig('verify');
  assert.is(text.code, 1);
  assert.match(text.stdout, /^error published-edited sql\/0002_orders\.up\.sql: published on main and edited since.*\(added in [0-9a-f]{10} by Bo <bo@example.com> on 2026-01-02, brought in by merge .*\) — fix: /m);
});

test('an uncommitted edit of a published revision fails too; a line-ending difference git normalises away does not', async () => {
  const repo = await published();
  await repo.write({ 'sql/0001_users.up.sql': 'create table users (id int);\n' });
  let r = await repo.fmig('verify', '--json');
  assert.is(r.code, 1);
  assert.equal(codes(r), [['published-edited', 'sql/0001_users.up.sql']]);
  await repo.write({ '.gitattributes': 'sql/*.sql text eol=lf\n', 'sql/0001_users.up.sql': 'create table t0001 (id int);\r\n' });
  r = await repo.fmig('verify', '--json');
  assert.is(r.code, 0, r.stdout);
  assert.equal(codes(r), [], 'git stores it with LF, as published');
});

test('a published revision deleted, or renamed, on a branch is an error', async () => {
  const repo = await published([{ commit: { 'sql/0002_orders.up.sql': null, 'sql/0002_orders.down.sql': null } }]);
  let r = await repo.fmig('verify', '--json');
  assert.is(r.code, 1);
  assert.equal(codes(r), [
    ['published-deleted', 'sql/0002_orders.down.sql'],
    ['published-deleted', 'sql/0002_orders.up.sql'],
  ]);
  assert.is(r.json.findings[1].git.author, 'Bo <bo@example.com>');

  await repo.git('checkout', '-q', '.');
  await repo.git('reset', '-q', '--hard', 'main');
  await repo.git('mv', 'sql/0002_orders.up.sql', 'sql/0002_purchases.up.sql');
  await repo.git('mv', 'sql/0002_orders.down.sql', 'sql/0002_purchases.down.sql');
  r = await repo.fmig('verify', '--json');
  assert.is(r.code, 1);
  assert.equal(codes(r), [
    ['published-renamed', 'sql/0002_orders.down.sql'],
    ['published-renamed', 'sql/0002_orders.up.sql'],
  ]);
  assert.match(r.json.findings[1].fix, /git mv sql\/0002_purchases\.up\.sql sql\/0002_orders\.up\.sql/);
});

test('two branches adding a revision on the same parent: each passes alone, --against catches it, the merge has divergent heads', async () => {
  const repo = await published([
    { commit: revision('0003', 'items', '-- fmig:parent 0002\ncreate table items();\n'), author: 'Cy', message: 'add items' },
    { checkout: 'main' },
    { branch: 'other', author: 'Di' },
    { commit: revision('0004', 'tags', '-- fmig:parent 0002\ncreate table tags();\n'), author: 'Di', message: 'add tags' },
    { checkout: 'feature' },
  ]);
  assert.is((await repo.fmig('verify')).code, 0);
  await repo.git('checkout', '-q', 'other');
  assert.is((await repo.fmig('verify')).code, 0);

  const r = await repo.fmig('verify', '--against', 'feature', '--json');
  assert.is(r.code, 1);
  assert.equal(codes(r), [
    ['merge-divergent-heads', 'sql/0003_items.up.sql'],
    ['merge-divergent-heads', 'sql/0004_tags.up.sql'],
    ['commutes', 'sql/0003_items.up.sql'],
  ]);
  const [items, tags] = r.json.findings;
  assert.match(items.message, /revision 0003 is one of 2 heads \(also 0004\)/);
  assert.is(items.git.commit, await repo.git('rev-parse', 'feature'));
  assert.is(items.git.author, 'Cy <cy@example.com>');
  assert.is(tags.git.commit, await repo.git('rev-parse', 'other'));
  assert.is(tags.git.author, 'Di <di@example.com>');
  assert.is(await repo.git('status', '--porcelain'), '', 'the prediction leaves the work tree alone');

  await repo.git('merge', '-q', '--no-edit', 'feature');
  const merged = await repo.fmig('verify', '--json');
  assert.is(merged.code, 1);
  assert.equal(codes(merged), [
    ['divergent-heads', 'sql/0003_items.up.sql'],
    ['divergent-heads', 'sql/0004_tags.up.sql'],
  ]);
  assert.match(merged.json.findings[0].git.via, /^merge [0-9a-f]{10} "Merge branch 'feature'/);
  assert.match(merged.json.findings[0].fix, /fmig resolve/);
});

test('--against reports a conflict in a revision file, and an unknown ref is a usage error', async () => {
  const repo = await published([
    { commit: revision('0003', 'items', '-- fmig:parent 0002\ncreate table items (a int);\n') },
    { checkout: 'main' },
    { branch: 'other' },
    { commit: revision('0003', 'items', '-- fmig:parent 0002\ncreate table items (b text);\n') },
  ]);
  const r = await repo.fmig('verify', '--against', 'feature', '--json');
  assert.is(r.code, 1);
  assert.equal(codes(r), [['merge-conflict', 'sql/0003_items.up.sql']]);
  const bad = await repo.fmig('verify', '--against', 'no-such-branch');
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--against no-such-branch: not a commit/);
});

test('main gained revisions since the branch forked: a warning naming them, an error with --strict', async () => {
  const repo = await published([
    { commit: revision('0003', 'items', '-- fmig:parent 0002\ncreate table items();\n'), message: 'add items' },
    { checkout: 'main' },
    { commit: revision('0004', 'tags', '-- fmig:parent 0002\ncreate table tags();\n'), author: 'Di' },
    { checkout: 'feature' },
  ]);
  const r = await repo.fmig('verify', '--json');
  assert.is(r.code, 0, r.stdout);
  assert.equal(codes(r), [['main-moved', 'sql/0003_items.up.sql']]);
  const f = r.json.findings[0];
  assert.is(f.severity, 'warning');
  assert.match(f.message, /main gained revision 0004 since this branch forked; after merging it the folder has 2 heads \(0003, 0004\): 0003 no longer descends from main's head/);
  assert.is(f.git.commit, await repo.git('rev-parse', 'feature'));
  assert.is((await repo.fmig('verify', '--strict')).code, 1);
});

test('a new revision without a parent directive that sorts before a published one is out of order', async () => {
  const repo = await gitRepo({
    files: { ...TOML, ...revision('0001', 'a'), ...revision('0005', 'e') },
    steps: [{ branch: 'feature' }, { commit: revision('0003', 'c') }],
  });
  const r = await repo.fmig('verify', '--json');
  assert.is(r.code, 1);
  assert.ok(codes(r).some(([c, f]) => c === 'out-of-order' && f === 'sql/0003_c.up.sql'), JSON.stringify(r.json));
  const f = r.json.findings.find((x) => x.code === 'out-of-order');
  assert.match(f.message, /0005 would follow 0003 instead of 0001/);
  assert.match(f.fix, /0006_c\.up\.sql/);
});

test('--staged checks the index: an unstaged edit passes, a staged one fails', async () => {
  const repo = await published();
  await repo.write({ 'sql/0002_orders.up.sql': 'drop table everything;\n' });
  let r = await repo.fmig('verify', '--staged', '--json');
  assert.is(r.code, 0, r.stdout);
  assert.equal(r.json.findings, []);
  assert.is((await repo.fmig('verify')).code, 1, 'the working tree still has the edit');
  await repo.git('add', 'sql/0002_orders.up.sql');
  r = await repo.fmig('verify', '--staged', '--json');
  assert.is(r.code, 1);
  assert.equal(codes(r), [['published-edited', 'sql/0002_orders.up.sql']]);
  // A new revision staged but a broken copy on disk: the staged one is what is checked.
  await repo.git('reset', '-q', '--hard');
  await repo.write(revision('0003', 'items', '-- fmig:parent 0002\ncreate table items();\n'));
  await repo.git('add', 'sql');
  await repo.write({ 'sql/0003_items.up.sql': '-- fmig:bogus\n' });
  assert.is((await repo.fmig('verify', '--staged')).code, 0);
  const wt = await repo.fmig('verify', '--json');
  assert.equal(codes(wt), [['unknown-directive', 'sql/0003_items.up.sql']]);
  assert.is(wt.code, 1, 'a folder that does not parse is a finding, exit 1, not 2');
});

test('CRLF files are a warning with the .gitattributes line that prevents them', async () => {
  const repo = await gitRepo({ files: { ...TOML, ...revision('0001', 'a', 'create table a();\r\n') } });
  const r = await repo.fmig('verify', '--json');
  assert.is(r.code, 0);
  assert.equal(codes(r), [['crlf', 'sql/0001_a.up.sql']]);
  assert.match(r.json.findings[0].fix, /`sql\/\*\.sql text eol=lf` to \.gitattributes/);
  assert.is((await repo.fmig('verify', '--strict')).code, 1);
});

test('a shallow clone without main: checks what it can and names what it skipped', async () => {
  const origin = await published([{ commit: revision('0003', 'items', '-- fmig:parent 0002\ncreate table items();\n') }]);
  const dir = await tempDir();
  await run('git', ['clone', '-q', '--depth=1', '--branch', 'feature', `file://${origin.dir}`, dir]);
  const clone = makeRepo(dir);
  const r = await clone.fmig('verify', '--json');
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.json.findings, []);
  assert.equal(r.json.skipped.map((s) => s.check), ['published', 'out-of-order', 'main-moved', 'lint']);
  assert.match(r.json.skipped[0].reason, /origin\/main or main is not in this shallow clone/);
  assert.match(r.json.skipped[3].reason, /cannot tell which revisions are new \(--all lints every revision\)/);
  const text = await clone.fmig('verify');
  assert.match(text.stdout, /info skipped published: /);
  // Broken files are still caught.
  await clone.write({ 'sql/0004_x.down.sql': 'select 1;\n' });
  const bad = await clone.fmig('verify', '--json');
  assert.is(bad.code, 1);
  assert.equal(codes(bad), [['down-without-up', 'sql/0004_x.down.sql']]);
});

test('a shallow clone with main but no merge-base still checks published files', async () => {
  const origin = await published([{ commit: { 'sql/0001_users.up.sql': 'create table users (x int);\n' } }]);
  const dir = await tempDir();
  await run('git', ['clone', '-q', '--depth=1', '--no-single-branch', `file://${origin.dir}`, dir]);
  const clone = makeRepo(dir);
  await clone.git('checkout', '-q', 'feature');
  const r = await clone.fmig('verify', '--json');
  assert.is(r.code, 1);
  assert.equal(codes(r), [['published-edited', 'sql/0001_users.up.sql']]);
  assert.ok(r.json.skipped.some((s) => s.check === 'main-moved' && /shallow clone/.test(s.reason)), JSON.stringify(r.json.skipped));
});

test('no git at all: checks the folder, names every skipped check, never passes silently', async () => {
  const dir = await tempDir();
  const plain = makeRepo(dir);
  await plain.write({ ...TOML, ...revision('0001', 'a'), ...revision('0002', 'b', '-- fmig:parent 0001\nselect 1;\n'), ...revision('0003', 'c', '-- fmig:parent 0001\nselect 1;\n') });
  const r = await plain.fmig('verify', '--staged', '--json');
  assert.is(r.code, 1);
  assert.equal(codes(r), [
    ['divergent-heads', 'sql/0002_b.up.sql'],
    ['divergent-heads', 'sql/0003_c.up.sql'],
  ]);
  assert.equal(r.json.skipped.map((s) => [s.check, s.reason.replace(/:.*/, '')]), [
    ['staged', 'not a git repository'],
    ['published', 'not a git repository'],
    ['out-of-order', 'not a git repository'],
    ['main-moved', 'not a git repository'],
    ['lint', 'not a git repository'],
  ]);
  // Without git installed at all: the same, with that reason.
  const noGit = await run(process.execPath, [new URL('../../bin/fmig', import.meta.url).pathname, 'verify', '--json'], { cwd: dir, env: gitEnv({ PATH: '/nonexistent' }) });
  assert.is(noGit.code, 1);
  assert.equal(JSON.parse(noGit.stdout).skipped[0], { check: 'published', reason: 'git is not installed' });
});

test('a bad migrate.toml is exit 2', async () => {
  const repo = await gitRepo({ files: { 'migrate.toml': 'dri = "sql"\n', ...revision('0001', 'a') } });
  const r = await repo.fmig('verify');
  assert.is(r.code, 2);
  assert.match(r.stderr, /dri/);
});

test.run();
