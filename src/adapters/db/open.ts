/**
 * Opens the database a URL names (SPEC section 5), loading only the driver it needs, and turns
 * every way of not getting there into an UnreachableError (exit 3) that never shows a password.
 */
import path from 'node:path';
import type { Driver, OpenOptions } from './driver.js';
import { maskUrl, toDbError } from './driver.js';
import { FmigError, UnreachableError, UsageError } from '../../core/errors.js';
import { formatMs } from './lockfile.js';

const CONNECT_TIMEOUT_S = 10;

/** Where a URL points: a server, or PGlite in memory (`dir` null) or in an absolute directory. */
export type Target = { kind: 'postgres'; url: string } | { kind: 'pglite'; dir: string | null; label: string };

/** Parses a database URL; `pglite://<dir>` is relative to `baseDir` unless absolute. Throws UsageError. */
export function parseDatabaseUrl(url: string, baseDir: string): Target {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return { kind: 'postgres', url };
  if (scheme === 'pglite') {
    const rest = url.slice('pglite://'.length);
    if (rest === 'memory') return { kind: 'pglite', dir: null, label: 'memory' };
    if (rest === '') throw new UsageError(`the database URL ${url} names no directory`, 'write pglite://memory or pglite://<dir>, e.g. pglite://.fmig/pglite');
    return { kind: 'pglite', dir: path.resolve(baseDir, rest), label: rest };
  }
  throw new UsageError(
    `unsupported database URL ${maskUrl(url)}`,
    'use postgres://user@host/db, postgresql://..., pglite://<dir> or pglite://memory',
  );
}

/** Opens and checks the database at `url` with the work session's settings applied. Throws UnreachableError (exit 3). */
export async function openDatabase(url: string, opts: OpenOptions): Promise<Driver> {
  const { driver, ready } = await startDatabase(url, opts);
  await ready;
  return driver;
}

/**
 * Starts opening the database at `url`: the driver comes back at once, and `ready` settles when
 * the session's settings are applied (the connection check; it rejects with UnreachableError,
 * the driver closed). On a server, statements sent meanwhile queue behind the settings on the
 * same connection, so a caller can send its first query without waiting a round trip, and do
 * other work while connecting goes on. Throws UsageError for a URL it cannot use.
 */
export async function startDatabase(url: string, opts: OpenOptions): Promise<{ driver: Driver; ready: Promise<void> }> {
  const target = parseDatabaseUrl(url, opts.baseDir);
  if (target.kind === 'pglite') {
    const [{ openPglite }, { embeddedOpen }] = await Promise.all([import('./pglite.js'), import('./embedded-open.js')]);
    let driver: Driver;
    try {
      driver = await openPglite(target.dir, target.label, opts, embeddedOpen(target.dir, opts));
    } catch (e) {
      if (e instanceof FmigError) throw e;
      throw new UnreachableError(`could not open the embedded database ${url}: ${(e as Error).message ?? e}`);
    }
    try {
      await driver.exec(sessionSettings(opts));
    } catch (e) {
      await driver.close().catch(() => {});
      throw e;
    }
    return { driver, ready: Promise.resolve() };
  }
  const { openPostgres, scrub } = await import('./postgres.js');
  let driver: Driver;
  try {
    driver = openPostgres(url, CONNECT_TIMEOUT_S);
  } catch {
    // Node's URL error carries the whole URL, password included: not passed on.
    throw new UsageError(`the database URL ${maskUrl(url)} is not valid`, 'write it as postgres://user:password@host:port/database');
  }
  // The session settings are the first round trip, and so the connection check.
  const ready = driver.exec(sessionSettings(opts)).catch(async (e) => {
    await driver.close().catch(() => {});
    throw connectError(scrub(e, passwordOf(url)), driver.display, url);
  });
  ready.catch(() => {}); // the caller awaits it; until then a failure is not unhandled
  return { driver, ready };
}

/**
 * The work session's settings as a script. A `RESET ALL` or `DISCARD ALL` drops them, so
 * whoever resets the session between revisions runs this again.
 */
export function sessionSettings(opts: Pick<OpenOptions, 'lockTimeoutMs' | 'statementTimeoutMs'>): string {
  const ms = (n: number) => `'${Math.max(0, Math.floor(n))}ms'`;
  return `SET lock_timeout = ${ms(opts.lockTimeoutMs)}; SET statement_timeout = ${ms(opts.statementTimeoutMs)}; SET application_name = 'fmig'`;
}

/** What went wrong connecting, said so that the user knows what to fix. */
function connectError(e: unknown, display: string, url: string): UnreachableError {
  const x = (e ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof x.code === 'string' ? x.code : '';
  const db = toDbError(e);
  const prefix = `could not connect to ${display}`;
  switch (code) {
    case 'ECONNREFUSED':
      return new UnreachableError(`${prefix}: connection refused; is the server running?`, 'check the host and port in the database URL');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UnreachableError(`${prefix}: host ${hostOf(url)} not found`, 'check the host name in the database URL');
    case 'CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return new UnreachableError(
        `${prefix}: timed out after ${formatMs(CONNECT_TIMEOUT_S * 1000)}`,
        'check the host, port and any firewall between here and the server',
      );
    case '28P01':
      return new UnreachableError(`${prefix}: ${db?.message ?? 'password authentication failed'}`, 'check the user and password in the database URL (or PGPASSWORD)');
    case '28000':
      return new UnreachableError(`${prefix}: ${db?.message ?? 'the server refused this user'}`, 'check the user in the database URL and the server\'s pg_hba.conf');
    case '3D000':
      return new UnreachableError(
        `${prefix}: ${db?.message ?? 'the database does not exist'}`,
        `create it (createdb ${databaseOf(url)}) or fix the database name in the URL`,
      );
  }
  if (e instanceof FmigError) return e as UnreachableError;
  return new UnreachableError(`${prefix}: ${String(x.message ?? e)}${code && !String(x.message).includes(code) ? ` (${code})` : ''}`);
}

function hostOf(url: string): string {
  try {
    return `"${new URL(url).hostname}"`;
  } catch {
    return '(unreadable)';
  }
}

function databaseOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.slice(1)) || '<name>';
  } catch {
    return '<name>';
  }
}

function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}
