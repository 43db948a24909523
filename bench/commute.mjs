// Divergent heads judged by whether they commute, timed: main's head with 300 revisions, two
// sides of 3 revisions each that touch the same table (so both orders are replayed on the
// embedded database). Times `fmig verify --against main` and `fmig resolve --dry-run` once
// cold (the two replays run) and then warm (both read from .fmig/replay/), medians of RUNS.
//
//   npm run build && node bench/commute.mjs        # N=300 SIDE=3 RUNS=5
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const N = Number(process.env.N ?? 300);
const SIDE = Number(process.env.SIDE ?? 3);
const RUNS = Number(process.env.RUNS ?? 5);
const fmig = new URL('../bin/fmig', import.meta.url).pathname;
const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b', GIT_CONFIG_GLOBAL: '/dev/null', NO_COLOR: '1' };
for (const k of Object.keys(env)) if (/^(FMIG_|DATABASE_URL)/.test(k)) delete env[k];

const dir = mkdtempSync(path.join(tmpdir(), 'fmig-bench-commute-'));
const git = (...args) => execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: dir, env, stdio: 'pipe' }).toString();
const id = (i) => String(i).padStart(6, '0');
const write = (name, text) => writeFileSync(path.join(dir, 'sql', name), text);
const pair = (i, slug, up, down) => {
  write(`${id(i)}_${slug}.up.sql`, up);
  write(`${id(i)}_${slug}.down.sql`, down);
};

try {
  mkdirSync(path.join(dir, 'sql'));
  writeFileSync(path.join(dir, 'migrate.toml'), 'dir = "sql"\n');
  writeFileSync(path.join(dir, '.gitignore'), '.fmig/\n');
  for (let i = 1; i <= N; i++) pair(i, `t${i}`, `create table t${i} (id bigint primary key, name text not null);\ncreate index t${i}_name on t${i} (name);\n`, `drop table t${i};\n`);
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'main');
  git('checkout', '-q', '-b', 'feature');
  for (let k = 1; k <= SIDE; k++) {
    const i = N + k;
    pair(i, `ours${k}`, `${k === 1 ? `-- fmig:parent ${id(N)}\n` : ''}alter table t1 add column ours${k} text;\n`, `alter table t1 drop column ours${k};\n`);
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'ours');
  git('checkout', '-q', 'main');
  for (let k = 1; k <= SIDE; k++) {
    const i = N + SIDE + k;
    pair(i, `theirs${k}`, `${k === 1 ? `-- fmig:parent ${id(N)}\n` : ''}alter table t1 add column theirs${k} text;\n`, `alter table t1 drop column theirs${k};\n`);
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'theirs');
  git('checkout', '-q', 'feature');

  // Wall time, and the CPU time (user + system) GNU time reports: on a shared machine the CPU time says more.
  const cpuFile = path.join(dir, '.cpu');
  const time = (args) => {
    const t = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', cpuFile, process.execPath, fmig, ...args], { cwd: dir, env });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    const [user, sys] = readFileSync(cpuFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    return { ms, cpu: (user + sys) * 1000, out: r.stdout.toString() + r.stderr.toString() };
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const runs = (args) => {
    const rs = Array.from({ length: RUNS }, () => time(args));
    return `${(median(rs.map((r) => r.ms)) / 1000).toFixed(2)} s wall, ${(median(rs.map((r) => r.cpu)) / 1000).toFixed(2)} s CPU`;
  };

  console.log(`${N} revisions on main's head, two sides of ${SIDE} revisions each adding columns to one table`);
  const cold = time(['verify', '--against', 'main']);
  if (!/conflict-objects/.test(cold.out)) throw new Error(`no conflict-objects finding:\n${cold.out}`);
  console.log(`verify --against main, cold (both orders replayed): ${(cold.ms / 1000).toFixed(2)} s wall, ${(cold.cpu / 1000).toFixed(2)} s CPU`);
  console.log(`plain verify, median of ${RUNS}: ${runs(['verify'])}`);
  console.log(`verify --against main, warm (cached), median of ${RUNS}: ${runs(['verify', '--against', 'main'])}`);
  git('merge', '-q', '--no-edit', 'main');
  console.log(`resolve --dry-run after the merge, warm, median of ${RUNS}: ${runs(['resolve', '--dry-run'])}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
