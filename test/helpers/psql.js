/**
 * psql and pg_dump from the PostgreSQL client tools, as references for what fmig runs:
 *
 *   await psqlOne(url, ['/tmp/p/sql/001_a.up.sql']);   // psql -X -v ON_ERROR_STOP=1 -1 -f, file by file
 *   const ddl = await pgDumpSchema(url);               // pg_dump --schema-only, fmig's ledger left out
 *
 * Only with the server target (FMIG_TEST_DATABASE_URL): `clientTools` says whether both are installed.
 */
import { execFile, execFileSync } from 'node:child_process';

function has(bin) {
  try {
    execFileSync(bin, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const clientTools = has('psql') && has('pg_dump');

/** The environment without PG* variables, so only the URL decides where the tools connect. */
function env() {
  const out = { ...process.env };
  for (const k of Object.keys(out)) if (/^PG[A-Z]+$/.test(k)) delete out[k];
  return out;
}

function run(bin, args) {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { env: env(), maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${args.join(' ')} failed (${err.code}): ${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Runs each file with `psql -X -v ON_ERROR_STOP=1 -1 -f`, one psql per file, as fmig runs one revision per file. */
export async function psqlOne(url, files) {
  for (const f of files) await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-1', '-f', f, url]);
}

/** `pg_dump` of the database: its text, pg_dump's per-run `\restrict` key lines dropped. */
export async function pgDump(url, args = []) {
  const out = await run('pg_dump', ['--no-owner', '--no-privileges', ...args, url]);
  return out.replace(/^\\(un)?restrict .*\n/gm, '');
}

/** The schema as `pg_dump --schema-only` writes it, fmig's ledger tables left out. */
export function pgDumpSchema(url) {
  return pgDump(url, ['--schema-only', '-T', 'fmig_ledger*']);
}
