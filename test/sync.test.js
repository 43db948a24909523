// `fmig sync` after a branch switch: what branch A applied is reverted with the down SQL the
// ledger kept (A's files are not in B's checkout), then B's revisions are applied.
import * as assert from 'uvu/assert';
import { openDatabase } from '../dist/adapters/db/open.js';
import { forEachTarget } from './helpers/databases.js';
import { emptySqlDir } from './helpers/cli.js';
import { cleanup, gitRepo, revision } from './helpers/git.js';

const base = {
  'migrate.toml': 'dir = "sql"\n',
  '.gitignore': '.fmig/\n',
  ...revision('000001', 'base', 'create table base (id int primary key);\n', 'drop table base;\n'),
};

/** main: 000001; branch-a adds 000002_a (a table and a column on base); branch-b adds 000003_b. Left on branch-a. */
function branches(bId = '000003', bSlug = 'b') {
  return gitRepo({
    files: base,
    steps: [
      { branch: 'branch-b' },
      { commit: revision(bId, bSlug, `-- fmig:parent 000001\ncreate table b_only (x text);\n`, 'drop table b_only;\n') },
      { checkout: 'main' },
      { branch: 'branch-a' },
      {
        commit: revision(
          '000002',
          'a',
          '-- fmig:parent 000001\ncreate table a_only (y int);\nalter table base add column a_col text;\n',
          'alter table base drop column a_col;\ndrop table a_only;\n',
        ),
      },
    ],
  });
}

async function snapshot(url) {
  const db = await openDatabase(url, { baseDir: process.cwd(), lockTimeoutMs: 10_000, statementTimeoutMs: 0, sqlDir: emptySqlDir() });
  try {
    const columns = await db.query(
      `select table_name, column_name, data_type from information_schema.columns
        where table_schema = 'public' and table_name not like 'fmig_ledger%' order by 1, 2`,
    );
    const ledger = (await db.query('select revision, slug from public.fmig_ledger order by revision')).map((r) => `${r.revision}_${r.slug}`);
    return { columns, ledger };
  } finally {
    await db.close();
  }
}

const lines = (stdout, verb) => [...stdout.matchAll(new RegExp(`^${verb} (\\S+)`, 'gm'))].map((m) => m[1]);

forEachTarget('sync', (test, { target, fresh }) => {
  test.after(cleanup);

  test("reverts A's revision with the ledger's down SQL and applies B's: the schema is B's from scratch", async () => {
    const repo = await branches();
    const dev = await fresh();
    assert.equal(lines((await repo.fmig('up', '--url', dev.url)).stdout, 'applied'), ['000001_base', '000002_a']);
    await repo.step({ checkout: 'branch-b' });
    const beforeSync = await snapshot(dev.url);

    const dry = await repo.fmig('sync', '--dry-run', '--url', dev.url);
    assert.is(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /revert 000002_a\s+\(not in the checkout; down SQL from the ledger\)/);
    assert.match(dry.stdout, /apply\s+000003_b/);
    assert.equal(await snapshot(dev.url), beforeSync, '--dry-run changes nothing');

    if (target.kind === 'postgres') {
      const no = await repo.fmig('sync', '--url', dev.url);
      assert.is(no.code, 1, 'a server needs --yes');
      assert.match(no.stdout, /revert 000002_a/);
      assert.match(no.stderr, /--yes/);
      assert.equal(await snapshot(dev.url), beforeSync, 'nothing changed without --yes');
    }
    const r = await repo.fmig('sync', ...(target.kind === 'postgres' ? ['--yes'] : []), '--url', dev.url);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.equal(lines(r.stdout, 'reverted'), ['000002_a']);
    assert.equal(lines(r.stdout, 'applied'), ['000003_b']);

    const scratch = await fresh();
    assert.is((await repo.fmig('up', '--url', scratch.url)).code, 0);
    const synced = await snapshot(dev.url);
    assert.equal(synced, await snapshot(scratch.url));
    assert.equal(synced.ledger, ['000001_base', '000003_b']);
    assert.not.ok(synced.columns.some((c) => c.column_name === 'a_col'), "A's down SQL ran");

    const again = await repo.fmig('sync', '--yes', '--url', dev.url);
    assert.match(again.stdout, /nothing to do/);
  });

  test('a revision id that B uses for another revision counts as one the checkout does not have', async () => {
    const repo = await branches('000002', 'b');
    const dev = await fresh();
    assert.equal(lines((await repo.fmig('up', '--url', dev.url)).stdout, 'applied'), ['000001_base', '000002_a']);
    await repo.step({ checkout: 'branch-b' });
    const r = await repo.fmig('sync', '--yes', '--url', dev.url);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.equal(lines(r.stdout, 'reverted'), ['000002_a']);
    assert.equal(lines(r.stdout, 'applied'), ['000002_b']);
    assert.equal((await snapshot(dev.url)).ledger, ['000001_base', '000002_b']);
  });

  test('an applied file edited in place is refused as up refuses it, before anything changes', async () => {
    const repo = await branches();
    const dev = await fresh();
    await repo.fmig('up', '--url', dev.url);
    await repo.write({ 'sql/000001_base.up.sql': 'create table base (id bigint primary key);\n' });
    const before = await snapshot(dev.url);
    const r = await repo.fmig('sync', '--yes', '--url', dev.url);
    assert.is(r.code, 1);
    assert.match(r.stderr, /000001_base\.up\.sql was edited after it was applied/);
    assert.equal(await snapshot(dev.url), before);
  });
});
