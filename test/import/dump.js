/**
 * The schema of a test database as `pg_dump --schema-only` prints it on the server (fmig's
 * ledger and the other tool's ledger left out), or as the snapshot of helpers/cli.js on PGlite.
 */
import { execFile } from 'node:child_process';
import { snapshot } from '../helpers/cli.js';

/** Ledger tables of fmig and of the tools imported from: not part of the schema compared. */
const LEDGERS = ['fmig_ledger*', 'alembic_version', 'schema_migrations', 'goose_db_version*', 'flyway_schema_history', '__diesel_schema_migrations', '_prisma_migrations'];

export async function schemaOf(target, url) {
  if (target.kind !== 'postgres') return (await snapshot(url)).filter((l) => !LEDGERS.some((t) => l.includes(t.replace('*', ''))));
  const args = ['--schema-only', '--no-owner', '--no-privileges', ...LEDGERS.flatMap((t) => ['-T', t]), url];
  const out = await new Promise((resolve, reject) =>
    execFile('pg_dump', args, { maxBuffer: 64 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(`pg_dump: ${stderr || err.message}`)) : resolve(stdout))),
  );
  // Lines that differ between two dumps of the same schema: comments naming the database, \restrict keys.
  return out.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('--') && !/^\\(un)?restrict /.test(l));
}
