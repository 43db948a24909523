// Files with transaction control of their own run as `psql -1 -f` runs them (SPEC section 2):
// for each shape, up and down, the schema fmig leaves equals what psql leaves on a fresh
// database, and --dry-run describes the blocks.
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { forEachTarget, freshDatabase, targets, testServerUrl } from '../helpers/databases.js';
import { project, removeProjects, state, stateIn, inspect, snapshot, snapshotIn } from '../helpers/cli.js';
import { clientTools, psqlOne, pgDumpSchema } from '../helpers/psql.js';

const server = testServerUrl && clientTools ? targets.find((t) => t.kind === 'postgres') : undefined;

const stepsIn = async (db) => (await db.query('select step from steps order by step')).map((r) => r.step);
const steps = (url) => inspect(url, stepsIn);
/** The steps, the ledger and the schema, in one visit. */
const look = (url) => inspect(url, async (db) => ({ steps: await stepsIn(db), state: await stateIn(db), snapshot: await snapshotIn(db) }));

const STEPS = { up: 'create table steps (step int);\n', down: 'drop table steps;\n' };

const shapes = [
  {
    name: "Sourcegraph's: three groups separated by COMMIT AND CHAIN",
    up: `CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TABLE repo (id int, deleted_at timestamptz);
CREATE TABLE users (id int, deleted_at timestamptz);
DROP TRIGGER IF EXISTS trig_a ON repo;
CREATE TRIGGER trig_a AFTER UPDATE OF deleted_at ON repo FOR EACH ROW EXECUTE FUNCTION touch();
-- commit after each trigger change, so the ShareRowExclusiveLock is let go
COMMIT AND CHAIN;
DROP TRIGGER IF EXISTS trig_b ON users;
CREATE TRIGGER trig_b AFTER UPDATE OF deleted_at ON users FOR EACH ROW EXECUTE FUNCTION touch();
COMMIT AND CHAIN;
INSERT INTO steps VALUES (1);
`,
    down: `DROP TRIGGER trig_b ON users;
COMMIT AND CHAIN;
DROP TRIGGER trig_a ON repo;
COMMIT AND CHAIN;
DROP TABLE users;
DROP TABLE repo;
DROP FUNCTION touch();
DELETE FROM steps;
`,
    steps: [1],
    upPlan: '3 transaction blocks (statements 1-6, 6-9 and 9-10); the last block commits with the ledger row',
    downPlan: '3 transaction blocks (statements 1-2, 2-4 and 4-8); the last block commits with the ledger row',
  },
  {
    name: 'stmt; COMMIT; stmt;',
    up: 'CREATE TABLE a (id int);\nCOMMIT;\nINSERT INTO steps VALUES (2);\n',
    down: 'DELETE FROM steps;\nCOMMIT;\nDROP TABLE a;\n',
    steps: [2],
    upPlan: '1 transaction block (statements 1-2), statement 3 on its own',
    downPlan: '1 transaction block (statements 1-2), statement 3 on its own',
  },
  {
    name: 'BEGIN; ...; COMMIT; BEGIN; ...; COMMIT;',
    up: 'BEGIN;\nCREATE TABLE b1 (id int);\nCOMMIT;\nBEGIN;\nCREATE TABLE b2 (id int);\nINSERT INTO steps VALUES (3);\nCOMMIT;\n',
    down: 'BEGIN;\nDROP TABLE b2;\nDELETE FROM steps;\nCOMMIT;\nBEGIN;\nDROP TABLE b1;\nCOMMIT;\n',
    steps: [3],
    upPlan: '2 transaction blocks (statements 1-3 and 4-7)',
    downPlan: '2 transaction blocks (statements 1-4 and 5-7)',
  },
  {
    name: 'stmt; BEGIN; stmt; COMMIT; (the leading statement joins the block)',
    up: 'CREATE TABLE l (id int);\nBEGIN;\nINSERT INTO steps VALUES (4);\nCOMMIT;\n',
    down: 'DELETE FROM steps;\nBEGIN;\nDROP TABLE l;\nCOMMIT;\n',
    steps: [4],
    upPlan: '1 transaction block (statements 1-4)',
    downPlan: '1 transaction block (statements 1-4)',
  },
  {
    name: 'a last block that ends in ROLLBACK',
    up: 'BEGIN;\nCREATE TABLE r1 (id int);\nINSERT INTO steps VALUES (5);\nCOMMIT;\nBEGIN;\nCREATE TABLE r2 (id int);\nINSERT INTO steps VALUES (6);\nROLLBACK;\n',
    down: 'DELETE FROM steps;\nDROP TABLE r1;\nCOMMIT;\nBEGIN;\nCREATE TABLE junk (id int);\nROLLBACK;\n',
    steps: [5],
    upPlan: '2 transaction blocks (statements 1-4 and 5-8)',
    downPlan: '2 transaction blocks (statements 1-3 and 4-6)',
  },
];

const references = new Map();

/**
 * Applies the files with psql -1 -f on a fresh server database; returns its snapshot, pg_dump
 * schema and steps. Both targets' tests compare with the same files: the reference is made once
 * for each set of files (by their contents).
 */
async function psqlReference(dir, files) {
  const paths = files.map((f) => path.join(dir, 'sql', f));
  const key = JSON.stringify(await Promise.all(paths.map((f) => readFile(f, 'utf8'))));
  if (!references.has(key)) references.set(key, psqlReferenceOf(paths));
  return references.get(key);
}

