// The lint rules on SQL text (no git, no database): for each rule a statement it flags and
// the safe pattern it passes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lintFile } from '../../dist/lint/rules.js';
import { LintContext } from '../../dist/lint/context.js';
import { LINT_RULES } from '../../dist/lint/codes.js';
import { parseStatements } from '../../dist/sql/parse.js';

const SETTINGS = { postgres: 15, rules: {}, lockTimeoutOff: false };

/** Lints `sql` as a new revision, after `before` (earlier revisions: { sql, unpublished }). */
async function lint(sql, { settings = {}, noTransaction = false, before = [] } = {}) {
  const ctx = new LintContext();
  const s = { ...SETTINGS, ...settings };
  for (const [i, b] of before.entries()) {
    lintFile({ file: `sql/000${i}_b.up.sql`, text: b.sql, statements: await parseStatements(b.sql), noTransaction: false, unpublished: b.unpublished }, ctx, s);
  }
  return lintFile({ file: 'sql/0009_x.up.sql', text: sql, statements: await parseStatements(sql), noTransaction, unpublished: true }, ctx, s);
}
const codes = (r) => r.findings.map((f) => f.code);

// [code, what it flags, the safe pattern, options]
const CASES = [
  ['index-not-concurrent', 'create index i on orders (x);', '-- fmig:no-transaction\ncreate index concurrently i on orders (x);', {}],
  ['concurrently-in-transaction', 'begin;\ncreate index concurrently i on orders (x);\ncommit;', 'create index concurrently i on orders (x);', {}],
  ['add-column-not-null', 'alter table orders add column n int not null;', 'alter table orders add column n int not null default 0;', {}],
  ['add-column-rewrite', 'alter table orders add column u uuid default gen_random_uuid();', 'alter table orders add column u uuid;\nalter table orders alter column u set default gen_random_uuid();', {}],
  ['alter-column-type', 'alter table orders alter column x type bigint;', 'alter table orders add column x2 bigint;', {}],
  ['set-not-null', 'alter table orders alter column x set not null;', 'alter table orders add constraint x_nn check (x is not null) not valid;\nalter table orders validate constraint x_nn;\nalter table orders alter column x set not null;', {}],
  ['constraint-not-valid', 'alter table orders add constraint fk foreign key (c) references customers (id);', 'alter table orders add constraint fk foreign key (c) references customers (id) not valid;', {}],
  ['unique-without-index', 'alter table orders add primary key (id);', 'alter table orders add constraint orders_pk primary key using index orders_id_idx;', {}],
  ['drop-column', 'alter table orders drop column legacy;', 'alter table orders alter column legacy drop not null;', {}],
  ['drop-table', 'drop table orders;', 'create table t (id int);\ndrop table t;', {}],
  ['rename', 'alter table orders rename column x to y;', 'alter table orders add column y int;', {}],
  ['vacuum-full', 'vacuum full orders;', 'vacuum orders;', {}],
  ['cluster', 'cluster orders using orders_pkey;', 'analyze orders;', {}],
  ['reindex-not-concurrent', 'reindex index orders_pkey;', 'reindex index concurrently orders_pkey;', {}],
  ['lock-table', 'lock table orders;', 'create table t (id int);\nlock table t;', {}],
  ['lock-timeout-missing', 'alter table orders add column n int;', "set lock_timeout = '2s';\nalter table orders add column n int;", { settings: { lockTimeoutOff: true } }],
  ['enum-value-in-transaction', "alter type status add value 'held';\nupdate orders set s = 'held' where id = 1;", "alter type status add value 'held';", {}],
  ['data-without-where', 'update orders set x = 0;', 'update orders set x = 0 where id between 1 and 1000;', {}],
  ['truncate', 'truncate orders;', 'delete from orders where id < 1000;', {}],
  ['syntax-error', 'create tabel t (id int);', 'create table t (id int);', {}],
];

for (const [code, bad, safe, opts] of CASES) {
  test(`${code}: flags \`${bad.split('\n').pop()}\`; the safe pattern passes`, async () => {
    const r = await lint(bad, opts);
    assert.equal(codes(r), [code], JSON.stringify(r.findings));
    const f = r.findings[0];
    assert.is(f.severity, LINT_RULES[code].severity);
    assert.is(f.file, 'sql/0009_x.up.sql');
    assert.ok(f.line >= 1 && f.column === 1);
    assert.ok(f.message.length > 40 && f.fix.length > 10);
    assert.equal(codes(await lint(safe, opts)), []);
  });
}

