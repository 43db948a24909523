// A no-op `fmig up` on large folders: 1,000 and 10,000 revisions, each folder in a git
// repository with one commit per revision, all applied on PostgreSQL, against `node -e 0` in
// one interleaved run (each round runs every case once, in an order that rotates from round
// to round).
//
//   npm run build                       # at the top of the repository
//   node bench/many.mjs                 # ROUNDS=15 (default); SIZES=1000,10000 (default)
//
// The folders and their repositories are made once under bench/data/many/<n>/ and kept (a
// second run reuses them); each size is applied on a database of its own on the server
// (BENCH_PG_URL, default postgres://root@127.0.0.1:5432, a user that may create databases),
// dropped at the end unless KEEP=1. Every sample is wall time, CPU time (user + system) and
// peak RSS from GNU time (/usr/bin/time). fmig's stat cache (.fmig/stat-cache) and up-to-date
// record (.fmig/up-to-date) are left as the previous run wrote them, as they are in everyday use;
// the `no record` cases delete the record first (the folder is then read, known by the stat
// cache, and the ledger's rows fetched), the `cold` cases both.
// BASE_ROOT=<another fmig checkout, built> adds its no-op up to each round, for a before/after.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { revisionId, revisionSql } from './generate.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const FMIG = path.join(root, 'bin', 'fmig');
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const SIZES = (process.env.SIZES ?? '1000,10000').split(',').map(Number);
const PG = (process.env.BENCH_PG_URL ?? 'postgres://root@127.0.0.1:5432').replace(/\/$/, '');
const data = path.join(root, 'bench', 'data', 'many');
const BASE = process.env.BASE_ROOT ? path.join(path.resolve(process.env.BASE_ROOT), 'bin', 'fmig') : null;
const env = { ...process.env, NO_COLOR: '1' };
for (const k of Object.keys(env)) if (/^(FMIG_|DATABASE_URL$)/.test(k)) delete env[k];
const gitEnv = { ...env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

/** The project of `n` revisions, made unless a complete one is there: sql/ and a repository of n commits. */
function project(n) {
  const dir = path.join(data, String(n));
  const done = path.join(dir, '.complete');
  if (fs.existsSync(done)) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'sql'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'migrate.toml'), 'dir = "sql"\n\n[database]\nlock_timeout = "10s"\nstatement_timeout = "0"\n');
  fs.writeFileSync(path.join(dir, '.gitignore'), '.fmig/\n.complete\n');
  // One commit per revision, written by one `git fast-import` rather than n `git commit`s.
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir, env: gitEnv });
  const chunks = [];
  const blob = (text) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  const when = 1_700_000_000;
  chunks.push(`commit refs/heads/main\ncommitter Bench <bench@example.com> ${when} +0000\n${blob('project')}`);
  chunks.push(`M 100644 inline migrate.toml\n${blob(fs.readFileSync(path.join(dir, 'migrate.toml'), 'utf8'))}`);
  chunks.push(`M 100644 inline .gitignore\n${blob('.fmig/\n.complete\n')}\n`);
  for (let i = 1; i <= n; i++) {
    const id = revisionId(i);
    const { up, down } = revisionSql(i);
    fs.writeFileSync(path.join(dir, 'sql', `${id}_t${id}.up.sql`), up);
    fs.writeFileSync(path.join(dir, 'sql', `${id}_t${id}.down.sql`), down);
    chunks.push(`commit refs/heads/main\ncommitter Bench <bench@example.com> ${when + i} +0000\n${blob(`revision ${id}`)}`);
    chunks.push(`M 100644 inline sql/${id}_t${id}.up.sql\n${blob(up)}M 100644 inline sql/${id}_t${id}.down.sql\n${blob(down)}\n`);
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, env: gitEnv, input: chunks.join('') });
  // The files were written before: a reset makes the index match them without rewriting them.
  execFileSync('git', ['reset', '-q'], { cwd: dir, env: gitEnv });
  fs.writeFileSync(done, '');
  return dir;
}

