// The pure core of fmig import: mapping, Alembic's offline output, applied sets, one-file sections.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planImport, describePlan, withDirectives, MappingError } from '../../dist/import/map.js';
import { splitOffline, parseHistory, alembicRevisions } from '../../dist/import/alembic.js';
import { appliedIds } from '../../dist/import/applied.js';
import { cutSections } from '../../dist/import/sections.js';

const rev = (id, extra = {}) => ({ source: `${id}.sql`, version: id, id, slug: `s${id}`, parents: null, up: { text: `-- ${id}\n`, noTransaction: false }, down: null, notes: [], ...extra });

test('a linear folder in id order gets no directives', () => {
  const plan = planImport({ tool: 'dbmate', revisions: [rev('1'), rev('2'), rev('10')], skipped: [] });
  assert.equal(plan.files.map((f) => f.name), ['1_s1.up.sql', '2_s2.up.sql', '10_s10.up.sql']);
  assert.equal(plan.files.map((f) => f.text), ['-- 1\n', '-- 2\n', '-- 10\n']);
  assert.equal(plan.roots, ['1']);
});

test("a tool order that is not fmig's id order gets parent directives where the id order would differ", () => {
  // Flyway-like: 1p9 comes before 1p10 in the tool, after it by code point.
  const plan = planImport({ tool: 'flyway', revisions: [rev('1'), rev('1p9'), rev('1p10'), rev('2')], skipped: [] });
  const text = Object.fromEntries(plan.files.map((f) => [f.name, f.text]));
  assert.is(text['1p9_s1p9.up.sql'], '-- fmig:parent 1\n-- 1p9\n', 'by id order its parent would be 1p10');
  assert.is(text['1p10_s1p10.up.sql'], '-- fmig:parent 1p9\n-- 1p10\n');
  assert.is(text['2_s2.up.sql'], '-- fmig:parent 1p10\n-- 2\n');
});

test('explicit parents, roots, no-transaction on each side, irreversible, BOM stays first', () => {
  const plan = planImport(
    {
      tool: 'alembic',
      revisions: [
        rev('b1', { parents: [] }),
        rev('a2', { parents: [] }),
        rev('c3', { parents: ['b1', 'a2'], up: { text: '\uFEFFselect 1;\n', noTransaction: true }, down: { text: '', noTransaction: true } }),
      ],
      skipped: [{ source: 'x.py', reason: 'Python' }],
    },
    { explicitParents: true },
  );
  const text = Object.fromEntries(plan.files.map((f) => [f.name, f.text]));
  assert.is(text['b1_sb1.up.sql'], '-- fmig:root\n-- b1\n');
  assert.is(text['a2_sa2.up.sql'], '-- a2\n');
  assert.is(text['c3_sc3.up.sql'], '\uFEFF-- fmig:parent b1 a2\n-- fmig:no-transaction\nselect 1;\n');
  assert.is(text['c3_sc3.down.sql'], '-- fmig:no-transaction\n');
  assert.equal(plan.roots, ['b1', 'a2']);
  assert.equal(describePlan(plan), [
    'b1.sql → b1_sb1 (a root); up: -- fmig:root; no down: irreversible',
    'a2.sql → a2_sa2 (a root); no down: irreversible',
    'c3.sql → c3_sc3 (after b1, a2); up: -- fmig:parent b1 a2; up: -- fmig:no-transaction; down: -- fmig:no-transaction',
    'x.py: not imported: Python',
  ]);
  assert.is(withDirectives([], 'x'), 'x');
});

test('bad ids, duplicates and unknown parents are all reported together', () => {
  try {
    planImport({ tool: 'alembic', revisions: [rev('a-1'), rev('b'), { ...rev('b'), source: 'other.sql' }, rev('c', { parents: ['zz'] })], skipped: [] });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, MappingError);
    assert.equal(e.problems, [
      'a-1.sql: "a-1" cannot be an fmig revision id (letters and digits only)',
      'other.sql and b.sql would both become revision b',
      'c.sql: its parent zz is not in the folder',
    ]);
  }
});

const OFFLINE = `BEGIN;

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> a1

CREATE TABLE a (id int);

INSERT INTO alembic_version (version_num) VALUES ('a1') RETURNING alembic_version.version_num;

-- Running upgrade a1 -> b2

create function f() returns int language plpgsql as $$
begin

  return 1;
end $$;

UPDATE alembic_version SET version_num='b2' WHERE alembic_version.version_num = 'a1';

COMMIT;

BEGIN;

-- Running upgrade b2 -> c3

COMMIT;

CREATE INDEX CONCURRENTLY i ON a (id);

BEGIN;

UPDATE alembic_version SET version_num='c3' WHERE alembic_version.version_num = 'b2';

COMMIT;

BEGIN;

-- Running upgrade b2, x9 -> d4

DELETE FROM alembic_version WHERE alembic_version.version_num = 'b2';

COMMIT;

`;

