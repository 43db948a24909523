// fmig import --from alembic: a real Alembic project's graph and offline SQL become an fmig
// folder; a database Alembic migrated is adopted from alembic_version.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { inspect, project, removeProjects, state } from '../helpers/cli.js';
import { alembicCommand, alembicProject } from './alembic-project.js';
import { schemaOf } from './dump.js';

/** A Finance-Inbox-like history: a chain, a branch into two, a merge revision, then more on top. */
const FINANCE = {
  '1f0a9c2b7d31_create_accounts': {
    down: null,
    up: `op.create_table('accounts',
    sa.Column('id', sa.Integer, primary_key=True),
    sa.Column('name', sa.Text, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False))
op.add_column('accounts', sa.Column('balance', sa.Numeric(14, 2), nullable=False, server_default='0'))`,
    downgrade: `op.drop_table('accounts')`,
  },
  '2b7e41c0d9a4_create_transactions': {
    down: '1f0a9c2b7d31',
    up: `op.create_table('transactions',
    sa.Column('id', sa.BigInteger, primary_key=True),
    sa.Column('account_id', sa.Integer, sa.ForeignKey('accounts.id', ondelete='CASCADE'), nullable=False),
    sa.Column('amount', sa.Numeric(12, 2), nullable=False),
    sa.Column('booked_on', sa.Date),
    sa.Column('memo', sa.Text, server_default="it's"))
op.create_index('ix_transactions_account', 'transactions', ['account_id'])`,
    downgrade: `op.drop_index('ix_transactions_account', table_name='transactions')
op.drop_table('transactions')`,
  },
  '3c91d2e8f05b_add_currency': {
    down: '2b7e41c0d9a4',
    up: `op.add_column('accounts', sa.Column('currency', sa.String(3), nullable=False, server_default='EUR'))`,
    downgrade: `op.drop_column('accounts', 'currency')`,
  },
  '4d02e3f9a16c_balance_function': {
    down: '2b7e41c0d9a4',
    labels: 'reports',
    up: `op.execute("""
create function apply_transaction() returns trigger language plpgsql as $$
declare
  delta numeric;
begin
  delta := coalesce(new.amount, 0);
  update accounts set balance = balance + delta where id = new.account_id;
  return new;
end;
$$
""")
op.execute("create trigger transactions_balance after insert on transactions for each row execute function apply_transaction()")`,
    downgrade: `op.execute("drop trigger transactions_balance on transactions")
op.execute("drop function apply_transaction()")`,
  },
  '5e13f4a0b27d_merge_currency_and_reports': { down: ['3c91d2e8f05b', '4d02e3f9a16c'], up: 'pass', downgrade: 'pass' },
  '6f24a5b1c38e_index_booked_on': {
    down: '5e13f4a0b27d',
    up: `with op.get_context().autocommit_block():
    op.create_index('ix_transactions_booked_on', 'transactions', ['booked_on'], postgresql_concurrently=True)`,
    downgrade: `with op.get_context().autocommit_block():
    op.drop_index('ix_transactions_booked_on', table_name='transactions', postgresql_concurrently=True)`,
  },
  '7a35b6c2d49f_seed_cash_account': {
    down: '6f24a5b1c38e',
    up: `op.execute("insert into accounts (name) values ('cash')")`,
    downgrade: 'pass',
  },
};

/**
 * Applies the offline SQL of `alembic upgrade <range> --sql` statement by statement, the way
 * psql runs it (Alembic ends each statement with ";" and a blank line).
 */
async function offline(a, url, range) {
  const r = await a.alembic('upgrade', range, '--sql');
  assert.is(r.code, 0, r.stderr);
  await inspect(url, async (db) => {
    for (const statement of r.stdout.split(/;\n\n/)) if (statement.trim()) await db.exec(statement);
  });
}

