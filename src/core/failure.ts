/** A failed statement shown like a compiler error: file:line:column, SQLSTATE, message, detail, hint, the line and a caret. */
import { caret, locate } from './position.js';

export interface StatementError {
  sqlstate?: string;
  message: string;
  detail?: string;
  hint?: string;
  /** 1-based character position within the text that was sent. */
  position?: number;
  where?: string;
}

export interface FailureSite {
  /** The file's path as the user sees it. */
  file: string;
  /** The whole file text (BOM dropped). */
  text: string;
  /** JS offset in `text` where the text sent to the server starts. */
  offset: number;
}

/** Formats the error; without a position it points at the start of the statement that was sent. */
export function formatFailure(site: FailureSite, e: StatementError): string {
  const at = locate(site.text, e.position !== undefined && e.position > 0 ? e.position : 1, site.offset);
  const lines = [`${site.file}:${at.line}:${at.column}: error${e.sqlstate ? ` ${e.sqlstate}` : ''}: ${e.message}`];
  if (e.detail) lines.push(`  detail: ${e.detail}`);
  if (e.hint) lines.push(`  hint: ${e.hint}`);
  if (e.where) lines.push(`  context: ${e.where.split('\n')[0]}`);
  lines.push(...caret(at.lineText, at.column).split('\n').map((l) => `  | ${l}`));
  return lines.join('\n');
}

/** The failure as data, for `--json`: where it happened and what the server said. */
export interface FailureFields {
  file: string;
  line: number;
  column: number;
  sqlstate: string | null;
  /** The statement that failed, as sent. */
  statement: string | null;
  /** What the server said. */
  server: { message: string; detail: string | null; hint: string | null };
}

/** The fields of formatFailure's report; `statement` is the text that was sent, where known. */
export function failureFields(site: FailureSite, e: StatementError, statement?: string): FailureFields {
  const at = locate(site.text, e.position !== undefined && e.position > 0 ? e.position : 1, site.offset);
  return {
    file: site.file,
    line: at.line,
    column: at.column,
    sqlstate: e.sqlstate ?? null,
    statement: statement ?? null,
    server: { message: e.message, detail: e.detail ?? null, hint: e.hint ?? null },
  };
}
