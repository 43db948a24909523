// `fmig resolve` on real git repositories: two branches each add a revision on the same parent;
// after the merge the graph has two heads, and resolve puts them back in one line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { forEachTarget } from '../helpers/databases.js';
import { cleanup, gitRepo, revision } from '../helpers/git.js';

const base = { 'migrate.toml': 'dir = "sql"\n', '.gitignore': '.fmig/\n', 'README.md': 'hello\n', ...revision('000001', 'base') };

/** A revision on `parent`, creating table `t<id>`. */
const on = (parent, id, slug) => revision(id, slug, `-- fmig:parent ${parent}\ncreate table t${id} (id int);\n`);

const applied = (stdout) => [...stdout.matchAll(/^applied (\S+)/gm)].map((m) => m[1]);

/**
 * main: 000001; feature-b adds 000002_b on 000001; feature-a adds 000003_a on 000001 and is
 * merged into main first. The repository is left on main.
 */
async function twoBranches() {
  return gitRepo({
    files: base,
    steps: [
      { branch: 'feature-b' },
      { commit: on('000001', '000002', 'b'), author: 'Bo', message: 'add b' },
      { checkout: 'main' },
      { branch: 'feature-a' },
      { commit: on('000001', '000003', 'a'), author: 'Al', message: 'add a' },
      { checkout: 'main' },
      { merge: 'feature-a' },
    ],
  });
}

forEachTarget('resolve', (test, { target, fresh }) => {
  test.after(cleanup);

  test('rebases the later branch: renamed past the kept head, verify passes, one head, up applies it everywhere', async () => {
    const repo = await twoBranches();
    const keptSide = await fresh();
    assert.equal(applied((await repo.fmig('up', '--url', keptSide.url)).stdout), ['000001_base', '000003_a']);
    await repo.step({ checkout: 'feature-b' });
    await repo.step({ merge: 'main' });
    assert.is((await repo.fmig('heads', '--json')).json.heads.length, 2);

    const before = await repo.git('status', '--porcelain');
    const dry = await repo.fmig('resolve', '--dry-run');
    assert.is(dry.code, 0, dry.stderr);
    const plan = [
      'would rename sql/000002_b.up.sql -> sql/000004_b.up.sql',
      'would rename sql/000002_b.down.sql -> sql/000004_b.down.sql',
      'would edit sql/000004_b.up.sql: -- fmig:parent 000003',
    ];
    for (const line of plan) assert.ok(dry.stdout.includes(line), `dry run shows "${line}":\n${dry.stdout}`);
    assert.match(dry.stdout, /kept 000003_a: it reached main first/);
    assert.is(await repo.git('status', '--porcelain'), before, '--dry-run changes nothing');
    assert.ok(existsSync(path.join(repo.dir, 'sql/000002_b.up.sql')));

    const r = await repo.fmig('resolve');
    assert.is(r.code, 0, r.stderr);
    for (const line of plan) assert.ok(r.stdout.includes(line.replace(/^would (\w+)/, (_, v) => (v === 'edit' ? 'edited' : v + 'd'))), r.stdout);
    assert.is(await repo.read('sql/000004_b.up.sql'), '-- fmig:parent 000003\ncreate table t000002 (id int);\n');
    assert.is(await repo.read('sql/000004_b.down.sql'), 'drop table t000002;\n');
    assert.not.ok(existsSync(path.join(repo.dir, 'sql/000002_b.up.sql')));
    assert.not.ok(existsSync(path.join(repo.dir, '.fmig/pglite')), 'resolve does not create the embedded database');
    // Renamed with git mv and the edit staged: nothing left unstaged.
    assert.is(await repo.git('diff', '--name-only'), '');
    assert.equal((await repo.git('diff', '--cached', '--name-only', '--no-renames')).split('\n').sort(), [
      'sql/000002_b.down.sql',
      'sql/000002_b.up.sql',
      'sql/000004_b.down.sql',
      'sql/000004_b.up.sql',
    ]);
    await repo.git('commit', '-q', '-m', 'resolve');

    const v = await repo.fmig('verify');
    assert.is(v.code, 0, v.stdout + v.stderr);
    const heads = await repo.fmig('heads', '--json');
    assert.equal(heads.json.heads.map((h) => h.revision), ['000004']);
    const empty = await fresh();
    assert.equal(applied((await repo.fmig('up', '--url', empty.url)).stdout), ['000001_base', '000003_a', '000004_b']);
    const up = await repo.fmig('up', '--url', keptSide.url);
    assert.is(up.code, 0, up.stderr);
    assert.equal(applied(up.stdout), ['000004_b']);
  });

  test('a moved revision applied in the reachable ledger: rebase refuses, --merge joins the heads, up applies the rest', async () => {
    const repo = await twoBranches();
    const mainSide = await fresh();
    assert.equal(applied((await repo.fmig('up', '--url', mainSide.url)).stdout), ['000001_base', '000003_a']);
    await repo.step({ checkout: 'feature-b' });
    const dev = await fresh();
    assert.equal(applied((await repo.fmig('up', '--url', dev.url)).stdout), ['000001_base', '000002_b']);
    await repo.step({ merge: 'main' });

    if (target.kind === 'postgres') {
      // A server may be anyone's: without --yes, rebase refuses to move what is applied there.
      const refused = await repo.fmig('resolve', '--url', dev.url);
      assert.is(refused.code, 1, refused.stdout + refused.stderr);
      assert.match(refused.stderr, /000002 is applied in/);
      assert.match(refused.stderr, /fmig resolve --merge/);
      assert.match(refused.stderr, /fmig resolve --yes/);
    } else {
      // An embedded database is a development one: rebase would revert, move and re-apply.
      const dry = await repo.fmig('resolve', '--dry-run', '--url', dev.url);
      assert.is(dry.code, 0, dry.stdout + dry.stderr);
      assert.match(dry.stdout, /would revert 000002_b/);
    }
    assert.ok(existsSync(path.join(repo.dir, 'sql/000002_b.up.sql')), 'nothing renamed');
    assert.is(await repo.read('sql/000002_b.up.sql'), '-- fmig:parent 000001\ncreate table t000002 (id int);\n');

    const m = await repo.fmig('resolve', '--merge', '--url', dev.url);
    assert.is(m.code, 0, m.stderr);
    assert.match(m.stdout, /created sql\/000004_merge_000003_000002\.up\.sql/);
    assert.match(m.stdout, /created sql\/000004_merge_000003_000002\.down\.sql/);
    assert.is(await repo.read('sql/000004_merge_000003_000002.up.sql'), '-- fmig:parent 000003 000002\n');
    assert.is(await repo.read('sql/000004_merge_000003_000002.down.sql'), '');
    assert.equal((await repo.fmig('heads', '--json')).json.heads.map((h) => h.revision), ['000004']);
    await repo.git('commit', '-q', '-m', 'merge main, join heads');
    const v = await repo.fmig('verify');
    assert.is(v.code, 0, v.stdout + v.stderr);

    assert.equal(applied((await repo.fmig('up', '--url', dev.url)).stdout), ['000003_a', '000004_merge_000003_000002']);
    assert.equal(applied((await repo.fmig('up', '--url', mainSide.url)).stdout), ['000002_b', '000004_merge_000003_000002']);
  });
});

