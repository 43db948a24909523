// Benchmark of `fmig verify` against the least any correct verify must do:
//   node -e 0; git ls-tree -r main -- sql; git diff --name-status main -- sql
// on generated repositories: N revisions added over N commits on main (git fast-import), and a
// branch `feature` with one more revision. Two cases each: `main` checked out (nothing new:
// verify must not load the SQL parser) within 2x of the floor at 2,000 revisions and 3x at
// 10,000; `feature` checked out (one new revision, whose SQL is linted) within 2.5x at 2,000
// and 3x at 10,000.
//
//   node bench/verify.mjs [sizes...]        default: 2000 10000
//
// Uses hyperfine when it is installed (unless TIMERS=1); otherwise node's timers, the two
// commands interleaved (fairer on a busy machine), the median of RUNS runs each. Repositories
// are kept in bench/data/ between runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORK = path.join(ROOT, 'bench', 'data');
const FMIG = path.join(ROOT, 'bin', 'fmig');
const RUNS = Number(process.env.RUNS ?? 20);
const TARGET = { main: { 2000: 2, 10000: 3 }, feature: { 2000: 2.5, 10000: 3 } };
const sizes = process.argv.slice(2).map(Number).filter(Boolean);

const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const git = (cwd, args, input) => execFileSync('git', args, { cwd, env, input, maxBuffer: 1 << 30 });

/** A fast-import stream: one commit per revision on main, then the branch `feature` with one more. */
function stream(n) {
  const width = 6;
  const id = (i) => String(i).padStart(width, '0');
  const parts = [];
  const data = (s) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  const commit = (ref, i, from) => {
    const t = 1767348000 + i * 60;
    parts.push(
      `commit refs/heads/${ref}\nmark :${i}\nauthor Dev ${i % 7} <dev${i % 7}@example.com> ${t} +0000\ncommitter Dev <dev@example.com> ${t} +0000\n` +
        data(`add revision ${id(i)}`) +
        (from ? `from :${from}\n` : '') +
        `M 100644 inline sql/${id(i)}_table_${i}.up.sql\n` +
        data(`create table t${i} (id bigint primary key, name text not null, created_at timestamptz default now());\n`) +
        `M 100644 inline sql/${id(i)}_table_${i}.down.sql\n` +
        data(`drop table t${i};\n`),
    );
  };
  for (let i = 1; i <= n; i++) commit('main', i, i > 1 ? i - 1 : 0);
  commit('feature', n + 1, n);
  return parts.join('');
}

function makeRepo(n) {
  const dir = path.join(WORK, `repo-${n}`);
  if (existsSync(path.join(dir, '.git', 'fmig-bench-done'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t = Date.now();
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['fast-import', '--quiet'], stream(n));
  git(dir, ['checkout', '-q', '-f', 'feature']);
  git(dir, ['write-tree']);
  git(dir, ['commit-graph', 'write', '--reachable']);
  execFileSync('sh', ['-c', 'printf \'dir = "sql"\\n\' > migrate.toml && touch .git/fmig-bench-done'], { cwd: dir });
  console.log(`generated ${n} revisions over ${n} commits in ${((Date.now() - t) / 1000).toFixed(1)} s: ${path.relative(ROOT, dir)}`);
  return dir;
}

const FLOOR = 'node -e 0; git ls-tree -r main -- sql >/dev/null; git diff --name-status main -- sql >/dev/null';
const VERIFY = `node ${FMIG} verify >/dev/null`;

function withHyperfine(dir) {
  const out = path.join(WORK, 'hyperfine.json');
  const r = spawnSync('hyperfine', ['--warmup', '3', '--runs', String(RUNS), '--export-json', out, '-n', 'floor', FLOOR, '-n', 'verify', VERIFY], { cwd: dir, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error('hyperfine failed');
  const { results } = JSON.parse(readFileSync(out, 'utf8'));
  return Object.fromEntries(results.map((x) => [x.command, x.median * 1000]));
}

function withTimers(dir) {
  const time = (cmd) => {
    const t = process.hrtime.bigint();
    const r = spawnSync('sh', ['-c', cmd], { cwd: dir, env, stdio: 'ignore' });
    if (r.status !== 0 && cmd === VERIFY) throw new Error(`fmig verify exited ${r.status}`);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  for (let i = 0; i < 3; i++) time(FLOOR), time(VERIFY);
  const floor = [];
  const verify = [];
  for (let i = 0; i < RUNS; i++) {
    floor.push(time(FLOOR));
    verify.push(time(VERIFY));
  }
  const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  return { floor: median(floor), verify: median(verify) };
}

const hasHyperfine = process.env.TIMERS !== '1' && spawnSync('hyperfine', ['--version']).status === 0;
const rows = [];
for (const n of sizes.length ? sizes : [2000, 10000]) {
  const dir = makeRepo(n);
  for (const branch of ['main', 'feature']) {
    git(dir, ['checkout', '-q', branch]);
    const check = spawnSync(process.execPath, [FMIG, 'verify'], { cwd: dir, env, encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`fmig verify failed on the benchmark repository:\n${check.stdout}${check.stderr}`);
    const m = hasHyperfine ? withHyperfine(dir) : withTimers(dir);
    const ratio = m.verify / m.floor;
    const target = TARGET[branch][n] ?? null;
    rows.push({ revisions: n, checkout: branch, floor_ms: +m.floor.toFixed(1), verify_ms: +m.verify.toFixed(1), ratio: +ratio.toFixed(2), target, ok: target ? ratio <= target : null });
  }
}
console.log(`\nmedians (${hasHyperfine ? 'hyperfine' : 'node timers, interleaved'}, ${RUNS} runs each):`);
console.table(rows);
process.exitCode = rows.every((r) => r.ok !== false) ? 0 : 1;
