// The engine benchmark: fmig against the least any tool must do and against a peer, in one run,
// interleaved, every measurement on fresh PostgreSQL databases. See README.md.
//
//   node bench/run.mjs                  (after `npm install` in bench/ and `npm run build` at the top)
//
// Environment: N (revisions, 1000), SLOW (rounds of up-from-empty, 5), FAST (rounds of the
// rest, 15), BENCH_PG_URL (server, postgres://root@127.0.0.1:5432), PSQL (the real psql binary).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './generate.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);
// FMIG_ROOT: benchmark an fmig checkout other than this one (say, a snapshot of a build).
const FMIG_ROOT = path.resolve(process.env.FMIG_ROOT ?? ROOT);
const FMIG = path.join(FMIG_ROOT, 'bin', 'fmig');
const N = Number(process.env.N ?? 1000);
const SLOW = Number(process.env.SLOW ?? 5);
const FAST = Number(process.env.FAST ?? 15);
const SERVER = (process.env.BENCH_PG_URL ?? 'postgres://root@127.0.0.1:5432').replace(/\/+$/, '');
const PSQL = process.env.PSQL ?? '/usr/lib/postgresql/15/bin/psql';
const DBMATE = path.join(HERE, 'node_modules', '@dbmate', `${process.platform}-${process.arch}`, 'bin', 'dbmate');
const TIME = '/usr/bin/time';
const PREFIX = `fmig_bench_${process.pid}`;

for (const [what, file, fix] of [
  ['fmig', path.join(FMIG_ROOT, 'dist', 'cli', 'cli.js'), 'run `npm run build` at the top of the repository'],
  ['dbmate', DBMATE, 'run `npm install` in bench/'],
  ['psql', PSQL, 'install postgresql-client-15, or set PSQL to the psql binary (not the pg_wrapper script)'],
]) {
  if (!existsSync(file)) {
    console.error(`${what} not found at ${file}: ${fix}`);
    process.exit(2);
  }
}

// SSL off for every client alike: a handshake per psql process would inflate the floor.
const env = { ...process.env, PGSSLMODE: 'disable', NO_COLOR: '1' };
const url = (db) => `${SERVER}/${db}`;
const dbmateUrl = (db) => `${url(db)}?sslmode=disable`;

/** Runs a command to completion; throws with its stderr if it fails. Returns wall milliseconds. */
function run(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stderr}`);
  return ms;
}

/** Max RSS in KiB of one run of the command, from GNU time. */
function maxRssKiB(cmd, args) {
  const r = spawnSync(TIME, ['-f', '%M', cmd, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return Number(r.stderr.trim().split('\n').pop());
}

const admin = (sql) => {
  const r = spawnSync(PSQL, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url('postgres'), '-c', sql], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql: ${sql}: ${r.stderr}`);
  return r.stdout.trim();
};
const made = new Set();
const createDb = (name, template) => {
  admin(`create database ${name}${template ? ` template ${template}` : ''}`);
  made.add(name);
  return name;
};
const dropDb = (name) => {
  admin(`drop database if exists ${name} with (force)`);
  made.delete(name);
};
const cleanup = () => {
  for (const d of [...made]) {
    try {
      dropDb(d);
    } catch {
      // best effort on the way out
    }
  }
};
process.on('exit', cleanup); // on a failure too: no database is left behind
process.on('SIGINT', () => process.exit(130));

const scalar = (db, sql) => {
  const r = spawnSync(PSQL, ['-X', '-A', '-t', '-d', url(db), '-c', sql], { env, encoding: 'utf8' });
  return r.stdout.trim();
};
/** Checks that a database holds what `applied` revisions leave: the same work was done. */
function expectTables(db, applied, label) {
  const n = Number(scalar(db, `select count(*) from pg_tables where schemaname = 'public' and tablename ~ '^t[0-9]+$'`));
  if (n !== applied) throw new Error(`${label}: expected ${applied} tables in ${db}, found ${n}`);
}

// ---- the work -----------------------------------------------------------------------------

