// SIGKILL at random moments of `fmig up` and of `fmig down`, then a check that nothing was
// lost or done twice.
//
//   npm run build && node bench/faults.mjs          # 64 kills; several minutes, far more on a loaded machine
//
// KILLS_UP and KILLS_DOWN set the kills per folder and database (10 and 6 by default: 64 in
// all); BENCH_DBS limits the databases (`postgres,pglite` by default); FMIG_ROOT runs another
// fmig checkout (a copy of a build, say) instead of this one.
//
// Folders: this repository's sql/ and a generated one mixing transactional, no-transaction
// (CREATE INDEX CONCURRENTLY, VACUUM, DO) and multi-block revisions (BEGIN ... COMMIT,
// COMMIT AND CHAIN), up and down files alike. Databases: PostgreSQL (BENCH_PG_URL, default
// postgres://root@127.0.0.1:5432, a user that may create databases) and PGlite.
//
// For each folder and database a reference is built first by running every statement on its
// own and taking a snapshot (schema, invalid indexes, row counts) wherever fmig can record
// progress: the up files in order, then the down files newest first. An up run starts
// `fmig up` on a fresh database; a down run applies everything, then starts `fmig down base`.
// Each is killed with SIGKILL once it holds fmig's lock, after a random part of the time a
// clean run works (its time less a run's with nothing to do); a run that ends before its kill
// is not counted, and another is started. Then it is checked:
// - consistent: the ledger's finished rows are the first revisions in order; the schema is the
//   snapshot the ledger describes (all finished revisions, plus a stopped one's
//   statements_done, of its up file or of its down file; a statement recorded as started may
//   have finished or not); the lock is free (the server released the session lock; PGlite's
//   lock file is gone or names a dead pid);
// - finished: the next run (`up`, or `up --resume` when a revision stopped part-way; `down base
//   --resume`) exits 0, and the schema, row counts and ledger (checksums, statements_done)
//   equal a clean run's.
// Prints `kills: N, consistent: N, finished: N`, and each run that is not both.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = process.env.FMIG_ROOT ? path.resolve(process.env.FMIG_ROOT) : fileURLToPath(new URL('..', import.meta.url));
const FMIG = path.join(ROOT, 'bin/fmig');
const KILLS = { up: Number(process.env.KILLS_UP ?? 10), down: Number(process.env.KILLS_DOWN ?? 6) };
const DBS = (process.env.BENCH_DBS || 'postgres,pglite').split(',');
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
  '001_acc': [
    'create table acc (id int primary key, n int);\ninsert into acc select g, g from generate_series(1, 5000) g;\n',
    'drop table acc;\n',
  ],
  '002_led': [
    '-- fmig:no-transaction\ncreate table led (id int, acc int, amt numeric);\ninsert into led select g, g % 100, g from generate_series(1, 5000) g;\n' +
      'CREATE INDEX CONCURRENTLY led_acc ON led (acc);\nupdate led set amt = amt + 1 where id <= 10;\nCREATE UNIQUE INDEX CONCURRENTLY led_id ON led (id);\ncreate table after2 ();\n',
    '-- fmig:no-transaction\ndrop table after2;\nDROP INDEX CONCURRENTLY led_id;\nDROP INDEX CONCURRENTLY led_acc;\ndrop table led;\n',
  ],
  '003_blocks': [
    'BEGIN;\ncreate table c (id int);\ninsert into c select generate_series(1, 5000);\nCOMMIT;\nBEGIN;\nalter table c add column w int;\nupdate c set w = id;\nCOMMIT;\n',
    'BEGIN;\nalter table c drop column w;\nCOMMIT;\nBEGIN;\ndelete from c where id > 2500;\nCOMMIT;\ndrop table c;\n',
  ],
  '004_chain': [
    'BEGIN;\ncreate table d (id int);\ninsert into d select generate_series(1, 5000);\nCOMMIT AND CHAIN;\ninsert into d select generate_series(5001, 10000);\nCOMMIT;\n',
    'BEGIN;\ndelete from d where id > 5000;\nCOMMIT AND CHAIN;\ndrop table d;\nCOMMIT;\n',
  ],
  '005_do': [
    "-- fmig:no-transaction\ndo $$ begin create table e (id int); insert into e select generate_series(1, 1000); end $$;\nVACUUM led;\ninsert into e values (0);\n",
    '-- fmig:no-transaction\ndelete from e where id = 0;\nVACUUM led;\ndrop table e;\n',
  ],
  '006_view': [
    "create view v as select acc, sum(amt) as total from led group by acc;\ncreate function f() returns int language sql as 'select 1';\n",
    'drop function f();\ndrop view v;\n',
  ],
  '007_reindex': [
    '-- fmig:no-transaction\nDROP INDEX CONCURRENTLY led_acc;\nCREATE INDEX CONCURRENTLY led_acc2 ON led (acc, amt);\ninsert into acc values (-1, 0);\n',
    '-- fmig:no-transaction\ndelete from acc where id = -1;\nDROP INDEX CONCURRENTLY led_acc2;\nCREATE INDEX CONCURRENTLY led_acc ON led (acc);\n',
  ],
  '008_outside': [
    'create table g (id int);\nBEGIN;\ninsert into g select generate_series(1, 10000);\nCOMMIT;\ninsert into g values (0);\n',
    'delete from g where id = 0;\nBEGIN;\ndelete from g where id > 5000;\nCOMMIT;\ndrop table g;\n',
  ],
};

