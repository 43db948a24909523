// `fmig down`: -1, -N, to a revision, base; refusing an irreversible revision before reverting
// anything; and an up/down/up round trip of this repository's own sql/ folder.
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { project, repositoryCopy, removeProjects, state, snapshot } from '../helpers/cli.js';

const rev = (id) => ({ up: `create table t${id} (id int);\n`, down: `drop table t${id};\n` });

forEachTarget('engine: down', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('down reverts -1 by default, then -N, then down to a revision (which stays applied), then to base', async () => {
    const { url } = await fresh();
    const p = await project({ '1_a': rev(1), '2_b': rev(2), '3_c': rev(3), '4_d': rev(4), '5_e': rev(5) });
    const applied = async () => {
      const s = await state(url);
      assert.equal(s.tables, s.rows.map((r) => `public.t${r.revision}`), 'the schema follows the ledger');
      return s.rows.map((r) => r.revision);
    };
    assert.is((await p.fmig('up', '--url', url)).code, 0);

    let r = await p.fmig('down', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^reverted 5_e \(/m);
    assert.equal(await applied(), ['1', '2', '3', '4']);

    r = await p.fmig('down', '-2', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.ok(r.stdout.indexOf('reverted 4_d') < r.stdout.indexOf('reverted 3_c'), 'newest first');
    assert.equal(await applied(), ['1', '2']);

    assert.is((await p.fmig('up', '--url', url)).code, 0);
    r = await p.fmig('down', '2', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(await applied(), ['1', '2'], 'down to 2 leaves 2 applied');

    r = await p.fmig('down', 'base', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(await applied(), []);
    const { log } = await state(url);
    assert.equal(
      log.map((l) => `${l.revision} ${l.action}`),
      ['1 up', '2 up', '3 up', '4 up', '5 up', '5 down', '4 down', '3 down', '3 up', '4 up', '5 up', '5 down', '4 down', '3 down', '2 down', '1 down'],
    );
    const downLog = log.find((l) => l.action === 'down');
    assert.match(downLog.checksum, /^xxh64:[0-9a-f]{16}$/, 'a down is logged with its down file checksum');

    r = await p.fmig('down', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, 'nothing to revert');
  });

  test('a down that drops the ledger itself (DROP SCHEMA public CASCADE) is rolled back, and the error says so', async () => {
    const { url } = await fresh();
    const p = await project({ '1_all': { up: 'create table t1 (id int);\n', down: 'drop schema public cascade;\ncreate schema public;\n' } });
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    const before = [await state(url), await snapshot(url)];
    const r = await p.fmig('down', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, `sql/1_all.down.sql ran, but fmig could not record it: it removed fmig's ledger "public"."fmig_ledger"`);
    assert.match(r.stderr, 'all of it was rolled back');
    assert.match(r.stderr, 'schema = "fmig" under [database]');
    assert.equal([await state(url), await snapshot(url)], before, 'still applied, table and ledger as they were');
  });

  test('a revision without a down file: down refuses before reverting anything, and names it', async () => {
    const { url } = await fresh();
    const p = await project({ '1_a': rev(1), '2_b': `create table t2 (id int);\n`, '3_c': rev(3) });
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    const before = [await state(url), await snapshot(url)];
    const r = await p.fmig('down', '-2', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, 'refusing to revert anything');
    assert.match(r.stderr, '2_b (sql/2_b.down.sql does not exist)');
    assert.not.match(r.stdout, 'reverted');
    assert.equal([await state(url), await snapshot(url)], before, '3 was not reverted either');
    // Down to just after it is fine.
    assert.is((await p.fmig('down', '-1', '--url', url)).code, 0);
    assert.equal((await state(url)).rows.map((x) => x.revision), ['1', '2']);
  });

  test("this repository's sql/ round-trips: up, down base, up gives the same schema", async () => {
    const { url } = await fresh();
    const p = await repositoryCopy();
    let r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    const first = await snapshot(url);
    const s = await state(url);
    assert.is(s.rows.length, 12);
    assert.equal(s.rows.find((x) => x.revision === '000008').parents, ['000006', '000007'], 'the merge revision');
    assert.is(s.rows.find((x) => x.revision === '000012').statements_done, 2, 'CREATE INDEX CONCURRENTLY ran statement by statement');
    assert.ok(first.some((l) => l.startsWith('index public.inbox_items_awaiting_match_idx')), 'the concurrent index exists');
    assert.ok(first.some((l) => l.startsWith('trigger ')) && first.some((l) => l.startsWith('enum ')) && first.some((l) => l.startsWith('view ')));

    r = await p.fmig('down', 'base', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(await snapshot(url), [], 'down base leaves no user schema behind');
    assert.equal((await state(url)).rows, []);

    r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(await snapshot(url), first);
  });
});
