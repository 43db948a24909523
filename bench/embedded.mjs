// fmig's everyday commands on the embedded database (PGlite, the default) and on PostgreSQL,
// in one interleaved run: each round runs every case once, in an order that rotates from round
// to round, so that a slow minute on the machine hits all cases alike.
//
//   npm run build                       # at the top of the repository
//   node bench/embedded.mjs             # ROUNDS=3 (default), CASES=<regex> to pick cases
//
// Cases: `node -e 0`; the first `fmig up` from no .fmig/ of this repository's sql/ (12
// revisions) and of 300 generated ones; a no-op `up`, `status` and `history` on each; `check`
// on the 300; and the same against PostgreSQL 15 (BENCH_PG_URL, default
// postgres://root@127.0.0.1:5432, a user that may create databases; each first `up` on a
// database of its own). Each sample is wall time, CPU time (user + system) and peak RSS, taken
// with GNU time (/usr/bin/time). The report gives medians, and wall and CPU as multiples of
// `node -e 0`'s; CPU varies less than wall time on a busy machine.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { revisionId, revisionSql } from './generate.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const FMIG = path.join(root, 'bin', 'fmig');
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const PICK = new RegExp(process.env.CASES ?? '.');
const PG = (process.env.BENCH_PG_URL ?? 'postgres://root@127.0.0.1:5432').replace(/\/$/, '');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fmig-bench-embedded-'));
const env = { ...process.env, NO_COLOR: '1' };
for (const k of Object.keys(env)) if (/^(FMIG_|DATABASE_URL$)/.test(k)) delete env[k];

/** A project folder: this repository's sql/, or `n` generated revisions. */
function makeProject(name, n) {
  const dir = path.join(work, name);
  fs.mkdirSync(path.join(dir, 'sql'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'migrate.toml'), 'dir = "sql"\n\n[database]\nlock_timeout = "10s"\n');
  if (n === null) fs.cpSync(path.join(root, 'sql'), path.join(dir, 'sql'), { recursive: true });
  else {
    for (let i = 1; i <= n; i++) {
      const { up, down } = revisionSql(i);
      fs.writeFileSync(path.join(dir, 'sql', `${revisionId(i)}_t${revisionId(i)}.up.sql`), up);
      fs.writeFileSync(path.join(dir, 'sql', `${revisionId(i)}_t${revisionId(i)}.down.sql`), down);
    }
  }
  return dir;
}

const psql = (sql) => execFileSync('psql', [`${PG}/postgres`, '-qAtc', sql], { stdio: ['ignore', 'pipe', 'inherit'] });
let seq = 0;
const newDb = () => {
  const name = `fmig_bench_e_${process.pid}_${seq++}`;
  psql(`create database ${name}`);
  return { url: `${PG}/${name}`, drop: () => psql(`drop database if exists ${name} with (force)`) };
};

const wanted = (name) => PICK.test(`embedded: first up (${name})`) || PICK.test(`postgres: no-op up (${name})`) || [...'up status history check'.split(' ')].some((c) => PICK.test(`embedded: ${c} (${name})`) || PICK.test(`postgres: ${c} (${name})`));
const projects = Object.fromEntries([['sql12', null], ['gen300', 300]].filter(([name]) => wanted(name)).map(([name, n]) => [name, makeProject(name, n)]));
// Applied once for the no-op cases: the embedded database in each project, and one server database each.
const applied = {};
for (const [name, dir] of Object.entries(projects)) {
  fmig(dir, ['up', '--quiet']);
  const db = newDb();
  fmig(dir, ['up', '--quiet', '--url', db.url]);
  applied[name] = db;
}

const cases = [{ name: 'node -e 0', run: () => time(process.execPath, ['-e', '0'], root) }];
for (const [name, dir] of Object.entries(projects)) {
  const fresh = path.join(work, `${name}-fresh`);
  cases.push({
    name: `embedded: first up (${name})`,
    run() {
      fs.rmSync(fresh, { recursive: true, force: true });
      fs.cpSync(dir, fresh, { recursive: true, filter: (src) => !src.includes(`${path.sep}.fmig`) });
      return time(process.execPath, [FMIG, 'up', '--quiet'], fresh);
    },
  });
  cases.push({
    name: `postgres: first up (${name})`,
    run() {
      const db = newDb();
      try {
        return time(process.execPath, [FMIG, 'up', '--quiet', '--url', db.url], dir);
      } finally {
        db.drop();
      }
    },
  });
  for (const cmd of ['up', 'status', 'history']) {
    cases.push({ name: `embedded: no-op ${cmd} (${name})`, run: () => time(process.execPath, [FMIG, cmd, '--quiet'], dir) });
    cases.push({ name: `postgres: no-op ${cmd} (${name})`, run: () => time(process.execPath, [FMIG, cmd, '--quiet', '--url', applied[name].url], dir) });
  }
}
if (projects.gen300) cases.push({ name: 'embedded: check (gen300)', run: () => time(process.execPath, [FMIG, 'check', '--quiet'], projects.gen300) });
if (projects.gen300) cases.push({ name: 'postgres: check (gen300)', run: () => time(process.execPath, [FMIG, 'check', '--quiet', '--url', applied.gen300.url], projects.gen300) });

const picked = cases.filter((c) => c.name === 'node -e 0' || PICK.test(c.name));
const samples = new Map(picked.map((c) => [c.name, []]));
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < picked.length; i++) {
      const c = picked[(i + round) % picked.length];
      samples.get(c.name).push(c.run());
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }
} finally {
  for (const db of Object.values(applied)) db.drop();
  fs.rmSync(work, { recursive: true, force: true });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = samples.get('node -e 0');
const baseWall = median(base.map((s) => s.wall));
const baseCpu = median(base.map((s) => s.cpu));
console.log(`${ROUNDS} rounds on ${os.availableParallelism()} CPUs, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
console.log(`${'case'.padEnd(38)} ${'wall ms'.padStart(8)} ${'x node'.padStart(7)} ${'CPU ms'.padStart(8)} ${'x node'.padStart(7)} ${'peak RSS MB'.padStart(12)}`);
for (const [name, s] of samples) {
  const wall = median(s.map((x) => x.wall));
  const cpu = median(s.map((x) => x.cpu));
  const rss = Math.max(...s.map((x) => x.rss));
  console.log(`${name.padEnd(38)} ${String(wall).padStart(8)} ${(wall / baseWall).toFixed(1).padStart(7)} ${String(cpu).padStart(8)} ${(cpu / baseCpu).toFixed(1).padStart(7)} ${rss.toFixed(0).padStart(12)}`);
}

/** Runs a command under GNU time; fails the benchmark when it fails. */
function time(cmd, args, cwd) {
  const out = path.join(work, 'time.txt');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', '-o', out, cmd, ...args], { cwd, env, encoding: 'utf8' });
  const wall = Number((process.hrtime.bigint() - t0) / 1_000_000n);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${cwd}: exit ${r.status}\n${r.stderr}`);
  const [user, sys, kb] = fs.readFileSync(out, 'utf8').trim().split(/\s+/).slice(-3).map(Number);
  return { wall, cpu: Math.round((user + sys) * 1000), rss: kb / 1024 };
}

function fmig(cwd, args) {
  const r = spawnSync(process.execPath, [FMIG, ...args], { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fmig ${args.join(' ')} in ${cwd}: exit ${r.status}\n${r.stderr}`);
}