console.log(`engine benchmark: ${N} revisions, ${SLOW} rounds of up-from-empty, ${FAST} rounds of the rest, interleaved`);
const g = generate(N, path.join(HERE, 'data', 'engine'));
const fmig = (...args) => [process.execPath, [FMIG, ...args, '--config', g.config, '--quiet']];
const dbmate = (db, cmd) => [DBMATE, ['--url', dbmateUrl(db), '--migrations-dir', g.dbmate, '--no-dump-schema', cmd]];
const psqlFile = (db, file) => [PSQL, ['-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-d', url(db), '-f', file]];
const psqlSession = (db) => [PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url(db), '-f', g.session]];

/** Each case: its label, and per round a thunk that sets up (untimed), runs (timed) and checks (untimed). */
const samples = new Map();
const add = (label, ms) => (samples.get(label) ?? samples.set(label, []).get(label)).push(ms);

const slowCases = [
  ['fmig up (from empty)', (db) => run(...fmig('up', '--url', url(db))), N],
  ['dbmate migrate (from empty)', (db) => run(...dbmate(db, 'migrate')), N],
  ['floor: psql -1 -f, one process per file', (db) => g.upFiles.reduce((ms, f) => ms + run(...psqlFile(db, f)), 0), N],
  ['floor: one psql session, BEGIN/COMMIT per file', (db) => run(...psqlSession(db)), N],
];

let fmigFull;
let dbmateFull;
for (let round = 0; round < SLOW; round++) {
  const order = slowCases.map((_, i) => slowCases[(i + round) % slowCases.length]);
  for (const c of order) {
    const [label, go, tables] = c;
    const db = createDb(`${PREFIX}_s${round}_${slowCases.indexOf(c)}`);
    add(label, go(db));
    expectTables(db, tables, label);
    // The last round's fully applied databases become the templates of the fast rounds.
    if (round === SLOW - 1 && label.startsWith('fmig')) fmigFull = db;
    else if (round === SLOW - 1 && label.startsWith('dbmate')) dbmateFull = db;
    else dropDb(db);
  }
  process.stdout.write(`  slow round ${round + 1}/${SLOW} done\n`);
}

const clone = (template, tag, round) => createDb(`${PREFIX}_f${round}_${tag}`, template);
const fastCases = [
  ['node -e 0', () => run(process.execPath, ['-e', '0'])],
  ['fmig --version', () => run(process.execPath, [FMIG, '--version'])],
  ['dbmate --version', () => run(DBMATE, ['--version'])],
  ['fmig up (no-op, all applied)', (r) => {
    const db = clone(fmigFull, 'noop', r);
    const ms = run(...fmig('up', '--url', url(db)));
    expectTables(db, N, 'fmig no-op up');
    dropDb(db);
    return ms;
  }],
  ['dbmate migrate (no-op, all applied)', (r) => {
    const db = clone(dbmateFull, 'dnoop', r);
    const ms = run(...dbmate(db, 'migrate'));
    expectTables(db, N, 'dbmate no-op migrate');
    dropDb(db);
    return ms;
  }],
  ['fmig down -10', (r) => {
    const db = clone(fmigFull, 'down', r);
    const ms = run(...fmig('down', '-10', '--url', url(db)));
    expectTables(db, N - 10, 'fmig down -10');
    dropDb(db);
    return ms;
  }],
  // dbmate reverts one migration per run and has no count: ten runs are its `down -10`.
  ['dbmate rollback x10', (r) => {
    const db = clone(dbmateFull, 'ddown', r);
    let ms = 0;
    for (let i = 0; i < 10; i++) ms += run(...dbmate(db, 'rollback'));
    expectTables(db, N - 10, 'dbmate rollback x10');
    dropDb(db);
    return ms;
  }],
];
for (let round = 0; round < FAST; round++) {
  for (let i = 0; i < fastCases.length; i++) {
    const [label, go] = fastCases[(i + round) % fastCases.length];
    add(label, go(round));
  }
  if ((round + 1) % 5 === 0 || round === FAST - 1) process.stdout.write(`  fast round ${round + 1}/${FAST} done\n`);
}

