/**
 * One statement of a statement-by-statement file, run so that a process killed at any moment
 * leaves a ledger that agrees with the schema:
 *
 * - a statement that may run inside a transaction runs in one with its progress row, so the
 *   two commit together or not at all;
 * - the COMMIT that closes one of the file's own blocks carries the progress row inside the
 *   block, so the block and its record commit together;
 * - a statement that cannot run inside a transaction (CREATE INDEX CONCURRENTLY, VACUUM ...)
 *   is recorded as started before it runs and done after; a resume that finds it started and
 *   not done decides from the database what is left to do, and says what it decided.
 */
import type { Session } from '../adapters/db/driver.js';
import { ScriptFailed } from '../adapters/db/driver.js';
import { leadingTokens } from '../core/split.js';
import { cannotRunInTransaction, isTransactionControl, type Block } from '../core/transactions.js';
import type { RunEnv } from './apply.js';
import { REVERTING } from '../core/drift.js';

/** How a statement-by-statement run records a step; no `progressSql` where progress is not kept (a revert). */
export interface StepRecords {
  /** The statement that sets `statements_done`, to run inside the step's transaction. */
  progressSql?: (done: number) => string;
  /** Records, before it runs, that the statement after `done` has started. */
  stepStarted?: (done: number, note: string) => Promise<void>;
  /** A down file: its notes name `fmig down --resume`. */
  reverting?: boolean;
}

/** Where a statement stands in its file, which decides how it runs. */
type Place = 'block' | 'block-commit' | 'alone' | 'plain';

const STARTED = 'interrupted: statement';


/** The note a started statement leaves in the ledger row's `error` until it is done. */
export function startedNote(index: number, total: number, what: string, reverting = false): string {
  const said = `${index + 1} of ${total} (${what}) was started at ${new Date().toISOString()} and not seen to finish`;
  return reverting
    ? `${REVERTING} down statement ${said}; \`fmig down --resume\` decides from the database whether it is done`
    : `${STARTED} ${said}; \`fmig up --resume\` decides from the database whether it is done`;
}

/**
 * The note an applied revision's row keeps while its down file runs statement by statement,
 * and after it stopped part-way: the row stays (the revision is not reverted until its down
 * has run in full), and `statements_done` counts the down file's statements done.
 */
export function revertingNote(done: number, total: number): string {
  return `${REVERTING} its down file stopped after ${done} of ${total} statement(s); \`fmig down --resume\` runs the rest`;
}


/**
 * The statements that run on their own, outside any transaction: those PostgreSQL refuses in
 * one, and those that may end a transaction themselves (a DO block or a procedure that
 * commits); null for any other.
 */
export function mustRunAlone(text: string): string | null {
  const refused = cannotRunInTransaction(text);
  if (refused) return refused;
  const t = leadingTokens(text, 8).map((tok) => tok.value);
  if ((t[0] === 'do' || t[0] === 'call') && /\b(commit|rollback)\b/i.test(text)) return `${t[0].toUpperCase()} with its own COMMIT`;
  if (t[0] === 'discard') return 'DISCARD';
  if (t[0] === 'reindex' && ['system', 'database', 'schema'].includes(t[1] === '(' ? t[t.indexOf(')') + 1] : t[1])) return 'REINDEX';
  if (t[0] === 'cluster' && t.length === 1) return 'CLUSTER';
  if (t[0] === 'alter' && t[1] === 'table' && t.includes('detach') && /\bconcurrently\b/i.test(text)) return 'DETACH PARTITION CONCURRENTLY';
  return null;
}

function placeOf(text: string, index: number, blocks: Block[]): Place {
  const closes = blocks.find((b) => b.end === index && !b.unterminated);
  const control = isTransactionControl(text);
  if (closes && (control === 'commit' || control === 'commit-chain')) return 'block-commit';
  if (control || blocks.some((b) => b.begin <= index && index <= b.end)) return 'block';
  return mustRunAlone(text) ? 'alone' : 'plain';
}

/**
 * Runs statement `index` of `statements`; true when its progress is already recorded (with it,
 * in one transaction). `resumed`: the first statement of a resumed run, which an earlier run
 * may have started.
 */
export async function runStep(
  env: RunEnv,
  statements: readonly { text: string; copy?: unknown }[],
  index: number,
  blocks: Block[],
  resumed: boolean,
  record: StepRecords,
  localSettings: string,
  /** Sends the statement itself: a COPY's data goes through the COPY protocol. */
  send: () => Promise<void>,
): Promise<boolean> {
  const text = statements[index].text;
  const copy = !!statements[index].copy;
  const place = placeOf(text, index, blocks);
  const progress = record.progressSql;
  if (place === 'block' || !progress) {
    await send();
    return false;
  }
  if (place === 'block-commit') {
    await env.db.exec(`${localSettings}; ${progress(index + 1)}`);
    await send();
    return true;
  }
  if (place === 'plain' && copy) {
    // transact() cannot carry COPY data: the same transaction, one message at a time.
    await env.db.exec('BEGIN');
    try {
      await send();
      await env.db.exec(`${localSettings}; ${progress(index + 1)}`);
      await env.db.exec('COMMIT');
    } catch (e) {
      await env.db.exec('ROLLBACK').catch(() => {});
      throw e;
    }
    return true;
  }
  if (place === 'plain') {
    try {
      await env.db.transact([text, `${localSettings}; ${progress(index + 1)}`]);
    } catch (e) {
      throw e instanceof ScriptFailed ? e.reason : e;
    }
    return true;
  }
  if (resumed) {
    const decision = await decide(env.db, text);
    env.notice?.(`statement ${index + 1} (${mustRunAlone(text)}) was started by an earlier run: ${decision.said}`);
    if (decision.drop) await env.db.exec(decision.drop);
    if (decision.done) return false;
  }
  await record.stepStarted?.(index, startedNote(index, statements.length, mustRunAlone(text) ?? 'statement', record.reverting));
  await send();
  return false;
}

