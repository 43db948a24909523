// `fmig schema` (a normalised snapshot of the database, fmig's ledger left out) and
// `fmig check` (every revision's up, down, up on a throwaway database, comparing snapshots).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../dist/adapters/db/open.js';
import { diffSnapshots, renderSnapshot } from '../dist/core/snapshot-diff.js';
import { admin, forEachTarget, freshDatabase, targets, testServerUrl } from './helpers/databases.js';
import { cliEnv, emptySqlDir, FMIG_BIN, runFmig } from './helpers/cli.js';
import { cleanup, makeRepo, revision, tempDir } from './helpers/git.js';

const SQL = fileURLToPath(new URL('../sql', import.meta.url));
const server = targets.find((t) => t.kind === 'postgres');

/** A project (not a git repository: check and schema need none) with `files` beside migrate.toml. */
async function project(files, toml = 'dir = "sql"\n') {
  const dir = await tempDir('fmig-check-');
  writeFileSync(path.join(dir, 'migrate.toml'), toml);
  const repo = makeRepo(dir);
  await repo.write(files);
  return repo;
}

async function ownSqlProject(toml) {
  const repo = await project({}, toml);
  cpSync(SQL, path.join(repo.dir, 'sql'), { recursive: true });
  return repo;
}

/** Runs `fn` on an open database at `url`, then closes it. */
async function withDb(url, fn) {
  const db = await openDatabase(url, { baseDir: process.cwd(), lockTimeoutMs: 10000, statementTimeoutMs: 0, sqlDir: emptySqlDir() });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const relations = (url) => withDb(url, (db) => db.query(`select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') order by 1`));

forEachTarget('schema', (test, { fresh }) => {
  test.after(cleanup);

  test('prints every object of the sql/ folder, the same twice, and leaves out the ledger and its log', async () => {
    const repo = await ownSqlProject();
    const { url } = await fresh();
    const up = await repo.fmig('up', '--url', url);
    assert.is(up.code, 0, up.stderr);
    const r = await repo.fmig('schema', '--url', url);
    assert.is(r.code, 0, r.stderr);
    for (const line of [
      'table public.institutions',
      '  column id bigint not null generated always as identity',
      '  constraint institutions_pkey: PRIMARY KEY (id)',
      "  constraint accounts_institution_id_fkey: FOREIGN KEY (institution_id) REFERENCES public.institutions(id) ON DELETE RESTRICT",
      '  index transactions_currency_amount_posted_on_idx: CREATE INDEX transactions_currency_amount_posted_on_idx ON public.transactions USING btree (currency, amount, posted_on)',
      "type public.inbox_item_status enum\n  values ('received', 'extracted', 'matched', 'ignored', 'failed')",
      'sequence public.institutions_id_seq',
      '  owned by public.institutions.id (identity)',
      'view public.account_balances',
      'function public.set_updated_at()',
      '  trigger institutions_set_updated_at: CREATE TRIGGER institutions_set_updated_at BEFORE UPDATE ON public.institutions',
      "  comment 'Banks, card issuers and payment providers holding accounts.'",
    ]) {
      assert.ok(r.stdout.includes(line), `missing: ${line}\n${r.stdout}`);
    }
    assert.not.match(r.stdout, /fmig_ledger/);
    const again = await repo.fmig('schema', '--url', url);
    assert.is(again.stdout, r.stdout);

    const j = await repo.fmig('schema', '--json', '--url', url);
    assert.is(j.code, 0, j.stderr);
    const tables = j.json.schema.tables.map((t) => `${t.schema}.${t.name}`);
    assert.equal(tables, ['public.accounts', 'public.attachments', 'public.categories', 'public.category_rules', 'public.inbox_items', 'public.institutions', 'public.matches', 'public.transactions']);
    assert.ok(!j.json.schema.sequences.some((s) => s.name.startsWith('fmig_ledger')), 'the log table\'s sequence is fmig\'s');
    assert.equal(j.json.schema.views.map((v) => v.name), ['account_balances', 'confirmed_matches', 'unmatched_inbox_items']);
    assert.equal(j.json.schema.types.map((t) => [t.name, t.kind]), [['inbox_item_status', 'enum']]);
    assert.equal(j.json.schema.functions.map((f) => f.name), ['apply_category_rules', 'set_updated_at']);
  });

  test('is read-only: it creates no ledger; a ledger in a schema of its own is left out with that schema', async () => {
    const repo = await project(
      { 'sql/1_t.up.sql': 'create table t (id int primary key);\n', 'sql/1_t.down.sql': 'drop table t;\n' },
      'dir = "sql"\n[database]\nschema = "fmig meta"\ntable = "History"\n',
    );
    const { url } = await fresh();
    const before = await repo.fmig('schema', '--url', url);
    assert.is(before.code, 0, before.stderr);
    assert.equal(await relations(url), [], 'schema must not create the ledger');
    assert.is(before.stdout, "schema public\n  comment 'standard public schema'\n");

    assert.is((await repo.fmig('up', '--url', url)).code, 0);
    const names = (await relations(url)).map((r) => r.name);
    assert.ok(names.includes('fmig meta.History_log'), names.join());
    const after = await repo.fmig('schema', '--url', url);
    assert.not.match(after.stdout, /fmig meta|History/);
    assert.match(after.stdout, /table public\.t\n {2}column id integer not null\n {2}constraint t_pkey: PRIMARY KEY \(id\)\n/);
  });
});

test('check: the sql/ folder round-trips on the default in-memory database, changing nothing configured', async () => {
  const repo = await ownSqlProject('dir = "sql"\n[database]\nurl = "pglite://.fmig/pglite"\n');
  const r = await repo.fmig('check');
  assert.is(r.code, 0, r.stderr + r.stdout);
  const ok = r.stdout.split('\n').filter((l) => l.startsWith('ok '));
  assert.is(ok.length, 12, r.stdout);
  assert.match(r.stdout, /^ok +000012_matching_indexes: up, down, up$/m);
  assert.match(r.stdout, /12 revision\(s\) checked on pglite:\/\/memory: every down restored the schema/);
  const status = await repo.fmig('schema');
  assert.match(status.stderr, /does not exist yet/, 'the configured embedded database was never created');
  await cleanup();
});

/** Two revisions on a table; the second's down forgets something. */
function forgetful(up, down) {
  return {
    'sql/001_t.up.sql': 'create table t (id int primary key);\n',
    'sql/001_t.down.sql': 'drop table t;\n',
    'sql/002_more.up.sql': up,
    'sql/002_more.down.sql': down,
  };
}

const FORGOTTEN = [
  {
    what: 'an index',
    files: forgetful('create index t_id_idx on t (id desc);\ncreate table u (x int);\n', 'drop table u;\n'),
    diff: ['  table public.t', '+   index t_id_idx: CREATE INDEX t_id_idx ON public.t USING btree (id DESC)'],
  },
  {
    what: 'a type',
    files: forgetful("create type mood as enum ('sad', 'ok');\nalter table t add column m mood;\n", 'alter table t drop column m;\n'),
    diff: ['+ type public.mood enum', "+   values ('sad', 'ok')"],
  },
  {
    what: 'a column',
    files: forgetful('alter table t add column note text not null default \'\';\n', '-- nothing to undo?\n'),
    diff: ['  table public.t', "+   column note text not null default ''::text"],
  },
];

for (const [i, { what, files, diff }] of FORGOTTEN.entries()) {
  test(`check: a down that forgets ${what} fails, naming the revision and what is left over`, async () => {
    const repo = await project(files);
    const r = await repo.fmig('check');
    assert.is(r.code, 1, r.stderr + r.stdout);
    assert.match(r.stdout, /^ok +001_t: up, down, up$/m);
    assert.match(r.stdout, /^FAILED +002_more: its down does not restore the schema \(\+ left over after the down, - missing after the down\):$/m);
    assert.ok(r.stdout.includes(diff.map((l) => `    ${l}`).join('\n')), r.stdout);
    if (i === 0) {
      const j = await repo.fmig('check', '--json');
      assert.is(j.code, 1);
      assert.equal(j.json.revisions.at(-1), { revision: '002', slug: 'more', status: 'not-restored', step: 'down', diff });
    }
    await cleanup();
  });
}

test('check: a down that drops too much shows what is missing', async () => {
  const repo = await project(forgetful('create table u (x int);\n', 'drop table u;\nalter table t drop constraint t_pkey;\n'));
  const r = await repo.fmig('check', '--json');
  assert.is(r.code, 1, r.stderr);
  assert.equal(r.json.revisions.at(-1).diff, ['  table public.t', '-   constraint t_pkey: PRIMARY KEY (id)']);
  await cleanup();
});

test('check: an up that does something else the second time fails at "up again"', async () => {
  // The first up finds no log rows of its own, the second finds two: it makes another table.
  const up = `do $$ begin
  if (select count(*) from fmig_ledger_log where revision = '002') = 0 then create table first_time (); else create table second_time (); end if;
end $$;\n`;
  const repo = await project(forgetful(up, 'drop table if exists first_time;\ndrop table if exists second_time;\n'));
  const r = await repo.fmig('check', '--json');
  assert.is(r.code, 1, r.stderr);
  assert.equal(r.json.revisions.at(-1), {
    revision: '002',
    slug: 'more',
    status: 'not-restored',
    step: 'up again',
    diff: ['- table public.first_time', '+ table public.second_time'],
  });
  await cleanup();
});

test('check: a failing down is reported like `up` reports errors, with file, line and column', async () => {
  const repo = await project(forgetful('create table u (x int);\n', '-- undo\ndrop table u;\nselect nosuch from pg_class;\n'));
  const r = await repo.fmig('check');
  assert.is(r.code, 1, r.stdout);
  assert.match(r.stdout, /^ok +001_t/m);
  assert.match(r.stderr, /fmig check: down of 002_more failed/);
  assert.match(r.stderr, /sql\/002_more\.down\.sql:3:8: error 42703: column "nosuch" does not exist/);
  assert.match(r.stderr, /\| select nosuch from pg_class;\n {2}\| {8}\^/);
  await cleanup();
});

test('check: a revision without a down file is irreversible: applied, not round-tripped, and the next ones still are', async () => {
  const repo = await project({
    'sql/001_t.up.sql': 'create table t (id int);\n',
    'sql/001_t.down.sql': 'drop table t;\n',
    'sql/002_data.up.sql': 'insert into t values (1);\n',
    'sql/003_u.up.sql': 'create table u (id int);\n',
    'sql/003_u.down.sql': 'drop table u;\n',
  });
  const r = await repo.fmig('check');
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^ok +001_t: up, down, up$/m);
  assert.match(r.stdout, /^irreversible +002_data: no down file; applied without a round trip$/m);
  assert.match(r.stdout, /^ok +003_u: up, down, up$/m);
  assert.match(r.stdout, /1 irreversible/);
  await cleanup();
});

