/**
 * fmig as a real process in the background, for tests of what happens while it runs (locks,
 * kills, pauses), and waiting on a condition the test can observe.
 *
 *   const holder = startFmig(p.dir, ['up', '--url', url]);
 *   await until(async () => lockIsTaken(), 'the holder to take the lock');
 *   const { code, signal, stdout, stderr } = await holder.done;
 */
import { spawn } from 'node:child_process';
import { cliEnv, FMIG_BIN } from './cli.js';

/** Starts `fmig ...args` in `dir`; `done` resolves to { code, signal, stdout, stderr } when it exits. */
export function startFmig(dir, args) {
  const child = spawn(process.execPath, [FMIG_BIN, ...args], { cwd: dir, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return { child, done: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }))) };
}

/** Polls `check` every 50 ms until it is true; throws naming `what` after a minute. */
export async function until(check, what) {
  for (let i = 0; i < 1200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}
