// SIGKILL at random moments of `fmig up`, then a check that nothing was lost or done twice.
//
//   npm run build && node bench/faults.mjs          # 15 runs per folder and database: 60
//
// RUNS_PG and RUNS_PGLITE set the runs per folder on each database (15 by default);
// FMIG_ROOT runs another fmig checkout (a copy of a build, say) instead of this one.
//
// Folders: this repository's sql/ and a generated one mixing transactional, no-transaction
// (CREATE INDEX CONCURRENTLY, VACUUM, DO) and multi-block revisions (BEGIN ... COMMIT,
// COMMIT AND CHAIN). Databases: PostgreSQL (BENCH_PG_URL, default
// postgres://root@127.0.0.1:5432, a user that may create databases) and PGlite.
//
// For each folder and database a reference is built first by running every statement on its
// own and taking a snapshot (schema, invalid indexes, row counts) wherever fmig can record
// progress. Each run then starts `fmig up` on a fresh database, kills it with SIGKILL after a
// random delay within a clean run's time, and checks:
// - consistent: the ledger's finished rows are the first revisions in order; the schema is the
//   snapshot the ledger describes (all finished revisions, plus a stopped one's
//   statements_done; a statement recorded as started may have finished or not); the lock is
//   free (the server released the session lock; PGlite's lock file is gone or names a dead pid);
// - finished: the next `fmig up` (`up --resume` when a revision stopped part-way) exits 0, and
//   the schema, row counts and ledger (checksums, statements_done) equal a clean run's.
// Prints `kills: N, consistent: N, finished: N`, and each run that is not both.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = process.env.FMIG_ROOT ? path.resolve(process.env.FMIG_ROOT) : fileURLToPath(new URL('..', import.meta.url));
const FMIG = path.join(ROOT, 'bin/fmig');
const RUNS = { postgres: Number(process.env.RUNS_PG || 15), pglite: Number(process.env.RUNS_PGLITE || 15) };
const PG = process.env.BENCH_PG_URL || 'postgres://root@127.0.0.1:5432';
const SCRATCH = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const { openDatabase } = await import(path.join(ROOT, 'dist/adapters/db/open.js'));
const { planExecution } = await import(path.join(ROOT, 'dist/core/transactions.js'));
const { SNAPSHOT_SQL } = await import(path.join(ROOT, 'test/helpers/cli.js'));
const postgres = (await import('postgres')).default;

