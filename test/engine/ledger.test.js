// What `fmig up` writes to the ledger and its log, checked against values computed here
// independently: checksums, down SQL, parents, who and where from; and that every revision
// starts from the same session state.
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import xxhash from 'xxhash-wasm';
import { forEachTarget } from '../helpers/databases.js';
import { project, removeProjects, state, inspect } from '../helpers/cli.js';
import { makeRepo } from '../helpers/git.js';

const { h64Raw } = await xxhash();
const VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

/** The SPEC's checksum, computed here from the bytes: BOM dropped, CRLF and lone CR made LF. */
function checksum(content) {
  let s = Buffer.from(content).toString('latin1');
  if (s.startsWith('\xef\xbb\xbf')) s = s.slice(3);
  s = s.replace(/\r\n?/g, '\n');
  return 'xxh64:' + h64Raw(Buffer.from(s, 'latin1'), 0n).toString(16).padStart(16, '0');
}

// One up file's text, saved four ways. It is idempotent, so four revisions can share it.
const LF = '-- shared\ncreate table if not exists shared (id int);\ninsert into shared values (1);\n';
const CRLF = LF.replace(/\n/g, '\r\n');
const BOM = '\ufeff' + LF;
const BOM_CRLF = '\ufeff' + CRLF;

forEachTarget('engine: ledger rows', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('checksums are xxh64 of the normalised files; CRLF and BOM variants match the LF one; rows say who, what, from where', async () => {
    const { url } = await fresh();
    const downs = { '001_lf': 'drop table if exists shared;\n', '002_crlf': 'select 2;\r\n', '003_bom': '\ufeffselect 3;\n', '004_bom_crlf': 'select 4;\n' };
    const p = await project({
      '001_lf': { up: LF, down: downs['001_lf'] },
      '002_crlf': { up: CRLF, down: downs['002_crlf'] },
      '003_bom': { up: BOM, down: downs['003_bom'] },
      '004_bom_crlf': { up: BOM_CRLF, down: downs['004_bom_crlf'] },
      '005_irreversible': 'create table five (id int);\n',
    });
    const r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    for (const id of ['001_lf', '002_crlf', '003_bom', '004_bom_crlf', '005_irreversible']) assert.match(r.stdout, `applied ${id}`);

    const { rows, log, tables } = await state(url);
    const user = await inspect(url, async (db) => (await db.query('select current_user as u'))[0].u);
    assert.equal(rows.map((x) => x.revision), ['001', '002', '003', '004', '005']);
    const expected = checksum(LF);
    assert.match(expected, /^xxh64:[0-9a-f]{16}$/);
    for (const content of [CRLF, BOM, BOM_CRLF]) assert.is(checksum(content), expected, 'the variants normalise alike');
    assert.is.not(checksum(LF + ' '), expected, 'the checksum sees a real change');
    for (const row of rows.slice(0, 4)) assert.is(row.up_checksum, expected, `${row.revision}: same checksum as the LF file`);
    assert.is(rows[4].up_checksum, checksum('create table five (id int);\n'));

    for (const [i, [name, down]] of Object.entries(downs).entries()) {
      assert.is(rows[i].down_checksum, checksum(down), `${name} down checksum`);
      assert.is(rows[i].down_sql.replace(/^\ufeff/, ''), down.replace(/^\ufeff/, ''), `${name} down_sql holds the down file's text`);
    }
    assert.is(rows[4].down_checksum, null);
    assert.is(rows[4].down_sql, null);

    assert.equal(rows.map((x) => x.slug), ['lf', 'crlf', 'bom', 'bom_crlf', 'irreversible']);
    assert.equal(rows.map((x) => x.parents), [[], ['001'], ['002'], ['003'], ['004']]);
    for (const row of rows) {
      assert.ok(row.finished_at instanceof Date, 'finished');
      assert.ok(row.started_at <= row.finished_at);
      assert.is(row.statements_done, null, 'transactional: no statement count');
      assert.is(row.error, null);
      assert.type(row.duration_ms, 'number');
      assert.ok(row.applied_by.startsWith(user), `applied_by ${row.applied_by} names the database user ${user}`);
      assert.is(row.git_commit, null, 'outside git: no commit');
      assert.is(row.fmig_version, VERSION);
    }
    assert.equal(log.map((l) => [l.revision, l.action, l.checksum]), rows.map((x) => [x.revision, 'up', x.up_checksum]));
    for (const l of log) assert.is(l.git_commit, null);
    assert.equal(tables, ['public.five', 'public.shared']);
    const n = await inspect(url, async (db) => (await db.query('select count(*)::int as n from shared'))[0].n);
    assert.is(n, 4, 'each of the four ran once');
  });

  test('the ledger keeps every character of slugs and down SQL (quotes, backslashes, non-BMP), and a down removes the row and logs it', async () => {
    const { url } = await fresh();
    const down = "-- it's \\ a 'quoted' \\\\ down ✓ 𝄞\nselect E'\\\\x', $$ it's $$, '\\n';\ndrop table if exists q;\n";
    const slug = "it's a \\'slug\\' 𝄞";
    const p = await project({ [`001_${slug}`]: { up: 'create table q (x text);\n', down } });
    let r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    let { rows, log } = await state(url);
    assert.equal(rows.map((x) => [x.revision, x.slug, x.down_sql, x.down_checksum]), [['001', slug, down, checksum(down)]]);
    assert.ok(rows[0].duration_ms >= 0 && rows[0].started_at <= rows[0].finished_at, 'the server measured the run');
    assert.equal(log.map((l) => [l.revision, l.action, l.duration_ms]), [['001', 'up', rows[0].duration_ms]]);
    r = await p.fmig('down', '--url', url);
    assert.is(r.code, 0, r.stderr);
    ({ rows, log } = await state(url));
    assert.equal(rows, []);
    assert.equal(log.map((l) => [l.revision, l.action, l.checksum]), [['001', 'up', checksum('create table q (x text);\n')], ['001', 'down', checksum(down)]]);
    assert.type(log[1].duration_ms, 'number');
  });

  test('inside a git repository the ledger and log record HEAD', async () => {
    const { url } = await fresh();
    const p = await project({ '1_a': { up: 'create table a (id int);\n', down: 'drop table a;\n' } });
    const repo = makeRepo(p.dir);
    await repo.git('init', '-q', '-b', 'main');
    const head = await repo.commit({}, { message: 'revisions' });
    assert.match(head, /^[0-9a-f]{40}$/);
    const r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    const { rows, log } = await state(url);
    assert.is(rows[0].git_commit, head);
    assert.is(log[0].git_commit, head);
  });

  test('a SET in one revision does not carry over into the next (with a ledger whose names need quoting)', async () => {
    const { url } = await fresh();
    const ledger = { schema: 'My "Odd" Schema', ledger: 'led.ger' };
    const toml = 'dir = "sql"\n[database]\nschema = \'My "Odd" Schema\'\ntable = "led.ger"\n';
    const p = await project({
      '1_other_schema': 'create schema other_schema;\nSET search_path = other_schema, public;\ncreate table in_other (id int);\n',
      '2_unqualified': 'create table landed (id int);\n',
      '3_set_outside_transaction': '-- fmig:no-transaction\nSET search_path = other_schema, public;\ncreate table also_other (id int);\n',
      '4_unqualified_again': 'create table landed_too (id int);\n',
    }, { toml });
    const r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    const { tables, rows, log } = await state(url, ledger);
    assert.equal(tables, ['other_schema.also_other', 'other_schema.in_other', 'public.landed', 'public.landed_too']);
    assert.equal(rows.map((x) => x.revision), ['1', '2', '3', '4']);
    assert.equal(log.map((l) => l.action), ['up', 'up', 'up', 'up']);
  });
});
