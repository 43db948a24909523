import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { loadModule, parseSync } from 'libpg-query';
import { splitStatements, skipTrivia, leadingTokens, metaCommands } from '../../dist/core/split.js';

await loadModule();

const corpusDir = new URL('../fixtures/sql/', import.meta.url);
const PG_SPACE = /[ \t\n\r\f\v]+$/;

/** PostgreSQL's own statement boundaries (libpg-query reports UTF-8 byte offsets), as JS offsets and texts. */
function pgStatements(sql) {
  if (sql.trim() === '') return []; // libpg-query refuses an empty query
  const bytes = Buffer.from(sql, 'utf8');
  const toJs = new Int32Array(bytes.length + 1);
  let b = 0;
  let j = 0;
  for (const ch of sql) {
    const len = Buffer.byteLength(ch);
    for (let k = 0; k < len; k++) toJs[b + k] = j;
    b += len;
    j += ch.length;
  }
  toJs[b] = j;
  return parseSync(sql).stmts.map((s) => {
    const from = s.stmt_location ?? 0;
    const to = s.stmt_len ? from + s.stmt_len : bytes.length;
    const start = toJs[from];
    const text = sql.slice(start, toJs[to]).replace(PG_SPACE, '');
    return { start, text };
  });
}

/** Asserts the splitter finds `expected` and, for valid SQL, exactly what PostgreSQL's parser finds. */
function check(sql, expected, { oracle = true } = {}) {
  const got = splitStatements(sql);
  for (const s of got) assert.is(s.text, sql.slice(s.start, s.end));
  assert.equal(got.map((s) => s.text), expected);
  if (oracle) {
    const pg = pgStatements(sql);
    assert.equal(got.map((s) => s.text), pg.map((s) => s.text), 'texts differ from libpg-query');
    assert.equal(got.map((s) => s.start), pg.map((s) => s.start), 'starts differ from libpg-query');
  }
  return got;
}

test('empty input, whitespace and comments only give no statements', () => {
  check('', []);
  check('  \n\t\r\n', []);
  check('-- only a comment\n/* and a block */\n;;\n;', []);
  check('-- fmig:no-transaction\n', []);
});

test('splits on top-level semicolons, trims, keeps a last statement without semicolon', () => {
  check('select 1;select 2;\n\n  select 3  ', ['select 1', 'select 2', 'select 3']);
  check('select 1;;; select 2;', ['select 1', 'select 2']);
});

test('start skips a leading comment and points at the SQL; comments inside are kept', () => {
  const sql = '-- header\n/* block */\n  select /* inside */ 1 -- tail\n;select 2';
  const [a, b] = check(sql, ['select /* inside */ 1 -- tail', 'select 2']);
  assert.is(a.start, sql.indexOf('select'));
  assert.is(b.start, sql.lastIndexOf('select'));
  assert.is(b.end, sql.length);
});

test('single-quoted strings: semicolons, doubled quotes, backslashes taken literally', () => {
  check("select 'a;b'; select 'it''s; ok'; select 'c:\\'; select 2", ["select 'a;b'", "select 'it''s; ok'", "select 'c:\\'", 'select 2']);
});

test("E'' strings honour backslash escapes, in either case of E", () => {
  check("select E'a\\';b'; select e'\\\\'; select 3", ["select E'a\\';b'", "select e'\\\\'", 'select 3']);
  // `xE'` is an identifier followed by a plain string, where a backslash is literal.
  check("select 1 as xE; select 'q\\'", ['select 1 as xE', "select 'q\\'"]);
});

test("an E'' string continued on the next line keeps its escapes", () => {
  check("select E'a'\n  'b\\';c'; select 2", ["select E'a'\n  'b\\';c'", 'select 2']);
  // PostgreSQL also allows -- comments between the parts (libpg-query's scanner does not).
  check("select E'a'\n -- note\n 'b\\';c'; select 2", ["select E'a'\n -- note\n 'b\\';c'", 'select 2'], { oracle: false });
  // Without a newline between them the second part is an ordinary string.
  check("select E'a' 'x\\'; select 3", ["select E'a' 'x\\'", 'select 3'], { oracle: false });
});

test("an E'' string continues after a -- comment or a vertical tab on its own line", () => {
  // PostgreSQL's server scanner takes both (the vertical tab since 16); libpg-query's refuses them.
  check("SELECT E'a' -- note\n'b\\';c'; select 2", ["SELECT E'a' -- note\n'b\\';c'", 'select 2'], { oracle: false });
  check("SELECT E'a'\v\n'b\\';c'; select 2", ["SELECT E'a'\v\n'b\\';c'", 'select 2'], { oracle: false });
  check("SELECT E'a' \t-- one\n -- two\n  'b\\';c'; select 2", ["SELECT E'a' \t-- one\n -- two\n  'b\\';c'", 'select 2'], { oracle: false });
});

