// The revision graph on a database, as Alembic users expect it: `down <rev>` reverts exactly
// the applied descendants of <rev>, children first; `down -N`, `down base` and `sync` never
// revert a parent before its child, even when every row was recorded at the same instant
// (as baseline records them); `up <rev>` works with several heads; second roots.
//
// Every revision's table references its parents' tables, so the database itself refuses to
// drop a parent before its child: a wrong order fails the command, not only the assertions.
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { project, removeProjects, state, inspect } from '../helpers/cli.js';
import { GRAPHS, descendantsOf, parentBeforeChild, header } from '../helpers/graphs.js';

function createSql(g, id) {
  return `create table t${id} (id int primary key${g[id].map((p) => `, p${p} int references t${p}`).join('')});\n`;
}

function revisionsOf(g) {
  const out = {};
  for (const id of Object.keys(g)) out[`${id}_r`] = { up: header(g, id) + createSql(g, id), down: `drop table t${id};\n` };
  return out;
}

const planned = (stdout) => [...stdout.matchAll(/^-- sql\/(\w+?)_r\.down\.sql: /gm)].map((m) => m[1]);
const reverted = (stdout) => [...stdout.matchAll(/^reverted (\w+?)_r \(/gm)].map((m) => m[1]);
const applied = (stdout) => [...stdout.matchAll(/^applied (\w+?)_r \(/gm)].map((m) => m[1]);
const appliedNow = async (url) => (await state(url)).rows.map((r) => r.revision).sort();
const sorted = (ids) => [...ids].sort();

/** Every ledger row at the same instant: the rows come back from the ledger in id order. */
const sameInstant = (url) => inspect(url, (db) => db.query(`update fmig_ledger set started_at = '2026-01-01T00:00:00Z', finished_at = '2026-01-01T00:00:00Z'`));

forEachTarget('engine: the revision graph', (test, { fresh }) => {
  test.after.each(removeProjects);

  for (const [name, g] of Object.entries(GRAPHS)) {
    const ids = Object.keys(g);
    test(`${name}: down <rev> on each revision reverts exactly its applied descendants, children first`, async () => {
      const { url } = await fresh();
      const p = await project(revisionsOf(g));
      let r = await p.fmig('up', '--url', url);
      assert.is(r.code, 0, r.stderr);
      assert.equal(sorted(applied(r.stdout)), sorted(ids));
      // Rows at the same instant come back from the ledger in id order, which is not the graph's.
      await sameInstant(url);
      // What each `down <rev>` would revert, in the order it would: its dry run's plan.
      for (const id of ids) {
        r = await p.fmig('down', id, '--dry-run', '--url', url);
        assert.is(r.code, 0, `down ${id}: ${r.stderr}`);
        const plan = planned(r.stdout);
        assert.equal(sorted(plan), sorted(descendantsOf(g, id)), `down ${id} reverts its descendants and nothing else`);
        assert.is(parentBeforeChild(g, plan), -1, `down ${id}: children first (${plan})`);
      }
      // One for real (the database refuses a parent dropped before its child), then the rest.
      const [id] = ids.filter((x) => g[x].length && descendantsOf(g, x).size);
      r = await p.fmig('down', id, '--url', url);
      assert.is(r.code, 0, `down ${id}: ${r.stderr}`);
      const gone = reverted(r.stdout);
      assert.equal(sorted(gone), sorted(descendantsOf(g, id)));
      assert.equal(await appliedNow(url), sorted(ids.filter((x) => !gone.includes(x))), `down ${id}: the rest stays applied`);
      r = await p.fmig('down', 'base', '--url', url);
      assert.is(r.code, 0, r.stderr);
      assert.is(parentBeforeChild(g, [...gone, ...reverted(r.stdout)]), -1);
      assert.equal((await state(url)).tables, []);
    });
  }

  test('down -1 again and again, then down base, with every row at the same instant: never a parent before its child', async () => {
    const g = GRAPHS['merges and branches again'];
    const { url } = await fresh();
    const p = await project(revisionsOf(g));
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    await sameInstant(url);
    const order = [];
    for (let i = 0; i < 3; i++) {
      const r = await p.fmig('down', '--url', url);
      assert.is(r.code, 0, r.stderr);
      order.push(...reverted(r.stdout));
    }
    let r = await p.fmig('down', '-2', '--url', url);
    assert.is(r.code, 0, r.stderr);
    order.push(...reverted(r.stdout));
    r = await p.fmig('down', 'base', '--url', url);
    assert.is(r.code, 0, r.stderr);
    order.push(...reverted(r.stdout));
    assert.equal(sorted(order), sorted(Object.keys(g)));
    assert.is(parentBeforeChild(g, order), -1, `children first: ${order}`);
    // The graph's own order reversed: 6 first, then the higher of the free ones.
    assert.equal(order, ['6', '5', '8', '2', '4', '9', '3', '1']);
    const { log, tables } = await state(url);
    assert.equal(tables, []);
    assert.equal(log.filter((l) => l.action === 'down').map((l) => l.revision), order);
  });

  test('after baseline (rows recorded in the same instant): down -2, then down base, children first', async () => {
    const g = GRAPHS.diamond;
    const { url } = await fresh();
    const p = await project(revisionsOf(g));
    // The schema exists already (it is being adopted): create it in an order the graph allows.
    await inspect(url, async (db) => {
      for (const id of ['1', '3', '7', '5', '2']) await db.query(createSql(g, id));
    });
    let r = await p.fmig('baseline', '2', '--url', url);
    assert.is(r.code, 0, r.stderr);
    await sameInstant(url);
    r = await p.fmig('down', '-2', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(reverted(r.stdout), ['2', '5']);
    r = await p.fmig('down', 'base', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(reverted(r.stdout), ['7', '3', '1']);
    assert.equal((await state(url)).tables, []);
  });

  test('sync reverts the revisions the checkout lacks children first, with every row at the same instant', async () => {
    const g = GRAPHS['merges and branches again'];
    const { url } = await fresh();
    const p = await project(revisionsOf(g));
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    await sameInstant(url);
    // Another checkout: 8 → 5 and the merge 6 are not in it.
    await p.revisions({ '8_r': null, '5_r': null, '6_r': null });
    const r = await p.fmig('sync', '--yes', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(reverted(r.stdout), ['6', '5', '8']);
    assert.equal(await appliedNow(url), ['1', '2', '3', '4', '9']);
  });

  test('up <rev> with two heads applies exactly <rev> and its unapplied ancestors, saying other heads exist; plain up and up +N refuse', async () => {
    // 1 → 2, and 1 → 3 → 4: heads 2 and 4.
    const g = { 1: [], 2: ['1'], 3: ['1'], 4: ['3'] };
    const { url } = await fresh();
    const p = await project(revisionsOf(g));
    for (const args of [[], ['+1'], ['head']]) {
      const r = await p.fmig('up', ...args, '--url', url);
      assert.is(r.code, 1, r.stderr);
      assert.match(r.stderr, 'divergent heads');
    }
    assert.equal(await appliedNow(url), []);

    let r = await p.fmig('up', '4', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(applied(r.stdout), ['1', '3', '4']);
    assert.match(r.stderr, 'the folder has 2 heads (2, 4): applying 4 and its ancestors only');
    assert.equal(await appliedNow(url), ['1', '3', '4']);

    r = await p.fmig('up', '2', '--dry-run', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, '1 revision(s) would be applied');
    r = await p.fmig('up', '2', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(applied(r.stdout), ['2']);
    assert.equal(await appliedNow(url), ['1', '2', '3', '4']);

    // down on a graph with two heads: each head is reverted alone.
    r = await p.fmig('down', '3', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(reverted(r.stdout), ['4']);
    assert.equal(await appliedNow(url), ['1', '2', '3']);
  });

  test('two roots merged (-- fmig:root): up, history, down base', async () => {
    const g = GRAPHS['two roots merged'];
    const { url } = await fresh();
    const p = await project(revisionsOf(g));
    assert.match(await p.read('sql/2_r.up.sql'), /^-- fmig:root\n/);
    let r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(applied(r.stdout), ['1', '2', '5', '6', '3', '4']);
    r = await p.fmig('history', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(r.stdout.trimEnd().split('\n'), [
      '* 4 r (applied)',
      '*   3 r (applied)',
      '|\\',
      '* | 6 r (applied)',
      '| * 5 r (applied)',
      '| * 2 r (applied)',
      '* 1 r (applied)',
    ]);
    r = await p.fmig('down', 'base', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(reverted(r.stdout), ['4', '3', '6', '5', '2', '1']);
    assert.equal((await state(url)).tables, []);
  });
});
