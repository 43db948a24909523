/**
 * How a revision file runs (SPEC section 2, "Transaction control written in a file"): as one
 * script in fmig's transaction, or statement by statement, aware of the file's own
 * transaction blocks so a failed block can be resumed from its start.
 */
import { isSpace, leadingTokens, splitStatements, type Statement } from './split.js';

export type { Statement } from './split.js';

/** A top-level transaction control statement. `commit` includes END, `rollback` includes ABORT. */
export type TxControl =
  | 'begin'
  | 'commit'
  | 'rollback'
  | 'commit-chain'
  | 'rollback-chain'
  | 'savepoint'
  | 'release'
  | 'rollback-to'
  | 'prepare-transaction'
  | 'commit-prepared'
  | 'rollback-prepared';

/**
 * One of the file's own transaction blocks, as indexes into the statements: `begin` opens it
 * (a BEGIN, or a COMMIT/ROLLBACK AND CHAIN that also closes the block before), `end` closes it.
 * `unterminated` marks a block the file never closes; its `end` is then the last statement.
 * `opener` says what opens it: the file's BEGIN, a chained COMMIT/ROLLBACK, or fmig's own
 * BEGIN before the file's first statement (a file run the way `psql -1` runs it).
 */
export interface Block {
  begin: number;
  end: number;
  opener: 'begin' | 'chain' | 'fmig';
  unterminated?: true;
}

export type ExecutionPlan =
  | {
      mode: 'transaction';
      /** The file's SQL to run; same lines and columns as the file. */
      script: string;
      /** The statements of `script`, each sent on its own (offsets are the file's). */
      statements: Statement[];
      /**
       * Present when the file's own BEGIN … COMMIT pair was blanked out of `script`. `modes` is
       * what followed the BEGIN (e.g. `ISOLATION LEVEL SERIALIZABLE`), '' when nothing did: the
       * runner issues `SET TRANSACTION <modes>` first in its transaction to honour it.
       */
      ownTransaction?: { modes: string };
    }
  | {
      mode: 'statements';
      statements: Statement[];
      blocks: Block[];
      /**
       * fmig opens a transaction before the first statement, as `psql -1` does: the file has
       * transaction control of its own ('own-transactions') or COPY data ('copy-data').
       */
      opening: boolean;
      reason: 'no-transaction' | 'own-transactions' | 'copy-data' | 'cannot-run-in-transaction';
      /** For 'cannot-run-in-transaction': the first such statement, e.g. `CREATE INDEX CONCURRENTLY`. */
      because?: string;
    };

const OPT_TRANSACTION = new Set(['work', 'transaction']);

/** The kind of transaction control `stmt` is, or null for any other statement (BEGIN ATOMIC included). */
export function isTransactionControl(stmt: string): TxControl | null {
  const t = leadingTokens(stmt, 6).map((tok) => tok.value);
  const afterOpt = OPT_TRANSACTION.has(t[1]) ? 2 : 1;
  const chained = t[afterOpt] === 'and' && t[afterOpt + 1] === 'chain';
  switch (t[0]) {
    case 'begin':
      return t[1] === 'atomic' ? null : 'begin';
    case 'start':
      return t[1] === 'transaction' ? 'begin' : null;
    case 'commit':
      if (t[1] === 'prepared') return 'commit-prepared';
      return chained ? 'commit-chain' : 'commit';
    case 'end':
      return chained ? 'commit-chain' : 'commit';
    case 'abort':
      return chained ? 'rollback-chain' : 'rollback';
    case 'rollback':
      if (t[1] === 'prepared') return 'rollback-prepared';
      if (t[afterOpt] === 'to') return 'rollback-to';
      return chained ? 'rollback-chain' : 'rollback';
    case 'savepoint':
      return 'savepoint';
    case 'release':
      return 'release';
    case 'prepare':
      // PREPARE TRANSACTION <string> ('', E'', U&'', $$...$$) ends the transaction; PREPARE name
      // [(types)] AS … is a prepared statement, which may be named `transaction`.
      return t[1] === 'transaction' && t[2] !== undefined && t[2] !== 'as' && t[2] !== '(' ? 'prepare-transaction' : null;
    default:
      return null;
  }
}