const psql = (sql) => execFileSync('psql', [`${PG}/postgres`, '-qAtc', sql], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();

const sizes = SIZES.map((n) => {
  process.stderr.write(`preparing ${n} revisions...\n`);
  const dir = project(n);
  const db = `fmig_bench_many_${n}`;
  if (!psql(`select 1 from pg_database where datname = '${db}'`)) psql(`create database ${db}`);
  const url = `${PG}/${db}`;
  fmig(dir, ['up', '--quiet', '--url', url]);
  return { n, dir, url, db };
});

const cases = [{ name: 'node -e 0', run: () => time(process.execPath, ['-e', '0'], root) }];
for (const s of sizes) {
  cases.push({ name: `no-op up (${s.n})`, run: () => time(process.execPath, [FMIG, 'up', '--quiet', '--url', s.url], s.dir) });
  if (BASE) cases.push({ name: `no-op up, BASE_ROOT (${s.n})`, run: () => time(process.execPath, [BASE, 'up', '--quiet', '--url', s.url], s.dir) });
  cases.push({
    name: `no-op up, no record (${s.n})`,
    run() {
      fs.rmSync(path.join(s.dir, '.fmig', 'up-to-date'), { force: true });
      return time(process.execPath, [FMIG, 'up', '--quiet', '--url', s.url], s.dir);
    },
  });
  cases.push({
    name: `no-op up, cold (${s.n})`,
    run() {
      fs.rmSync(path.join(s.dir, '.fmig'), { recursive: true, force: true });
      return time(process.execPath, [FMIG, 'up', '--quiet', '--url', s.url], s.dir);
    },
  });
}

const samples = new Map(cases.map((c) => [c.name, []]));
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + round) % cases.length];
      samples.get(c.name).push(c.run());
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }
} finally {
  if (!process.env.KEEP) for (const s of sizes) psql(`drop database if exists ${s.db} with (force)`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = samples.get('node -e 0');
const baseWall = median(base.map((s) => s.wall));
const baseCpu = median(base.map((s) => s.cpu));
console.log(`${ROUNDS} rounds on ${os.availableParallelism()} CPUs, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
console.log(`${'case'.padEnd(34)} ${'wall ms'.padStart(8)} ${'x node'.padStart(7)} ${'CPU ms'.padStart(8)} ${'x node'.padStart(7)} ${'peak RSS MB'.padStart(12)}`);
for (const [name, s] of samples) {
  const wall = median(s.map((x) => x.wall));
  const cpu = median(s.map((x) => x.cpu));
  const rss = Math.max(...s.map((x) => x.rss));
  console.log(`${name.padEnd(34)} ${String(wall).padStart(8)} ${(wall / baseWall).toFixed(2).padStart(7)} ${String(cpu).padStart(8)} ${(cpu / baseCpu).toFixed(2).padStart(7)} ${rss.toFixed(0).padStart(12)}`);
}

/** Runs a command under GNU time; fails the benchmark when it fails. */
function time(cmd, args, cwd) {
  const out = path.join(os.tmpdir(), `fmig-bench-many-${process.pid}.txt`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', '-o', out, cmd, ...args], { cwd, env, encoding: 'utf8' });
  const wall = Number((process.hrtime.bigint() - t0) / 1_000_000n);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${cwd}: exit ${r.status}\n${r.stderr}`);
  const [user, sys, kb] = fs.readFileSync(out, 'utf8').trim().split(/\s+/).slice(-3).map(Number);
  fs.rmSync(out, { force: true });
  return { wall, cpu: Math.round((user + sys) * 1000), rss: kb / 1024 };
}

function fmig(cwd, args) {
  const r = spawnSync(process.execPath, [FMIG, ...args], { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fmig ${args.join(' ')} in ${cwd}: exit ${r.status}\n${r.stderr}`);
}