test("Alembic's offline output: bookkeeping and its transactions go, bodies stay, an autocommit block runs outside a transaction", () => {
  const { bodies, last } = splitOffline(OFFLINE);
  assert.equal(Object.fromEntries(bodies), {
    a1: { text: 'CREATE TABLE a (id int);\n', noTransaction: false },
    b2: { text: 'create function f() returns int language plpgsql as $$\nbegin\n\n  return 1;\nend $$;\n', noTransaction: false },
    c3: { text: 'CREATE INDEX CONCURRENTLY i ON a (id);\n', noTransaction: true },
    d4: { text: '', noTransaction: false },
  });
  assert.is(last, 'd4');
  // A BEGIN/COMMIT the revision wrote itself stays.
  const own = splitOffline('-- Running upgrade  -> a1\n\nCOMMIT;\n\nVACUUM a;\n\nBEGIN;\n\nselect 1;\n\n');
  assert.is(own.bodies.get('a1').text, 'COMMIT;\n\nVACUUM a;\n\nBEGIN;\n\nselect 1;\n');
  assert.is(own.bodies.get('a1').noTransaction, false);
  const down = splitOffline('BEGIN;\n\n-- Running downgrade b2 -> a1\n\nDROP TABLE b;\n\nUPDATE alembic_version SET version_num=\'a1\' WHERE alembic_version.version_num = \'b2\';\n\n-- Running downgrade a1 -> \n\nDROP TABLE a;\n\nDELETE FROM alembic_version WHERE alembic_version.version_num = \'a1\';\n\nDROP TABLE alembic_version;\n\nCOMMIT;\n\n');
  assert.equal([...down.bodies].map(([k, v]) => [k, v.text]), [['b2', 'DROP TABLE b;\n'], ['a1', 'DROP TABLE a;\n']]);
});

test("Alembic's history: parents, merges, branch names, slugs from file names", () => {
  const h = parseHistory(`Rev: d4 (head) (mergepoint)
Merges: b2, c3
Branch names: ledger
Path: /p/versions/d4_merge_heads.py

    merge heads

Rev: b2
Parent: a1
Path: /p/versions/b2.py

    Add the txns table

Rev: c3
Parent: a1
Dependencies: b2
Path: /p/versions/2024_01_01-c3_add_email.py

Rev: a1 (branchpoint)
Parent: <base>
Branches into: b2, c3
Path: /p/versions/a1_init.py
`);
  assert.equal(h.map((r) => [r.revision, r.parents, r.dependsOn, r.branchNames, r.message]), [
    ['d4', ['b2', 'c3'], [], ['ledger'], 'merge heads'],
    ['b2', ['a1'], [], [], 'Add the txns table'],
    ['c3', ['a1'], ['b2'], [], ''],
    ['a1', [], [], [], ''],
  ]);
  const body = { text: '', noTransaction: false };
  const revs = alembicRevisions(h, new Map(h.map((r) => [r.revision, body])), new Map());
  assert.equal(revs.map((r) => [r.id, r.slug, r.parents]), [
    ['a1', 'init', []],
    ['c3', 'add_email', ['a1', 'b2']],
    ['b2', 'add_the_txns_table', ['a1']],
    ['d4', 'merge_heads', ['b2', 'c3']],
  ]);
});

test('applied sets: exact, up to a version, heads with their ancestors; an unknown version is refused', () => {
  const anc = { a: [], b: ['a'], c: ['a'], d: ['a', 'b', 'c'] };
  const folder = { order: ['a', 'b', 'c', 'd'], ancestors: (id) => new Set(anc[id]) };
  assert.equal(appliedIds({ kind: 'exact', versions: ['c', 'a'] }, (v) => v, folder), ['a', 'c']);
  assert.equal(appliedIds({ kind: 'heads', versions: ['b'] }, (v) => v, folder), ['a', 'b']);
  assert.equal(appliedIds({ kind: 'up-to', version: null }, (v) => v, folder), []);
  const nums = { order: ['1', '2', '10', '11'], ancestors: () => new Set() };
  assert.equal(appliedIds({ kind: 'up-to', version: '10' }, (v) => v, nums), ['1', '2', '10']);
  assert.throws(() => appliedIds({ kind: 'exact', versions: ['9'] }, (v) => v, nums), /version 9, which is not in the folder/);
});

test('sections are cut at marker lines, byte for byte', () => {
  const { preamble, sections } = cutSections('-- top\r\n-- migrate:up\r\nA;\r\n\r\n-- migrate:down transaction:false\nB;', (l) => /^-- migrate:/.test(l));
  assert.is(preamble, '-- top\r\n');
  assert.equal(sections, [
    { marker: '-- migrate:up', text: 'A;\r\n\r\n' },
    { marker: '-- migrate:down transaction:false', text: 'B;' },
  ]);
});

test.run();
