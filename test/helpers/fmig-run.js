/**
 * Runs the fmig command line for tests, in this process or as a process of its own.
 *
 *   await runFmig(cwd, ['up', '--url', url], { env });                 // { code, stdout, stderr }
 *   await runFmig(cwd, ['up'], { env, process: true });                // always `node bin/fmig`
 *
 * In this process, a run calls `main()` of dist/cli.js, the command line bin/fmig runs (the
 * same source, compiled without bundling), with its output captured and its exit code
 * returned. It skips what every process pays again: Node's start, loading the modules and, on
 * the embedded database, compiling PGlite's wasm (seconds of CPU per run; PGlite keeps the
 * compiled module for the life of the process). Everything the command does is the same: it
 * opens and closes its own database, takes and releases its own locks, runs git.
 *
 * A run is a real process when:
 * - the caller asks (`{ process: true }`), or FMIG_TEST_PROCESS=1 is set (every run a process,
 *   to check the bundle bin/fmig loads);
 * - another in-process run is under way: runs started together compete as processes, each
 *   with its own pid, as they would for a user;
 * - the arguments are `--version`/`-v` alone, which bin/fmig answers itself, or ask for help
 *   (`--help`/`-h`), which cac prints on the process's stdout.
 *
 * What fmig reads from process.env rather than from the environment it is handed (git's
 * variables, PostgreSQL's PG*, PATH, HOME, TZ...) is set on process.env for the run and put
 * back after it; so are process.argv (a lock holder names its command) and console.log.
 */
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const FMIG_BIN = fileURLToPath(new URL('../../bin/fmig', import.meta.url));
const CLI = new URL('../../dist/cli.js', import.meta.url).href;

/** The variables that fmig (git, postgres.js, Node) takes from process.env, not from io.env. */
const PROCESS_WIDE = /^(GIT_|PG[A-Z]+$|PATH$|HOME$|TZ$|LANG$|LANGUAGE$|LC_|TMPDIR$|USER$|LOGNAME$|NODE_|XDG_)/;

const forceProcess = process.env.FMIG_TEST_PROCESS === '1';
let busy = false;
let cli;

/** Runs fmig with `args` in `cwd`; resolves with `{ code, stdout, stderr }`, never rejects on a non-zero exit. */
export function runFmig(cwd, args, { env = process.env, process: real = false } = {}) {
  const alone = args.length === 1 && (args[0] === '--version' || args[0] === '-v');
  // cac prints help on the process's own stdout, out of reach of the captured streams.
  const help = args.includes('--help') || args.includes('-h');
  if (real || forceProcess || busy || alone || help) return runFmigProcess(cwd, args, { env });
  return runFmigHere(cwd, args, env);
}

/** `node bin/fmig ...args` in `cwd`. */
export function runFmigProcess(cwd, args, { env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [FMIG_BIN, ...args], { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

async function runFmigHere(cwd, args, env) {
  busy = true;
  const out = sink();
  const err = sink();
  const saved = { env: {}, argv: process.argv, log: console.log };
  try {
    cli ??= import(CLI);
    const { main } = await cli;
    for (const k of new Set([...Object.keys(process.env), ...Object.keys(env)])) {
      if (!PROCESS_WIDE.test(k) || process.env[k] === env[k]) continue;
      saved.env[k] = process.env[k];
      if (env[k] === undefined) delete process.env[k];
      else process.env[k] = env[k];
    }
    process.argv = [process.execPath, FMIG_BIN, ...args];
    console.log = (...xs) => out.write(xs.join(' ') + '\n');
    const code = await main({ argv: args, cwd, env, stdout: out, stderr: err });
    return { code, stdout: out.text(), stderr: err.text() };
  } finally {
    console.log = saved.log;
    process.argv = saved.argv;
    for (const [k, v] of Object.entries(saved.env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    busy = false;
  }
}

/** A stream that keeps what is written to it (not a TTY, as a pipe to a test is not). */
function sink() {
  const chunks = [];
  const w = new Writable({
    write(chunk, encoding, done) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding));
      done();
    },
  });
  w.text = () => Buffer.concat(chunks).toString('utf8');
  return w;
}
