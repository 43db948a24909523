/**
 * V8 settings for the commands that apply revisions (up, down, sync). They spend their time
 * waiting on the database while their own data stays small, so what V8 does by default for a
 * long-running program costs memory and buys nothing:
 *
 * - the young generation grows under steady allocation, doubling up to 2 x 16 MiB; its growth
 *   factor is read each time V8 would grow it, so setting it to 1 keeps it at 2 x 1 MiB;
 * - the optimizing compiler (TurboFan) compiles hot functions on background threads, about
 *   7 MiB of peak memory over a thousand revisions. Without it, code runs in V8's interpreter
 *   and baseline compiler: measured on 1,000 revisions, the same time (the database is the
 *   bottleneck) and 59 instead of 67 MiB; splitting 2.3 MB of SQL takes 0.29 s instead of 0.10 s.
 *
 * Both flags are read where V8 decides to grow or to optimize, so setting them when the
 * command starts takes effect from then on.
 */
import v8 from 'node:v8';

let ownProcess = true;

/** fmig runs inside another program (the API): the process's V8 settings are that program's, left alone. */
export function leaveProcessSettingsAlone(): void {
  ownProcess = false;
}

export function tuneForDatabaseWork(): void {
  if (!ownProcess) return;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  v8.setFlagsFromString('--no-opt');
}

/**
 * V8 settings for a throwaway database (check, replay): PGlite's wasm is compiled with V8's
 * optimizing compiler as functions get hot, which pays there (see pglite.ts), but by default on
 * as many background threads as there are cores, each with its own malloc arena that keeps the
 * compiler's memory once it is done; one thread compiles as fast as it is needed. The young
 * generation as for database work (above); `--no-opt` is left out, as the snapshot diffs run
 * in JavaScript. Measured on `check` of 300 revisions on the embedded database: a peak of 280 MB
 * instead of 345 MB, in the same time.
 */
export function tuneForThrowaway(): void {
  if (!ownProcess) return;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  v8.setFlagsFromString('--wasm-num-compilation-tasks=1');
}
