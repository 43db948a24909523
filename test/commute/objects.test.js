// The objects a statement touches, read from PostgreSQL's parse tree; which of them two sides share.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseStatements } from '../../dist/sql/parse.js';
import { statementObjects, sqlFunctionBody } from '../../dist/core/sql-objects.js';
import { sharedObjects } from '../../dist/commute/overlap.js';
import { judge } from '../../dist/commute/verdict.js';

/** `action key` for every object the SQL's statements touch. */
async function touched(sql) {
  const out = [];
  for (const s of await parseStatements(sql)) {
    const body = sqlFunctionBody(s.node);
    const nodes = body ? (await parseStatements(body)).map((b) => b.node) : [];
    const o = statementObjects(s.node, nodes);
    if (o.opaque) out.push(`opaque ${o.opaque}`);
    for (const t of o.touches) out.push(`${t.action} ${t.key}`);
  }
  return out;
}

async function side(head, sql) {
  const touches = [];
  const opaque = [];
  for (const s of await parseStatements(sql)) {
    const at = { file: `${head}.sql`, line: s.line, text: s.text };
    const o = statementObjects(s.node);
    for (const touch of o.touches) touches.push({ touch, at });
    if (o.opaque) opaque.push({ why: o.opaque, at });
  }
  return { head, touches, opaque };
}

const has = (list, ...items) => {
  for (const i of items) assert.ok(list.includes(i), `${i} not in\n  ${list.join('\n  ')}`);
};

test('CREATE TABLE creates the table and its columns, and reads what a foreign key references', async () => {
  const t = await touched('create table app.orders (id int primary key, user_id int references users (id), total numeric check (total >= 0));');
  has(t, 'create relation:app.orders', 'create column:app.orders.id', 'create column:app.orders.user_id', 'read relation:public.users', 'read column:public.users.id');
  assert.not.ok(t.some((x) => x.startsWith('create relation:public.users')));
  has(await touched('create table archive (like users including all);'), 'create relation:public.archive', 'read relation:public.users');
});

test('ALTER TABLE: ADD COLUMN alters the table (its column order); DROP COLUMN, column changes and constraints name their columns', async () => {
  has(await touched('alter table users add column email text;'), 'alter relation:public.users', 'create column:public.users.email');
  const drop = await touched('alter table users drop column email;');
  assert.equal(drop, ['drop column:public.users.email']);
  has(await touched('alter table users alter column name type varchar(200);'), 'alter column:public.users.name');
  has(await touched('alter table users alter column name set not null;'), 'alter column:public.users.name');
  has(
    await touched('alter table orders add constraint orders_user_fk foreign key (user_id) references users (id) not valid;'),
    'create constraint:public.orders.orders_user_fk',
    'read column:public.orders.user_id',
    'read relation:public.users',
    'read column:public.users.id',
  );
  has(await touched('alter table orders drop constraint orders_user_fk;'), 'drop constraint:public.orders.orders_user_fk');
});

test('RENAME drops the old name and creates the new one, for columns, tables, types and functions', async () => {
  assert.equal(await touched('alter table users rename column name to full_name;'), ['drop column:public.users.name', 'create column:public.users.full_name']);
  assert.equal(await touched('alter table users rename to people;'), ['drop relation:public.users', 'create relation:public.people']);
  assert.equal(await touched('alter type mood rename to feeling;'), ['drop type:public.mood', 'create type:public.feeling']);
  assert.equal(await touched('alter function f(int) rename to g;'), ['drop function:public.f', 'create function:public.g']);
});

test('an index creates itself on its table and reads the columns it names, in expressions and its predicate too', async () => {
  const t = await touched('create index users_name on users (name, lower(email)) where deleted_at is null;');
  has(t, 'create relation:public.users_name', 'read relation:public.users', 'read column:public.users.name', 'read column:public.users.email', 'read column:public.users.deleted_at');
  assert.not.ok(t.includes('alter relation:public.users'), 'an index does not alter its table');
});

test('a view reads the tables and columns of its query, through aliases and joins', async () => {
  const t = await touched('create view active as select u.id, o.total from users u join orders o on o.user_id = u.id where u.active;');
  has(t, 'create relation:public.active', 'read relation:public.users', 'read relation:public.orders', 'read column:public.users.id', 'read column:public.orders.total', 'read column:public.orders.user_id', 'read column:public.users.active');
  has(await touched('create view everyone as select * from users;'), 'read relation:public.users');
});

