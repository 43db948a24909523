// Lint through `fmig verify` end to end, in real temp git repositories: only revisions new on
// the branch are linted, tables created on the branch are new, config and inline ignores apply.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gitRepo, revision, cleanup, run, gitEnv, FMIG_BIN } from '../helpers/git.js';

test.after.each(cleanup);

const TOML = 'dir = "sql"\n';
const ORDERS = revision('0001', 'orders', 'create table orders (id bigint primary key, x int);\n', 'drop table orders;\n');

/** main: 0001 creates orders (published); the branch `feature`, checked out, adds `commits`. */
function branch(commits, toml = TOML) {
  return gitRepo({ files: { 'migrate.toml': toml, ...ORDERS }, steps: [{ branch: 'feature' }, ...commits.map((c) => ({ commit: c }))] });
}
const lintCodes = (r) => r.json.findings.map((f) => [f.code, `${f.file}:${f.line}`]);

test('a new revision indexing a published table is an error at file:line:col with the statement, the lock and the fix', async () => {
  const repo = await branch([revision('0002', 'idx', '-- fmig:parent 0001\nselect 1;\ncreate index orders_x on orders (x);\n')]);
  const r = await repo.fmig('verify', '--json');
  assert.is(r.code, 1, r.stderr);
  assert.equal(r.json.findings, [
    {
      code: 'index-not-concurrent',
      severity: 'error',
      file: 'sql/0002_idx.up.sql',
      line: 3,
      column: 1,
      statement: 'create index orders_x on orders (x)',
      message: '`create index orders_x on orders (x)`: takes a SHARE lock on orders for the whole index build: every INSERT, UPDATE and DELETE on it waits until the index is built',
      fix: 'CREATE INDEX CONCURRENTLY, alone in a revision marked -- fmig:no-transaction',
    },
  ]);
  const text = await repo.fmig('verify');
  assert.is(text.code, 1);
  assert.match(text.stdout, /^error index-not-concurrent sql\/0002_idx\.up\.sql:3:1: `create index orders_x on orders \(x\)`: takes a SHARE lock on orders .* — fix: CREATE INDEX CONCURRENTLY/m);
  // The safe pattern passes.
  await repo.write({ 'sql/0002_idx.up.sql': '-- fmig:parent 0001\n-- fmig:no-transaction\ncreate index concurrently orders_x on orders (x);\n' });
  const safe = await repo.fmig('verify', '--json');
  assert.is(safe.code, 0, safe.stdout);
  assert.equal(safe.json, { ok: true, findings: [], skipped: [] });
});

test('a table created by an earlier unpublished revision of the branch is new; published revisions are not linted without --all', async () => {
  const repo = await branch([
    revision('0002', 'items', '-- fmig:parent 0001\ncreate table items (id int, n int);\n'),
    revision('0003', 'items_n', '-- fmig:parent 0002\ncreate index items_n on items (n);\nalter table items alter column n set not null;\n'),
    revision('0004', 'orders_x', '-- fmig:parent 0003\ncreate index items_id on items (id);\nalter table orders alter column x set not null;\n'),
  ]);
  const r = await repo.fmig('verify', '--json');
  assert.is(r.code, 1);
  assert.equal(lintCodes(r), [['set-not-null', 'sql/0004_orders_x.up.sql:3']]);
  // --all lints the published revision too; its primary key is on the table it creates, so nothing more.
  const all = await repo.fmig('verify', '--all', '--json');
  assert.equal(lintCodes(all), [['set-not-null', 'sql/0004_orders_x.up.sql:3']]);
});

test('--all lints published revisions; what they create is not new for later revisions', async () => {
  const repo = await gitRepo({
    files: { 'migrate.toml': TOML, ...ORDERS, ...revision('0002', 'idx', '-- fmig:parent 0001\ncreate index orders_x on orders (x);\n') },
  });
  const plain = await repo.fmig('verify', '--json');
  assert.is(plain.code, 0, 'on main, nothing is new');
  const all = await repo.fmig('verify', '--all', '--json');
  assert.is(all.code, 1);
  assert.equal(lintCodes(all), [['index-not-concurrent', 'sql/0002_idx.up.sql:2']]);
});

test('-- fmig:lint-ignore with a reason is shown, not counted; without a reason it is an error', async () => {
  const up = '-- fmig:parent 0001\n-- fmig:lint-ignore index-not-concurrent orders holds 40 rows, a lock of milliseconds\ncreate index orders_x on orders (x);\n';
  const repo = await branch([revision('0002', 'idx', up)]);
  const r = await repo.fmig('verify', '--json');
  assert.is(r.code, 0, r.stdout);
  assert.equal(r.json.findings, []);
  assert.equal(r.json.ignored, [{ code: 'index-not-concurrent', file: 'sql/0002_idx.up.sql', line: 3, column: 1, statement: 'create index orders_x on orders (x)', reason: 'orders holds 40 rows, a lock of milliseconds' }]);
  const text = await repo.fmig('verify');
  assert.match(text.stdout, /^info ignored index-not-concurrent sql\/0002_idx\.up\.sql:3:1: `create index orders_x on orders \(x\)` — reason: orders holds 40 rows, a lock of milliseconds$/m);
  await repo.write({ 'sql/0002_idx.up.sql': '-- fmig:parent 0001\n-- fmig:lint-ignore index-not-concurrent\ncreate index orders_x on orders (x);\n' });
  const bare = await repo.fmig('verify', '--json');
  assert.is(bare.code, 1);
  assert.equal(lintCodes(bare), [['lint-ignore-reason', 'sql/0002_idx.up.sql:2'], ['index-not-concurrent', 'sql/0002_idx.up.sql:3']]);
});