/**
 * The file's transaction blocks, given each statement's transaction control; with `opening`,
 * as `psql -1` runs the file: a block is open before its first statement.
 */
export function findBlocks(controls: (TxControl | null)[], opening = false): Block[] {
  const blocks: Block[] = [];
  let open = opening && controls.length > 0 ? 0 : -1;
  let opener: Block['opener'] = 'fmig';
  controls.forEach((control, i) => {
    // Outside a block PostgreSQL only warns about a stray COMMIT and errors on SAVEPOINT and
    // the AND CHAIN forms; neither opens a block, so neither changes where a resume starts.
    // Inside one, a BEGIN only draws a warning.
    if (control === 'begin') {
      if (open < 0) {
        open = i;
        opener = 'begin';
      }
    } else if (control === 'commit' || control === 'rollback' || control === 'prepare-transaction') {
      if (open >= 0) blocks.push({ begin: open, end: i, opener });
      open = -1;
    } else if (control === 'commit-chain' || control === 'rollback-chain') {
      if (open >= 0) {
        blocks.push({ begin: open, end: i, opener });
        open = i;
        opener = 'chain';
      }
    }
  });
  if (open >= 0) blocks.push({ begin: open, end: controls.length - 1, opener, unterminated: true });
  return blocks;
}

/** Decides how a file runs; `noTransaction` is its `-- fmig:no-transaction` directive. */
export function planExecution(sql: string, noTransaction: boolean): ExecutionPlan {
  const statements = splitStatements(sql);
  if (statements.length === 0) return { mode: 'transaction', script: '', statements };
  const controls = statements.map((s) => isTransactionControl(s.text));
  if (noTransaction) return { mode: 'statements', statements, blocks: findBlocks(controls), opening: false, reason: 'no-transaction' };
  // PostgreSQL refuses these inside any transaction; a file holding one runs the way psql and
  // golang-migrate would run it, statement by statement, with no transaction opened for it.
  for (const st of statements) {
    const because = cannotRunInTransaction(st.text);
    if (because) return { mode: 'statements', statements, blocks: findBlocks(controls), opening: false, reason: 'cannot-run-in-transaction', because };
  }
  const controlCount = controls.filter((c) => c !== null).length;
  // COPY data goes through the COPY protocol, one statement at a time, in one transaction all the same.
  const copies = statements.some((s) => s.copy);
  const last = statements.length - 1;
  if (!copies && controlCount === 0) return { mode: 'transaction', script: sql, statements };
  if (!copies && controlCount === 2 && last > 0 && controls[0] === 'begin' && controls[last] === 'commit') {
    const script = blank(sql, [statements[0], statements[last]]);
    return { mode: 'transaction', script, statements: statements.slice(1, last), ownTransaction: { modes: transactionModes(statements[0].text) } };
  }
  return { mode: 'statements', statements, blocks: findBlocks(controls, true), opening: true, reason: controlCount ? 'own-transactions' : 'copy-data' };
}

/** The block a failure at statement `index` rolls back: `statements_done` goes back to its `begin`. */
export function blockAt(blocks: Block[], index: number): Block | undefined {
  return blocks.find((b) => b.begin <= index && index <= b.end);
}

/** One line for `--dry-run`: how the file will run. */
export function describeExecution(plan: ExecutionPlan): string {
  if (plan.mode === 'transaction') {
    return plan.ownTransaction ? "one transaction (the file's own BEGIN/COMMIT replaced by fmig's)" : 'one transaction';
  }
  const n = plan.blocks.length;
  const blocks = `the file's own ${n} transaction block${n === 1 ? '' : 's'}`;
  if (plan.reason === 'cannot-run-in-transaction') {
    return `statement by statement, no transaction (${plan.because} cannot run inside one)`;
  }
  if (plan.reason === 'no-transaction') {
    return `statement by statement, no transaction (-- fmig:no-transaction)${n ? `, ${blocks}` : ''}`;
  }
  if (plan.reason === 'copy-data') return 'one transaction, statement by statement (COPY data goes through the COPY protocol)';
  return `as psql -1 runs it: ${describeBlocks(plan.statements.length, plan.blocks)}`;
}