test('COPY ... FROM stdin: the data lines up to \\. belong to the statement, not to the SQL', () => {
  const sql = "COPY public.t (a, b) FROM stdin;\n1\tit's; -- not SQL\n2\t$$\n\\.\nSELECT 1;\ncopy t from STDIN with (format csv);\r\nx,\"y;\"\r\n\\.\r\nSELECT 2;\n";
  const got = splitStatements(sql);
  assert.equal(got.map((s) => s.text), ['COPY public.t (a, b) FROM stdin', 'SELECT 1', 'copy t from STDIN with (format csv)', 'SELECT 2']);
  assert.is(sql.slice(got[0].copy.start, got[0].copy.end), "1\tit's; -- not SQL\n2\t$$\n");
  assert.is(sql.slice(got[2].copy.start, got[2].copy.end), 'x,"y;"\r\n');
  assert.is(got[1].copy, undefined);
  // Data that runs to the end of the file, as psql accepts it; and COPY from a file has no data.
  const open = splitStatements("COPY t FROM stdin;\n1\n2\n");
  assert.is(open.length, 1);
  assert.is("COPY t FROM stdin;\n1\n2\n".slice(open[0].copy.start, open[0].copy.end), '1\n2\n');
  assert.equal(splitStatements("COPY t FROM '/tmp/x'; SELECT 1;").map((s) => [s.text, s.copy]), [["COPY t FROM '/tmp/x'", undefined], ['SELECT 1', undefined]]);
  assert.equal(splitStatements('COPY t TO stdout; SELECT 1;').map((s) => s.text), ['COPY t TO stdout', 'SELECT 1']);
});

test('psql meta-commands are found outside strings, comments and COPY data; pg_dump\'s \\restrict lines are skipped', () => {
  const sql = "\\restrict abc123\nSELECT '\\set x';\n\\set ON_ERROR_STOP on\nSELECT 1; \\gset\n-- \\i nothing\nCOPY t FROM stdin;\n\\N\t1\n\\.\nSELECT 2 \\; SELECT 3;\n  \\i other.sql\n\\unrestrict abc123\n";
  assert.equal(metaCommands(sql).map((m) => [m.command, sql.slice(0, m.offset).split('\n').length]), [
    ['\\set', 3],
    ['\\gset', 4],
    ['\\;', 9],
    ['\\i', 10],
  ]);
  assert.equal(metaCommands('SELECT 1;\n\\restrict k\n'), []);
  assert.equal(metaCommands("SELECT E'\\\\';"), []);
  // \\restrict inside a statement is not pg_dump's line.
  assert.equal(metaCommands('SELECT\n\\restrict k\n;').map((m) => m.command), ['\\restrict']);
});

test('double-quoted identifiers with doubled quotes', () => {
  check('select "a;""b" from "t;"; select 1', ['select "a;""b" from "t;"', 'select 1']);
});

test('dollar quotes: empty tag, named tags, nesting, and text that only looks like a delimiter', () => {
  check('select $$a;b$$; select $x$ $$; $x$; select 1', ['select $$a;b$$', 'select $x$ $$; $x$', 'select 1']);
  check('select $a$ $ab$; $a$; select 2', ['select $a$ $ab$; $a$', 'select 2']);
  check('select $_t1$ ; $_t1$; select $é$ ; $é$', ['select $_t1$ ; $_t1$', 'select $é$ ; $é$']);
});

test('$1 is a parameter and a$$ an identifier, neither opens a dollar quote', () => {
  check('prepare p(int) as select $1; select 1 as a$$; select 2', ['prepare p(int) as select $1', 'select 1 as a$$', 'select 2']);
  check('prepare p2(int, int) as select $1+$2; execute p2(1,2)', ['prepare p2(int, int) as select $1+$2', 'execute p2(1,2)']);
  // After a parameter, `$$` opens a dollar quote (PostgreSQL rejects the result, but splits it so).
  check('select $1$$;$$; select 2', ['select $1$$;$$', 'select 2'], { oracle: false });
  check('select 1$$;$$; select 2', ['select 1$$;$$', 'select 2'], { oracle: false });
  check('select $a; select 2', ['select $a', 'select 2'], { oracle: false });
});

test('line comments end at \\n or \\r; block comments nest', () => {
  check("select 1 -- a ' quote; and $$\n; select 2", ["select 1 -- a ' quote; and $$", 'select 2']);
  check('select 1 -- cr\r; select 2', ['select 1 -- cr', 'select 2']);
  check("/* outer /* inner; */ still ' comment; */ select 1; select 2", ['select 1', 'select 2']);
  check('select 2 */*c*/ 3; select 4', ['select 2 */*c*/ 3', 'select 4']);
});

test('semicolons inside parentheses do not split (CREATE RULE with several actions)', () => {
  check('create rule r as on insert to t do also (notify a; notify b); select 1', ['create rule r as on insert to t do also (notify a; notify b)', 'select 1']);
});

