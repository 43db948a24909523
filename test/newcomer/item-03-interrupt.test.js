// Ctrl-C (SIGINT) or SIGTERM during `up` must not leave a statement running on the server with
// fmig's lock already released: fmig cancels the running statement, waits for its rollback,
// then releases the lock, says what is applied, and exits 130 (SIGINT) or 143 (SIGTERM).
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freshDatabase, testServerUrl } from '../helpers/databases.js';
import { cliEnv, FMIG_BIN, inspect, project, removeProjects, state } from '../helpers/cli.js';
import { admin } from '../helpers/databases.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts `fmig ...args` in `cwd`; `exit` resolves to { code, signal, stdout, stderr }. */
function start(cwd, args) {
  const child = spawn(process.execPath, [FMIG_BIN, ...args], { cwd, env: cliEnv() });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exit, output: () => stdout + stderr };
}

/** Polls `check` every 50 ms until it is true or `ms` pass; resolves to whether it became true. */
async function until(check, ms) {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await sleep(50);
  }
}

test.after.each(removeProjects);

if (testServerUrl) {
  test('item 3 (postgres): SIGINT while a revision runs pg_sleep(20): within 2 s no fmig backend is active; exit 130; a second up applies it', async () => {
    const db = await freshDatabase({ kind: 'postgres', serverUrl: testServerUrl });
    const name = new URL(db.url).pathname.slice(1);
    const active = () =>
      admin(testServerUrl, `select pid, query from pg_stat_activity where datname = $1 and application_name = 'fmig' and state <> 'idle'`, [name]);
    try {
      const p = await project({
        '1_a': { up: 'create table a (id int);\n', down: 'drop table a;\n' },
        '2_b': { up: 'create table b (id int);\nselect pg_sleep(20);\n', down: 'drop table b;\n' },
      });
      const run = start(p.dir, ['up', '--url', db.url]);
      const sleeping = await until(async () => (await active()).some((r) => r.query.includes('pg_sleep')), 30000);
      assert.ok(sleeping, `revision 2 never started: ${run.output()}`);

      run.child.kill('SIGINT');
      const quiet = await until(async () => (await active()).length === 0, 2000);
      assert.ok(quiet, `fmig backends still active 2 s after SIGINT: ${JSON.stringify(await active())}`);
      const r = await run.exit;
      assert.is(r.code, 130, `${r.signal ?? ''} ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, 'interrupted by SIGINT: 2_b was cancelled and rolled back');
      assert.match(r.stderr, 'applied by this run: 1_a');
      assert.match(r.stderr, 'not applied: 2');
      const s = await state(db.url);
      assert.equal(s.rows.map((x) => x.revision), ['1'], 'revision 2 left no ledger row');
      assert.equal(s.tables, ['public.a'], 'revision 2 was rolled back');

      const again = await start(p.dir, ['up', '--url', db.url]).exit;
      assert.is(again.code, 0, again.stderr);
      assert.match(again.stdout, 'applied 2_b');
    } finally {
      await db.drop();
    }
  });

  test('item 3 (postgres): SIGTERM during down: cancelled, rolled back, exit 143', async () => {
    const db = await freshDatabase({ kind: 'postgres', serverUrl: testServerUrl });
    const name = new URL(db.url).pathname.slice(1);
    const active = () =>
      admin(testServerUrl, `select pid, query from pg_stat_activity where datname = $1 and application_name = 'fmig' and state <> 'idle'`, [name]);
    try {
      const p = await project({ '1_a': { up: 'create table a (id int);\n', down: 'drop table a;\nselect pg_sleep(20);\n' } });
      assert.is((await start(p.dir, ['up', '--url', db.url]).exit).code, 0);
      const run = start(p.dir, ['down', '--url', db.url]);
      assert.ok(await until(async () => (await active()).some((r) => r.query.includes('pg_sleep')), 30000), run.output());
      run.child.kill('SIGTERM');
      assert.ok(await until(async () => (await active()).length === 0, 2000), 'fmig backends still active 2 s after SIGTERM');
      const r = await run.exit;
      assert.is(r.code, 143, `${r.signal ?? ''} ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, "interrupted by SIGTERM: 1's down was cancelled and rolled back");
      assert.match(r.stderr, 'still applied: 1');
      const s = await state(db.url);
      assert.equal(s.rows.map((x) => x.revision), ['1']);
      assert.equal(s.tables, ['public.a']);
    } finally {
      await db.drop();
    }
  });

  test('item 3 (postgres): SIGINT during a no-transaction down: the running statement is cancelled, the row says how far the down got, exit 130; down --resume finishes it', async () => {
    const db = await freshDatabase({ kind: 'postgres', serverUrl: testServerUrl });
    const name = new URL(db.url).pathname.slice(1);
    const active = () =>
      admin(testServerUrl, `select pid, query from pg_stat_activity where datname = $1 and application_name = 'fmig' and state <> 'idle'`, [name]);
    try {
      const p = await project({
        '1_a': {
          up: 'create table a (id int);\ncreate table m (id int);\n',
          down: '-- fmig:no-transaction\ndrop table a;\nselect pg_sleep(20) where not exists (select 1 from m);\ndrop table m;\n',
        },
      });
      assert.is((await start(p.dir, ['up', '--url', db.url]).exit).code, 0);
      const run = start(p.dir, ['down', '--url', db.url]);
      assert.ok(await until(async () => (await active()).some((r) => r.query.includes('pg_sleep')), 30000), run.output());
      run.child.kill('SIGINT');
      const r = await run.exit;
      assert.is(r.code, 130, `${r.signal ?? ''} ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, "interrupted by SIGINT: part of 1's down ran before it was cancelled (its ledger row records how far it got)");
      assert.match(r.stderr, 'fmig down --resume');
      let s = await state(db.url);
      assert.equal(s.rows.map((x) => [x.revision, x.statements_done, x.error.startsWith('reverting: its down file stopped after 1 of 3')]), [['1', 1, true]]);
      assert.equal(s.tables, ['public.m']);
      await inspect(db.url, (d) => d.exec('insert into m values (1)'));
      const resumed = await start(p.dir, ['down', '--resume', '--url', db.url]).exit;
      assert.is(resumed.code, 0, resumed.stderr);
      s = await state(db.url);
      assert.equal([s.rows, s.tables], [[], []]);
    } finally {
      await db.drop();
    }
  });
}

test('item 3 (pglite): SIGINT/SIGTERM stop after the running revision (PGlite runs it to its end): exit 130/143, and the next up goes on', async () => {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
    const db = await freshDatabase({ kind: 'pglite' });
    try {
      const p = await project({
        '1_a': { up: 'create table a (id int);\nselect pg_sleep(2);\n', down: 'drop table a;\n' },
        '2_b': { up: 'create table b (id int);\n', down: 'drop table b;\n' },
      });
      const dir = fileURLToPath(db.url.replace(/^pglite:/, 'file:'));
      const run = start(p.dir, ['up', '--url', db.url]);
      // The lock file beside the data directory: fmig has opened the database.
      assert.ok(await until(() => access(`${dir}.lock`).then(() => true, () => false), 30000), run.output());
      run.child.kill(signal);
      const r = await run.exit;
      assert.is(r.code, code, `${signal}: ${r.signal ?? ''} ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, `interrupted by ${signal}`);
      assert.match(r.stderr, 'not applied: ');
      const applied = (await state(db.url)).rows.map((x) => x.revision);
      assert.ok(['', '1'].includes(applied.join()), `a revision is applied whole or not at all: ${applied}`);
      const again = await start(p.dir, ['up', '--url', db.url]).exit;
      assert.is(again.code, 0, again.stderr);
      assert.equal((await state(db.url)).rows.map((x) => x.revision), ['1', '2']);
    } finally {
      await db.drop();
    }
  }
});

test.run();
