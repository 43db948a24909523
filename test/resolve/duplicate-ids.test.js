// `fmig resolve` when two branches each ran `fmig new` on the same head and picked the same
// sequence number: after the merge two pairs of files claim one id, and resolve renumbers one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { forEachTarget } from '../helpers/databases.js';
import { cleanup, gitRepo, revision } from '../helpers/git.js';
import { planRenumber, renumberableGroups, listRevisions } from '../../dist/core/duplicate-ids.js';

/** 000001..000005 in a line, each naming its parent as `fmig new` writes it. */
const base = { 'migrate.toml': 'dir = "sql"\n', '.gitignore': '.fmig/\n', ...revision('000001', 'base') };
for (let i = 2; i <= 5; i++) Object.assign(base, on(`00000${i - 1}`, `00000${i}`, `r${i}`));

/** A revision on `parent` creating table `<slug>`, the way `fmig new` starts it. */
function on(parent, id, slug) {
  return revision(id, slug, `-- fmig:parent ${parent}\ncreate table ${slug} (id int);\n`, `drop table ${slug};\n`);
}

const applied = (stdout) => [...stdout.matchAll(/^applied (\S+)/gm)].map((m) => m[1]);
const baseApplied = ['000001_base', '000002_r2', '000003_r3', '000004_r4', '000005_r5'];

/** feature-tags and feature-invoices both add 000006 on 000005; left on feature-invoices, main untouched. */
async function sameNumber() {
  return gitRepo({
    files: base,
    steps: [
      { branch: 'feature-tags' },
      { commit: on('000005', '000006', 'add_tags'), author: 'Ty', message: 'add tags' },
      { checkout: 'main' },
      { branch: 'feature-invoices' },
      { commit: on('000005', '000006', 'add_invoices'), author: 'Iv', message: 'add invoices' },
    ],
  });
}

/** Starts a merge that stops before committing (the merge itself has no conflict). */
const mergeNoCommit = (repo, ref) => repo.git('merge', '--no-ff', '--no-commit', ref);

