// The DDL planner and the file it renders, from literal snapshots: no database.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isWidening, alterColumn } from '../../dist/autogenerate/columns.js';
import { planChanges } from '../../dist/autogenerate/plan.js';
import { renderRevision } from '../../dist/autogenerate/render.js';
import { quoteIdent } from '../../dist/autogenerate/sql-text.js';
import { parseDirectives } from '../../dist/core/directives.js';

const EMPTY = { schemas: [{ name: 'public', comment: null }], extensions: [], types: [], sequences: [], tables: [], views: [], functions: [] };
const col = (name, type, extra = {}) => ({ name, type, notNull: false, default: null, identity: null, generated: null, collation: null, comment: null, ...extra });
const table = (name, columns, extra = {}) => ({
  schema: 'public', name, kind: 'table', partitionKey: null, partitionOf: null, inherits: null, options: null, rowSecurity: null,
  columns, constraints: [], indexes: [], triggers: [], comment: null, ...extra,
});
const snap = (extra) => ({ ...EMPTY, ...extra });
const sqls = (plan) => plan.statements.map((s) => s.sql);

test('names are quoted only where they must be', () => {
  assert.is(quoteIdent('accounts'), 'accounts');
  assert.is(quoteIdent('user'), '"user"');
  assert.is(quoteIdent('Accounts'), '"Accounts"');
  assert.is(quoteIdent('a"b'), '"a""b"');
});

test('widening type changes need no review; the others do', () => {
  for (const [a, b] of [['integer', 'bigint'], ['smallint', 'integer'], ['character varying(10)', 'character varying(20)'], ['character varying(10)', 'text'], ['numeric(10,2)', 'numeric(12,2)'], ['numeric(10,2)', 'numeric']]) {
    assert.ok(isWidening(a, b), `${a} -> ${b}`);
  }
  for (const [a, b] of [['bigint', 'integer'], ['text', 'character varying(10)'], ['numeric(10,2)', 'numeric(10,1)'], ['text', 'integer'], ['numeric', 'numeric(10,2)']]) {
    assert.not.ok(isWidening(a, b), `${a} -> ${b}`);
  }
  const [s] = alterColumn('public.t', col('n', 'bigint'), col('n', 'integer'));
  assert.is(s.sql, 'ALTER TABLE public.t ALTER COLUMN n TYPE integer USING n::integer');
  assert.match(s.review, /from bigint to integer/);
});

test('a default is dropped before a type change and set again after it', () => {
  const out = alterColumn('public.t', col('n', 'integer', { default: '0' }), col('n', 'bigint', { default: '1' }));
  assert.equal(out.map((s) => s.sql), [
    'ALTER TABLE public.t ALTER COLUMN n DROP DEFAULT',
    'ALTER TABLE public.t ALTER COLUMN n TYPE bigint USING n::bigint',
    'ALTER TABLE public.t ALTER COLUMN n SET DEFAULT 1',
  ]);
});

test('equal snapshots plan nothing', () => {
  const s = snap({ tables: [table('t', [col('id', 'integer')])] });
  assert.equal(planChanges(s, s), { statements: [], notes: [] });
});

test('a new table, its constraint and comment; dropping it is marked for review', () => {
  const t = table('t', [col('id', 'integer', { notNull: true }), col('name', 'text', { default: "'x'::text" })], {
    constraints: [{ name: 't_pkey', type: 'PRIMARY KEY', definition: 'PRIMARY KEY (id)', comment: null }],
    comment: 'things',
  });
  assert.equal(sqls(planChanges(EMPTY, snap({ tables: [t] }))), [
    "CREATE TABLE public.t (\n    id integer NOT NULL,\n    name text DEFAULT 'x'::text\n)",
    'ALTER TABLE public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id)',
    "COMMENT ON TABLE public.t IS 'things'",
  ]);
  const down = planChanges(snap({ tables: [t] }), EMPTY);
  assert.equal(down.statements, [{ sql: 'DROP TABLE public.t', review: 'drops table public.t and its data' }]);
});

test('a column that disappears while another appears is dropped and added, with a note about renames', () => {
  const plan = planChanges(snap({ tables: [table('t', [col('a', 'text')])] }), snap({ tables: [table('t', [col('b', 'text')])] }));
  assert.equal(sqls(plan), ['ALTER TABLE public.t DROP COLUMN a', 'ALTER TABLE public.t ADD COLUMN b text']);
  assert.is(plan.statements[0].review, 'drops column public.t.a and its data');
  assert.match(plan.notes[0], /RENAME COLUMN/);
});

test('enum values added keep their place; taking one away rebuilds the type, columns converted through text', () => {
  const mood = (values) => ({ schema: 'public', name: 'mood', kind: 'enum', definition: values, notNull: false, default: null, constraints: [], comment: null });
  const t = table('t', [col('m', 'public.mood', { default: "'a'::public.mood" })]);
  const before = snap({ types: [mood("'a', 'c'")], tables: [t] });
  const after = snap({ types: [mood("'0', 'a', 'b', 'c'")], tables: [t] });
  assert.equal(sqls(planChanges(before, after)), [
    "ALTER TYPE public.mood ADD VALUE '0' BEFORE 'a'",
    "ALTER TYPE public.mood ADD VALUE 'b' AFTER 'a'",
  ]);
  const down = planChanges(after, before);
  assert.equal(sqls(down), [
    'ALTER TYPE public.mood RENAME TO mood__fmig_old',
    "CREATE TYPE public.mood AS ENUM ('a', 'c')",
    'ALTER TABLE public.t ALTER COLUMN m DROP DEFAULT',
    'ALTER TABLE public.t ALTER COLUMN m TYPE public.mood USING m::text::public.mood',
    "ALTER TABLE public.t ALTER COLUMN m SET DEFAULT 'a'::public.mood",
    'DROP TYPE public.mood__fmig_old',
  ]);
  assert.match(down.statements[0].review, /rebuilds enum public\.mood/);
});

test('the file: header, statements ending in ;, review marks and notes; -- fmig:review is a directive fmig accepts', () => {
  const plan = { statements: [{ sql: 'DROP TABLE public.t', review: 'drops table public.t and its data' }, { sql: 'CREATE TABLE public.u ()' }], notes: ['a note'] };
  const { text, review } = renderRevision(['-- fmig:parent 000001'], plan);
  assert.is(
    text,
    '-- fmig:parent 000001\n-- Written by fmig new --autogenerate: read it before committing.\n-- note: a note\n\n-- fmig:review drops table public.t and its data\nDROP TABLE public.t;\n\nCREATE TABLE public.u ();\n',
  );
  assert.equal(review, [{ sql: 'DROP TABLE public.t', reason: 'drops table public.t and its data' }]);
  const down = renderRevision([], { statements: [plan.statements[0]], notes: [] }).text;
  assert.equal(parseDirectives(down, 'down').problems, []);
  assert.equal(parseDirectives(text, 'up').directives.parents, ['000001']);
});

test.run();