test('a SQL function reads what its body reads, string or BEGIN ATOMIC; a plpgsql body is not read', async () => {
  has(await touched("create function n_users() returns bigint language sql as 'select count(*) from users where active';"), 'create function:public.n_users', 'read relation:public.users', 'read column:public.users.active');
  has(await touched('create function total(o int) returns numeric language sql begin atomic select sum(total) from orders where id = o; end;'), 'read relation:public.orders', 'read column:public.orders.total');
  const pl = await touched("create or replace function touch() returns trigger language plpgsql as $$ begin update users set name = 'x'; return new; end $$;");
  assert.equal(pl, ['alter function:public.touch']);
});

test('DROP names each object it drops; DML alters the rows of its table; a DO block may touch anything', async () => {
  assert.equal(await touched('drop table a, s.b;'), ['drop relation:public.a', 'drop relation:s.b']);
  assert.equal(await touched('drop type mood;'), ['drop type:public.mood']);
  assert.equal(await touched('drop function f(int);'), ['drop function:public.f']);
  has(await touched("update users set name = 'x' where id = 1;"), 'alter rows:public.users', 'read column:public.users.name', 'read column:public.users.id');
  assert.equal(await touched("set lock_timeout = '2s';"), []);
  assert.match((await touched('do $$ begin perform 1; end $$;'))[0], /^opaque a DO block/);
});

test('two sides share an object when one changes it, or drops what holds the other\'s', async () => {
  const rename = await side('a', 'alter table users rename column name to full_name;');
  const index = await side('b', 'create index users_name on users (name);');
  assert.equal(sharedObjects(rename, index).map((s) => s.object), ['column public.users.name']);
  const readsOnly = await side('c', 'create view v as select name from users;');
  assert.equal(sharedObjects(index, readsOnly), [], 'two reads do not interfere');
  const dropTable = await side('d', 'drop table users;');
  assert.ok(sharedObjects(dropTable, index).some((s) => /column public\.users\.name \(dropped or renamed with table public\.users\)/.test(s.object)));
  const other = await side('e', 'create table orders (id int);');
  assert.equal(sharedObjects(other, index), []);
  const colA = await side('f', 'alter table users add column email text;');
  const colB = await side('g', 'alter table users add column phone text;');
  assert.equal(sharedObjects(colA, colB).map((s) => [s.object, s.a.line, s.b.line]), [['table public.users', 1, 1]]);
  const opaque = await side('h', 'do $$ begin end $$;');
  assert.match(sharedObjects(opaque, other)[0].object, /^anything: a DO block/);
});

test('the verdict: same schema, same but column order, different, or an order that fails', () => {
  const col = (name) => ({ name, type: 'text', notNull: false, default: null, identity: null, generated: null, collation: null, comment: null });
  const snap = (cols, extra = []) => ({
    schemas: [], extensions: [], types: [], sequences: [], views: [], functions: [],
    tables: [{ schema: 'public', name: 't', kind: 'table', partitionKey: null, partitionOf: null, inherits: null, options: null, rowSecurity: null, columns: cols.map(col), constraints: [], indexes: extra, triggers: [], comment: null }],
  });
  assert.equal(judge({ snapshot: snap(['a', 'b']) }, { snapshot: snap(['a', 'b']) }), { kind: 'same' });
  assert.equal(judge({ snapshot: snap(['a', 'b']) }, { snapshot: snap(['b', 'a']) }), { kind: 'column-order', tables: [{ table: 'public.t', ab: ['a', 'b'], ba: ['b', 'a'] }] });
  const diff = judge({ snapshot: snap(['a']) }, { snapshot: snap(['a'], [{ name: 'i', definition: 'CREATE INDEX i ON public.t USING btree (a)', valid: true, comment: null }]) });
  assert.is(diff.kind, 'different');
  assert.equal(diff.difference, ['  table public.t', '+   index i: CREATE INDEX i ON public.t USING btree (a)']);
  assert.is(judge({ failed: 'x', report: 'r' }, { snapshot: snap(['a']) }).kind, 'fails');
});

test.run();