/** E.g. "transaction blocks of statements 1-3 and 4-6, statement 7 on its own; the last block commits with the ledger row". */
function describeBlocks(count: number, blocks: Block[]): string {
  const range = (a: number, b: number) => (a === b ? `${a + 1}` : `${a + 1}-${b + 1}`);
  const list = (xs: string[]) => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
  const inBlock = new Set<number>();
  for (const b of blocks) for (let i = b.begin; i <= b.end; i++) inBlock.add(i);
  const alone: string[] = [];
  for (let i = 0; i < count; i++) {
    if (inBlock.has(i)) continue;
    let j = i;
    while (j + 1 < count && !inBlock.has(j + 1)) j++;
    alone.push(range(i, j));
    i = j;
  }
  const parts = [`${blocks.length} transaction block${blocks.length === 1 ? '' : 's'} (statements ${list(blocks.map((b) => range(b.begin, b.end)))})`];
  if (alone.length) parts.push(`statement${alone.length === 1 && !alone[0].includes('-') ? '' : 's'} ${list(alone)} on ${alone.length === 1 && !alone[0].includes('-') ? 'its' : 'their'} own`);
  const last = blocks[blocks.length - 1];
  const tail = last?.unterminated ? '; the last block commits with the ledger row' : '';
  return parts.join(', ') + tail;
}

/**
 * The statements PostgreSQL will not run inside a transaction block, named as the user wrote
 * them (upper-cased); null for any other statement.
 */
export function cannotRunInTransaction(stmt: string): string | null {
  const t = leadingTokens(stmt, 12).map((tok) => tok.value);
  const name = (n: number) => t.slice(0, n).join(' ').toUpperCase();
  switch (t[0]) {
    case 'create':
      if (t[1] === 'index' && t[2] === 'concurrently') return 'CREATE INDEX CONCURRENTLY';
      if (t[1] === 'unique' && t[2] === 'index' && t[3] === 'concurrently') return 'CREATE UNIQUE INDEX CONCURRENTLY';
      if (t[1] === 'database' || t[1] === 'tablespace' || t[1] === 'subscription') return name(2);
      return null;
    case 'drop':
      if (t[1] === 'index' && t[2] === 'concurrently') return 'DROP INDEX CONCURRENTLY';
      if (t[1] === 'database' || t[1] === 'tablespace' || t[1] === 'subscription') return name(2);
      return null;
    case 'reindex':
      return t.includes('concurrently') ? 'REINDEX CONCURRENTLY' : null;
    case 'alter':
      return t[1] === 'system' ? 'ALTER SYSTEM' : null;
    case 'vacuum':
      return 'VACUUM';
  }
  return null;
}

/** What follows `BEGIN [WORK|TRANSACTION]` or `START TRANSACTION`, comments dropped, e.g. `ISOLATION LEVEL SERIALIZABLE, READ ONLY`. */
function transactionModes(begin: string): string {
  const tokens = leadingTokens(begin, Infinity);
  const skip = tokens[0].value === 'start' || OPT_TRANSACTION.has(tokens[1]?.value) ? 2 : 1;
  return tokens
    .slice(skip)
    .map((t) => begin.slice(t.start, t.end))
    .join(' ')
    .replace(/ ,/g, ',');
}

/**
 * `sql` with the statements and their semicolons turned into spaces, one per code point and line
 * breaks kept, so PostgreSQL's character positions still land on the same line and column.
 */
function blank(sql: string, statements: Statement[]): string {
  let out = '';
  let from = 0;
  for (const s of statements) {
    let to = s.end;
    while (to < sql.length && isSpace(sql.charCodeAt(to))) to++;
    to = sql.charCodeAt(to) === 0x3b ? to + 1 : s.end;
    out += sql.slice(from, s.start);
    for (const ch of sql.slice(s.start, to)) out += ch === '\n' || ch === '\r' ? ch : ' ';
    from = to;
  }
  return out + sql.slice(from);
}