test('[lint] settings: a rule made a warning, turned off, the server version; bad settings are a config error', async () => {
  const up = revision('0002', 'x', '-- fmig:parent 0001\ncreate index orders_x on orders (x);\nalter table orders add column n int not null default 0;\n');
  const repo = await branch([up], `${TOML}[lint]\npostgres = 10\n[lint.rules]\n"index-not-concurrent" = "warning"\n`);
  let r = await repo.fmig('verify', '--json');
  assert.is(r.code, 1);
  assert.equal(r.json.findings.map((f) => [f.code, f.severity]), [['index-not-concurrent', 'warning'], ['add-column-rewrite', 'error']]);
  await repo.write({ 'migrate.toml': `${TOML}[lint]\npostgres = 15\nrules."index-not-concurrent" = "off"\n` });
  r = await repo.fmig('verify', '--json');
  assert.is(r.code, 0, r.stdout);
  assert.equal(r.json.findings, []);
  await repo.write({ 'migrate.toml': `${TOML}[lint]\npostgres = 3\n[lint.rules]\n"index-not-concurent" = "off"\ntruncate = "loud"\n` });
  const bad = await repo.fmig('verify');
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /lint\.postgres: 3 is not a PostgreSQL major version such as 15/);
  assert.match(bad.stderr, /lint\.rules\."index-not-concurent": no such lint rule \(did you mean "index-not-concurrent"\?\)/);
  assert.match(bad.stderr, /lint\.rules\."truncate": expected "off", "warning" or "error", got "loud"/);
  assert.not.match(bad.stderr, /\n\s+at /, 'no stack trace');
});

test('--staged lints the index (also when an earlier run cached the file), and fmig lock_timeout = 0 adds lock-timeout-missing', async () => {
  const repo = await branch([], `${TOML}[database]\nlock_timeout = "0"\n`);
  await repo.write(revision('0002', 'col', '-- fmig:parent 0001\nalter table orders add column n int;\n'));
  await repo.git('add', '-A');
  await repo.write({ 'sql/0002_col.up.sql': "-- fmig:parent 0001\nset lock_timeout = '2s';\nalter table orders add column n int;\n" });
  for (let i = 0; i < 2; i++) {
    const r = await repo.fmig('verify', '--staged', '--json');
    assert.is(r.code, 1);
    assert.equal(lintCodes(r), [['lock-timeout-missing', 'sql/0002_col.up.sql:2']]);
  }
  assert.is((await repo.fmig('verify')).code, 0, 'the working tree sets lock_timeout');
});

test('the parser loads only when there is a new revision to read', async () => {
  const repo = await gitRepo({ files: { 'migrate.toml': TOML, ...ORDERS } });
  // A preload that makes loading libpg-query fail loudly.
  const guard = path.join(repo.dir, '.guard.cjs');
  await writeFile(guard, "const M = require('module'); const load = M._load; M._load = function (r, ...a) { if (r === 'libpg-query') throw new Error('libpg-query loaded'); return load.call(this, r, ...a); };\n");
  const verify = () => run(process.execPath, ['--require', guard, FMIG_BIN, 'verify'], { cwd: repo.dir, env: gitEnv() });
  const none = await verify();
  assert.is(none.code, 0, none.stdout + none.stderr);
  await repo.git('checkout', '-q', '-b', 'feature');
  await repo.write(revision('0002', 'b', '-- fmig:parent 0001\ncreate table b (id int);\n'));
  const one = await verify();
  assert.match(one.stdout + one.stderr, /libpg-query loaded/);
  // A run that parsed keeps the trees by blob id: the next run on the same content needs no parser.
  assert.is((await repo.fmig('verify')).code, 0);
  const again = await verify();
  assert.is(again.code, 0, again.stdout + again.stderr);
  // Other content is parsed again, and its finding found.
  await repo.write({ 'sql/0002_b.up.sql': '-- fmig:parent 0001\ncreate index orders_x on orders (x);\n' });
  assert.match((await verify()).stderr, /libpg-query loaded/);
  // A damaged cache is ignored.
  await writeFile(path.join(repo.dir, '.git', 'fmig', 'parse-cache'), 'garbage');
  const r = await repo.fmig('verify', '--json');
  assert.equal(lintCodes(r), [['index-not-concurrent', 'sql/0002_b.up.sql:2']]);
});

test.run();