test('a published moved revision: rebase refuses and names the ref', async () => {
  const repo = await twoBranches();
  await repo.step({ merge: 'feature-b' });
  const r = await repo.fmig('resolve');
  assert.is(r.code, 1, r.stdout);
  assert.match(r.stderr, /000002 is published \(reachable from main\)/);
  assert.match(r.stderr, /--merge/);
  await cleanup();
});

test('a database that cannot be reached is said, and its ledger counts as applying nothing', async () => {
  const repo = await twoBranches();
  await repo.step({ checkout: 'feature-b' });
  await repo.step({ merge: 'main' });
  const r = await repo.fmig('resolve', '--dry-run', '--url', 'postgres://nobody@127.0.0.1:1/none');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /could not connect to .*going on as if nothing were applied there/);
  assert.match(r.stdout, /would rename sql\/000002_b\.up\.sql -> sql\/000004_b\.up\.sql/);
  await cleanup();
});

test('works in the middle of a conflicted git merge; the merge then commits and verify passes', async () => {
  const repo = await gitRepo({
    files: base,
    steps: [
      { branch: 'feature-b' },
      { commit: { ...on('000001', '000002', 'b'), 'README.md': 'b\n' }, author: 'Bo' },
      { checkout: 'main' },
      { commit: { ...on('000001', '000003', 'a'), 'README.md': 'a\n' }, author: 'Al' },
      { checkout: 'feature-b' },
    ],
  });
  const merge = await repo.git('merge', 'main').catch((e) => e);
  assert.instance(merge, Error, 'README.md conflicts');
  assert.ok(await repo.git('rev-parse', '--verify', 'MERGE_HEAD'), 'the merge is in progress');
  const r = await repo.fmig('resolve');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /renamed sql\/000002_b\.up\.sql -> sql\/000004_b\.up\.sql/);
  await repo.write({ 'README.md': 'a and b\n' });
  await repo.git('add', 'README.md');
  await repo.git('commit', '-q', '--no-edit');
  assert.equal((await repo.git('ls-tree', '-r', '--name-only', 'HEAD', 'sql')).split('\n'), [
    'sql/000001_base.down.sql',
    'sql/000001_base.up.sql',
    'sql/000003_a.down.sql',
    'sql/000003_a.up.sql',
    'sql/000004_b.down.sql',
    'sql/000004_b.up.sql',
  ]);
  assert.is(await repo.git('show', 'HEAD:sql/000004_b.up.sql'), '-- fmig:parent 000003\ncreate table t000002 (id int);');
  const v = await repo.fmig('verify');
  assert.is(v.code, 0, v.stdout + v.stderr);
  await cleanup();
});