test('BEGIN ATOMIC bodies, with CASE … END inside, are one statement', () => {
  const fn = 'create function f(x int) returns int language sql begin atomic select case when x > 0 then 1 else case x when 0 then 0 end end; select 2; end';
  check(`${fn}; select 3`, [fn, 'select 3']);
  const proc = 'CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES ((CASE WHEN true THEN 1 END)); END';
  check(`${proc};\nselect 4;`, [proc, 'select 4']);
  // A function named begin has no body to open (psql's own heuristic gets this wrong).
  check("CREATE FUNCTION begin() RETURNS int LANGUAGE sql AS 'select 1'; select 2", ["CREATE FUNCTION begin() RETURNS int LANGUAGE sql AS 'select 1'", 'select 2']);
  check('CREATE FUNCTION s.begin() RETURNS int LANGUAGE sql RETURN 1; select 2', ['CREATE FUNCTION s.begin() RETURNS int LANGUAGE sql RETURN 1', 'select 2']);
  check('create function f() returns int language sql begin /* why */ atomic; select 1; end; select 3', ['create function f() returns int language sql begin /* why */ atomic; select 1; end', 'select 3']);
  // RETURN CASE … END outside a body does not open one.
  check('create function g() returns int language sql return case when true then 1 end; select 5', ['create function g() returns int language sql return case when true then 1 end', 'select 5']);
});

test('BEGIN and END outside CREATE FUNCTION are ordinary statements', () => {
  check('begin; select case when true then 1 end; end; commit', ['begin', 'select case when true then 1 end', 'end', 'commit']);
  check('BEGIN ISOLATION LEVEL SERIALIZABLE; COMMIT', ['BEGIN ISOLATION LEVEL SERIALIZABLE', 'COMMIT']);
});

test('offsets are JS string offsets with astral characters before them', () => {
  const sql = "select '😀;🎉'; select \"ü😀\" from t; select 'ok'";
  const got = check(sql, ["select '😀;🎉'", 'select "ü😀" from t', "select 'ok'"]);
  assert.is(got[2].start, sql.lastIndexOf('select'));
});

test('unterminated quotes and comments run to the end of the text', () => {
  check("select 'abc; select 2", ["select 'abc; select 2"], { oracle: false });
  check('select $x$ abc; select 2', ['select $x$ abc; select 2'], { oracle: false });
  check('select 1 /* abc; select 2', ['select 1 /* abc; select 2'], { oracle: false });
});

test('skipTrivia and leadingTokens skip comments', () => {
  const sql = '  -- c\n /* d /* e */ */ begin';
  assert.is(skipTrivia(sql, 0), sql.indexOf('begin'));
  assert.equal(leadingTokens('BEGIN /* x */ Work -- y\n ISOLATION', 3).map((t) => t.value), ['begin', 'work', 'isolation']);
  assert.equal(leadingTokens("prepare transaction E'x''y'", 3).map((t) => t.value), ['prepare', 'transaction', "E'x''y'"]);
});

for (const file of readdirSync(corpusDir).filter((f) => f.endsWith('.sql')).sort()) {
  test(`corpus ${file} splits exactly as PostgreSQL's parser does`, () => {
    const sql = readFileSync(new URL(file, corpusDir), 'utf8');
    const pg = pgStatements(sql);
    assert.ok(pg.length >= 5, 'corpus file has a real number of statements');
    check(sql, pg.map((s) => s.text));
  });
}

test('a megabyte of PL/pgSQL in 2,000 statements splits correctly', () => {
  const parts = [];
  for (let i = 0; i < 2000; i++) {
    if (i % 4 === 0) {
      parts.push(`-- function ${i}; it's here\nCREATE FUNCTION f${i}(a int) RETURNS text LANGUAGE plpgsql AS $f${i}$\nDECLARE s text := 'x; ''y'' $$ 😀';\nBEGIN\n  EXECUTE $q$ SELECT ';' $q$;\n${'  s := s || E\'\\\';\';\n'.repeat(60)}  RETURN s;\nEND $f${i}$`);
    } else if (i % 4 === 1) {
      parts.push(`CREATE FUNCTION g${i}(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN x > ${i} THEN 1 ELSE 0 END; SELECT x; END`);
    } else if (i % 4 === 2) {
      parts.push(`DO $$ BEGIN /* ${'pad '.repeat(100)} */ PERFORM ${i}; END $$`);
    } else {
      parts.push(`INSERT INTO "t;${i}" VALUES ('${'a;'.repeat(30)}', $x$;$x$)`);
    }
  }
  const sql = parts.join(';\n\n') + ';\n';
  assert.ok(sql.length > 1_000_000, `generated ${sql.length} characters`);
  const got = check(sql, parts.map((p) => p.replace(/^-- .*\n/, '')));
  assert.is(got.length, 2000);
});

test.run();
