// `fmig up --sql` and `fmig down --sql` print the run as one script for psql. Run by psql on one
// database, it leaves the same schema, ledger rows, checksums and log as fmig run on another;
// `--from` writes it without a connection; the script refuses a database in another state.
import { spawn } from 'node:child_process';
import * as assert from 'uvu/assert';
import { forEachTarget, targets } from '../helpers/databases.js';
import { inspect, project, removeProjects, repositoryCopy, state } from '../helpers/cli.js';

/** No-transaction with CREATE INDEX CONCURRENTLY and COPY data, blocks of a file's own (psql -1), a plain one. */
const MIXED = {
  '001_acc': { up: 'create table acc (id int primary key, n int);\ninsert into acc select g, g from generate_series(1, 50) g;\n', down: 'drop table acc;\n' },
  '002_led': {
    up: "-- fmig:no-transaction\ncreate table led (id int, acc int, memo text);\nCOPY led (id, acc, memo) FROM stdin;\n1\t1\tit's\n2\t2\t\\N\n\\.\nCREATE INDEX CONCURRENTLY led_acc ON led (acc);\ninsert into led values (3, 3, 'x') -- last line a comment\n;\n",
    down: '-- fmig:no-transaction\nDROP INDEX CONCURRENTLY led_acc;\ndrop table led;\n',
  },
  '003_blocks': {
    up: 'BEGIN;\ncreate table c (id int);\ninsert into c select generate_series(1, 10);\nCOMMIT AND CHAIN;\nalter table c add column w int;\nCOMMIT;\ncreate table after3 ();\n',
    down: 'drop table after3;\nBEGIN;\nalter table c drop column w;\nCOMMIT;\ndrop table c;\n',
  },
  '004_view': { up: 'create view v as select acc, count(*) as n from led group by acc;\n', down: 'drop view v;\n' },
};

/** Nothing listens there: a command that reaches for the database fails with exit 3. */
const NOWHERE = 'postgres://nobody@127.0.0.1:9/nowhere?connect_timeout=2';

function psql(url, script) {
  return new Promise((resolve) => {
    const child = spawn('psql', ['-X', '-q', '-f', '-', url], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, stdout: out, stderr: err }));
    child.stdin.end(script);
  });
}

function pgDump(url) {
  return new Promise((resolve, reject) => {
    const child = spawn('pg_dump', ['--schema-only', '--no-owner', '-T', 'fmig_ledger*', url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(out.split('\n').filter((l) => l && !/^(--|\\(un)?restrict )/.test(l)).join('\n')) : reject(new Error(`pg_dump exited ${code}`))));
  });
}

/** What must agree between a psql run of the script and fmig's own: all but timestamps, durations and who ran it. */
async function picture(url) {
  const s = await state(url);
  const rows = s.rows.map((r) => [r.revision, r.slug, r.parents, r.up_checksum, r.down_checksum, r.down_sql, r.statements_done, r.error, r.fmig_version, !!r.finished_at]);
  const log = s.log.map((r) => [r.revision, r.action, r.checksum]);
  const data = await inspect(url, async (db) => {
    const [has] = await db.query(`select to_regclass('led') is not null as ok`);
    return has.ok ? db.query(`select id, acc, memo from led order by id`) : [];
  });
  return { schema: await pgDump(url), rows, log, data };
}

async function sameAs(a, b, what) {
  const [x, y] = [await picture(a), await picture(b)];
  assert.fixture(x.schema, y.schema, `${what}: schema`);
  assert.equal(x.rows, y.rows, `${what}: ledger rows`);
  assert.equal(x.log, y.log, `${what}: log rows`);
  assert.equal(x.data, y.data, `${what}: COPY data`);
}