test('works during a rebase: the replayed revision is moved, and the rebase continues', async () => {
  const repo = await gitRepo({
    files: base,
    steps: [
      { branch: 'feature-b' },
      { commit: { ...on('000001', '000002', 'b'), 'README.md': 'b\n' }, author: 'Bo' },
      { checkout: 'main' },
      { commit: { ...on('000001', '000003', 'a'), 'README.md': 'a\n' }, author: 'Al' },
      { checkout: 'feature-b' },
    ],
  });
  const rebase = await repo.git('rebase', 'main').catch((e) => e);
  assert.instance(rebase, Error, 'README.md conflicts');
  assert.ok(await repo.git('rev-parse', '--verify', 'REBASE_HEAD'), 'the rebase is in progress');
  const r = await repo.fmig('resolve');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /kept 000003_a: it reached main first/);
  assert.match(r.stdout, /renamed sql\/000002_b\.up\.sql -> sql\/000004_b\.up\.sql/);
  await repo.write({ 'README.md': 'a and b\n' });
  await repo.git('add', 'README.md');
  await repo.git('-c', 'core.editor=true', 'rebase', '--continue');
  assert.is(await repo.git('show', 'HEAD:sql/000004_b.up.sql'), '-- fmig:parent 000003\ncreate table t000002 (id int);');
  assert.is((await repo.fmig('verify')).code, 0);
  await cleanup();
});

test('three branches at once: each moved onto the one before, in the order they came', async () => {
  const repo = await gitRepo({
    files: base,
    steps: [
      { branch: 'feature-b' },
      { commit: on('000001', '000002', 'b'), author: 'Bo' },
      { checkout: 'main' },
      { branch: 'feature-c' },
      { commit: on('000001', '000003', 'c'), author: 'Cy' },
      { checkout: 'main' },
      { branch: 'feature-a' },
      { commit: on('000001', '000004', 'a'), author: 'Al' },
      { checkout: 'main' },
      { merge: 'feature-a' },
      { checkout: 'feature-c' },
      { merge: 'feature-b' },
      { merge: 'main' },
    ],
  });
  assert.is((await repo.fmig('heads', '--json')).json.heads.length, 3);
  const r = await repo.fmig('resolve', '--json');
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.json.heads.map((h) => h.revision), ['000004', '000002', '000003']);
  assert.equal(r.json.renamed.filter((x) => x.from.endsWith('.up.sql')), [
    { from: 'sql/000002_b.up.sql', to: 'sql/000005_b.up.sql' },
    { from: 'sql/000003_c.up.sql', to: 'sql/000006_c.up.sql' },
  ]);
  assert.equal(r.json.edited, [
    { file: 'sql/000005_b.up.sql', parents: ['000004'] },
    { file: 'sql/000006_c.up.sql', parents: ['000005'] },
  ]);
  assert.equal((await repo.fmig('heads', '--json')).json.heads.map((h) => h.revision), ['000006']);
  await repo.git('commit', '-q', '-m', 'resolve');
  const v = await repo.fmig('verify');
  assert.is(v.code, 0, v.stdout + v.stderr);
  const up = await repo.fmig('up', '--url', 'pglite://memory');
  assert.equal(applied(up.stdout), ['000001_base', '000004_a', '000005_b', '000006_c']);
  await cleanup();
});

test('refuses a folder with conflict markers in a revision file, and has nothing to do with one head', async () => {
  const repo = await twoBranches();
  const one = await repo.fmig('resolve');
  assert.is(one.code, 0);
  assert.match(one.stdout, /nothing to resolve/);
  await repo.step({ checkout: 'feature-b' });
  await repo.step({ merge: 'main' });
  await repo.write({ 'sql/000002_b.down.sql': '<<<<<<< HEAD\ndrop table t000002;\n=======\ndrop table b;\n>>>>>>> main\n' });
  const r = await repo.fmig('resolve');
  assert.is(r.code, 1);
  assert.match(r.stderr, /sql\/000002_b\.down\.sql has git conflict markers/);
  assert.ok(existsSync(path.join(repo.dir, 'sql/000002_b.up.sql')), 'nothing renamed');
  await cleanup();
});

test.run();