function writeFolder(name) {
  const dir = path.join(work, `project-${name}`);
  fs.mkdirSync(path.join(dir, 'sql'), { recursive: true });
  if (name === 'sql') {
    fs.cpSync(path.join(ROOT, 'sql'), path.join(dir, 'sql'), { recursive: true });
  } else {
    for (const [rev, [up, down]] of Object.entries(MIXED)) {
      fs.writeFileSync(path.join(dir, 'sql', `${rev}.up.sql`), up);
      fs.writeFileSync(path.join(dir, 'sql', `${rev}.down.sql`), down);
    }
  }
  fs.writeFileSync(path.join(dir, 'migrate.toml'), 'dir = "sql"\n[database]\nlock_wait = "0"\n');
  const revisions = fs
    .readdirSync(path.join(dir, 'sql'))
    .filter((f) => f.endsWith('.up.sql'))
    .sort()
    .map((f) => ({ id: f.split('_')[0], text: fs.readFileSync(path.join(dir, 'sql', f), 'utf8'), down: fs.readFileSync(path.join(dir, 'sql', f.replace(/\.up\.sql$/, '.down.sql')), 'utf8') }));
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
  // A loaded machine can take seconds to start a backend: that is not what is measured here.
  url.searchParams.set('connect_timeout', '60');
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

/**
 * Snapshots keyed `<rev>:<statements done>` for statement-by-statement up files, `<rev>:done`
 * after each up, `start`; and for the down files, run newest first, `down:<rev>:<n>` and
 * `down:<rev>:done`.
 */
async function reference(kind, folder) {
  const target = await freshDb(kind);
  const snaps = new Map();
  const runFile = async (db, key, text) => {
    const plan = planExecution(text, /^-- fmig:no-transaction$/m.test(text));
    if (plan.mode === 'transaction') {
      await db.transact(plan.statements.map((s) => s.text));
    } else {
      const inside = (i) => plan.blocks.some((b) => b.begin <= i && i < b.end);
      snaps.set(`${key}:0`, await snapshot(db));
      for (const [i, st] of plan.statements.entries()) {
        await db.exec(st.text);
        if (!inside(i)) snaps.set(`${key}:${i + 1}`, await snapshot(db));
        // fmig records a block that a COMMIT AND CHAIN ends as done up to the COMMIT (a resume runs it again to open the next).
        else if (/^(commit|end)(\s+(work|transaction))?\s+and\s+chain\b/i.test(st.text.trim())) snaps.set(`${key}:${i}`, await snapshot(db));
      }
    }
    snaps.set(`${key}:done`, await snapshot(db));
  };
  try {
    await withDb(target.url, async (db) => {
      snaps.set('start', await snapshot(db));
      for (const rev of folder.revisions) await runFile(db, rev.id, rev.text);
      for (const rev of [...folder.revisions].reverse()) await runFile(db, `down:${rev.id}`, rev.down);
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

/** Resolves once the run holds fmig's lock (a session advisory lock; PGlite's lock file), or has ended. */
async function lockTaken(kind, target, ended) {
  const sql = kind === 'postgres' ? postgres(PG, { max: 1, onnotice: () => {} }) : null;
  try {
    while (!ended()) {
      if (kind === 'pglite') {
        if (fs.existsSync(target.lockFile)) return;
      } else {
        const [{ n }] = await sql`select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database where l.locktype = 'advisory' and l.granted and d.datname = ${target.name}`;
        if (n > 0) return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await sql?.end({ timeout: 5 });
  }
}

/** What the schema should be for these ledger rows after a killed `fmig up`: the snapshot keys it may equal, or a reason it cannot agree. */
function expectedUp(rows, folder) {
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

/**
 * The same after a killed `fmig down base`: the rows left are the first revisions, all
 * finished; the newest of them may record a down file run part-way (`error` starting with
 * `reverting:`, `statements_done` its down's statements done).
 */
function expectedDown(rows, folder) {
  const order = folder.revisions.map((r) => r.id);
  const kept = rows.map((r) => r.revision);
  if (rows.some((r) => !r.finished)) return { why: `rows ${rows.filter((r) => !r.finished).map((r) => r.revision)} are not finished after a down` };
  if (kept.join() !== order.slice(0, kept.length).join()) return { why: `rows ${kept} are not the first revisions in order` };
  const k = kept.length;
  const before = k === order.length ? `${order.at(-1)}:done` : `down:${order[k]}:done`;
  const reverting = rows.filter((r) => typeof r.error === 'string' && r.error.startsWith('reverting:'));
  if (!reverting.length) return { keys: [before] };
  const p = reverting[0];
  if (reverting.length > 1 || p.revision !== order[k - 1]) return { why: `${reverting.map((r) => r.revision)} record a down run part-way, not only the newest` };
  const d = p.statements_done ?? 0;
  const key = (n) => (n === 0 ? before : `down:${p.revision}:${n}`);
  const started = p.error.includes(' was started at ');
  return { keys: started ? [key(d), key(d + 1)] : [key(d)], started, partial: p };
}

async function run(kind, mode, folder, snaps, clean, fromMs, budgetMs, windowMs) {
  const target = await freshDb(kind);
  const result = { kind, mode, folder: folder.name, consistent: false, finished: false, notes: [] };
  try {
    if (mode === 'down') {
      const setup = await fmig(folder.dir, ['up', '--url', target.url, '--quiet']).done;
      if (setup.code !== 0) throw new Error(`fmig up before a down run failed: ${setup.out}`);
    }
    const first = fmig(folder.dir, [...(mode === 'up' ? ['up'] : ['down', 'base']), '--url', target.url, '--quiet']);
    // The kill lands within the work: once fmig holds its lock, after a random part of the time
    // a clean run holds it (its time less a run with nothing to do, which takes no lock).
    const spawned = performance.now();
    let ended = false;
    first.done.then(() => (ended = true));
    await lockTaken(kind, target, () => ended);
    const locked = performance.now();
    // PGlite's lock file is taken before the embedded database starts, which takes most of a
    // run with nothing to do: its kills wait for that first. Once a run has ended before its
    // kill, kills land within the time that run held the lock (windowMs).
    const delay = windowMs
      ? windowMs * (0.3 + 0.65 * Math.random())
      : (kind === 'pglite' ? fromMs * 0.8 : 0) + Math.random() * Math.max(200, budgetMs - fromMs);
    const timer = setTimeout(() => first.child.kill('SIGKILL'), delay);
    const firstEnd = await first.done;
    clearTimeout(timer);
    result.killedAt = Math.round(performance.now() - spawned);
    result.delay = Math.round(delay);
    result.killed = firstEnd.signal === 'SIGKILL';
    if (!result.killed) result.held = performance.now() - locked;
    if (!result.killed && firstEnd.code !== 0) result.notes.push(`the killed run exited ${firstEnd.code} on its own: ${firstEnd.out.slice(0, 300)}`);

    const free = await lockFree(kind, target);
    if (!free) result.notes.push('the lock is still held');
    const { rows, snap } = await withDb(target.url, async (db) => ({ rows: await ledger(db), snap: await snapshot(db) }));
    const want = mode === 'up' ? expectedUp(rows, folder) : expectedDown(rows, folder);
    const applied = rows.filter((r) => r.finished).length;
    result.state = want.partial
      ? `${want.partial.revision} ${mode === 'down' ? 'down ' : ''}at ${want.partial.statements_done}${want.started ? ' (started)' : ''}`
      : `${applied} applied`;
    if (want.why) result.notes.push(want.why);
    else {
      // A statement recorded as started and cut off may leave its index INVALID: the resume drops it.
      const seen = want.started ? snap.split('\n').filter((l) => !l.startsWith('invalid ')).join('\n') : snap;
      const matches = want.keys.some((k) => snaps.get(k) === seen || snaps.get(k) === snap);
      if (!matches) result.notes.push(`schema does not match the ledger (${want.keys.join(' or ')})${diff(snaps.get(want.keys[0]), snap)}`);
    }
    result.consistent = free && !result.notes.length;

    const resume = mode === 'down' || rows.some((r) => !r.finished);
    const next = await fmig(folder.dir, [...(mode === 'up' ? ['up'] : ['down', 'base']), '--url', target.url, ...(resume ? ['--resume'] : [])]).done;
    if (next.code !== 0) result.notes.push(`the next run exited ${next.code}: ${next.out.slice(-600)}`);
    else {
      const final = await withDb(target.url, async (db) => ({ rows: await ledger(db), snap: await snapshot(db) }));
      const shape = (rs) => JSON.stringify(rs.map((r) => [r.revision, r.up_checksum, r.down_checksum, r.statements_done, r.finished, r.error]));
      const end = mode === 'up' ? `${folder.revisions.at(-1).id}:done` : `down:${folder.revisions[0].id}:done`;
      if (final.snap !== snaps.get(end)) result.notes.push(`final schema differs from a clean run's${diff(snaps.get(end), final.snap)}`);
      else if (shape(final.rows) !== shape(mode === 'up' ? clean : [])) result.notes.push(`final ledger differs from a clean run's: ${shape(final.rows)}`);
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

const folders = [writeFolder('sql'), writeFolder('mixed')];
const results = [];
const t0 = performance.now();
for (const kind of DBS) {
  for (const folder of folders) {
    const snaps = await reference(kind, folder);
    // A clean run: its ledger is what every finished run must equal; its time bounds the kills.
    const target = await freshDb(kind);
    let t = performance.now();
    const ok = await fmig(folder.dir, ['up', '--url', target.url, '--quiet']).done;
    const budget = { up: performance.now() - t };
    if (ok.code !== 0) throw new Error(`a clean fmig up failed on ${kind}/${folder.name}: ${ok.out}`);
    const clean = await withDb(target.url, async (db) => {
      const s = await snapshot(db);
      if (s !== snaps.get(`${folder.revisions.at(-1).id}:done`)) throw new Error(`the reference does not match a clean run on ${kind}/${folder.name}${diff(snaps.get(`${folder.revisions.at(-1).id}:done`), s)}`);
      return ledger(db);
    });
    // A run with nothing to do: how long fmig takes to start and reach the database. Kills land
    // after most of it, where there is work to cut.
    t = performance.now();
    await fmig(folder.dir, ['up', '--url', target.url, '--quiet']).done;
    budget.start = performance.now() - t;
    t = performance.now();
    const back = await fmig(folder.dir, ['down', 'base', '--url', target.url, '--quiet']).done;
    budget.down = performance.now() - t;
    if (back.code !== 0) throw new Error(`a clean fmig down base failed on ${kind}/${folder.name}: ${back.out}`);
    await target.drop();
    for (const mode of ['up', 'down']) {
      console.log(`${kind} / ${folder.name}: clean ${mode} ${Math.round(budget[mode])} ms (start-up ${Math.round(budget.start)} ms); ${KILLS[mode]} kills within it`);
      // A run that ends before its kill is not a kill: another is started, up to three times as many.
      // A run that ended before its kill was shorter than the clean one (the machine's load
      // varies): later kills land within the shortest time such a run held the lock.
      let window;
      for (let killed = 0, tries = 0; killed < KILLS[mode] && tries < 3 * KILLS[mode]; tries++) {
        const r = await run(kind, mode, folder, snaps, clean, budget.start, budget[mode], window);
        results.push(r);
        if (r.killed) killed++;
        else window = Math.min(window ?? Infinity, r.held);
        const tag = r.consistent && r.finished ? 'ok' : 'FAIL';
        console.log(`  ${tag} ${mode} killed at ${r.killedAt} ms (${r.delay} ms after taking the lock)${r.killed ? '' : ' (had exited)'}: ${r.state}${r.notes.length ? `\n    ${r.notes.join('\n    ')}` : ''}`);
      }
    }
  }
}
const killed = results.filter((r) => r.killed);
const tally = (rs) => `kills: ${rs.length}, consistent: ${rs.filter((r) => r.consistent).length}, finished: ${rs.filter((r) => r.finished).length}`;
console.log(`\nruns: ${results.length} (killed mid-run: ${killed.length}, finished before the kill: ${results.length - killed.length}) in ${Math.round((performance.now() - t0) / 1000)} s`);
for (const kind of DBS) for (const mode of ['up', 'down']) console.log(`  ${kind} ${mode}: ${tally(killed.filter((r) => r.kind === kind && r.mode === mode))}`);
console.log(tally(killed));
console.log(`all runs: consistent: ${results.filter((r) => r.consistent).length}, finished: ${results.filter((r) => r.finished).length}`);
process.exit(results.every((r) => r.consistent && r.finished) ? 0 : 1);