const server = targets.find((t) => t.kind === 'postgres');
if (server) {
  forEachTarget('up --sql | psql', (test, { target, fresh }) => {
    if (target.kind !== 'postgres') return;
    test.after.each(removeProjects);

    test("this repository's sql/: up --sql run by psql gives what fmig up gives, status is clean; down --sql likewise", async () => {
      const [a, b] = [await fresh(), await fresh()];
      const p = await repositoryCopy();
      const up = await p.fmig('up', '--sql', '--url', a.url);
      assert.is(up.code, 0, up.stderr);
      assert.match(up.stdout, /^\\set ON_ERROR_STOP on$/m);
      assert.equal((await state(a.url)).rows, [], 'writing the script changed nothing');
      const ran = await psql(a.url, up.stdout);
      assert.is(ran.code, 0, ran.stderr);
      assert.is((await p.fmig('up', '--url', b.url)).code, 0);
      await sameAs(a.url, b.url, 'up');
      const st = await p.fmig('status', '--check', '--url', a.url);
      assert.is(st.code, 0, st.stdout + st.stderr);
      assert.match((await state(a.url)).rows[0].applied_by, /\(a psql script written by fmig\)$/);

      const down = await p.fmig('down', 'base', '--sql', '--url', a.url);
      assert.is(down.code, 0, down.stderr);
      assert.is((await psql(a.url, down.stdout)).code, 0);
      assert.is((await p.fmig('down', 'base', '--url', b.url)).code, 0);
      await sameAs(a.url, b.url, 'down');
      assert.equal((await state(a.url)).tables, []);
    });

    test('no-transaction, COPY and multi-block revisions, written without a connection (--from): the same as fmig, up and down', async () => {
      const [a, b] = [await fresh(), await fresh()];
      const p = await project(MIXED);
      for (const db of [a, b]) assert.is((await p.fmig('up', '001', '--url', db.url)).code, 0);
      const up = await p.fmig('up', '--sql', '--from', '001', '--url', NOWHERE);
      assert.is(up.code, 0, up.stderr);
      assert.match(up.stdout, /^COPY led \(id, acc, memo\) FROM stdin;\n1\t1\tit's\n2\t2\t\\N\n\\\.$/m);
      assert.match(up.stdout, /^-- sql\/003_blocks\.up\.sql: as psql -1 runs it/m);
      const ran = await psql(a.url, up.stdout);
      assert.is(ran.code, 0, ran.stderr);
      assert.is((await p.fmig('up', '--url', b.url)).code, 0);
      await sameAs(a.url, b.url, 'up --from 001');
      assert.is((await p.fmig('status', '--check', '--url', a.url)).code, 0);

      const down = await p.fmig('down', '001', '--sql', '--from', '004', '--url', NOWHERE);
      assert.is(down.code, 0, down.stderr);
      assert.is((await psql(a.url, down.stdout)).code, 0);
      assert.is((await p.fmig('down', '001', '--url', b.url)).code, 0);
      await sameAs(a.url, b.url, 'down 001 --from 004');
      assert.equal((await state(a.url)).rows.map((r) => r.revision), ['001']);
      assert.is((await p.fmig('status', '--url', a.url)).code, 0);
    });

    test('a script run on a database in another state than it was written for stops before changing anything', async () => {
      const { url } = await fresh();
      const p = await project(MIXED);
      const script = (await p.fmig('up', '--sql', '--from', 'base', '--url', NOWHERE)).stdout;
      assert.is((await p.fmig('up', '001', '--url', url)).code, 0);
      const before = await picture(url);
      const ran = await psql(url, script);
      assert.is.not(ran.code, 0);
      assert.match(ran.stderr, 'this script was written for a database with no revision applied');
      assert.equal(await picture(url), before);
    });
  });
}

forEachTarget('up --sql and down --sql change nothing', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('the ledger is read when no --from is given: only what is pending is in the script; nothing is written', async () => {
    const { url } = await fresh();
    const p = await project(MIXED);
    assert.is((await p.fmig('up', '002', '--url', url)).code, 0);
    const before = await state(url);
    const up = await p.fmig('up', '--sql', '--url', url);
    assert.is(up.code, 0, up.stderr);
    assert.not.match(up.stdout, 'sql/001_acc.up.sql');
    assert.match(up.stdout, /^-- sql\/003_blocks\.up\.sql/m);
    assert.match(up.stdout, /^-- for a database with 2 revision\(s\) applied, the last 002 \(read from /m);
    const down = await p.fmig('down', '--sql', '--url', url);
    assert.is(down.code, 0, down.stderr);
    assert.match(down.stdout, /^-- sql\/002_led\.down\.sql: statement by statement/m);
    assert.not.match(down.stdout, '001_acc.down.sql');
    assert.equal(await state(url), before);
  });

  test('--from goes with --sql only, names a revision of the folder; --sql does not go with --dry-run', async () => {
    const p = await project(MIXED);
    for (const args of [['up', '--from', '001'], ['up', '--sql', '--from', '999'], ['down', '--sql', '--dry-run'], ['down', '--from', 'base']]) {
      const r = await p.fmig(...args, '--url', NOWHERE);
      assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.not.match(r.stderr, /at .*\.js:\d+/);
    }
  });
});
