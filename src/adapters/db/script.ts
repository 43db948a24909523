/**
 * A Driver that runs nothing: it writes what it is given, in order, as a script for `psql -X
 * -f`. fmig's runner (apply.ts, steps.ts, run-psql.ts) drives it as it drives a database, so
 * the script holds exactly what `fmig up`/`fmig down` would send: the revisions' statements,
 * their transactions, the ledger and log writes, COPY data. A query's `$n` parameters are
 * written as literals; it returns no rows (the runner reads none when nothing fails).
 */
import type { Driver, LockOptions, Session } from './driver.js';
import { literal } from './ledger.js';

export class ScriptDriver implements Driver {
  readonly kind = 'postgres' as const;
  readonly embedded = false;
  readonly display = 'a psql script';
  private readonly parts: string[] = [];

  /** `rewrite` is given each piece of SQL before it is written (see sql-script.ts: who applied it). */
  constructor(private readonly rewrite: (sql: string) => string = (sql) => sql) {}

  /** The script so far. */
  text(): string {
    return this.parts.join('');
  }

  /** Writes a line or more as they are (psql meta-commands, comments). */
  raw(text: string): void {
    this.parts.push(text.endsWith('\n') ? text : text + '\n');
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    this.statement(inline(sql, params));
    return [];
  }

  async exec(sql: string): Promise<void> {
    this.statement(sql);
  }

  async transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T> {
    this.statement('BEGIN');
    const out = await fn(this);
    this.statement('COMMIT');
    return out;
  }

  async transact(scripts: readonly string[]): Promise<void> {
    this.statement('BEGIN');
    for (const s of scripts) this.statement(s);
    this.statement('COMMIT');
  }

  /** psql reads a `COPY ... FROM stdin`'s data from the script itself, up to the line `\.`. */
  async copyFrom(statement: string, data: string): Promise<void> {
    this.statement(statement);
    this.parts.push(data, data === '' || data.endsWith('\n') ? '' : '\n', '\\.\n');
  }

  monitor(): Session | null {
    return null;
  }

  async lock(_options: LockOptions): Promise<() => Promise<void>> {
    return async () => {};
  }

  async close(): Promise<void> {}

  private statement(sql: string): void {
    const text = this.rewrite(sql.replace(/^\s+|\s+$/g, ''));
    if (!text) return;
    // A last line that is a `--` comment would swallow the semicolon.
    const last = text.slice(text.lastIndexOf('\n') + 1);
    this.parts.push(text.endsWith(';') && !last.includes('--') ? `${text}\n` : last.includes('--') ? `${text}\n;\n` : `${text};\n`);
  }
}

/** A query's `$1`-style parameters written into it as literals. */
function inline(sql: string, params: unknown[]): string {
  if (!params.length) return sql;
  return sql.replace(/\$(\d+)/g, (m, n: string) => {
    const i = Number(n) - 1;
    if (i >= params.length) return m;
    const v = params[i];
    if (v === undefined || v === null) return 'NULL';
    if (typeof v === 'number' || typeof v === 'string' || Array.isArray(v)) return literal(v as string | number | string[]);
    throw new Error(`a parameter fmig cannot write into a script: ${typeof v}`);
  });
}