forEachTarget('resolve: duplicate ids', (test, { target, fresh }) => {
  test.after(cleanup);

  test('the merged folder is refused with both files named; resolve renumbers theirs onto ours; up applies both', async () => {
    const repo = await sameNumber();
    const ours = await fresh();
    assert.equal(applied((await repo.fmig('up', '--url', ours.url)).stdout), [...baseApplied, '000006_add_invoices']);
    await mergeNoCommit(repo, 'feature-tags');

    const broken = await repo.fmig('up', '--url', ours.url);
    assert.is(broken.code, 2, broken.stdout + broken.stderr);
    assert.match(broken.stderr, /revision 000006 is claimed by more than one pair of files/);
    assert.match(broken.stderr, /000006_add_invoices\.up\.sql/);
    assert.match(broken.stderr, /000006_add_tags\.up\.sql/);
    assert.match(broken.stderr, /`fmig resolve` renumbers one/);

    const before = await repo.git('status', '--porcelain');
    const plan = [
      'id 000006 stays with 000006_add_invoices: it was on this branch (HEAD) first',
      'renumber 000006_add_tags to 000007',
      'rename sql/000006_add_tags.up.sql -> sql/000007_add_tags.up.sql',
      'rename sql/000006_add_tags.down.sql -> sql/000007_add_tags.down.sql',
      'edit sql/000007_add_tags.up.sql: -- fmig:parent 000006',
    ];
    const dry = await repo.fmig('resolve', '--dry-run', '--url', ours.url);
    assert.is(dry.code, 0, dry.stderr);
    for (const line of plan) assert.ok(dry.stdout.includes(line.replace(/^(renumber|rename|edit) /, 'would $1 ')), `dry run shows "${line}":\n${dry.stdout}`);
    assert.is(await repo.git('status', '--porcelain'), before, '--dry-run changes nothing');

    // The ledger's 000006 is add_invoices: it does not make add_tags applied.
    const r = await repo.fmig('resolve', '--url', ours.url);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const past = { renumber: 'renumbered', rename: 'renamed', edit: 'edited' };
    for (const line of plan) assert.ok(r.stdout.includes(line.replace(/^(renumber|rename|edit) /, (_, v) => `${past[v]} `)), `"${line}" in:\n${r.stdout}`);
    assert.is(await repo.read('sql/000007_add_tags.up.sql'), '-- fmig:parent 000006\ncreate table add_tags (id int);\n');
    assert.is(await repo.read('sql/000007_add_tags.down.sql'), 'drop table add_tags;\n');
    assert.is(await repo.read('sql/000006_add_invoices.up.sql'), '-- fmig:parent 000005\ncreate table add_invoices (id int);\n');
    assert.not.ok(existsSync(path.join(repo.dir, 'sql/000006_add_tags.up.sql')));
    assert.is(await repo.git('diff', '--name-only'), '', 'renames and the edit are staged');

    assert.equal((await repo.fmig('heads', '--json')).json.heads.map((h) => h.revision), ['000007']);
    await repo.git('commit', '-q', '--no-edit');
    const v = await repo.fmig('verify');
    assert.is(v.code, 0, v.stdout + v.stderr);
    const empty = await fresh();
    assert.equal(applied((await repo.fmig('up', '--url', empty.url)).stdout), [...baseApplied, '000006_add_invoices', '000007_add_tags']);
    const up = await repo.fmig('up', '--url', ours.url);
    assert.is(up.code, 0, up.stderr);
    assert.equal(applied(up.stdout), ['000007_add_tags']);
  });

  test('theirs applied in the ledger: rebase refuses; --merge keeps the applied one at its id, renumbers ours, joins the heads', async () => {
    const repo = await sameNumber();
    await repo.step({ checkout: 'feature-tags' });
    const dev = await fresh();
    assert.equal(applied((await repo.fmig('up', '--url', dev.url)).stdout), [...baseApplied, '000006_add_tags']);
    await repo.step({ checkout: 'feature-invoices' });
    await mergeNoCommit(repo, 'feature-tags');

    if (target.kind === 'postgres') {
      // A server may be anyone's: without --yes, rebase refuses to move what is applied there.
      const refused = await repo.fmig('resolve', '--url', dev.url);
      assert.is(refused.code, 1, refused.stdout + refused.stderr);
      assert.match(refused.stderr, /000006_add_tags is applied in/);
      assert.match(refused.stderr, /fmig resolve --merge/);
    } else {
      // An embedded database is a development one: rebase would revert, move and re-apply.
      const dry = await repo.fmig('resolve', '--dry-run', '--url', dev.url);
      assert.is(dry.code, 0, dry.stdout + dry.stderr);
      assert.match(dry.stdout, /would revert 000006_add_tags/);
    }
    assert.ok(existsSync(path.join(repo.dir, 'sql/000006_add_tags.up.sql')), 'nothing renamed');
    assert.ok(existsSync(path.join(repo.dir, 'sql/000006_add_invoices.up.sql')), 'nothing renamed');

    const m = await repo.fmig('resolve', '--merge', '--url', dev.url);
    assert.is(m.code, 0, m.stdout + m.stderr);
    assert.match(m.stdout, /id 000006 stays with 000006_add_tags: it is applied in /);
    assert.match(m.stdout, /renamed sql\/000006_add_invoices\.up\.sql -> sql\/000007_add_invoices\.up\.sql/);
    assert.not.match(m.stdout, /edited/, 'its `-- fmig:parent 000005` line still says what it follows');
    assert.match(m.stdout, /created sql\/000008_merge_000007_000006\.up\.sql/);
    assert.is(await repo.read('sql/000006_add_tags.up.sql'), '-- fmig:parent 000005\ncreate table add_tags (id int);\n');
    assert.is(await repo.read('sql/000007_add_invoices.up.sql'), '-- fmig:parent 000005\ncreate table add_invoices (id int);\n');
    assert.is(await repo.read('sql/000008_merge_000007_000006.up.sql'), '-- fmig:parent 000007 000006\n');
    assert.equal((await repo.fmig('heads', '--json')).json.heads.map((h) => h.revision), ['000008']);
    await repo.git('commit', '-q', '--no-edit');
    const v = await repo.fmig('verify');
    assert.is(v.code, 0, v.stdout + v.stderr);

    assert.equal(applied((await repo.fmig('up', '--url', dev.url)).stdout), ['000007_add_invoices', '000008_merge_000007_000006']);
    const empty = await fresh();
    assert.equal(applied((await repo.fmig('up', '--url', empty.url)).stdout).slice(5), ['000006_add_tags', '000007_add_invoices', '000008_merge_000007_000006']);
  });

  test('one claimant published and the other applied: both modes refuse and say why, nothing changes', async () => {
    const repo = await sameNumber();
    await repo.step({ checkout: 'main' });
    await repo.step({ merge: 'feature-invoices' });
    await repo.step({ checkout: 'feature-tags' });
    const dev = await fresh();
    assert.equal(applied((await repo.fmig('up', '--url', dev.url)).stdout), [...baseApplied, '000006_add_tags']);
    await mergeNoCommit(repo, 'main');
    const before = await repo.git('status', '--porcelain');
    // Rebase on an embedded (development) database reverts and re-applies instead: item 8 of the newcomer tests.
    for (const args of target.kind === 'postgres' ? [[], ['--merge']] : [['--merge']]) {
      const r = await repo.fmig('resolve', ...args, '--url', dev.url);
      assert.is(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /revision 000006 is claimed by 000006_add_invoices \(published on main\) and 000006_add_tags \(applied in [^)]+\)/);
      assert.match(r.stderr, /none of them can be renumbered/);
      assert.match(r.stderr, /fmig down/);
      assert.match(r.stderr, target.kind === 'postgres' ? /fmig resolve --yes/ : /fmig resolve` without --merge/);
      assert.is(await repo.git('status', '--porcelain'), before);
    }
  });
});

test('three branches all add 000006: the one on main keeps it, the others follow in the order they came', async () => {
  const repo = await gitRepo({
    files: base,
    steps: [
      { branch: 'feature-b' },
      { commit: on('000005', '000006', 'b'), author: 'Bo' },
      { checkout: 'main' },
      { branch: 'feature-c' },
      { commit: on('000005', '000006', 'c'), author: 'Cy' },
      { checkout: 'main' },
      { branch: 'feature-a' },
      { commit: on('000005', '000006', 'a'), author: 'Al' },
      { checkout: 'main' },
      { merge: 'feature-a' },
      { branch: 'release' },
      { merge: 'feature-b' },
      { merge: 'feature-c' },
    ],
  });
  const broken = await repo.fmig('heads');
  assert.is(broken.code, 2);
  const r = await repo.fmig('resolve', '--json');
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.json.renumbered, [
    { revision: '000006', slug: 'b', to: '000007' },
    { revision: '000006', slug: 'c', to: '000008' },
  ]);
  assert.equal(r.json.edited, [
    { file: 'sql/000007_b.up.sql', parents: ['000006'] },
    { file: 'sql/000008_c.up.sql', parents: ['000007'] },
  ]);
  assert.equal((await repo.fmig('heads', '--json')).json.heads.map((h) => h.revision), ['000008']);
  await repo.git('commit', '-q', '-m', 'resolve');
  const v = await repo.fmig('verify');
  assert.is(v.code, 0, v.stdout + v.stderr);
  const up = await repo.fmig('up', '--url', 'pglite://memory');
  assert.equal(applied(up.stdout).slice(5), ['000006_a', '000007_b', '000008_c']);
  await cleanup();
});

test('a later revision on the moved branch that names the duplicated id follows its own claimant', async () => {
  const repo = await gitRepo({
    files: base,
    steps: [
      { branch: 'feature-tags' },
      { commit: on('000005', '000006', 'add_tags') },
      { commit: on('000006', '000007', 'tag_index') },
      { checkout: 'main' },
      { branch: 'feature-invoices' },
      { commit: on('000005', '000006', 'add_invoices') },
    ],
  });
  await mergeNoCommit(repo, 'feature-tags');
  const r = await repo.fmig('resolve', '--json');
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.json.renumbered, [{ revision: '000006', slug: 'add_tags', to: '000008' }]);
  assert.equal(r.json.renamed.filter((x) => x.from.endsWith('.up.sql')), [
    { from: 'sql/000006_add_tags.up.sql', to: 'sql/000008_add_tags.up.sql' },
    { from: 'sql/000007_tag_index.up.sql', to: 'sql/000009_tag_index.up.sql' },
  ]);
  assert.is(await repo.read('sql/000008_add_tags.up.sql'), '-- fmig:parent 000006\ncreate table add_tags (id int);\n');
  assert.is(await repo.read('sql/000009_tag_index.up.sql'), '-- fmig:parent 000008\ncreate table tag_index (id int);\n');
  await repo.git('commit', '-q', '--no-edit');
  assert.is((await repo.fmig('verify')).code, 0);
  const up = await repo.fmig('up', '--url', 'pglite://memory');
  assert.equal(applied(up.stdout).slice(5), ['000006_add_invoices', '000008_add_tags', '000009_tag_index']);
  await cleanup();
});

test('core: only well-formed pairs are renumbered, and a claimant with an implied parent keeps it', () => {
  const bad = [{ code: 'duplicate-id', files: ['000006_a.up.sql', '000006_b.down.sql'], message: '' }];
  assert.is(renumberableGroups(bad), null, 'a claimant without its up file');
  assert.is(renumberableGroups([...bad.slice(0, 0), { code: 'bad-name', files: ['x.sql'], message: '' }]), null);
  const problems = [{ code: 'duplicate-id', files: ['000002_a.up.sql', '000002_b.up.sql', '000002_b.down.sql'], message: '' }];
  const groups = renumberableGroups(problems);
  assert.equal(groups, [{ id: '000002', claimants: [{ slug: 'a', up: '000002_a.up.sql', down: null }, { slug: 'b', up: '000002_b.up.sql', down: '000002_b.down.sql' }] }]);
  const enc = (s) => new TextEncoder().encode(s);
  const files = ['000001_base.up.sql', ...problems[0].files].map((name) => ({ name, bytes: enc(`create table x ();\n`) }));
  const plan = planRenumber({
    revisions: listRevisions(files),
    groups,
    order: new Map([['000002', ['b', 'a']]]),
    meant: () => null,
    now: new Date(),
  });
  assert.equal(plan.moved, [{ id: '000002', slug: 'a', newId: '000003', files: [['000002_a.up.sql', '000003_a.up.sql']] }]);
  assert.equal(plan.edits.map(({ file, parents, text }) => ({ file, parents, text })), [
    { file: '000003_a.up.sql', parents: ['000001'], text: '-- fmig:parent 000001\ncreate table x ();\n' },
  ]);
  assert.equal(plan.unresolved, []);
});

test.run();