async function psqlReferenceOf(paths) {
  const ref = await freshDatabase(server);
  try {
    await psqlOne(ref.url, paths);
    return { snapshot: await snapshot(ref.url), dump: await pgDumpSchema(ref.url), steps: await steps(ref.url).catch(() => null) };
  } finally {
    await ref.drop();
  }
}

forEachTarget('engine: files run as psql -1 runs them', (test, { target, fresh }) => {
  test.after.each(removeProjects);

  for (const shape of shapes) {
    test(`${shape.name}: up and down leave what psql -1 -f leaves`, async () => {
      const { url } = await fresh();
      const p = await project({ '001_steps': STEPS, '002_shape': { up: shape.up, down: shape.down } });

      let r = await p.fmig('up', '--dry-run', '--url', url);
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stdout, `as psql -1 runs it: ${shape.upPlan}`);

      r = await p.fmig('up', '--url', url);
      assert.is(r.code, 0, r.stderr);
      let seen = await look(url);
      assert.equal(seen.steps, shape.steps);
      let s = seen.state;
      assert.equal(s.rows.map((x) => [x.revision, x.finished_at !== null, x.error]), [['001', true, null], ['002', true, null]]);
      assert.equal(s.log.map((l) => [l.revision, l.action]), [['001', 'up'], ['002', 'up']]);
      if (server) {
        const ref = await psqlReference(p.dir, ['001_steps.up.sql', '002_shape.up.sql']);
        assert.equal(seen.snapshot, ref.snapshot, 'schema after up equals psql -1');
        assert.equal(seen.steps, ref.steps);
        if (target.kind === 'postgres') assert.fixture(await pgDumpSchema(url), ref.dump, 'pg_dump after up equals psql -1');
      }

      r = await p.fmig('down', '--dry-run', '--url', url);
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stdout, `as psql -1 runs it: ${shape.downPlan}`);
      r = await p.fmig('down', '--url', url);
      assert.is(r.code, 0, r.stderr);
      seen = await look(url);
      s = seen.state;
      assert.equal(s.rows.map((x) => x.revision), ['001']);
      assert.equal(s.log.map((l) => [l.revision, l.action]), [['001', 'up'], ['002', 'up'], ['002', 'down']]);
      if (server) {
        const ref = await psqlReference(p.dir, ['001_steps.up.sql', '002_shape.up.sql', '002_shape.down.sql']);
        assert.equal(seen.snapshot, ref.snapshot, 'schema after down equals psql -1');
        assert.equal(seen.steps, ref.steps);
        if (target.kind === 'postgres') assert.fixture(await pgDumpSchema(url), ref.dump, 'pg_dump after down equals psql -1');
      }
    });
  }

  test('a failure in the second block: the first stays committed, --resume re-runs the second from its start, the schema equals a clean run', async () => {
    const { url } = await fresh();
    const up = 'BEGIN;\nCREATE TABLE f1 (id int);\nINSERT INTO steps VALUES (1);\nCOMMIT;\nBEGIN;\nCREATE TABLE f2 (id int);\nINSERT INTO needed VALUES (1);\nINSERT INTO steps VALUES (2);\nCOMMIT;\nINSERT INTO steps VALUES (3);\n';
    const p = await project({ '001_steps': STEPS, '002_blocks': up });
    let r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, 'sql/002_blocks.up.sql:7:13: error 42P01: relation "needed" does not exist');
    assert.match(r.stderr, 'inside the transaction block starting at statement 5 (rolled back)');
    assert.equal(await steps(url), [1], 'the first block committed, the second rolled back');
    let s = await state(url);
    assert.is(s.tables.includes('public.f2'), false);
    const row = s.rows.find((x) => x.revision === '002');
    assert.is(row.finished_at, null);
    assert.is(row.statements_done, 4, "statements_done is the second block's start");
    assert.equal(s.log.map((l) => [l.revision, l.action]), [['001', 'up'], ['002', 'failed']]);

    r = await p.fmig('up', '--dry-run', '--url', url);
    assert.is(r.code, 1, 'up refuses while a revision waits for --resume');
    await inspect(url, (db) => db.exec('create table needed (id int)'));
    r = await p.fmig('up', '--resume', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(await steps(url), [1, 2, 3], 'nothing ran twice');
    s = await state(url);
    assert.equal(s.rows.map((x) => [x.revision, x.finished_at !== null, x.statements_done]), [['001', true, null], ['002', true, 10]]);
    assert.equal(s.log.map((l) => [l.revision, l.action]), [['001', 'up'], ['002', 'failed'], ['002', 'up']]);
    if (server) {
      await p.write({ 'needed.sql': 'create table needed (id int);\n' });
      const ref = await psqlReference(p.dir, ['001_steps.up.sql', '../needed.sql', '002_blocks.up.sql']);
      assert.equal(await snapshot(url), ref.snapshot, 'schema equals a clean psql -1 run');
      assert.equal(await steps(url), ref.steps);
    }
  });

  test('a failure in the first block leaves nothing behind: no row, and a plain up applies it once fixed', async () => {
    const { url } = await fresh();
    const p = await project({
      '001_steps': STEPS,
      '002_blocks': 'INSERT INTO steps VALUES (1);\nINSERT INTO needed VALUES (1);\nCOMMIT;\nINSERT INTO steps VALUES (2);\n',
    });
    let r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, 'sql/002_blocks.up.sql:2:13: error 42P01');
    assert.match(r.stderr, 'nothing of the file was committed');
    assert.equal(await steps(url), []);
    const s = await state(url);
    assert.equal(s.rows.map((x) => x.revision), ['001']);
    await inspect(url, (db) => db.exec('create table needed (id int)'));
    r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(await steps(url), [1, 2]);
  });
});
