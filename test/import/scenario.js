/**
 * One realistic history, written in each tool's own format by that tool's test, and the checks
 * every tool's import must pass: the schema `fmig up` gives equals the schema of the original
 * files applied in the tool's order (psql on the server), and a database partly migrated by the
 * tool (its ledger table as the tool creates it, with real rows) is adopted, after which
 * `fmig up` applies only the rest.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { inspect, project, removeProjects, state } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { schemaOf } from './dump.js';

/** Six migrations: tables, a multi-statement PL/pgSQL function and trigger, a concurrent index, a column, data with an empty down. */
export const STEPS = [
  { slug: 'create_accounts', up: 'create table accounts (\n  id bigserial primary key,\n  name text not null\n);\n', down: 'drop table accounts;\n' },
  {
    slug: 'create_transactions',
    up: 'create table transactions (\n  id bigserial primary key,\n  account_id bigint not null references accounts (id),\n  amount numeric(12, 2) not null,\n  booked_on date\n);\n',
    down: 'drop table transactions;\n',
  },
  {
    slug: 'balance_function',
    fn: true,
    up: `alter table accounts add column balance numeric(14, 2) not null default 0;
create function apply_transaction() returns trigger language plpgsql as $$
declare
  delta numeric;
begin
  delta := coalesce(new.amount, 0);
  update accounts set balance = balance + delta where id = new.account_id;
  return new;
end;
$$;
create trigger transactions_balance after insert on transactions for each row execute function apply_transaction();
`,
    down: 'drop trigger transactions_balance on transactions;\ndrop function apply_transaction();\nalter table accounts drop column balance;\n',
  },
  { slug: 'index_booked_on', noTransaction: true, up: 'create index concurrently transactions_booked_on on transactions (booked_on);\n', down: 'drop index concurrently transactions_booked_on;\n' },
  { slug: 'add_currency', up: "alter table accounts add column currency char(3) not null default 'EUR';\n", down: 'alter table accounts drop column currency;\n' },
  { slug: 'seed_cash_account', up: "insert into accounts (name) values ('cash');\n", down: '' },
];

/** Runs SQL files as psql runs them (server), or each as one script (PGlite). */
export async function applyWithPsql(target, url, texts) {
  if (target.kind !== 'postgres') {
    await inspect(url, async (db) => {
      for (const t of texts) await db.exec(t);
    });
    return;
  }
  const dir = await tempDir('fmig-psql-');
  for (const [i, t] of texts.entries()) {
    const file = path.join(dir, `${i}.sql`);
    await writeFile(file, t);
    await new Promise((resolve, reject) =>
      execFile('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', file], (err, _o, stderr) => (err ? reject(new Error(`psql ${i}: ${stderr}`)) : resolve())),
    );
  }
}

/**
 * Registers one tool's suite. `tool.files`: their folder (`{ path: text }`), `tool.ups`: the up
 * SQL of each migration in the tool's order as psql would run it, `tool.ledger(k)`: SQL that
 * creates the tool's table as the tool does and records the first k migrations,
 * `tool.refusals`: `[{ why, sql (after ledger(k)), message }]`.
 */
export function importSuite(name, tool) {
  forEachTarget(`import: ${name}`, (test, { target, fresh }) => {
    test.after.each(removeProjects);

    test(`${name}'s folder imports to revisions that give the schema of its files applied with psql`, async () => {
      const theirs = await tempDir('fmig-theirs-');
      for (const [rel, text] of Object.entries(tool.files)) {
        await import('node:fs/promises').then((fs) => fs.mkdir(path.dirname(path.join(theirs, rel)), { recursive: true }));
        await writeFile(path.join(theirs, rel), text);
      }
      const p = await project();
      let r = await p.fmig('import', '--from', name, theirs, '--dry-run');
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stdout, 'dry run: nothing written');
      assert.is((await p.fmig('heads')).stdout.trim(), '');
      tool.checkMapping?.(r.stdout);

      r = await p.fmig('import', '--from', name, theirs);
      assert.is(r.code, 0, r.stderr);
      await tool.checkFiles?.(p);
      r = await p.fmig('verify');
      assert.is(r.code, 0, r.stdout + r.stderr);
      if (tool.check !== false && target.kind === 'pglite') {
        // The round trip runs on its own throwaway database, the same whatever the target.
        r = await p.fmig('check');
        assert.is(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, 'every down restored the schema');
      }

      const ours = await fresh();
      r = await p.fmig('up', '--url', ours.url);
      assert.is(r.code, 0, r.stderr);
      const want = await fresh();
      await applyWithPsql(target, want.url, tool.ups);
      const expected = await schemaOf(target, want.url);
      assert.ok(expected.some((l) => /apply_transaction/.test(l)), 'the compared schema has the function');
      assert.equal(await schemaOf(target, ours.url), expected);

      // A database the tool migrated part-way: its ledger is adopted, then fmig applies the rest.
      const { url } = await fresh();
      await applyWithPsql(target, url, tool.ups.slice(0, tool.partly));
      await inspect(url, (db) => db.exec(tool.ledger(tool.partly)));
      for (const refusal of tool.refusals ?? []) {
        await inspect(url, (db) => db.exec(refusal.sql));
        const before = await state(url);
        r = await p.fmig('import', '--from', name, '--url', url);
        assert.is(r.code, 1, `${refusal.why}: ${r.stderr}`);
        assert.match(r.stderr, refusal.message);
        assert.equal(await state(url), before, `${refusal.why}: nothing changed`);
        await inspect(url, (db) => db.exec(refusal.undo));
      }
      r = await p.fmig('import', '--from', name, '--url', url);
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stdout, `recorded ${tool.recorded.length} revision(s) as applied without running them`);
      const s = await state(url);
      assert.equal(s.rows.map((x) => x.revision), [...tool.recorded].sort());
      assert.ok(s.log.every((l) => l.action === 'baseline' && l.by.endsWith(`; imported from ${name}`)));
      r = await p.fmig('import', '--from', name, '--url', url);
      assert.is(r.code, 1);
      assert.match(r.stderr, `refusing to import: fmig's ledger already has ${tool.recorded.length} row(s)`);

      r = await p.fmig('up', '--url', url);
      assert.is(r.code, 0, r.stderr);
      assert.equal(
        (await state(url)).log.filter((l) => l.action === 'up').map((l) => l.revision),
        tool.rest,
        'only what the tool had not applied runs',
      );
      assert.equal(await schemaOf(target, url), expected);
    });
  });
}
