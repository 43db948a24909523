#!/usr/bin/env node
/**
 * Runs the test files under test/ (every `*.test.js`, or those matching a pattern) with uvu,
 * several files at a time, each in a process of its own. A file's output is printed in one
 * piece when it finishes, headed by its name and time; the end is uvu's summary for all files,
 * and the slowest files.
 *
 *   node scripts/test.mjs                  every test file
 *   node scripts/test.mjs 'engine/'        the files whose path under test/ matches
 *   node scripts/test.mjs -j 1             one file at a time
 *
 * Files run at once: `-j N`, else FMIG_TEST_JOBS, else two more than the CPU count, at most 4
 * (tests also wait on the server, git, psql, processes they start and timeouts they provoke:
 * with one file waiting, the others keep every CPU busy). The slowest files of the last run (by
 * CPU time where it was measured) start first, so that no long file starts last; their times are
 * kept in node_modules/.cache/fmig-test-times.json (or the file FMIG_TEST_TIMES names). Files
 * never timed start before them, ordered by guess() (a fresh clone has no times at all).
 *
 * Where /usr/bin/time exists, each file's CPU time (user + system, with every process it
 * started: fmig, git, psql) is shown next to its wall time, and summed at the end. On a
 * machine shared with other work, wall times say more about the load than about the tests.
 *
 * Test files never share state (each test makes its own databases and temp dirs), so the order
 * and the overlap do not change what they see.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDir = path.join(root, 'test');
const uvuBin = path.join(root, 'node_modules', 'uvu', 'bin.js');
const timesFile = process.env.FMIG_TEST_TIMES || path.join(root, 'node_modules', '.cache', 'fmig-test-times.json');
const timeBin = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const CPU_MARK = '@@fmig-test-cpu';

const args = process.argv.slice(2);
let jobs = Number(process.env.FMIG_TEST_JOBS) || Math.min(4, os.availableParallelism() + 2);
let pattern = /\.test\.js$/;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-j' || args[i] === '--jobs') jobs = Number(args[++i]);
  else if (/^-j\d+$/.test(args[i])) jobs = Number(args[i].slice(2));
  else pattern = new RegExp(args[i], 'i');
}
if (!Number.isInteger(jobs) || jobs < 1) {
  console.error('usage: node scripts/test.mjs [-j N] [pattern]');
  process.exit(2);
}

const files = list(testDir).filter((f) => f.endsWith('.test.js') && pattern.test(f));
if (!files.length) {
  console.error(`no test file under test/ matches ${pattern}`);
  process.exit(1);
}
const last = readTimes();
// Longest first; files never timed (all of them on a fresh clone) first of all, by guess.
const weight = (f) => last[f] ?? 1e9 + guess(f);
const queue = [...files].sort((a, b) => weight(b) - weight(a));

const color = process.stdout.isTTY && !process.env.NO_COLOR;
// Temporary folders (test projects, git repositories, check's throwaway database) in memory where
// the machine has /dev/shm and TMPDIR names no other place: the tests write many small files and
// databases that nothing needs on disk (5.3 s of CPU less in autogenerate/cli alone).
const tmp = !process.env.TMPDIR && fs.existsSync('/dev/shm') ? { TMPDIR: '/dev/shm' } : {};
const started = Date.now();
const results = [];
await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, async () => {
  for (let f = queue.shift(); f; f = queue.shift()) {
    const r = await runFile(f);
    results.push(r);
    const head = `── ${f} (${seconds(r.ms)}${r.cpu === null ? '' : `, CPU ${seconds(r.cpu)}`}, ${r.crashed ? 'exited with code ' + r.code + ' before its summary' : `${r.passed}/${r.total} passed`}) `;
    // The file's own summary is left out: its counts are in the heading, the sums at the end.
    const body = r.output.replace(/^(\x1b\[[0-9;]*m)*\s*(Total|Passed|Skipped|Duration):.*\n?/gm, '').trimEnd();
    process.stdout.write(`\n${head.padEnd(100, '─')}\n${body}\n`);
  }
}));

const total = results.reduce((n, r) => n + r.total + (r.crashed ? 1 : 0), 0);
const passed = results.reduce((n, r) => n + r.passed, 0);
const skipped = results.reduce((n, r) => n + r.skipped, 0);
const failedFiles = results.filter((r) => r.code !== 0 || r.passed + r.skipped < r.total);
// CPU time where measured: on a loaded machine, wall times say more about the load than the file.
writeTimes(Object.fromEntries(results.map((r) => [r.file, r.cpu ?? r.ms])));

const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 8);
process.stdout.write(`\n  Slowest:   ${slowest.map((r) => `${r.file} ${seconds(r.ms)}`).join(', ')}\n`);
if (timeBin) {
  const cpu = results.filter((r) => r.cpu !== null);
  const most = [...cpu].sort((a, b) => b.cpu - a.cpu).slice(0, 8);
  process.stdout.write(`  Most CPU:  ${most.map((r) => `${r.file} ${seconds(r.cpu)}`).join(', ')}\n`);
  process.stdout.write(`  CPU:       ${seconds(cpu.reduce((n, r) => n + r.cpu, 0))} (user + system, every process)\n`);
}
if (failedFiles.length) process.stdout.write(`  Failed in: ${failedFiles.map((r) => r.file).join(', ')}\n`);
process.stdout.write(`  Files:     ${results.length}, ${jobs} at a time\n`);
process.stdout.write(`  Total:     ${total}\n  Passed:    ${passed}\n  Skipped:   ${skipped}\n  Duration:  ${seconds(Date.now() - started)}\n\n`);
process.exitCode = failedFiles.length || passed + skipped < total ? 1 : 0;

/** One test file under uvu in a process of its own: its output, counts and time. */
function runFile(file) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const exact = `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
    const argv = [process.execPath, uvuBin, 'test', exact, ...(color ? [] : ['--no-color'])];
    // GNU time's report comes last on stderr, marked so it can be taken out of the output.
    const [cmd, ...cmdArgs] = timeBin ? [timeBin, '-f', `${CPU_MARK} %U %S`, ...argv] : argv;
    const child = spawn(cmd, cmdArgs, {
      cwd: root,
      env: { ...process.env, ...tmp, ...(color ? {} : { FORCE_COLOR: '0' }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.on('close', (code, signal) => {
      let output = Buffer.concat(chunks).toString();
      let cpu = null;
      output = output.replace(new RegExp(`^${CPU_MARK} ([\\d.]+) ([\\d.]+)\\n?`, 'm'), (_, user, sys) => {
        cpu = (Number(user) + Number(sys)) * 1000;
        return '';
      });
      // GNU time's own line before its report when the file failed or was killed.
      if (cpu !== null) output = output.replace(/^Command (exited with non-zero status|terminated by signal) \d+\n(?![\s\S]*^Command (exited|terminated))/m, '');
      const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
      const count = (label) => Number(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(plain)?.[1] ?? 0);
      const summarised = /^\s*Total:\s+\d+/m.test(plain);
      resolve({
        file,
        ms: Date.now() - t0,
        cpu,
        code: code ?? (signal ? 1 : 0),
        output: signal ? `${output}\n(killed by ${signal})` : output,
        total: count('Total'),
        passed: count('Passed'),
        skipped: count('Skipped'),
        crashed: !summarised || (code !== 0 && !/\bFAIL\b/.test(plain)),
      });
    });
  });
}

/**
 * How long a file never timed may take, to order it: its `await`s (each a database, a fmig run,
 * a process or a file to wait on), with those of the modules beside it that it imports (a
 * scenario that several files share), twice over where its tests run on every database
 * target. Closer to the time than the file's size: a short file may run a long scenario.
 */
function guess(file) {
  const read = (f) => fs.readFileSync(path.join(testDir, f), 'utf8');
  let text = read(file);
  for (const [, rel] of text.matchAll(/from '(\.\.?\/[^']+\.js)'/g)) {
    const f = path.join(path.dirname(file), rel);
    if (!f.startsWith('..') && !f.startsWith('helpers') && fs.existsSync(path.join(testDir, f))) text += read(f);
  }
  return (text.match(/\bawait\b/g)?.length ?? 0) * (/\bforEachTarget\(/.test(text) ? 2 : 1);
}

function list(dir, prefix = '') {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const rel = prefix + e.name;
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : list(path.join(dir, e.name), `${rel}/`);
    return [rel];
  });
}

function readTimes() {
  try {
    return JSON.parse(fs.readFileSync(timesFile, 'utf8'));
  } catch {
    return {};
  }
}

function writeTimes(times) {
  try {
    fs.mkdirSync(path.dirname(timesFile), { recursive: true });
    const kept = Object.entries(readTimes()).filter(([f]) => fs.existsSync(path.join(testDir, f)));
    fs.writeFileSync(timesFile, JSON.stringify({ ...Object.fromEntries(kept), ...times }, null, 1));
  } catch {
    // a read-only checkout: the next run orders files by size
  }
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}