forEachTarget('import: alembic', (test, { target, fresh }) => {
  test.after.each(removeProjects);

  test('the imported folder gives the schema alembic upgrade head gives', async () => {
    const a = await alembicProject(FINANCE);
    const p = await project();
    let r = await p.fmig('import', '--from', 'alembic', a.dir, '--alembic', alembicCommand);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, '5e13f4a0b27d (5e13f4a0b27d_merge_currency_and_reports.py) → 5e13f4a0b27d_merge_currency_and_reports (after 3c91d2e8f05b, 4d02e3f9a16c)');
    assert.match(r.stdout, 'wrote 14 file(s) for 7 revision(s) to sql/');

    // Directives only where they belong; Alembic's bookkeeping and transaction gone.
    assert.is(await p.read('sql/5e13f4a0b27d_merge_currency_and_reports.up.sql'), '-- fmig:parent 3c91d2e8f05b 4d02e3f9a16c\n');
    assert.is(
      await p.read('sql/6f24a5b1c38e_index_booked_on.up.sql'),
      '-- fmig:parent 5e13f4a0b27d\n-- fmig:no-transaction\nCREATE INDEX CONCURRENTLY ix_transactions_booked_on ON transactions (booked_on);\n',
    );
    assert.is(await p.read('sql/7a35b6c2d49f_seed_cash_account.down.sql'), '', 'an empty downgrade is an empty down file');
    const fn = await p.read('sql/4d02e3f9a16c_balance_function.up.sql');
    assert.ok(fn.startsWith('-- fmig:parent 2b7e41c0d9a4\ncreate function apply_transaction() returns trigger language plpgsql as $$\n'), fn);
    assert.match(fn, '  update accounts set balance = balance + delta where id = new.account_id;\n');
    for (const name of ['1f0a9c2b7d31_create_accounts', '4d02e3f9a16c_balance_function', '6f24a5b1c38e_index_booked_on']) {
      for (const side of ['up', 'down']) {
        const text = await p.read(`sql/${name}.${side}.sql`);
        assert.not.match(text, /alembic_version|^BEGIN;|^COMMIT;/m, `${name}.${side}`);
      }
    }

    r = await p.fmig('verify');
    assert.is(r.code, 0, r.stdout + r.stderr);
    if (target.kind === 'pglite') {
      r = await p.fmig('check');
      assert.is(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, 'every down restored the schema');
    }

    const ours = await fresh();
    r = await p.fmig('up', '--url', ours.url);
    assert.is(r.code, 0, r.stderr);
    const theirs = await fresh();
    if (target.kind === 'postgres') {
      r = await a.alembic('upgrade', 'head', { url: theirs.url });
      assert.is(r.code, 0, r.stderr);
    } else {
      await offline(a, theirs.url, 'head');
    }
    const want = await schemaOf(target, theirs.url);
    assert.ok(want.some((l) => /apply_transaction/.test(l)), 'the compared schema has the function');
    assert.equal(await schemaOf(target, ours.url), want);

    // The downs come back too: all the way down leaves what alembic downgrade base leaves.
    r = await p.fmig('down', 'base', '--url', ours.url);
    assert.is(r.code, 0, r.stderr);
    assert.equal((await state(ours.url)).tables, []);
  });

  test('--url adopts alembic_version: its heads and their ancestors are recorded, then up applies only the rest', async () => {
    const a = await alembicProject(FINANCE);
    const { url } = await fresh();
    // Alembic has applied one side of the branch: 1f0a, 2b7e and 4d02; 3c91 is not applied.
    if (target.kind === 'postgres') {
      const r = await a.alembic('upgrade', '4d02e3f9a16c', { url });
      assert.is(r.code, 0, r.stderr);
    } else {
      await offline(a, url, '4d02e3f9a16c');
    }
    assert.equal(await inspect(url, (db) => db.query('select version_num from alembic_version')), [{ version_num: '4d02e3f9a16c' }]);

    const p = await project();
    let r = await p.fmig('import', '--from', 'alembic', a.dir, '--alembic', alembicCommand, '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, 'recorded 3 revision(s) as applied without running them');
    assert.match(r.stdout, 'DROP TABLE alembic_version;');
    const s = await state(url);
    assert.equal(s.rows.map((x) => x.revision), ['1f0a9c2b7d31', '2b7e41c0d9a4', '4d02e3f9a16c']);
    assert.equal(s.log.map((l) => l.action), ['baseline', 'baseline', 'baseline']);
    assert.ok(s.log.every((l) => l.by.endsWith('; imported from alembic')), s.log[0].by);
    assert.ok(s.tables.includes('public.alembic_version'), 'their table stays');

    r = await p.fmig('status', '--url', url, '--json');
    assert.equal(r.json.drift ?? [], []);
    assert.match(r.stdout, '3c91d2e8f05b');

    r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    const after = await state(url);
    assert.equal(
      after.log.filter((l) => l.action === 'up').map((l) => l.revision),
      ['3c91d2e8f05b', '5e13f4a0b27d', '6f24a5b1c38e', '7a35b6c2d49f'],
      'only what Alembic had not applied runs',
    );
    r = await p.fmig('status', '--check', '--url', url);
    assert.is(r.code, 0, r.stdout + r.stderr);
  });

  test('refusals change nothing: a version the folder lacks, a ledger fmig already wrote, no alembic_version', async () => {
    const a = await alembicProject(FINANCE);
    const { url } = await fresh();
    const p = await project();
    let r = await p.fmig('import', '--from', 'alembic', a.dir, '--alembic', alembicCommand, '--url', url);
    assert.is(r.code, 1);
    assert.match(r.stderr, 'there is no table alembic_version in the database');

    await offline(a, url, '2b7e41c0d9a4');
    await inspect(url, (db) => db.exec("update alembic_version set version_num = 'deadbeef0001'"));
    const before = await state(url);
    r = await p.fmig('import', '--from', 'alembic', a.dir, '--alembic', alembicCommand, '--url', url);
    assert.is(r.code, 1);
    assert.match(r.stderr, 'refusing to import: their ledger records version deadbeef0001, which is not in the folder');
    assert.equal(await state(url), before, 'no fmig ledger was created');
    r = await p.fmig('heads');
    assert.is(r.code, 0);
    assert.is(r.stdout.trim(), '', 'no file was written');

    await inspect(url, (db) => db.exec("update alembic_version set version_num = '2b7e41c0d9a4'"));
    r = await p.fmig('import', '--from', 'alembic', a.dir, '--alembic', alembicCommand, '--url', url);
    assert.is(r.code, 0, r.stderr);
    const adopted = await state(url);
    // Again, with the folder already there: the ledger now has rows.
    r = await p.fmig('import', '--from', 'alembic', '--url', url);
    assert.is(r.code, 1);
    assert.match(r.stderr, "refusing to import: fmig's ledger already has 2 row(s)");
    assert.equal(await state(url), adopted);
  });
});

