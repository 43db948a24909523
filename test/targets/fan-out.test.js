// Targets on a server: 50 tenant schemas on one database and 8 databases, run at once (-j 4).
// Every tenant gets every revision once, with its ledger in its own schema; one tenant made to
// fail (an object already there) fails alone and is named; the next run applies only its rest.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freshDatabase, targets, admin } from '../helpers/databases.js';
import { project, removeProjects, inspect } from '../helpers/cli.js';

const server = targets.find((t) => t.kind === 'postgres');
const test = suite('targets: tenants and databases on a server');

const TENANTS = Array.from({ length: 50 }, (_, i) => `tenant_${String(i + 1).padStart(2, '0')}`);
const SHARDS = 8;
const revs = {
  '000001_a': { up: 'create table a (id int primary key);\n', down: 'drop table a;\n' },
  // A SET in one revision does not outlive it; a RESET goes back to the tenant's schema.
  '000002_b': { up: 'create table b (id int references a);\nset search_path = public;\n', down: 'drop table b;\n' },
  '000003_c': { up: 'set search_path = public;\nreset search_path;\ncreate table c (id int);\n', down: 'drop table c;\n' },
};

let tenantsDb;
let shards = [];
const toml = (extra = '') =>
  `dir = "sql"\n\n[targets.tenants]\nurl = "${tenantsDb.url}"\nschemas = "select nspname from pg_namespace where nspname like 'tenant\\\\_%'"\n` +
  shards.map((s, i) => `\n[targets.shard${i + 1}]\nurl = "${s.url}"\n`).join('') +
  extra;

/** Applied revisions per tenant schema (from each schema's own ledger), and `up` log rows per revision. */
async function tenantLedgers() {
  return inspect(tenantsDb.url, async (db) => {
    const schemas = (await db.query(`select table_schema as s from information_schema.tables where table_name = 'fmig_ledger' order by 1`)).map((r) => r.s);
    const out = {};
    for (const s of schemas) {
      const rows = await db.query(`select revision from "${s}".fmig_ledger where finished_at is not null order by 1`);
      const log = await db.query(`select revision, count(*)::int as n from "${s}".fmig_ledger_log where action = 'up' group by 1 order by 1`);
      out[s] = { applied: rows.map((r) => r.revision), ups: Object.fromEntries(log.map((r) => [r.revision, r.n])) };
    }
    return out;
  });
}

const tablesIn = (url, schema) =>
  inspect(url, async (db) => (await db.query(`select table_name as t from information_schema.tables where table_schema = $1 and table_name not like 'fmig%' order by 1`, [schema])).map((r) => r.t));

