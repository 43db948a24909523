/**
 * The embedded database's lock (SPEC section 4): PGlite has no lock across processes, and two
 * processes that open one data directory at once silently lose each other's writes. So the
 * whole data directory is guarded by a lock file beside it that names its holder; the lock is
 * stale, and taken over, once the holder's pid is gone. Needs nothing of PGlite.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UnreachableError } from '../../core/errors.js';
import { maskUrl } from './driver.js';

/** What a lock file says about its holder. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  since: string;
  command: string;
}

export interface LockFileOptions {
  /** How long to wait for a live holder; 0 waits as long as it takes (as PostgreSQL's lock_timeout = 0). */
  timeoutMs: number;
  /** Told who holds the lock: promptly, then at most every 5 s. */
  onWait?: (holder: string) => void;
  /** Told who held a lock file that was taken over because its process is gone. */
  onTakeOver?: (holder: string) => void;
}

const POLL_MS = 150;
const WAIT_REPORT_MS = 5000;
/** A lock file still empty this long after its creation belongs to a process that died writing it. */
const HALF_WRITTEN_MS = 10_000;

/** Lock files this process holds, so a leftover file naming our own (reused) pid is seen as stale. */
const held = new Map<string, string>();
let exitHookInstalled = false;

/** Takes the lock file at `file`, waiting while a live process holds it; resolves to its (idempotent) release. Throws UnreachableError `lock-timeout`. */
export async function acquireLockFile(file: string, options: LockFileOptions): Promise<() => void> {
  file = path.resolve(file);
  const deadline = options.timeoutMs > 0 ? Date.now() + options.timeoutMs : Infinity;
  let lastReport = -Infinity;
  for (;;) {
    const mine = tryTake(file);
    if (mine !== null) return releaser(file, mine);
    const raw = readRaw(file);
    if (raw === null) continue; // released in between: try again at once
    const holder = parseHolder(raw);
    if (isStale(file, raw, holder)) {
      if (takeOver(file, raw)) options.onTakeOver?.(describeHolder(holder));
      continue;
    }
    const who = describeHolder(holder);
    const now = Date.now();
    if (now >= deadline) {
      throw new UnreachableError(
        `timed out after ${formatMs(options.timeoutMs)} waiting for the lock ${file}: held by ${who}`,
        holder && holder.hostname !== os.hostname()
          ? `if no fmig is running on ${holder.hostname}, delete ${file}`
          : 'another fmig is using this embedded database; let it finish, or raise database.lock_wait (or --lock-wait)',
        'lock-timeout',
      );
    }
    if (options.onWait && now - lastReport >= WAIT_REPORT_MS) {
      lastReport = now;
      options.onWait(who);
    }
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, deadline - now)));
  }
}

/** Reads who holds the lock file at `file`; null when there is none or it cannot be read. */
export function readLockHolder(file: string): LockHolder | null {
  const raw = readRaw(path.resolve(file));
  return raw === null ? null : parseHolder(raw);
}

/** "pid 1234 on host web-1 (fmig up, since 12:03:04)". */
export function describeHolder(holder: LockHolder | null): string {
  if (!holder) return 'a process that is still writing the lock file';
  const parts = [holder.command, `since ${formatSince(new Date(holder.since))}`].filter(Boolean);
  return `pid ${holder.pid} on host ${holder.hostname} (${parts.join(', ')})`;
}

/** A time for "since ...": the local clock time, with the date when it is not today. */
export function formatSince(at: Date): string {
  if (Number.isNaN(at.getTime())) return 'an unknown time';
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  const today = new Date();
  return at.toDateString() === today.toDateString()
    ? time
    : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${time}`;
}

/** "10s", "1.5s", "250ms". */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(1))}s` : `${ms}ms`;
}

/** Creates the lock file if nobody has one; returns what it wrote, or null when it exists. */
function tryTake(file: string): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw e;
  }
  const holder: LockHolder = {
    pid: process.pid,
    hostname: os.hostname(),
    since: new Date().toISOString(),
    command: ['fmig', ...process.argv.slice(2)].map(maskUrl).join(' ').slice(0, 200),
  };
  const raw = JSON.stringify(holder) + '\n';
  try {
    fs.writeSync(fd, raw);
  } finally {
    fs.closeSync(fd);
  }
  held.set(file, raw);
  installExitHook();
  return raw;
}

function releaser(file: string, raw: string): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    removeIfOurs(file, raw);
  };
}

/** Deletes the lock file only while it is still the one we wrote. */
function removeIfOurs(file: string, raw: string): void {
  held.delete(file);
  if (readRaw(file) === raw) fs.rmSync(file, { force: true });
}

function isStale(file: string, raw: string, holder: LockHolder | null): boolean {
  if (!holder) return ageMs(file) > HALF_WRITTEN_MS;
  if (holder.hostname !== os.hostname()) return false; // cannot see that host's processes
  if (holder.pid === process.pid) return held.get(file) !== raw; // a leftover from an earlier run with our pid
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes a stale lock file; true when this process removed it. A short-lived guard file makes
 * this atomic: without it, two processes that both saw the same stale file could each delete
 * it, the slower one deleting the fresh lock the faster one had just taken.
 */
function takeOver(file: string, staleRaw: string): boolean {
  const guard = file + '.takeover';
  let fd: number;
  try {
    fd = fs.openSync(guard, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    if (ageMs(guard) > HALF_WRITTEN_MS) fs.rmSync(guard, { force: true }); // its taker died
    return false;
  }
  try {
    fs.closeSync(fd);
    if (readRaw(file) !== staleRaw) return false;
    fs.rmSync(file, { force: true });
    return true;
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

function readRaw(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function parseHolder(raw: string): LockHolder | null {
  try {
    const x = JSON.parse(raw) as Partial<LockHolder>;
    if (typeof x.pid !== 'number' || !Number.isInteger(x.pid) || x.pid <= 0) return null;
    return { pid: x.pid, hostname: String(x.hostname ?? os.hostname()), since: String(x.since ?? ''), command: String(x.command ?? '') };
  } catch {
    return null;
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** A process that exits without closing its database (process.exit on an error) still removes its lock files. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [file, raw] of [...held]) {
      try {
        removeIfOurs(file, raw);
      } catch {
        // exiting anyway; a file left behind is stale and will be taken over
      }
    }
  });
}
