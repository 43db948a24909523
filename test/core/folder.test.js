import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFolder, readDowns } from '../../dist/core/folder.js';
import { compare } from '../../dist/core/drift.js';
import { parseFileName } from '../../dist/core/names.js';
import { loadHasher } from '../../dist/core/checksum.js';
import { FolderError } from '../../dist/core/errors.js';

const hash = await loadHasher();
const enc = new TextEncoder();
const files = (spec) => Object.entries(spec).map(([name, text]) => ({ name, bytes: typeof text === 'string' ? enc.encode(text) : text }));
const parse = (spec) => parseFolder(files(spec), hash);
const problems = (spec) => {
  try {
    parse(spec);
  } catch (e) {
    assert.instance(e, FolderError);
    assert.is(e.exitCode, 2);
    return e.problems;
  }
  assert.unreachable('expected a FolderError');
};

test('a plain golang-migrate folder is one chain, whatever the id width', () => {
  const f = parse({
    '1_init.up.sql': 'create table a();',
    '1_init.down.sql': 'drop table a;',
    '2_more.up.sql': '',
    '10_later.up.sql': 'select 1;',
    'README.md': 'ignored',
  });
  assert.equal(f.revisions.map((r) => [r.id, r.parents]), [['1', []], ['2', ['1']], ['10', ['2']]]);
  assert.is(f.byId.get('2').down, null);
  assert.equal(f.graph.heads(), ['10']);
});

test('slugs with spaces, empty slugs and 20-digit ids parse', () => {
  const f = parse({
    '20240101000000000001_add users table.up.sql': '',
    '20240101000000000002_.up.sql': '',
  });
  assert.equal(f.revisions.map((r) => r.slug), ['add users table', '']);
});

test('directives: parents make a merge; no-transaction applies to its own file', () => {
  const f = parse({
    '1_a.up.sql': '',
    '2_b.up.sql': '-- fmig:parent 1\n',
    '3_c.up.sql': '-- fmig:parent 1\n',
    '4_m.up.sql': '-- a comment first\n\n-- fmig:parent 2 3\n-- fmig:no-transaction\ncreate index concurrently x on t(a);\n-- fmig:parent 9\n',
    '4_m.down.sql': 'drop index x;',
  });
  const m = f.byId.get('4');
  assert.equal(m.parents, ['2', '3']);
  assert.ok(m.up.noTransaction);
  assert.not.ok(m.down.noTransaction);
  assert.is(f.graph.kind('4'), 'merge');
});

test('every offending file is named: bad name, duplicate id, down without up', () => {
  const p = problems({
    '1_a.up.sql': '',
    '1_b.up.sql': '',
    'v2__flyway.sql': '',
    '3_x.down.sql': '',
  });
  const byCode = Object.fromEntries(p.map((x) => [x.code, x]));
  assert.equal(byCode['duplicate-id'].files, ['1_a.up.sql', '1_b.up.sql']);
  assert.equal(byCode['bad-name'].files, ['v2__flyway.sql']);
  assert.equal(byCode['down-without-up'].files, ['3_x.down.sql']);
  assert.is(p.length, 3);
});

test('unknown directive, parent in a down file, not UTF-8', () => {
  const p = problems({
    '1_a.up.sql': '-- fmig:no-transactoin\nselect 1;',
    '2_b.up.sql': '',
    '2_b.down.sql': '-- fmig:parent 1\n',
    '3_c.up.sql': new Uint8Array([0x73, 0xff, 0xfe]),
  });
  assert.equal(p.map((x) => [x.code, x.files[0]]), [
    ['unknown-directive', '1_a.up.sql'],
    ['parent-in-down', '2_b.down.sql'],
    ['not-utf8', '3_c.up.sql'],
  ]);
  assert.match(p[0].message, /did you mean "-- fmig:no-transaction"/);
});

test('unknown parent and cycles name the files', () => {
  let p = problems({ '1_a.up.sql': '', '2_b.up.sql': '-- fmig:parent 5\n' });
  assert.equal(p.map((x) => [x.code, x.files]), [['unknown-parent', ['2_b.up.sql']]]);
  p = problems({ '1_a.up.sql': '-- fmig:parent 2\n', '2_b.up.sql': '-- fmig:parent 1\n' });
  assert.equal(p.map((x) => [x.code, x.files]), [['cycle', ['1_a.up.sql', '2_b.up.sql']]]);
});

