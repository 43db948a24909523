/**
 * Ctrl-C (SIGINT) and SIGTERM during a command that changes the database. The first signal does
 * not kill fmig: it cancels the statement running on the server and stops before the next
 * revision, so the running revision rolls back (or, run statement by statement, records how far
 * it got) and fmig's lock is released only after that, as on any failure. The command then
 * says what is applied and exits 130 (SIGINT) or 143 (SIGTERM). A second signal quits at once.
 */
import type { Driver } from '../adapters/db/driver.js';
import { FmigError } from '../core/errors.js';
import type { Reporter } from './context.js';

/** The run was stopped by a signal; the message says what is applied. */
export class Interrupted extends FmigError {
  constructor(signal: NodeJS.Signals, message: string, hint?: string) {
    super('interrupted', message, signal === 'SIGTERM' ? 143 : 130, hint);
  }
}

export interface Interruption {
  /** The signal received, or null. */
  readonly signal: NodeJS.Signals | null;
  /** The database whose running statement a signal cancels. */
  watch(db: Driver): void;
  /** Throws Interrupted (with `what`) when a signal came: called between revisions. */
  stopIfAsked(what: () => string): void;
  /** Puts back the default handling of the signals. */
  dispose(): void;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Catches SIGINT and SIGTERM until dispose(). */
export function catchInterrupts(report: Reporter): Interruption {
  let signal: NodeJS.Signals | null = null;
  let db: Driver | undefined;
  const on = (s: NodeJS.Signals) => {
    if (signal) {
      // The second signal: the user will not wait. The cancel request was sent already.
      process.exit(s === 'SIGTERM' ? 143 : 130);
    }
    signal = s;
    report.warn(
      `${s}: stopping${db?.cancel ? ' (cancelling the running statement; its transaction rolls back)' : ' after the running statement'}; send it again to quit at once`,
    );
    void db?.cancel?.().catch(() => {});
  };
  for (const s of SIGNALS) process.on(s, on);
  return {
    get signal() {
      return signal;
    },
    watch(d) {
      db = d;
    },
    stopIfAsked(what) {
      if (signal) throw new Interrupted(signal, `interrupted by ${signal}: ${what()}`, 'run the command again to go on; `fmig status` shows the state');
    },
    dispose() {
      for (const s of SIGNALS) process.off(s, on);
    },
  };
}
