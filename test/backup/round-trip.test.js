/**
 * The backup `up --backup` takes before a revision that destroys data, restored into a new
 * database, gives back the schema, the rows and the ledger as they were: on a server with
 * pg_dump/pg_restore, on the embedded database with PGlite's data-directory copy.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { inspect, removeProjects, repositoryCopy, snapshot, tempDir } from '../helpers/cli.js';

/** Rows in three of the repository's tables: a bank, an account, and `n` transactions. */
const SEED = (n) => `
insert into institutions (name, country, bic) values ('Bank A', 'DE', 'DEUTDEFF');
insert into accounts (institution_id, name, currency) select id, 'Main', 'EUR' from institutions;
insert into transactions (account_id, posted_on, amount, currency, description)
  select a.id, date '2026-01-01' + (g % 300), (g % 997) + 0.25, 'EUR', 'tx ' || g from accounts a, generate_series(1, ${n}) g;`;

const DESTROY = 'delete from transactions;\nalter table institutions drop column bic;\n';

/** What must come back: the schema, the rows of the seeded tables, the ledger. */
async function picture(url) {
  const schema = await snapshot(url);
  const rows = await inspect(url, async (db) => ({
    institutions: await db.query('select * from institutions order by id'),
    transactions: await db.query('select id, account_id, posted_on::text, amount::text, description from transactions order by id'),
    ledger: await db.query('select * from fmig_ledger order by revision'),
    log: await db.query('select * from fmig_ledger_log order by id'),
  }));
  return { schema, ...rows };
}

/** pg_dump's plain output, without the per-run `\restrict` key. */
function plainDump(url) {
  return execFileSync('pg_dump', ['--no-password', `--dbname=${url}`], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => !/^\\(un)?restrict /.test(l))
    .join('\n');
}

forEachTarget('backup round trip', (test, { target, fresh }) => {
  test.after.each(removeProjects);

  test('up --backup before a destructive revision; restore gives back schema, rows and ledger', async () => {
    const p = await repositoryCopy();
    const { url } = await fresh();
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    await inspect(url, (db) => db.exec(SEED(300)));
    await p.write({ 'sql/000013_destroy.up.sql': DESTROY });
    const before = await picture(url);
    const dumpBefore = target.kind === 'postgres' ? plainDump(url) : null;
    const statusBefore = (await p.fmig('status', '--url', url, '--json')).json;
    assert.is(statusBefore.applied.length, 12);

    const r = await p.fmig('up', '--url', url, '--backup');
    assert.is(r.code, 0, r.stderr);
    const m = /^backup: (\S+) \(/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    // Named in the output before the revision it protects against.
    assert.ok(r.stdout.indexOf('backup:') < r.stdout.indexOf('applied 000013_destroy'), r.stdout);
    const file = path.join(p.dir, m[1]);
    assert.match(path.basename(file), target.kind === 'postgres' ? /-before-000013\.dump$/ : /^pglite-\d{8}T\d{6}Z-before-000013\.tar\.gz$/);
    assert.ok(file.startsWith(path.join(p.dir, '.fmig', 'backups')));
    const meta = JSON.parse(readFileSync(`${file}.json`, 'utf8'));
    assert.is(meta.kind, target.kind);
    assert.equal(meta.ledger.heads, ['000012']);
    assert.equal(
      meta.ledger.applied.map((a) => [a.revision, a.up_checksum]),
      before.ledger.map((row) => [row.revision, row.up_checksum]),
    );
    assert.is(meta.before, '000013');
    assert.is(meta.size_bytes, statSync(file).size);
    assert.ok(meta.server_version);
    assert.ok(!meta.database.includes(':***') && !/:[^/@]*@/.test(meta.database.replace(/^\w+:\/\//, '')));

    // The revision ran: the data is gone.
    const after = await picture(url);
    assert.is(after.transactions.length, 0);
    assert.ok(!after.schema.some((l) => l.startsWith('column public.institutions.bic')));

    const target2 = target.kind === 'postgres' ? (await fresh()).url : `pglite://${path.join(await tempDir(), 'restored')}`;
    const restored = await p.fmig('restore', m[1], '--url', target2, '--yes');
    assert.is(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /restored .* 12 revision\(s\) applied, head 000012/);

    const back = await picture(target2);
    assert.equal(back.schema, before.schema);
    assert.equal(back.institutions, before.institutions);
    assert.is(back.transactions.length, 300);
    assert.equal(back.transactions, before.transactions);
    assert.equal(back.ledger, before.ledger);
    assert.equal(back.log, before.log);
    if (dumpBefore !== null) assert.fixture(plainDump(target2), dumpBefore);

    const statusBack = (await p.fmig('status', '--url', target2, '--json')).json;
    assert.equal({ ...statusBack, database: null }, { ...statusBefore, database: null });
  });
});