interface Decision {
  /** What fmig found and will do, for the user. */
  said: string;
  /** Already done: record it and go on. */
  done?: boolean;
  /** A statement to run first (dropping an invalid index left behind). */
  drop?: string;
}

/** What an earlier run of `text` left in the database, and so what is left to do. */
export async function decide(db: Session, text: string): Promise<Decision> {
  const create = createdIndex(text);
  if (create) {
    const found = await indexOn(db, create.table, create.name);
    if (!found) return { said: `index ${create.name} does not exist: running it` };
    if (found.valid) return { said: `index ${found.qualified} exists and is valid: done`, done: true };
    return { said: `index ${found.qualified} exists but is INVALID (a build that did not finish): dropping it and building it again`, drop: `DROP INDEX CONCURRENTLY IF EXISTS ${found.qualified}` };
  }
  const dropped = droppedIndexes(text);
  if (dropped) {
    const [row] = await db.query<{ left: number }>(`select count(*)::int as left from unnest($1::text[]) n where to_regclass(n) is not null`, [dropped]);
    return row.left === 0 ? { said: `index ${dropped.join(', ')} is already gone: done`, done: true } : { said: 'the index is still there: running it' };
  }
  const t = leadingTokens(text, 2).map((tok) => tok.value);
  if (t[0] === 'vacuum' || t[0] === 'analyze' || t[0] === 'reindex' || t[0] === 'discard' || t[0] === 'cluster') {
    return { said: 'repeating it is harmless: running it again' };
  }
  return { said: 'fmig cannot tell from the database whether it finished: running it again' };
}

/** `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON [ONLY] table`: the name and table as written; null for anything else or an unnamed index. */
export function createdIndex(text: string): { name: string; table: string } | null {
  const toks = leadingTokens(text, 40);
  const v = toks.map((t) => t.value);
  let i = v[1] === 'unique' ? 2 : 1;
  if (v[0] !== 'create' || v[i] !== 'index' || v[i + 1] !== 'concurrently') return null;
  i += 2;
  if (v[i] === 'if' && v[i + 1] === 'not' && v[i + 2] === 'exists') i += 3;
  if (v[i] === 'on') return null; // no name: PostgreSQL makes one up
  const name = text.slice(toks[i].start, toks[i].end);
  if (v[i + 1] !== 'on') return null;
  i += 2;
  if (v[i] === 'only') i++;
  let table = '';
  for (; i < toks.length && v[i] !== '(' && v[i] !== 'using'; i++) table += text.slice(toks[i].start, toks[i].end);
  return table ? { name, table } : null;
}

/** `DROP INDEX CONCURRENTLY [IF EXISTS] name [, ...]`: the names as written; null for anything else. */
export function droppedIndexes(text: string): string[] | null {
  const toks = leadingTokens(text, 60);
  const v = toks.map((t) => t.value);
  if (v[0] !== 'drop' || v[1] !== 'index' || v[2] !== 'concurrently') return null;
  let i = v[3] === 'if' && v[4] === 'exists' ? 5 : 3;
  const names: string[] = [];
  let name = '';
  for (; i < toks.length && v[i] !== 'cascade' && v[i] !== 'restrict' && v[i] !== ';'; i++) {
    if (v[i] === ',') {
      names.push(name);
      name = '';
    } else name += text.slice(toks[i].start, toks[i].end);
  }
  if (name) names.push(name);
  return names.length ? names : null;
}

/** The index `name` (as written, quoted or not) on `table`; null when there is none. */
async function indexOn(db: Session, table: string, name: string): Promise<{ qualified: string; valid: boolean } | null> {
  const rows = await db.query<{ qualified: string; valid: boolean }>(
    `select i.indexrelid::regclass::text as qualified, i.indisvalid as valid
       from pg_index i join pg_class c on c.oid = i.indexrelid
      where i.indrelid = to_regclass($1) and c.relname = $2`,
    [table, unquote(name)],
  );
  return rows[0] ?? null;
}

/** An identifier as PostgreSQL stores it: a quoted one verbatim, any other folded to lower case. */
function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase();
}

/** Whether a ledger row's error is the note of a statement started and not seen to finish. */
export function isStartedNote(error: string | null): boolean {
  return !!error && error.startsWith(STARTED);
}

/** The INVALID indexes that a revision's CREATE INDEX CONCURRENTLY statements left behind (a build that failed or was cut off). */
export async function invalidIndexes(db: Session, statements: readonly { text: string }[]): Promise<{ index: string; statement: number }[]> {
  const found: { index: string; statement: number }[] = [];
  for (const [i, st] of statements.entries()) {
    const create = createdIndex(st.text);
    if (!create) continue;
    const at = await indexOn(db, create.table, create.name);
    if (at && !at.valid) found.push({ index: at.qualified, statement: i + 1 });
  }
  return found;
}
