// The common team case: a developer applies their own revision in the development database,
// then merges main, whose revision took the same place. `status` shows the state whatever is
// wrong with the files; `resolve --dry-run` shows the ids the real run uses; `resolve` reverts
// the moved revision with the down SQL the ledger kept, renumbers or rebases it, and applies
// both sides again, as `sync` would. A server needs --yes; a published revision is never moved.
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { cleanup, gitRepo, revision } from '../helpers/git.js';
import { state } from '../helpers/cli.js';

const on = (parent, id, slug) => revision(id, slug, `-- fmig:parent ${parent}\ncreate table ${slug} (id int);\n`, `drop table ${slug};\n`);

/** main: base → r2; `feature` adds `ours` on r2 and stays checked out; main then gains `theirs` on r2. */
function team(ids) {
  const [base, r2, ours, theirs] = ids;
  return gitRepo({
    files: { 'migrate.toml': 'dir = "sql"\n', '.gitignore': '.fmig/\n', ...revision(base, 'base'), ...on(base, r2, 'r2') },
    steps: [
      { branch: 'feature', author: 'Ty' },
      { commit: on(r2, ours, 'add_tags'), message: 'add tags' },
      { checkout: 'main', author: 'Iv' },
      { commit: on(r2, theirs, 'add_invoices'), message: 'add invoices' },
      { checkout: 'feature', author: 'Ty' },
    ],
  });
}

const renames = (stdout) => [...stdout.matchAll(/(?:would rename|renamed) (\S+) -> (\S+)/g)].map((m) => `${m[1]} -> ${m[2]}`);

forEachTarget('newcomer item 8: resolve with the moved revision applied in the dev database', (test, { target, fresh }) => {
  test.after.each(cleanup);

  test('sequence numbers (both made 000003): status reports it (0, --check 1); resolve reverts, renumbers and re-applies', async () => {
    const repo = await team(['000001', '000002', '000003', '000003']);
    const { url } = await fresh();
    const yes = target.kind === 'postgres' ? ['--yes'] : [];
    assert.is((await repo.fmig('up', '--url', url)).code, 0);
    await repo.git('merge', '-q', '--no-edit', 'main');

    let r = await repo.fmig('status', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /duplicate-id: revision 000003 is claimed by more than one pair of files/);
    assert.match(r.stdout, /applied:\s+3 revision/);
    r = await repo.fmig('status', '--check', '--url', url);
    assert.is(r.code, 1, r.stderr);
    r = await repo.fmig('status', '--json', '--url', url);
    assert.is(r.code, 0);
    assert.equal(r.json.problems.map((p) => p.code), ['duplicate-id']);

    if (target.kind === 'postgres') {
      // A server is changed only with --yes.
      const no = await repo.fmig('resolve', '--url', url);
      assert.is(no.code, 1, no.stdout + no.stderr);
      assert.match(no.stderr, /--yes/);
      assert.is(await repo.git('status', '--porcelain', '--', 'sql'), '', 'no file changed');
    }

    const dry = await repo.fmig('resolve', '--dry-run', '--url', url, ...yes);
    assert.is(dry.code, 0, dry.stdout + dry.stderr);
    assert.match(dry.stdout, /would revert 000003_add_tags/);
    assert.match(dry.stdout, /would apply 000003_add_invoices/);
    assert.match(dry.stdout, /would apply 000004_add_tags/);
    assert.equal((await state(url)).rows.map((x) => `${x.revision}_${x.slug}`), ['000001_base', '000002_r2', '000003_add_tags'], 'the dry run changed nothing');

    const real = await repo.fmig('resolve', '--url', url, ...yes);
    assert.is(real.code, 0, real.stdout + real.stderr);
    assert.equal(renames(real.stdout), renames(dry.stdout), 'the dry run showed the ids the real run used');
    assert.equal(renames(real.stdout), ['sql/000003_add_tags.up.sql -> sql/000004_add_tags.up.sql', 'sql/000003_add_tags.down.sql -> sql/000004_add_tags.down.sql']);
    const s = await state(url);
    assert.equal(s.rows.map((x) => `${x.revision}_${x.slug}`), ['000001_base', '000002_r2', '000003_add_invoices', '000004_add_tags']);
    assert.ok(s.tables.includes('public.add_invoices') && s.tables.includes('public.add_tags'), s.tables.join());
    assert.equal(s.log.map((l) => `${l.action} ${l.revision}`).slice(-3), ['down 000003', 'up 000003', 'up 000004']);
    r = await repo.fmig('status', '--check', '--url', url);
    assert.is(r.code, 0, r.stdout);
  });

  test('timestamps: the moved revision gets the id after the highest, in the dry run as in the real run', async () => {
    const repo = await team(['20260101000000', '20260101000001', '20260102000000', '20260103000000']);
    const { url } = await fresh();
    const yes = target.kind === 'postgres' ? ['--yes'] : [];
    assert.is((await repo.fmig('up', '--url', url)).code, 0);
    await repo.git('merge', '-q', '--no-edit', 'main');
    let r = await repo.fmig('status', '--check', '--url', url);
    assert.is(r.code, 1);
    assert.match(r.stdout, /2 divergent heads/);

    const dry = await repo.fmig('resolve', '--dry-run', '--url', url, ...yes);
    assert.is(dry.code, 0, dry.stdout + dry.stderr);
    await new Promise((res) => setTimeout(res, 1100)); // a second later: the same ids all the same
    const real = await repo.fmig('resolve', '--url', url, ...yes);
    assert.is(real.code, 0, real.stdout + real.stderr);
    assert.equal(renames(real.stdout), renames(dry.stdout));
    assert.equal(renames(real.stdout)[0], 'sql/20260102000000_add_tags.up.sql -> sql/20260103000001_add_tags.up.sql');
    const s = await state(url);
    assert.equal(s.rows.map((x) => `${x.revision}_${x.slug}`), ['20260101000000_base', '20260101000001_r2', '20260103000000_add_invoices', '20260103000001_add_tags']);
    assert.equal(s.rows.at(-1).parents, ['20260103000000']);
    r = await repo.fmig('status', '--check', '--url', url);
    assert.is(r.code, 0, r.stdout);
  });

  test('a published revision is still never moved: the one applied here that reached main stays', async () => {
    // Ours reached main first (published); theirs comes in from a branch: theirs moves, ours stays applied.
    const repo = await gitRepo({
      files: { 'migrate.toml': 'dir = "sql"\n', '.gitignore': '.fmig/\n', ...revision('000001', 'base') },
      steps: [
        { branch: 'other', author: 'Iv' },
        { commit: on('000001', '000002', 'add_invoices') },
        { checkout: 'main', author: 'Ty' },
        { commit: on('000001', '000002', 'add_tags') },
        { branch: 'take-other' },
      ],
    });
    const { url } = await fresh();
    const yes = target.kind === 'postgres' ? ['--yes'] : [];
    assert.is((await repo.fmig('up', '--url', url)).code, 0);
    await repo.git('merge', '-q', '--no-edit', 'other');
    const r = await repo.fmig('resolve', '--url', url, ...yes);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.not.match(r.stdout, /reverted/);
    assert.equal(renames(r.stdout)[0], 'sql/000002_add_invoices.up.sql -> sql/000003_add_invoices.up.sql');
    assert.equal((await state(url)).rows.map((x) => `${x.revision}_${x.slug}`), ['000001_base', '000002_add_tags']);
  });
});