test('every rule has a case above', () => {
  assert.equal(CASES.map(([c]) => c).sort(), Object.keys(LINT_RULES).sort());
});

test('a finding names the statement, its line and column, the lock and the table', async () => {
  const r = await lint('create table t (id int);\n\n  create index i on orders (x);\n');
  assert.equal(r.findings.map((f) => [f.code, f.line, f.column, f.statement]), [['index-not-concurrent', 3, 3, 'create index i on orders (x)']]);
  assert.match(r.findings[0].message, /SHARE lock on orders/);
  assert.match(r.findings[0].fix, /CONCURRENTLY/);
});

test('a table created in the same revision is new: indexing, altering, locking it is harmless', async () => {
  const sql = `create table t (id int);
create index i on t (id);
alter table t add column n int not null;
alter table t alter column id type bigint;
alter table t add primary key (id);
alter table t add constraint c check (id > 0);
lock table t;
update t set n = 1;
truncate t;
alter table t rename to t2;
create index j on t2 (n);
drop table t2;`;
  assert.equal(codes(await lint(sql, { settings: { lockTimeoutOff: true } })), []);
});

test('a table created by an earlier unpublished revision is new; one created by a published revision is not', async () => {
  const create = 'create table orders (id int);';
  assert.equal(codes(await lint('create index i on orders (id);', { before: [{ sql: create, unpublished: true }] })), []);
  assert.equal(codes(await lint('create index i on orders (id);', { before: [{ sql: create, unpublished: false }] })), ['index-not-concurrent']);
});

test('no-transaction revisions are known from fmig\'s rules: the directive, or a statement that cannot run in a transaction', async () => {
  // The directive: each statement on its own; a CREATE INDEX CONCURRENTLY is fine there.
  assert.equal(codes(await lint('create index concurrently i on orders (x);\nselect 1;', { noTransaction: true })), []);
  // No directive, but fmig runs the file statement by statement because of the CONCURRENTLY.
  assert.equal(codes(await lint('create index concurrently i on orders (x);\nselect 1;')), []);
  // The file's own transaction around it: PostgreSQL refuses it there.
  assert.equal(codes(await lint('begin;\ndrop index concurrently i;\ncommit;')), ['concurrently-in-transaction']);
  // An enum value used after its ADD VALUE in a no-transaction file: each statement commits on its own.
  assert.equal(codes(await lint("alter type status add value 'held';\nupdate orders set s = 'held' where id = 1;", { noTransaction: true })), []);
});

test('[lint] postgres decides version-dependent rules', async () => {
  const constant = 'alter table orders add column n int not null default 0;';
  assert.equal(codes(await lint(constant, { settings: { postgres: 11 } })), []);
  const old = await lint(constant, { settings: { postgres: 10 } });
  assert.equal(codes(old), ['add-column-rewrite']);
  assert.match(old.findings[0].message, /before PostgreSQL 11/);
  // A volatile default rewrites on any version; a stable one (now()) does not since 11.
  assert.equal(codes(await lint('alter table orders add column t timestamptz default clock_timestamp();', { settings: { postgres: 17 } })), ['add-column-rewrite']);
  assert.equal(codes(await lint('alter table orders add column t timestamptz default now();', { settings: { postgres: 17 } })), []);
  // Before 12 a validated check does not spare the SET NOT NULL scan, and ADD VALUE cannot run in a transaction.
  const setNotNull = 'alter table orders add constraint x_nn check (x is not null);\nalter table orders alter column x set not null;';
  assert.equal(codes(await lint(setNotNull, { settings: { postgres: 12 } })), ['constraint-not-valid']);
  assert.equal(codes(await lint(setNotNull, { settings: { postgres: 11 } })), ['constraint-not-valid', 'set-not-null']);
  assert.equal(codes(await lint("alter type status add value 'held';", { settings: { postgres: 11 } })), ['enum-value-in-transaction']);
  assert.equal(codes(await lint("alter type status add value 'held';", { settings: { postgres: 11 }, noTransaction: true })), []);
});

