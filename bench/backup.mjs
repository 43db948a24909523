// Backup and restore of this repository's schema (sql/, 12 revisions) with ROWS rows in
// `transactions` (default 100,000): `fmig backup` and `fmig restore` against pg_dump and
// pg_restore run by hand on PostgreSQL, and `fmig backup`/`restore` on the embedded database.
//
//   npm run build                        # at the top of the repository
//   node bench/backup.mjs                # ROUNDS=3 (default), ROWS=100000, BENCH_PG_URL
//
// BENCH_PG_URL (default postgres://root@127.0.0.1:5432) is a server user that may create
// databases. ONLY=server or ONLY=embedded runs one half. Each sample is wall time and the CPU
// time (user + system) of the command and its children (pg_dump, pg_restore), from GNU time;
// CPU varies less than wall time on a busy machine. The report gives each case's medians and
// the backup file's size. Each restore goes into a database (or directory) of its own, made empty.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../dist/adapters/db/open.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const FMIG = path.join(root, 'bin', 'fmig');
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const ROWS = Number(process.env.ROWS ?? 100_000);
const PG = (process.env.BENCH_PG_URL ?? 'postgres://root@127.0.0.1:5432').replace(/\/$/, '');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fmig-bench-backup-'));
const env = { ...process.env, NO_COLOR: '1' };
for (const k of Object.keys(env)) if (/^(FMIG_|DATABASE_URL$)/.test(k)) delete env[k];

const SEED = `
insert into institutions (name, country) values ('Bank A', 'DE');
insert into accounts (institution_id, name, currency) select id, 'Main', 'EUR' from institutions;
insert into transactions (account_id, posted_on, amount, currency, description, counterparty)
  select a.id, date '2026-01-01' + (g % 300), (g % 997) + 0.25, 'EUR', 'transaction ' || g, 'counterparty ' || (g % 500)
    from accounts a, generate_series(1, ${ROWS}) g;`;

const ONLY = process.env.ONLY ?? '';
let lastCpu = 0;
const fmig = (...args) => execFileSync(process.execPath, [FMIG, ...args], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
const cpuRun = (cmd, args) => {
  const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', cmd, ...args], { cwd: work, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const m = /cpu (\S+) (\S+)\s*$/.exec(r.stderr);
  lastCpu = m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN;
};
const fmigT = (...args) => cpuRun(process.execPath, [FMIG, ...args]);
const psql = (sql) => execFileSync('psql', ['-qX', '-v', 'ON_ERROR_STOP=1', `${PG}/postgres`, '-c', sql], { env, stdio: ['ignore', 'pipe', 'pipe'] });
const time = (fn) => {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const size = (file) => `${(fs.statSync(file).size / 1024 / 1024).toFixed(1)} MB`;

fs.cpSync(path.join(root, 'sql'), path.join(work, 'sql'), { recursive: true });
fs.writeFileSync(path.join(work, 'migrate.toml'), 'dir = "sql"\n');

async function seed(url) {
  const db = await openDatabase(url, { baseDir: work, lockTimeoutMs: 0, statementTimeoutMs: 0, ledger: { schema: 'public', table: 'fmig_ledger' } });
  try {
    await db.exec(SEED);
  } finally {
    await db.close();
  }
}

const samples = {};
const cpu = {};
const add = (name, ms) => {
  (samples[name] ??= []).push(ms);
  (cpu[name] ??= []).push(lastCpu);
};
const sizes = {};

if (ONLY !== 'embedded') {
// The server: one source database, backed up each round by fmig and by pg_dump; each restored
// into a new database.
psql('drop database if exists fmig_bench_backup');
psql('create database fmig_bench_backup');
const src = `${PG}/fmig_bench_backup`;
fmig('up', '--url', src, '-q');
await seed(src);
for (let i = 0; i < ROUNDS; i++) {
  const f1 = path.join(work, `fmig-${i}.dump`);
  const f2 = path.join(work, `hand-${i}.dump`);
  add('server: fmig backup', time(() => fmigT('backup', '--url', src, '--out', f1, '-q')));
  add('server: pg_dump -Fc by hand', time(() => cpuRun('pg_dump', ['--format=custom', `--file=${f2}`, `--dbname=${src}`])));
  sizes['server backup'] = size(f1);
  for (const [name, file, run] of [
    ['server: fmig restore --yes', f1, (url) => fmigT('restore', f1, '--url', url, '--yes', '-q')],
    ['server: pg_restore --single-transaction by hand', f2, (url) => cpuRun('pg_restore', ['--exit-on-error', '--single-transaction', `--dbname=${url}`, f2])],
  ]) {
    void file;
    psql('drop database if exists fmig_bench_restore');
    psql('create database fmig_bench_restore');
    add(name, time(() => run(`${PG}/fmig_bench_restore`)));
  }
}
psql('drop database if exists fmig_bench_restore');
psql('drop database if exists fmig_bench_backup');
}

if (ONLY !== 'server') {
// The embedded database: the same schema and rows in a data directory.
const lite = `pglite://${path.join(work, 'lite', 'db')}`;
fmig('up', '--url', lite, '-q');
await seed(lite);
for (let i = 0; i < ROUNDS; i++) {
  const f = path.join(work, `lite-${i}.tar.gz`);
  add('embedded: fmig backup', time(() => fmigT('backup', '--url', lite, '--out', f, '-q')));
  sizes['embedded backup'] = size(f);
  add('embedded: fmig restore', time(() => fmigT('restore', f, '--url', `pglite://${path.join(work, `restored-${i}`, 'db')}`, '-q')));
  add('embedded: fmig status (no-op, for scale)', time(() => fmigT('status', '--url', lite, '-q')));
}
}

console.log(`backup and restore of sql/ with ${ROWS} transactions, median of ${ROUNDS}: wall time, CPU time (load average ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} CPUs)`);
for (const [name, xs] of Object.entries(samples)) console.log(`  ${name.padEnd(50)} wall ${(median(xs) / 1000).toFixed(2)} s   cpu ${(median(cpu[name]) / 1000).toFixed(2)} s`);
for (const [name, s] of Object.entries(sizes)) console.log(`  ${name.padEnd(50)} ${s}`);
fs.rmSync(work, { recursive: true, force: true });
