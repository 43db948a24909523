// Every revision starts from the same session state, however the one before changed it.
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { project, removeProjects, inspect } from '../helpers/cli.js';

const tablesIn = (url) =>
  inspect(url, async (db) =>
    (await db.query("select table_schema || '.' || table_name as t from information_schema.tables where table_name like 'made_%' order by 1")).map((r) => r.t),
  );

forEachTarget('engine: session state', (test, { fresh }) => {
  test.after.each(removeProjects);

  for (const [how, change] of [
    ['a plain SET', 'SET search_path = other, public;'],
    ['set_config', "select set_config('search_path', 'other, public', false);"],
    ['a DO block', "DO $$ BEGIN EXECUTE 'SET search_path = other, public'; END $$;"],
  ]) {
    for (const single of [false, true]) {
      test(`${how} in one revision does not reach the next${single ? ' (--single-transaction)' : ''}`, async () => {
        const { url } = await fresh();
        const p = await project({
          '1_schema': 'create schema other;\n',
          '2_change': `${change}\ncreate table made_in_2 (id int);\n`,
          '3_plain': 'create table made_in_3 (id int);\n',
        });
        const r = await p.fmig('up', ...(single ? ['--single-transaction'] : []), '--url', url);
        assert.is(r.code, 0, r.stderr);
        assert.equal(await tablesIn(url), ['other.made_in_2', 'public.made_in_3']);
      });
    }
  }

  test("fmig's own ledger writes do not run under a setting a file made (read-only transactions)", async () => {
    const { url } = await fresh();
    const p = await project({
      '1_ro': '-- fmig:no-transaction\nSET default_transaction_read_only = on;\n',
      '2_made': 'create table made_in_2 (id int);\n',
    });
    const r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(await tablesIn(url), ['public.made_in_2']);
  });
});