/** Runs fmig in `dir` with `tmp` as the system's temporary directory. */
const withTmp = (dir, tmp, args, opts = {}) => runFmig(dir, args, { env: cliEnv({ TMPDIR: tmp }), ...opts });

test('check on the embedded database leaves nothing in the temporary directory: when it passes, when a down does not restore, when a down fails', async () => {
  const tmp = await tempDir('fmig-tmp-');
  const cases = [
    { files: forgetful('create table u (x int);\n', 'drop table u;\n'), code: 0 },
    { files: FORGOTTEN[0].files, code: 1, out: /FAILED +002_more/ },
    { files: forgetful('create table u (x int);\n', 'select nosuch from pg_class;\n'), code: 1, out: /down of 002_more failed/ },
  ];
  for (const { files, code, out } of cases) {
    const repo = await project(files);
    const r = await withTmp(repo.dir, tmp, ['check']);
    assert.is(r.code, code, r.stderr + r.stdout);
    if (out) assert.match(r.stdout + r.stderr, out);
    assert.equal(readdirSync(tmp), []);
  }
  await cleanup();
});

test('check on the embedded database: SIGINT stops it (exit 130) and its temporary folder is removed', async () => {
  const tmp = await tempDir('fmig-tmp-');
  const files = {};
  for (let i = 1; i <= 200; i++) Object.assign(files, revision(String(i).padStart(3, '0'), `t${i}`));
  const repo = await project(files);
  const child = spawn(process.execPath, [FMIG_BIN, 'check'], { cwd: repo.dir, env: cliEnv({ TMPDIR: tmp }), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  // Round trips under way (a revision reported ok), on a database in the temporary directory.
  for (let i = 0; i < 1200 && !/^ok /m.test(output); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(output, /^ok /m);
  assert.is(readdirSync(tmp).filter((n) => n.startsWith('fmig-throwaway-')).length, 1, readdirSync(tmp).join(', '));
  child.kill('SIGINT');
  const { code, signal } = await exit;
  assert.is(code, 130, `${signal} ${output}`);
  assert.not.match(output, /revision\(s\) checked/, 'stopped before the end');
  assert.equal(readdirSync(tmp), []);
  await cleanup();
});

test('check on the embedded database removes the temporary folder a killed fmig left, and not one of a running process', async () => {
  const tmp = await tempDir('fmig-tmp-');
  // The pid of a process that has exited.
  const gone = await new Promise((resolve) => {
    const c = spawn(process.execPath, ['-e', '0']);
    c.on('exit', () => resolve(c.pid));
  });
  const dead = path.join(tmp, `fmig-throwaway-${gone}-abc123`);
  const running = path.join(tmp, 'fmig-throwaway-1-abc123');
  for (const dir of [dead, running]) {
    mkdirSync(path.join(dir, 'pgdata'), { recursive: true });
    writeFileSync(path.join(dir, 'pgdata', 'PG_VERSION'), '17\n');
  }
  const repo = await project(forgetful('create table u (x int);\n', 'drop table u;\n'));
  const r = await withTmp(repo.dir, tmp, ['check']);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.equal(readdirSync(tmp), ['fmig-throwaway-1-abc123']);
  await cleanup();
});

const EMPTY = { schemas: [], extensions: [], types: [], sequences: [], tables: [], views: [], functions: [] };
const fn = (body, comment = null) => ({ schema: 'app', name: 'f', kind: 'function', arguments: 'x integer', definition: `CREATE FUNCTION app.f(x integer)\n AS $$\n${body}\n$$`, comment });

test('snapshot text: objects in canonical order whatever the catalog order; a diff shows only the changed lines under their header', () => {
  const a = { ...EMPTY, schemas: [{ name: 'b', comment: null }, { name: 'a', comment: null }], functions: [fn('select 1')] };
  const b = { ...EMPTY, schemas: [{ name: 'a', comment: null }, { name: 'b', comment: null }], functions: [fn('select 2', 'new')] };
  assert.equal(renderSnapshot(a).slice(0, 3), ['schema a', '', 'schema b']);
  assert.equal(diffSnapshots(a, { ...a, schemas: [...a.schemas].reverse() }), []);
  assert.equal(diffSnapshots(a, b), ['  function app.f(x integer)', '-   | select 1', '+   | select 2', "+   comment 'new'"]);
});

if (server) {
  const temporaries = async () => (await admin(testServerUrl, `select datname from pg_database where datname like 'fmig\\_check\\_%'`)).map((r) => r.datname);

  test('check --url <server>: runs in a temporary database there, dropped afterwards; the named database is untouched', async () => {
    const repo = await ownSqlProject();
    const db = await freshDatabase(server);
    try {
      const r = await repo.fmig('check', '--json', '--url', db.url);
      assert.is(r.code, 0, r.stderr);
      const name = /\/(fmig_check_[0-9a-f]+)$/.exec(r.json.database)?.[1];
      assert.ok(name, r.json.database);
      assert.equal(r.json.revisions.map((x) => x.status), new Array(12).fill('ok'));
      assert.not.ok((await temporaries()).includes(name), `${name} was not dropped`);
      assert.equal(await relations(db.url), [], 'the configured database must not be touched');
    } finally {
      await db.drop();
    }
  });

  test('check --url <server>: the temporary database is dropped when a down fails, and when one does not restore', async () => {
    const failing = await project(forgetful('create table u (x int);\n', 'select nosuch from pg_class;\n'));
    const forgetting = await project(FORGOTTEN[0].files);
    const db = await freshDatabase(server);
    try {
      const before = await temporaries();
      const r = await failing.fmig('check', '--url', db.url);
      assert.is(r.code, 1, r.stdout);
      assert.match(r.stderr, /sql\/002_more\.down\.sql:1:8: error 42703/);
      const f = await forgetting.fmig('check', '--url', db.url);
      assert.is(f.code, 1, f.stderr);
      assert.match(f.stdout, /\+   index t_id_idx/);
      // Other test files' checks may have temporaries of their own for a while: wait until every
      // name that is not from before is gone (one of this test's would never go).
      let left = [];
      for (let i = 0; i < 120; i++) {
        left = (await temporaries()).filter((n) => !before.includes(n));
        if (!left.length) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.equal(left, [], 'no temporary database is left behind');
    } finally {
      await db.drop();
    }
    await cleanup();
  });
}

test.run();