if (server) {
  test.before(async () => {
    tenantsDb = await freshDatabase(server);
    shards = await Promise.all(Array.from({ length: SHARDS }, () => freshDatabase(server)));
    await admin(tenantsDb.url, TENANTS.map((t) => `create schema ${t};`).join('\n'));
    // tenant_17 already has a table the second revision creates.
    await admin(tenantsDb.url, 'create table tenant_17.b (other text)');
  });
  test.after(async () => {
    await Promise.all([tenantsDb, ...shards].filter(Boolean).map((d) => d.drop()));
  });
  test.after.each(removeProjects);

  test('up --all -j 4: every tenant and database gets every revision once; one tenant fails alone, named; the re-run applies only its rest', async () => {
    const p = await project(revs, { toml: toml() });
    let r = await p.fmig('up', '--all', '-j', '4');
    assert.is(r.code, 1, r.stdout + r.stderr);
    // One line per run as it finishes, then the summary naming the failed tenant with its error.
    assert.is(r.stdout.split('\n').filter((l) => /^(ok|FAILED) /.test(l)).length, TENANTS.length + SHARDS);
    assert.match(r.stdout, /^FAILED\s+tenants\/tenant_17\s+000002_b failed: .*relation "b" already exists/m);
    assert.is((r.stdout.match(/^FAILED/gm) ?? []).length, 1, r.stdout);
    const failedPart = r.stdout.slice(r.stdout.indexOf('\nfailed:\n'));
    assert.match(failedPart, /tenants\/tenant_17 \(postgres:\/\/[^)]*\): exit 1\n\s+000002_b failed/);
    assert.match(r.stdout, /tenants\s+50\s+49\s+1\s+0/);
    assert.match(r.stdout, /58 run\(s\) in .*: 57 ok, 1 failed/);

    let ledgers = await tenantLedgers();
    assert.equal(Object.keys(ledgers), TENANTS, 'a ledger in each tenant schema, none in public');
    for (const t of TENANTS) {
      assert.equal(ledgers[t].applied, t === 'tenant_17' ? ['000001'] : ['000001', '000002', '000003'], t);
      assert.equal(ledgers[t].ups, t === 'tenant_17' ? { '000001': 1 } : { '000001': 1, '000002': 1, '000003': 1 }, t);
    }
    // Objects went to each tenant's schema through search_path; a revision's own SET did not outlive it.
    assert.equal(await tablesIn(tenantsDb.url, 'tenant_01'), ['a', 'b', 'c']);
    assert.equal(await tablesIn(tenantsDb.url, 'public'), []);
    for (const s of shards) assert.equal(await tablesIn(s.url, 'public'), ['a', 'b', 'c']);

    await admin(tenantsDb.url, 'drop table tenant_17.b');
    r = await p.fmig('up', '--all', '-j', '8', '--json');
    assert.is(r.code, 0, r.stdout + r.stderr);
    const byLabel = Object.fromEntries(r.json.targets.map((t) => [t.schema ? `${t.target}/${t.schema}` : t.target, t]));
    assert.is(r.json.targets.length, TENANTS.length + SHARDS);
    assert.equal(byLabel['tenants/tenant_17'].result.applied.map((a) => a.revision), ['000002', '000003']);
    for (const [label, t] of Object.entries(byLabel)) {
      assert.is(t.state, 'ok', label);
      if (label !== 'tenants/tenant_17') assert.equal(t.result.applied, [], label);
    }
    ledgers = await tenantLedgers();
    for (const t of TENANTS) assert.equal(ledgers[t].ups, { '000001': 1, '000002': 1, '000003': 1 }, t);

    // status and verify --db on all of them; down refuses --all and reverts a named target's runs.
    r = await p.fmig('status', '--all', '-j', '8', '--check', '--json');
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.ok(r.json.targets.every((t) => t.result.pending.length === 0 && t.result.applied.length === 3));
    r = await p.fmig('verify', '--db', '--all', '-j', '8');
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.is((r.stdout.match(/the ledger agrees with the folder/g) ?? []).length, TENANTS.length + SHARDS);

    r = await p.fmig('down', '--all');
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, /down --all/);
    r = await p.fmig('down', '--target', 'shard3', '--target', 'shard5');
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok\s+shard3\s+reverted 1 \(000003\)/m);
    assert.equal(await tablesIn(shards[2].url, 'public'), ['a', 'b']);
    assert.equal(await tablesIn(shards[3].url, 'public'), ['a', 'b', 'c']);
  });

  test('two fan-outs at once over the same tenants (lock connections passed from run to run): every tenant gets each revision once', async () => {
    const db = await freshDatabase(server);
    try {
      const names = Array.from({ length: 12 }, (_, i) => `t${String(i + 1).padStart(2, '0')}`);
      await admin(db.url, names.map((n) => `create schema ${n};`).join('\n'));
      const p = await project(revs, { toml: `dir = "sql"\n[targets.tenants]\nurl = "${db.url}"\nschemas = "select nspname from pg_namespace where nspname ~ '^t[0-9]+$'"\n[database]\nlock_wait = "2m"\n` });
      const runs = await Promise.all([p.fmigProcess('up', '--target', 'tenants', '-j', '3', '--json'), p.fmigProcess('up', '--target', 'tenants', '-j', '2', '--json')]);
      for (const r of runs) assert.is(r.code, 0, r.stdout + r.stderr);
      const applied = runs.flatMap((r) => r.json.targets.flatMap((t) => t.result.applied.map((a) => `${t.schema} ${a.revision}`))).sort();
      assert.equal(applied, names.flatMap((n) => ['000001', '000002', '000003'].map((rev) => `${n} ${rev}`)), 'each revision of each tenant applied by one of the two');
      const ups = await inspect(db.url, (c) => c.query(names.map((n) => `select '${n}' as s, count(*)::int as n from ${n}.fmig_ledger_log where action = 'up'`).join(' union all ')));
      for (const u of ups) assert.is(u.n, 3, u.s);
    } finally {
      await db.drop();
    }
  });

  test('--fail-fast: no run starts after one failed; a schema list; a failing schemas query fails its target alone', async () => {
    const db = await freshDatabase(server);
    try {
      await admin(db.url, 'create schema s1; create schema s2; create table s2.a (x int)');
      const extra = `\n[targets.listed]\nurl = "${db.url}"\nschemas = ["s1", "s2", "s3", "s4"]\n\n[targets.broken]\nurl = "${db.url}"\nschemas = "select nope from nowhere"\n`;
      const p = await project(revs, { toml: `dir = "sql"\n${extra}` });
      let r = await p.fmig('up', '--target', 'listed', '-j', '1', '--fail-fast');
      assert.is(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^ok\s+listed\/s1\s+applied 3/m);
      assert.match(r.stdout, /^FAILED\s+listed\/s2\s+000001_a failed/m);
      assert.match(r.stdout, /listed\s+2\s+1\s+1\s+2/);
      assert.equal(await tablesIn(db.url, 's3'), [], 'not run');
      // Without --fail-fast the rest run; a listed schema that is missing is created with its ledger.
      r = await p.fmig('up', '--target', 'listed', '--target', 'broken', '--json');
      assert.is(r.code, 1, r.stdout + r.stderr);
      const states = Object.fromEntries(r.json.targets.map((t) => [t.schema ? `${t.target}/${t.schema}` : t.target, t.state]));
      assert.equal(states, { 'listed/s1': 'ok', 'listed/s2': 'failed', 'listed/s3': 'ok', 'listed/s4': 'ok', broken: 'failed' });
      assert.match(r.json.targets.find((t) => t.target === 'broken').error.message, /targets\.broken\.schemas: the query failed: .*nowhere/);
      assert.equal(await tablesIn(db.url, 's4'), ['a', 'b', 'c']);
    } finally {
      await db.drop();
    }
  });
}

test.run();