test('a NOT NULL check validated in an earlier revision lets SET NOT NULL pass', async () => {
  const before = [
    { sql: 'alter table orders add constraint x_nn check (x is not null) not valid;', unpublished: true },
    { sql: 'alter table orders validate constraint x_nn;', unpublished: true },
  ];
  assert.equal(codes(await lint('alter table orders alter column x set not null;', { before })), []);
  assert.equal(codes(await lint('alter table orders alter column x set not null;', { before: before.slice(0, 1) })), ['set-not-null']);
});

test('lock-timeout-missing: once per revision, only when fmig\'s lock_timeout is off, and SET lock_timeout = 0 does not count', async () => {
  const sql = 'alter table a add column n int;\nalter table b add column n int;';
  assert.equal(codes(await lint(sql, { settings: { lockTimeoutOff: true } })), ['lock-timeout-missing']);
  assert.equal(codes(await lint(sql)), []);
  assert.equal(codes(await lint(`set lock_timeout = 0;\n${sql}`, { settings: { lockTimeoutOff: true } })), ['lock-timeout-missing']);
  // A lighter lock (VALIDATE CONSTRAINT takes SHARE UPDATE EXCLUSIVE) is not flagged.
  assert.equal(codes(await lint('alter table a validate constraint c;', { settings: { lockTimeoutOff: true } })), []);
});

test('[lint.rules] turns a rule off or changes its severity', async () => {
  assert.equal(codes(await lint('create index i on orders (x);', { settings: { rules: { 'index-not-concurrent': 'off' } } })), []);
  const w = await lint('create index i on orders (x);', { settings: { rules: { 'index-not-concurrent': 'warning' } } });
  assert.equal(w.findings.map((f) => [f.code, f.severity]), [['index-not-concurrent', 'warning']]);
  const e = await lint('truncate orders;', { settings: { rules: { truncate: 'error' } } });
  assert.equal(e.findings.map((f) => [f.code, f.severity]), [['truncate', 'error']]);
});

test('-- fmig:lint-ignore <code> <reason> silences that finding of the statement below, and keeps the reason', async () => {
  const sql = 'create table t (id int);\n-- fmig:lint-ignore index-not-concurrent orders has 12 rows\ncreate index i on orders (x);\ncreate index j on orders (y);\n';
  const r = await lint(sql);
  assert.equal(r.findings.map((f) => [f.code, f.line]), [['index-not-concurrent', 4]]);
  assert.equal(r.ignored, [{ code: 'index-not-concurrent', file: 'sql/0009_x.up.sql', line: 3, column: 1, statement: 'create index i on orders (x)', reason: 'orders has 12 rows' }]);
});

test('an ignore on the first statement (in the header, beside directives) works; several codes separated by commas', async () => {
  const sql = '-- fmig:parent 0008\n-- fmig:lint-ignore alter-column-type,drop-column the table is a cache, rebuilt on start\nalter table cache alter column x type bigint, drop column y;\ntruncate cache;\n';
  const r = await lint(sql);
  assert.equal(codes(r), ['truncate']);
  assert.equal(r.ignored.map((i) => [i.code, i.line, i.reason]), [['alter-column-type', 3, 'the table is a cache, rebuilt on start'], ['drop-column', 3, 'the table is a cache, rebuilt on start']]);
});

test('an ignore without a reason is an error and silences nothing; an unknown code is an error; an unused ignore a warning', async () => {
  let r = await lint('-- fmig:lint-ignore index-not-concurrent\ncreate index i on orders (x);');
  assert.equal(r.findings.map((f) => [f.code, f.severity, f.line]), [['lint-ignore-reason', 'error', 1], ['index-not-concurrent', 'error', 2]]);
  assert.equal(r.ignored, []);
  r = await lint('-- fmig:lint-ignore index-not-concurent small table\ncreate index i on orders (x);');
  assert.equal(codes(r), ['lint-ignore-unknown', 'index-not-concurrent']);
  assert.match(r.findings[0].message, /"index-not-concurent", which is not a lint rule \(did you mean "index-not-concurrent"\?\)/);
  r = await lint('-- fmig:lint-ignore truncate not needed\ncreate table t (id int);');
  assert.equal(r.findings.map((f) => [f.code, f.severity]), [['lint-ignore-unused', 'warning']]);
});

test.run();