// ---- peak memory: one more run of each, under GNU time (kept out of the timed runs) -------------
const rss = new Map();
if (existsSync(TIME)) {
  const fresh = (tag) => createDb(`${PREFIX}_m_${tag}`);
  const m = (label, cmd) => rss.set(label, maxRssKiB(...cmd));
  let db = fresh('fmig');
  m('fmig up (from empty)', fmig('up', '--url', url(db)));
  m('fmig up (no-op, all applied)', fmig('up', '--url', url(db)));
  m('fmig down -10', fmig('down', '-10', '--url', url(db)));
  dropDb(db);
  db = fresh('dbmate');
  m('dbmate migrate (from empty)', dbmate(db, 'migrate'));
  m('dbmate migrate (no-op, all applied)', dbmate(db, 'migrate'));
  m('dbmate rollback x10', dbmate(db, 'rollback'));
  dropDb(db);
  db = fresh('psql');
  m('floor: one psql session, BEGIN/COMMIT per file', psqlSession(db));
  dropDb(db);
  db = fresh('psql1');
  m('floor: psql -1 -f, one process per file', psqlFile(db, g.upFiles[0]));
  dropDb(db);
  m('node -e 0', [process.execPath, ['-e', '0']]);
  m('fmig --version', [process.execPath, [FMIG, '--version']]);
  m('dbmate --version', [DBMATE, ['--version']]);
} else {
  console.log(`(no ${TIME}: peak memory not measured; apt-get install time)`);
}
cleanup();

// ---- report ---------------------------------------------------------------------------------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};
const med = Object.fromEntries([...samples].map(([k, v]) => [k, median(v)]));
const FLOOR_FILE = med['floor: psql -1 -f, one process per file'];
const FLOOR_SESSION = med['floor: one psql session, BEGIN/COMMIT per file'];
const NODE = med['node -e 0'];
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const x = (a, b) => `${(a / b).toFixed(2)}x`;

const rows = [...samples.keys()].map((label) => {
  const v = samples.get(label);
  const slow = slowCases.some((c) => c[0] === label);
  return {
    label,
    runs: v.length,
    median: fmt(med[label]),
    range: `${fmt(Math.min(...v))} .. ${fmt(Math.max(...v))}`,
    'vs session floor': slow ? x(med[label], FLOOR_SESSION) : '',
    'vs per-file floor': slow ? x(med[label], FLOOR_FILE) : '',
    'vs node -e 0': slow ? '' : x(med[label], NODE),
    'max RSS': rss.has(label) ? `${(rss.get(label) / 1024).toFixed(1)} MiB` : '',
  };
});
const cols = Object.keys(rows[0]);
const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(width[i])).join(' | ')} |`;
console.log('');
console.log(line(cols));
console.log(line(width.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(cols.map((c) => r[c])));

const targets = [
  ['fmig up / session floor', med['fmig up (from empty)'] / FLOOR_SESSION, 1.15, 'x'],
  ['fmig up / per-file floor', med['fmig up (from empty)'] / FLOOR_FILE, 1.15, 'x'],
  ['fmig no-op up / node -e 0', med['fmig up (no-op, all applied)'] / NODE, 2, 'x'],
  ['fmig --version / node -e 0', med['fmig --version'] / NODE, 1.25, 'x'],
  ['fmig down -10 / dbmate rollback x10', med['fmig down -10'] / med['dbmate rollback x10'], 1, 'x (below 1: faster)'],
  ['fmig up peak memory', (rss.get('fmig up (from empty)') ?? NaN) / 1024, 64, ' MiB'],
];
console.log('');
for (const [what, value, limit, unit] of targets) {
  const verdict = Number.isNaN(value) ? 'n/a   ' : value <= limit ? 'met   ' : 'missed';
  console.log(`${verdict}  ${what}: ${value.toFixed(2)}${unit}, target at most ${limit}${unit}`);
}

mkdirSync(path.join(HERE, 'results'), { recursive: true });
const out = path.join(HERE, 'results', 'engine.json');
writeFileSync(out, JSON.stringify({ n: N, at: new Date().toISOString(), samplesMs: Object.fromEntries(samples), maxRssKiB: Object.fromEntries(rss) }, null, 2) + '\n');
console.log(`\nraw samples: ${path.relative(process.cwd(), out)}`);
