/**
 * Opens the database a URL names (SPEC section 5), loading only the driver it needs, and turns
 * every way of not getting there into an UnreachableError (exit 3) that never shows a password.
 */
import path from 'node:path';
import type { Driver, OpenOptions } from './driver.js';
import type { PostgresDriver } from './postgres.js';
import { ident, maskUrl, needsEncoding, toDbError } from './driver.js';
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
  if (needsEncoding(url)) throw invalidUrl(url);
  const { openPostgres, scrub } = await import('./postgres.js');
  let driver: PostgresDriver;
  const limitS = connectTimeoutOf(url);
  try {
    driver = openPostgres(url, limitS, opts.searchPath);
  } catch {
    // Node's URL error carries the whole URL, password included: not passed on.
    throw invalidUrl(url);
  }
  // The session settings are the first round trip, and so the connection check. The driver's
  // own connect timeout stops at the socket (and restarts on every reconnect): a listener that
  // is not PostgreSQL, answering with HTTP or garbage, or hanging up after each start-up
  // message, would keep it connecting for ever. So the whole start-up has one deadline.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HandshakeTimeout()), limitS * 1000 + 250);
  });
  const ready = Promise.race([driver.exec(sessionSettings(opts)), deadline]).then(
    () => clearTimeout(timer),
    async (e) => {
      clearTimeout(timer);
      await (e instanceof HandshakeTimeout ? driver.abort() : driver.close()).catch(() => {});
      throw connectError(scrub(e, passwordOf(url)), driver.display, url, limitS);
    },
  );
  ready.catch(() => {}); // the caller awaits it; until then a failure is not unhandled
  return { driver, ready };
}

function invalidUrl(url: string): UsageError {
  return new UsageError(
    `the database URL ${maskUrl(url)} is not valid: special characters in the user or password (@ : / ? # % and spaces) must be percent-encoded`,
    'write it as postgres://user:password@host:port/database, the password percent-encoded (@ as %40, / as %2F, # as %23, ? as %3F, : as %3A, % as %25)',
  );
}

/**
 * The work session's settings as a script. A `RESET ALL` or `DISCARD ALL` drops them, so
 * whoever resets the session between revisions runs this again.
 */
export function sessionSettings(opts: Pick<OpenOptions, 'lockTimeoutMs' | 'statementTimeoutMs' | 'searchPath'>): string {
  const ms = (n: number) => `'${Math.max(0, Math.floor(n))}ms'`;
  const path = opts.searchPath ? `; SET search_path = ${ident(opts.searchPath)}` : '';
  return `SET lock_timeout = ${ms(opts.lockTimeoutMs)}; SET statement_timeout = ${ms(opts.statementTimeoutMs)}; SET application_name = 'fmig'${path}`;
}

/** What went wrong connecting, said so that the user knows what to fix. */
function connectError(e: unknown, display: string, url: string, limitS: number): UnreachableError {
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
    case 'HANDSHAKE_TIMEOUT':
      return new UnreachableError(
        `${prefix}: timed out after ${formatMs(limitS * 1000)} without completing PostgreSQL's start-up`,
        "check the host and port (a PostgreSQL server's, not an HTTP proxy or another service) and any firewall between here and the server; `?connect_timeout=<seconds>` in the URL sets the limit",
      );
    case '28P01':
      return new UnreachableError(`${prefix}: ${db?.message ?? 'password authentication failed'}`, 'check the user and password in the database URL (or PGPASSWORD)');
    case '28000':
      return new UnreachableError(
        `${prefix}: ${db?.message ?? 'the server refused this user'}`,
        sslHint(db?.message ?? '', code, url) ?? 'check the user in the database URL and the server\'s pg_hba.conf',
      );
    case '3D000':
      return new UnreachableError(
        `${prefix}: ${db?.message ?? 'the database does not exist'}`,
        `create it (createdb ${databaseOf(url)}) or fix the database name in the URL`,
      );
  }
  if (e instanceof FmigError) return e as UnreachableError;
  return new UnreachableError(`${prefix}: ${String(x.message ?? e)}${code && !String(x.message).includes(code) ? ` (${code})` : ''}`, sslHint(String(x.message ?? ''), code, url));
}

/** Raised when the start-up handshake has not finished in time. */
class HandshakeTimeout extends Error {
  readonly code = 'HANDSHAKE_TIMEOUT';
  constructor() {
    super('the start-up handshake did not finish in time');
  }
}

/** The URL's `connect_timeout` (seconds, as libpq reads it) where it is a positive whole number; else fmig's default. */
function connectTimeoutOf(url: string): number {
  const m = /[?&]connect_timeout=(\d+)(?:&|$)/.exec(url);
  const n = m ? Number(m[1]) : 0;
  return n > 0 ? n : CONNECT_TIMEOUT_S;
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

/** What to try when connecting failed over SSL (or for the want of it): the sslmode to set. */
function sslHint(message: string, code: string, url: string): string | undefined {
  const mode = /[?&]sslmode=([^&]*)/i.exec(url)?.[1];
  if (/SSL off|no encryption/i.test(message)) return 'the server accepts this user only over SSL: add ?sslmode=require to the database URL';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code) || /certificate/i.test(message)) {
    return "the server's SSL certificate could not be verified: use sslmode=verify-full with sslrootcert=<the CA's file> to verify it, or sslmode=require to encrypt without verifying";
  }
  if (/\b(SSL|TLS)\b/i.test(message)) {
    return mode && mode !== 'disable'
      ? `SSL could not be set up with sslmode=${mode}: if the server does not offer SSL, use sslmode=disable (or prefer); if it does, check its SSL settings`
      : 'SSL could not be set up: try sslmode=require in the database URL, or sslmode=disable if the server does not offer SSL';
  }
  return undefined;
}
