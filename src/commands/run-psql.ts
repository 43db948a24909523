/**
 * Runs a file the way `psql -1 -f` runs it (SPEC section 2, "Transaction control written in a
 * file"): fmig opens a transaction before the first statement, the file's COMMIT/ROLLBACK end
 * the block they are in (AND CHAIN opens the next), statements between a COMMIT and the next
 * BEGIN run on their own, and a block still open at the end commits with the ledger row.
 *
 * fmig's ledger writes go where they share the fate of what they record: the started row in
 * the first block, the progress of a block just before its COMMIT, the finish with the last
 * block when it commits at the end. So whatever stops the run (an error, a lost connection, a
 * killed process), `statements_done` never claims a block that was not committed, nor misses one
 * that was.
 */
import type { Driver } from '../adapters/db/driver.js';
import type { Statement } from '../core/split.js';
import { blockAt, isTransactionControl, type Block, type TxControl } from '../core/transactions.js';
import { mustRunAlone } from './steps.js';

export interface PsqlRecords {
  /** The revision's row, written in the first block (nothing, on a resume or for a down file). */
  started(): Promise<void>;
  progress(done: number): Promise<void>;
  /** The run completed: the row finished (up) or deleted (down). */
  finished(): Promise<void>;
}

export interface PsqlRun {
  db: Driver;
  statements: Statement[];
  blocks: Block[];
  /** Index of the first statement to run: 0, or where a failed run stopped (`statements_done`). */
  from: number;
  /** The file's text, for COPY data. */
  text: string;
  /** Runs one of fmig's writes: `inside` an open block of the file, or on its own. */
  write(inside: boolean, what: () => Promise<void>): Promise<void>;
  records: PsqlRecords;
}

/** Why a run stopped: statement `index` failed with `error`; `done` is where a resume starts, and whether a block was rolled back. */
export class PsqlStopped extends Error {
  constructor(
    readonly index: number,
    readonly error: unknown,
    readonly done: number,
    readonly block: Block | undefined,
  ) {
    super((error as Error)?.message ?? String(error));
  }
}

/** Sends one statement of the file: COPY data goes through the COPY protocol. */
export function sendStatement(db: Driver, text: string, st: Statement): Promise<void> {
  return st.copy ? db.copyFrom(st.text, text.slice(st.copy.start, st.copy.end)) : db.exec(st.text);
}

/** Runs the file from `from`; throws PsqlStopped, the open block rolled back, when a statement fails. */
export async function runLikePsql(run: PsqlRun): Promise<void> {
  const { db, statements, blocks, records } = run;
  const controls: (TxControl | null)[] = statements.map((s) => isTransactionControl(s.text));
  const last = statements.length - 1;
  let open = false;
  let finished = false;
  let i = run.from;

  const stop = async (index: number, e: unknown): Promise<never> => {
    const block = open ? blockAt(blocks, index) : undefined;
    if (open) await db.exec('ROLLBACK').catch(() => {});
    throw new PsqlStopped(index, e, block ? block.begin : index, block);
  };

  // Where the run starts, a block may have to be opened: fmig's own before the first
  // statement, or the one a chained COMMIT opened (the block before it is done or gone).
  const first = blocks.find((b) => b.begin === i);
  if (first && first.opener !== 'begin') {
    await db.exec('BEGIN');
    open = true;
    if (first.opener === 'chain') i++;
  }
  try {
    await run.write(open, records.started);
  } catch (e) {
    await stop(i, e);
  }

  for (; i < statements.length; i++) {
    const st = statements[i];
    const control = controls[i];
    const block = blockAt(blocks, i);
    const commits = open && block !== undefined && block.end === i && (control === 'commit' || control === 'commit-chain');
    if (!open && control === null && !mustRunAlone(st.text)) {
      // A statement on its own commits together with its progress row, so that a process killed
      // between the two cannot leave a resume to run it a second time.
      try {
        await db.exec('BEGIN');
        await sendStatement(db, run.text, st);
        await run.write(true, () => records.progress(i + 1));
        await db.exec('COMMIT');
      } catch (e) {
        await db.exec('ROLLBACK').catch(() => {});
        await stop(i, e);
      }
      continue;
    }
    try {
      if (commits && i === last && control === 'commit') {
        await run.write(true, records.finished);
        finished = true;
      } else if (commits) {
        // A chained block resumes at its COMMIT AND CHAIN, which then opens it afresh.
        await run.write(true, () => records.progress(control === 'commit-chain' ? i : i + 1));
      }
      await sendStatement(db, run.text, st);
    } catch (e) {
      await stop(i, e);
    }
    // A chained COMMIT/ROLLBACK leaves a block open, as it found one (outside one, it failed).
    if (control === 'begin') open = true;
    else if (control === 'commit' || control === 'rollback' || control === 'prepare-transaction') {
      const wasOpen = open;
      open = false;
      if (wasOpen && control === 'commit') continue; // its progress went in with it
    }
    if (!open) await run.write(false, () => records.progress(i + 1));
  }

  if (open) {
    // A block still open at the end commits together with the ledger row.
    try {
      await run.write(true, records.finished);
      await db.exec('COMMIT');
    } catch (e) {
      await stop(last, e);
    }
  } else if (!finished) {
    await run.write(false, records.finished);
  }
}
