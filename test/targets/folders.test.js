// A glob `dir` (a monorepo): one project per folder, each with its own ledger table; up,
// status and verify run on every folder from the top, other commands in the folder they run in.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { freshDatabase, targets } from '../helpers/databases.js';
import { project, removeProjects, inspect } from '../helpers/cli.js';

const rev = (t) => ({ up: `create table ${t} (id int);\n`, down: `drop table ${t};\n` });
const files = {
  'services/billing/sql/000001_invoices.up.sql': rev('invoices').up,
  'services/billing/sql/000001_invoices.down.sql': rev('invoices').down,
  'services/users/sql/000001_users.up.sql': rev('users').up,
  'services/users/sql/000001_users.down.sql': rev('users').down,
  'services/users/sql/000002_logins.up.sql': rev('logins').up,
  'services/users/sql/000002_logins.down.sql': rev('logins').down,
};
const ledgers = (url) =>
  inspect(url, async (db) => {
    const out = {};
    for (const t of ['fmig_ledger_billing', 'fmig_ledger_users']) {
      const [has] = await db.query('select to_regclass($1) is not null as ok', [`public.${t}`]);
      out[t] = has.ok ? (await db.query(`select revision from public.${t} order by 1`)).map((r) => r.revision) : null;
    }
    return out;
  });

for (const target of targets) {
  const test = suite(`${target.name}: targets: a glob dir, one project per folder`);
  let db;
  test.before.each(async () => {
    db = await freshDatabase(target);
  });
  test.after.each(async () => {
    await db.drop();
    await removeProjects();
  });

  test('up at the top runs every folder, each with its own ledger; commands inside a folder use it alone', async () => {
    const p = await project({}, { toml: `dir = "services/*/sql"\n[database]\nurl = "${db.url}"\n`, files });
    let r = await p.fmig('up');
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok\s+services\/billing\/sql\s+applied 1 \(000001_invoices\)/m);
    assert.match(r.stdout, /^ok\s+services\/users\/sql\s+applied 2 \(000001_users … 000002_logins\)/m);
    assert.equal(await ledgers(db.url), { fmig_ledger_billing: ['000001'], fmig_ledger_users: ['000001', '000002'] });

    // From the top, a command on one folder names them; inside one, it is that folder's project.
    r = await p.fmig('new', 'refunds');
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, /matches 2 folder\(s\): run this command inside one of them \(services\/billing\/sql, services\/users\/sql\)/);
    assert.not.ok(existsSync(path.join(p.dir, 'services', '*')), 'no folder named after the glob');
    const billing = path.join(p.dir, 'services', 'billing');
    r = await p.fmig('new', 'refunds', { cwd: billing });
    assert.is(r.code, 0, r.stderr);
    await p.write({ 'services/billing/sql/000002_refunds.up.sql': 'create table refunds (id int);\n' });
    r = await p.fmig('up', { cwd: billing });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^applied 000002_refunds/m);
    assert.equal(await ledgers(db.url), { fmig_ledger_billing: ['000001', '000002'], fmig_ledger_users: ['000001', '000002'] });

    r = await p.fmig('status', '--json');
    assert.is(r.code, 0, r.stderr);
    assert.equal(
      r.json.targets.map((t) => [t.folder, t.result.applied.length, t.result.pending.length]),
      [['services/billing/sql', 2, 0], ['services/users/sql', 2, 0]],
    );
    r = await p.fmig('down');
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, /down reverts in one folder at a time/);
  });
  test.run();
}
