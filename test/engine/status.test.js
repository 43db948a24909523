// `status`, `heads` and `new` as a user sees them, and the output contracts: `--json` is one
// JSON document on stdout and nothing else there; `--quiet` prints nothing on success.
import { test as plain } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { forEachTarget } from '../helpers/databases.js';
import { project, removeProjects, state } from '../helpers/cli.js';

const rev = (id) => ({ up: `create table t${id} (id int);\n`, down: `drop table t${id};\n` });

/** Asserts stdout is exactly one JSON document, and returns it. */
function oneJson(r) {
  let doc;
  assert.not.throws(() => (doc = JSON.parse(r.stdout)), `stdout is one JSON document:\n${r.stdout}`);
  assert.type(doc, 'object');
  return doc;
}

forEachTarget('engine: status and output', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('status shows applied, pending and drift; --check exits 1 until up to date; --json says the same', async () => {
    const { url } = await fresh();
    const p = await project({ '1_a': rev(1), '2_b': rev(2), '3_c': rev(3) });
    let r = await p.fmig('status', '--check', '--url', url);
    assert.is(r.code, 1, 'a new database: everything pending');
    assert.match(r.stdout, 'applied:  none');

    r = await p.fmig('up', '2', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, 'applied 2_b');
    assert.not.match(r.stdout, '3_c');

    r = await p.fmig('status', '--url', url);
    assert.is(r.code, 0, 'without --check, pending is not a failure');
    assert.match(r.stdout, 'applied:  2 revision(s); head 2_b');
    assert.match(r.stdout, 'pending:  1 revision(s)\n  3_c');
    assert.match(r.stdout, 'drift:    none');
    assert.is((await p.fmig('status', '--check', '--url', url)).code, 1);

    r = await p.fmig('status', '--json', '--url', url);
    const doc = oneJson(r);
    assert.equal(doc.applied.map((a) => a.revision), ['1', '2']);
    assert.equal(doc.appliedHeads, ['2']);
    assert.equal(doc.pending, [{ revision: '3', slug: 'c' }]);
    assert.equal(doc.drift, []);
    assert.is(doc.ok, false);

    // Drift: an applied file edited, and a failed revision.
    await p.revisions({ '1_a': { up: 'create table t1 (id bigint);\n', down: rev(1).down }, '3_c': '-- fmig:no-transaction\ncreate table t3 (id int);\nselect 1/0;\n' });
    assert.is((await p.fmig('up', '--url', url)).code, 1, 'refuses: 1 was edited');
    await p.revisions({ '1_a': rev(1) });
    assert.is((await p.fmig('up', '--url', url)).code, 1, '3 fails part-way');
    await p.revisions({ '1_a': { up: 'create table t1 (id bigint);\n', down: rev(1).down } });
    r = await p.fmig('status', '--check', '--url', url);
    assert.is(r.code, 1);
    assert.match(r.stdout, 'drift:    2 problem(s)');
    assert.match(r.stdout, 'edited: 1_a.up.sql was edited after it was applied');
    assert.match(r.stdout, 'failed: 3 stopped part-way after 1 statement(s)');
    const drift = oneJson(await p.fmig('status', '--json', '--url', url)).drift;
    assert.equal(drift.map((d) => [d.kind, d.revision]).sort(), [['edited', '1'], ['failed', '3']]);

    // Put right: resume 3, restore 1: up to date.
    await p.revisions({ '1_a': rev(1), '3_c': '-- fmig:no-transaction\ncreate table t3 (id int);\nselect 1;\n' });
    assert.is((await p.fmig('up', '--resume', '--url', url)).code, 0);
    r = await p.fmig('status', '--check', '--url', url);
    assert.is(r.code, 0, r.stdout);
    assert.match(r.stdout, 'pending:  none');
    assert.match(r.stdout, 'drift:    none');

    // A ledger row with no file.
    await p.revisions({ '3_c': null });
    r = await p.fmig('status', '--check', '--json', '--url', url);
    assert.is(r.code, 1);
    assert.equal(oneJson(r).drift.map((d) => [d.kind, d.revision]), [['missing', '3']]);
  });

  test('--json of up is one document on stdout, on success and on failure; --quiet prints nothing on success', async () => {
    const { url } = await fresh();
    const p = await project({ '1_a': rev(1), '2_b': rev(2) });
    let r = await p.fmig('up', '1', '--json', '--url', url);
    assert.is(r.code, 0, r.stderr);
    let doc = oneJson(r);
    assert.equal(doc.applied.map((a) => a.revision), ['1']);
    assert.is(doc.dryRun, false);

    r = await p.fmig('up', '--quiet', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, '');
    assert.is(r.stderr, '');
    assert.equal((await state(url)).rows.map((x) => x.revision), ['1', '2']);

    r = await p.fmig('up', '--json', '--url', url);
    assert.equal(oneJson(r).applied, [], 'nothing to apply, still one document');

    await p.revisions({ '3_c': 'create table t3 (id int);\nselect 1/0;\n' });
    r = await p.fmig('up', '--json', '--url', url);
    assert.is(r.code, 1);
    doc = oneJson(r);
    assert.is(doc.error.code, 'migration-failed');
    assert.match(doc.error.message, 'sql/3_c.up.sql:2:1: error 22012: division by zero');

    r = await p.fmig('down', '--quiet', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout + r.stderr, '');
  });
});