// No database: what Alembic's graph and errors become as text.
const text = suite('import: alembic, text only');
text.after.each(removeProjects);
{
  const test = text;

  test('several roots: --dry-run prints -- fmig:root for each root after the first and writes nothing', async () => {
    const a = await alembicProject({
      '0a1b_ledger_root': { down: null, labels: 'ledger', up: 'op.execute("create table l (id int)")', downgrade: 'op.execute("drop table l")' },
      '0a2c_ledger_more': { down: '0a1b', up: 'op.execute("alter table l add column v int")', downgrade: 'op.execute("alter table l drop column v")' },
      '9f00_audit_root': { down: null, labels: 'audit', up: 'op.execute("create table audit (id int)")', downgrade: 'op.execute("drop table audit")' },
      '0b00_audit_more': { down: '9f00', up: 'op.execute("create table audit2 (id int)")', downgrade: 'op.execute("drop table audit2")' },
    });
    const p = await project();
    let r = await p.fmig('import', '--from', 'alembic', a.dir, '--alembic', alembicCommand, '--dry-run');
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, '0a1b (0a1b_ledger_root.py) → 0a1b_ledger_root (a root); Alembic branch ledger');
    assert.match(r.stdout, '9f00 (9f00_audit_root.py) → 9f00_audit_root (a root); up: -- fmig:root; Alembic branch audit');
    assert.match(r.stdout, '0b00 (0b00_audit_more.py) → 0b00_audit_more (after 9f00); up: -- fmig:parent 9f00');
    assert.match(r.stdout, 'dry run: nothing written');
    assert.is((await p.fmig('heads')).stdout.trim(), '');

    r = await p.fmig('import', '--from', 'alembic', a.dir, '--alembic', alembicCommand);
    assert.is(r.code, 0, r.stderr);
    assert.is(await p.read('sql/9f00_audit_root.up.sql'), '-- fmig:root\ncreate table audit (id int);\n');
    assert.is(await p.read('sql/0a1b_ledger_root.up.sql'), 'create table l (id int);\n');
    assert.is(await p.read('sql/0b00_audit_more.down.sql'), 'drop table audit2;\n');
  });

  test('a revision that reads the live database is named with Alembic\'s error; nothing is written', async () => {
    const a = await alembicProject({
      '1a_first': { down: null, up: 'op.execute("create table t (id int)")', downgrade: 'op.execute("drop table t")' },
      '2b_reads_rows': { down: '1a', up: 'n = op.get_bind().execute(sa.text("select count(*) from t")).scalar()', downgrade: 'pass' },
    });
    const p = await project();
    const r = await p.fmig('import', '--from', 'alembic', a.dir, '--alembic', alembicCommand);
    assert.is(r.code, 1);
    assert.match(r.stderr, 'revision 2b: alembic upgrade heads --sql failed:');
    assert.match(r.stderr, 'op.get_bind()');
    assert.is((await p.fmig('heads')).stdout.trim(), '');

    const bad = await p.fmig('import', '--from', 'alembic', a.dir, '--alembic', '/nonexistent/python3 -m alembic');
    assert.is(bad.code, 2);
    assert.match(bad.stderr, 'cannot run Alembic: /nonexistent/python3 not found');
  });
}
text.run();