test('BOM and CRLF: the text that runs drops the BOM; the checksum ignores both', () => {
  const lf = enc.encode('create table a (\n  id int\n);\n');
  const crlf = enc.encode('create table a (\r\n  id int\r\n);\r\n');
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...lf]);
  const cr = enc.encode('create table a (\r  id int\r);\r');
  const sums = [lf, crlf, bom, cr].map((bytes) => parseFolder([{ name: '1_a.up.sql', bytes }], hash).revisions[0].up);
  assert.is(new Set(sums.map((s) => s.checksum)).size, 1);
  assert.match(sums[0].checksum, /^xxh64:[0-9a-f]{16}$/);
  assert.is(sums[2].text.charCodeAt(0), 'c'.charCodeAt(0));
  assert.ok(sums[1].crlf);
  assert.not.ok(sums[0].crlf);
});

test('down files listed by name only: names are checked, contents are not known until readDowns', () => {
  const spec = {
    '1_a.up.sql': 'create table a();',
    '1_a.down.sql': '-- fmig:bogus\ndrop table a;',
    '2_b.up.sql': 'create table b();',
    '2_b.down.sql': 'drop table b;',
    '3_c.up.sql': 'create table c();',
  };
  const listed = (names) => files(spec).map((f) => (names.includes(f.name) ? { name: f.name } : f));
  const f = parseFolder(listed(['1_a.down.sql', '2_b.down.sql']), hash);
  assert.equal([...f.unreadDowns], [['1', '1_a.down.sql'], ['2', '2_b.down.sql']]);
  assert.is(f.byId.get('1').down, null);

  // Applied with some down file: an unread one is not reported as changed; a read one is compared.
  const row = (id, down) => ({ revision: id, parents: f.byId.get(id).parents, up_checksum: f.byId.get(id).up.checksum, down_checksum: down, finished_at: 'x', statements_done: null, error: null });
  assert.equal(compare(f, [row('1', 'xxh64:0'), row('2', 'xxh64:0')]).drift, []);

  // Reading them checks them as parseFolder does; a bad one stops all of them and fills in nothing.
  const err = (() => {
    try {
      readDowns(f, files(spec).filter((x) => x.name.endsWith('.down.sql')), hash);
    } catch (e) {
      return e;
    }
  })();
  assert.instance(err, FolderError);
  assert.equal(err.problems.map((p) => [p.code, p.files]), [['unknown-directive', ['1_a.down.sql']]]);
  assert.is(f.byId.get('2').down, null);
  assert.is(f.unreadDowns.size, 2);

  readDowns(f, files(spec).filter((x) => x.name === '2_b.down.sql'), hash);
  assert.is(f.byId.get('2').down.text, 'drop table b;');
  assert.is(f.byId.get('2').down.checksum, hash(enc.encode('drop table b;')));
  assert.equal([...f.unreadDowns.keys()], ['1']);
  assert.equal(compare(f, [row('2', 'xxh64:0')]).drift.map((d) => d.kind), ['down-edited']);

  // Name-level problems do not need the contents: a listed down file without its up file.
  assert.equal(
    (() => {
      try {
        parseFolder([{ name: '4_d.down.sql' }, ...listed([])], hash);
      } catch (e) {
        return e.problems.map((p) => p.code);
      }
    })(),
    ['unknown-directive', 'down-without-up'],
  );
});

test('file names: <revision>_<slug>.up.sql / .down.sql, read exactly as SPEC section 2 describes them', () => {
  // The grammar as a regular expression, to hold the hand-written reader to.
  const grammar = (n) => {
    const m = /^([0-9A-Za-z]+)_(.*)\.(up|down)\.sql$/s.exec(n);
    return m && { revision: m[1], slug: m[2], direction: m[3] };
  };
  const names = [
    '1_a.up.sql', '001_a.down.sql', '1_.up.sql', '20240101000000000001_add users table.up.sql', 'abcXYZ09_x.down.sql',
    '1_a.down.up.sql', '1_a.up.down.sql', '1_a_b.up.sql', '1__.down.sql', '1_a\nb.up.sql', '1_ .up.sql', '1_..up.sql',
    '_a.up.sql', '1.up.sql', '1_a.up.SQL', '1_a.UP.sql', '1-2_a.up.sql', 'é_a.up.sql', '1_a.sql', '1_a.up.sql ', ' 1_a.up.sql',
    '1_a.upsql', '.up.sql', '_.up.sql', '1_a.down.sql.bak', 'up.sql', '1_.down.sql', 'a b_c.up.sql', '1_a.up.sql.up.sql',
  ];
  for (const n of names) assert.equal(parseFileName(n), grammar(n), JSON.stringify(n));
});

test.run();