plain.after.each(removeProjects);

plain('heads --json lists each head with its file; no database needed', async () => {
  const p = await project({ '1_a': rev(1), '2_b': rev(2) });
  let r = await p.fmig('heads', '--json', '--url', 'postgres://u:p@127.0.0.1:1/unreachable');
  assert.is(r.code, 0, r.stderr);
  assert.equal(oneJson(r), { heads: [{ revision: '2', slug: 'b', file: 'sql/2_b.up.sql' }] });
  await p.revisions({ '3_c': { up: '-- fmig:parent 1\nselect 1;\n' } });
  r = await p.fmig('heads', '--json');
  assert.equal(oneJson(r).heads.map((h) => h.file), ['sql/2_b.up.sql', 'sql/3_c.up.sql']);
  r = await p.fmig('heads');
  assert.match(r.stdout, '2 b  (sql/2_b.up.sql)\n3 c  (sql/3_c.up.sql)');
  assert.match(r.stderr, 'fmig resolve');
});

plain('new: the next sequence number at the same width, on the head; timestamps otherwise; refuses with divergent heads', async () => {
  const p = await project({ '000041_a': rev(41), '000042_b': rev(42) });
  let r = await p.fmig('new', 'add_invoices');
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'sql/000043_add_invoices.up.sql\nsql/000043_add_invoices.down.sql\n');
  assert.match(await p.read('sql/000043_add_invoices.up.sql'), /^-- fmig:parent 000042\n/);
  assert.not.match(await p.read('sql/000043_add_invoices.down.sql'), 'fmig:parent');

  r = await p.fmig('new', '-m', 'Add payees', '--no-transaction', '--json');
  assert.is(r.code, 0, r.stderr);
  assert.equal(oneJson(r), { revision: '000044', slug: 'add_payees', parents: ['000043'], up: 'sql/000044_add_payees.up.sql', down: 'sql/000044_add_payees.down.sql' });
  const up = await p.read('sql/000044_add_payees.up.sql');
  assert.match(up, '-- fmig:parent 000043\n-- fmig:no-transaction\n');
  assert.match(await p.read('sql/000044_add_payees.down.sql'), '-- fmig:no-transaction');

  // Divergent heads: refuse, write nothing.
  await p.revisions({ '000045_side': { up: '-- fmig:parent 000043\nselect 1;\n' } });
  const files = readdirSync(path.join(p.dir, 'sql')).sort();
  r = await p.fmig('new', 'more');
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, 'divergent heads');
  assert.match(r.stderr, 'fmig resolve');
  assert.equal(readdirSync(path.join(p.dir, 'sql')).sort(), files);

  // An empty folder gets the UTC time; a timestamp folder the time as well.
  const empty = await project({});
  const before = utcStamp(new Date());
  r = await empty.fmig('new', 'first');
  const after = utcStamp(new Date());
  assert.is(r.code, 0, r.stderr);
  const id = /^sql\/(\d{14})_first\.up\.sql$/m.exec(r.stdout)?.[1];
  assert.ok(id && id >= before && id <= after, `a UTC timestamp id: ${r.stdout}`);
  assert.not.match(await empty.read(`sql/${id}_first.up.sql`), 'fmig:parent');
  r = await empty.fmig('new', 'second');
  const id2 = /^sql\/(\d{14})_second\.up\.sql$/m.exec(r.stdout)?.[1];
  assert.ok(id2 > id, 'the next id sorts after the last, even within the same second');
  assert.match(await empty.read(`sql/${id2}_second.up.sql`), `-- fmig:parent ${id}\n`);
});

function utcStamp(d) {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

plain.run();