const work = fs.mkdtempSync(path.join(SCRATCH, 'fmig-faults-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));

// ---- folders -------------------------------------------------------------------------------

const MIXED = {
  '001_acc': ['create table acc (id int primary key, n int);\ninsert into acc select g, g from generate_series(1, 5000) g;\n'],
  '002_led': [
    '-- fmig:no-transaction\ncreate table led (id int, acc int, amt numeric);\ninsert into led select g, g % 100, g from generate_series(1, 5000) g;\n' +
      'CREATE INDEX CONCURRENTLY led_acc ON led (acc);\nupdate led set amt = amt + 1 where id <= 10;\nCREATE UNIQUE INDEX CONCURRENTLY led_id ON led (id);\ncreate table after2 ();\n',
  ],
  '003_blocks': ['BEGIN;\ncreate table c (id int);\ninsert into c select generate_series(1, 5000);\nCOMMIT;\nBEGIN;\nalter table c add column w int;\nupdate c set w = id;\nCOMMIT;\n'],
  '004_chain': ['BEGIN;\ncreate table d (id int);\ninsert into d select generate_series(1, 5000);\nCOMMIT AND CHAIN;\ninsert into d select generate_series(5001, 10000);\nCOMMIT;\n'],
  '005_do': ["-- fmig:no-transaction\ndo $$ begin create table e (id int); insert into e select generate_series(1, 1000); end $$;\nVACUUM led;\ninsert into e values (0);\n"],
  '006_view': ["create view v as select acc, sum(amt) as total from led group by acc;\ncreate function f() returns int language sql as 'select 1';\n"],
  '007_reindex': ['-- fmig:no-transaction\nDROP INDEX CONCURRENTLY led_acc;\nCREATE INDEX CONCURRENTLY led_acc2 ON led (acc, amt);\ninsert into acc values (-1, 0);\n'],
  '008_outside': ['create table g (id int);\nBEGIN;\ninsert into g select generate_series(1, 10000);\nCOMMIT;\ninsert into g values (0);\n'],
};

function writeFolder(name) {
  const dir = path.join(work, `project-${name}`);
  fs.mkdirSync(path.join(dir, 'sql'), { recursive: true });
  if (name === 'sql') {
    fs.cpSync(path.join(ROOT, 'sql'), path.join(dir, 'sql'), { recursive: true });
  } else {
    for (const [rev, [up]] of Object.entries(MIXED)) fs.writeFileSync(path.join(dir, 'sql', `${rev}.up.sql`), up);
  }
  fs.writeFileSync(path.join(dir, 'migrate.toml'), 'dir = "sql"\n[database]\nlock_wait = "0"\n');
  const revisions = fs
    .readdirSync(path.join(dir, 'sql'))
    .filter((f) => f.endsWith('.up.sql'))
    .sort()
    .map((f) => ({ id: f.split('_')[0], text: fs.readFileSync(path.join(dir, 'sql', f), 'utf8') }));
  return { name, dir, revisions };
}

// ---- databases -----------------------------------------------------------------------------

async function freshDb(kind) {
  if (kind === 'pglite') {
    const dir = path.join(fs.mkdtempSync(path.join(work, 'db-')), 'pglite');
    return { url: `pglite://${dir}`, lockFile: `${dir}.lock`, drop: async () => fs.rmSync(path.dirname(dir), { recursive: true, force: true }) };
  }
  const name = `fmig_faults_${crypto.randomBytes(5).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(PG);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => admin(`drop database if exists ${name} with (force)`) };
}

async function admin(statement, params = []) {
  const sql = postgres(PG, { max: 1, onnotice: () => {} });
  try {
    return [...(await sql.unsafe(statement, params))];
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const open = (url) => openDatabase(url, { baseDir: work, lockTimeoutMs: 0, lockWaitMs: 60_000, statementTimeoutMs: 0 });

async function withDb(url, fn) {
  const db = await open(url);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Schema, invalid indexes and row counts of every user table: equal snapshots, same database. */
async function snapshot(db) {
  const lines = (await db.query(SNAPSHOT_SQL)).map((r) => `${r.kind} ${r.item}`);
  for (const r of await db.query(`select indexrelid::regclass::text as i from pg_index where not indisvalid order by 1`)) lines.push(`invalid ${r.i}`);
  const tables = await db.query(`select format('%I.%I', schemaname, tablename) as t from pg_tables
    where schemaname not in ('pg_catalog', 'information_schema') and tablename not like 'fmig_ledger%' order by 1`);
  for (const { t } of tables) lines.push(`rows ${t} ${(await db.query(`select count(*)::int as n from ${t}`))[0].n}`);
  return lines.join('\n');
}

async function ledger(db) {
  const [has] = await db.query(`select to_regclass('public.fmig_ledger') is not null as ok`);
  if (!has.ok) return [];
  return db.query(`select revision, up_checksum, down_checksum, statements_done, finished_at is not null as finished, error from fmig_ledger order by started_at, revision`);
}

// ---- the reference ---------------------------------------------------------------------------

/** Snapshots keyed `<rev>:<statements done>` for statement-by-statement revisions, `<rev>:done` after each, and `start`. */
async function reference(kind, folder) {
  const target = await freshDb(kind);
  const snaps = new Map();
  try {
    await withDb(target.url, async (db) => {
      snaps.set('start', await snapshot(db));
      for (const rev of folder.revisions) {
        const plan = planExecution(rev.text, /^-- fmig:no-transaction$/m.test(rev.text));
        if (plan.mode === 'transaction') {
          await db.transact(plan.statements.map((s) => s.text));
        } else {
          const inside = (i) => plan.blocks.some((b) => b.begin <= i && i < b.end);
          snaps.set(`${rev.id}:0`, await snapshot(db));
          for (const [i, st] of plan.statements.entries()) {
            await db.exec(st.text);
            if (!inside(i)) snaps.set(`${rev.id}:${i + 1}`, await snapshot(db));
          }
        }
        snaps.set(`${rev.id}:done`, await snapshot(db));
      }
    });
  } finally {
    await target.drop();
  }
  return snaps;
}

// ---- one run -------------------------------------------------------------------------------

function fmig(dir, args) {
  const child = spawn(process.execPath, [FMIG, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { child, done: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out }))) };
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code !== 'ESRCH';
  }
};

/** Whether the killed run's lock is free: no fmig session left on the server, or a lock file gone or naming a dead pid. */
async function lockFree(kind, target) {
  if (kind === 'pglite') {
    if (!fs.existsSync(target.lockFile)) return true;
    try {
      return !alive(JSON.parse(fs.readFileSync(target.lockFile, 'utf8')).pid);
    } catch {
      return false;
    }
  }
  // The server ends the killed client's backends once it sees the socket closed (a statement
  // that was running, a CREATE INDEX CONCURRENTLY say, runs to its end first).
  for (let i = 0; i < 600; i++) {
    const [{ n }] = await admin(`select count(*)::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [target.name]);
    if (n === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const [{ n }] = await admin(`select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database where l.locktype = 'advisory' and d.datname = $1`, [target.name]);
  return n === 0;
}

/** What the schema should be for these ledger rows: the snapshot keys it may equal, or a reason it cannot agree. */
function expected(rows, folder) {
  const order = folder.revisions.map((r) => r.id);
  const finished = rows.filter((r) => r.finished).map((r) => r.revision);
  const partial = rows.filter((r) => !r.finished);
  if (finished.join() !== order.slice(0, finished.length).join()) return { why: `finished rows ${finished} are not the first revisions in order` };
  if (partial.length > 1) return { why: `${partial.length} rows stopped part-way` };
  const before = finished.length ? `${finished.at(-1)}:done` : 'start';
  if (!partial.length) return { keys: [before] };
  const p = partial[0];
  if (p.revision !== order[finished.length]) return { why: `${p.revision} stopped part-way out of order` };
  const k = p.statements_done ?? 0;
  const key = (n) => (n === 0 ? before : `${p.revision}:${n}`);
  const started = typeof p.error === 'string' && p.error.startsWith('interrupted: statement');
  return { keys: started ? [key(k), key(k + 1)] : [key(k)], started, partial: p };
}

async function run(kind, folder, snaps, clean, budgetMs) {
  const target = await freshDb(kind);
  const result = { kind, folder: folder.name, consistent: false, finished: false, notes: [] };
  try {
    const first = fmig(folder.dir, ['up', '--url', target.url, '--quiet']);
    const delay = Math.random() * budgetMs;
    const timer = setTimeout(() => first.child.kill('SIGKILL'), delay);
    const firstEnd = await first.done;
    clearTimeout(timer);
    result.killedAt = Math.round(delay);
    result.killed = firstEnd.signal === 'SIGKILL';
    if (!result.killed && firstEnd.code !== 0) result.notes.push(`the killed run exited ${firstEnd.code} on its own: ${firstEnd.out.slice(0, 300)}`);

    const free = await lockFree(kind, target);
    if (!free) result.notes.push('the lock is still held');
    const { rows, snap } = await withDb(target.url, async (db) => ({ rows: await ledger(db), snap: await snapshot(db) }));
    const want = expected(rows, folder);
    result.state = want.partial ? `${want.partial.revision} at ${want.partial.statements_done}${want.started ? ' (started)' : ''}` : `${rows.filter((r) => r.finished).length} applied`;
    if (want.why) result.notes.push(want.why);
    else {
      // A statement recorded as started and cut off may leave its index INVALID: the resume drops it.
      const seen = want.started ? snap.split('\n').filter((l) => !l.startsWith('invalid ')).join('\n') : snap;
      const matches = want.keys.some((k) => snaps.get(k) === seen || snaps.get(k) === snap);
      if (!matches) result.notes.push(`schema does not match the ledger (${want.keys.join(' or ')})${diff(snaps.get(want.keys[0]), snap)}`);
    }
    result.consistent = free && !result.notes.length;

    const resume = rows.some((r) => !r.finished);
    const next = await fmig(folder.dir, ['up', '--url', target.url, ...(resume ? ['--resume'] : [])]).done;
    if (next.code !== 0) result.notes.push(`the next run exited ${next.code}: ${next.out.slice(-600)}`);
    else {
      const final = await withDb(target.url, async (db) => ({ rows: await ledger(db), snap: await snapshot(db) }));
      const shape = (rs) => JSON.stringify(rs.map((r) => [r.revision, r.up_checksum, r.down_checksum, r.statements_done, r.finished, r.error]));
      if (final.snap !== snaps.get(`${folder.revisions.at(-1).id}:done`)) result.notes.push(`final schema differs from a clean run's${diff(snaps.get(`${folder.revisions.at(-1).id}:done`), final.snap)}`);
      else if (shape(final.rows) !== shape(clean)) result.notes.push(`final ledger differs from a clean run's: ${shape(final.rows)}`);
      else result.finished = true;
    }
  } finally {
    await target.drop();
  }
  return result;
}

function diff(a = '', b = '') {
  const A = new Set(a.split('\n'));
  const B = new Set(b.split('\n'));
  const gone = [...A].filter((l) => !B.has(l)).slice(0, 4);
  const extra = [...B].filter((l) => !A.has(l)).slice(0, 4);
  return `: missing [${gone.join('; ')}] extra [${extra.join('; ')}]`;
}

// ---- main ----------------------------------------------------------------------------------

const kinds = ['postgres', 'pglite'];
const folders = [writeFolder('sql'), writeFolder('mixed')];
const results = [];
for (const kind of kinds) {
  for (const folder of folders) {
    const snaps = await reference(kind, folder);
    // A clean run: its ledger is what every finished run must equal; its time bounds the kills.
    const target = await freshDb(kind);
    const t0 = performance.now();
    const ok = await fmig(folder.dir, ['up', '--url', target.url, '--quiet']).done;
    const budget = performance.now() - t0;
    if (ok.code !== 0) throw new Error(`a clean fmig up failed on ${kind}/${folder.name}: ${ok.out}`);
    const clean = await withDb(target.url, async (db) => {
      const s = await snapshot(db);
      if (s !== snaps.get(`${folder.revisions.at(-1).id}:done`)) throw new Error(`the reference does not match a clean run on ${kind}/${folder.name}${diff(snaps.get(`${folder.revisions.at(-1).id}:done`), s)}`);
      return ledger(db);
    });
    await target.drop();
    console.log(`${kind} / ${folder.name}: clean run ${Math.round(budget)} ms; ${RUNS[kind]} kills within it`);
    for (let i = 0; i < RUNS[kind]; i++) {
      const r = await run(kind, folder, snaps, clean, budget);
      results.push(r);
      const tag = r.consistent && r.finished ? 'ok' : 'FAIL';
      console.log(`  ${tag} kill at ${r.killedAt} ms${r.killed ? '' : ' (had exited)'}: ${r.state}${r.notes.length ? `\n    ${r.notes.join('\n    ')}` : ''}`);
    }
  }
}
const killed = results.filter((r) => r.killed);
console.log(`\nruns: ${results.length} (killed mid-run: ${killed.length}, finished before the kill: ${results.length - killed.length})`);
console.log(`kills: ${killed.length}, consistent: ${killed.filter((r) => r.consistent).length}, finished: ${killed.filter((r) => r.finished).length}`);
console.log(`all runs: consistent: ${results.filter((r) => r.consistent).length}, finished: ${results.filter((r) => r.finished).length}`);
process.exit(results.every((r) => r.consistent && r.finished) ? 0 : 1);
