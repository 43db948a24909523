/**
 * A server's backups through PostgreSQL's own tools: `pg_dump --format=custom` and
 * `pg_restore`. The connection goes to them as a URL without its password on the command line
 * (which `ps` shows to everyone) and the password in PGPASSWORD; they never prompt for one.
 * Whatever they print is passed on with the password taken out.
 */
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { FmigError } from '../core/errors.js';
import { toolVersionNum, withoutPassword } from '../core/backup-name.js';

export interface ToolVersion {
  /** As server_version_num: 150010. */
  num: number;
  /** The tool's own line, e.g. `pg_dump (PostgreSQL) 15.10`. */
  text: string;
}

/** Where pg_restore is: beside a configured pg_dump, else on PATH. */
export function pgRestoreBeside(pgDump: string | null): string {
  return pgDump && pgDump.includes('/') ? path.join(path.dirname(pgDump), 'pg_restore') : 'pg_restore';
}

/** Runs `<bin> --version`; a tool that cannot be run, or prints no version, is an error naming it. */
export async function toolVersion(bin: string, env: Record<string, string | undefined>): Promise<ToolVersion> {
  const r = await run(bin, ['--version'], env, '');
  const text = r.stdout.trim().split('\n')[0] ?? '';
  const num = r.code === 0 ? toolVersionNum(text) : null;
  if (num === null) {
    throw new FmigError('backup-tool', `${bin} --version did not print a PostgreSQL version${r.code ? ` (exit ${r.code})` : ''}: ${oneLine(r.stderr || text) || 'no output'}`, 1, `check ${bin}`);
  }
  return { num, text };
}

/** The connection for pg_dump/pg_restore: `--dbname=<url without password>`, the password in PGPASSWORD. */
export function connection(url: string, env: Record<string, string | undefined>): { dbname: string; env: Record<string, string | undefined>; password: string } {
  let password = '';
  try {
    const u = new URL(url);
    password = decodeURIComponent(u.password) || u.searchParams.get('password') || '';
  } catch {
    // an unreadable URL: the driver has refused it before this is reached
  }
  return { dbname: withoutPassword(url), env: { ...env, ...(password ? { PGPASSWORD: password } : {}), PGAPPNAME: 'fmig' }, password };
}

/** Runs pg_dump into `file` (custom format); `onBytes` hears how much is written, a few times a second. */
export async function runPgDump(o: { bin: string; url: string; file: string; env: Record<string, string | undefined>; onBytes?: (n: number) => void }): Promise<void> {
  const c = connection(o.url, o.env);
  const r = await watching(o.file, o.onBytes, () => run(o.bin, ['--format=custom', '--no-password', `--file=${o.file}`, `--dbname=${c.dbname}`], c.env, c.password));
  if (r.code !== 0) throw new FmigError('backup-failed', `pg_dump failed (${r.signal ?? `exit ${r.code}`}): ${scrubbed(r.stderr, c.password) || 'no message'}`, 1);
}

/** Runs pg_restore of `file` into the database, in one transaction that stops at the first error. */
export async function runPgRestore(o: { bin: string; url: string; file: string; env: Record<string, string | undefined>; noOwner: boolean }): Promise<void> {
  const c = connection(o.url, o.env);
  const args = ['--exit-on-error', '--single-transaction', '--no-password', `--dbname=${c.dbname}`, ...(o.noOwner ? ['--no-owner', '--no-privileges'] : []), o.file];
  const r = await run(o.bin, args, c.env, c.password);
  if (r.code !== 0) throw new FmigError('restore-failed', `pg_restore failed (${r.signal ?? `exit ${r.code}`}): ${scrubbed(r.stderr, c.password) || 'no message'}`, 1);
}

interface Ran {
  code: number;
  signal: string | null;
  stdout: string;
  stderr: string;
}

function run(bin: string, args: string[], env: Record<string, string | undefined>, password: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(bin, args, { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      reject(notRunnable(bin, e));
      return;
    }
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', (e) => reject(notRunnable(bin, e)));
    child.on('close', (code, signal) => resolve({ code: code ?? 1, signal, stdout: scrubbed(stdout, password), stderr }));
  });
}

function notRunnable(bin: string, e: unknown): FmigError {
  const code = (e as { code?: string }).code;
  const why = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not executable' : String((e as Error).message ?? e);
  return new FmigError('backup-tool', `could not run ${bin}: ${why}`, 1, `install PostgreSQL's client tools, or set [backup] pg_dump in migrate.toml to pg_dump's path`);
}

/** Polls the size of `file` while `work` runs. */
async function watching<T>(file: string, onBytes: ((n: number) => void) | undefined, work: () => Promise<T>): Promise<T> {
  if (!onBytes) return work();
  const timer = setInterval(() => {
    stat(file).then(
      (s) => onBytes(s.size),
      () => {},
    );
  }, 250);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** A tool's message on one line or a few, without the password. */
function scrubbed(text: string, password: string): string {
  const t = password ? text.split(password).join('***') : text;
  return t.trim().split('\n').slice(-5).join('\n  ');
}

function oneLine(s: string): string {
  return s.trim().split('\n')[0] ?? '';
}
