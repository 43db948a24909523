/** A failed statement shown like a compiler error: file:line:column, SQLSTATE, message, detail, hint, the line and a caret. */
import { caret, lineOf, locate } from './position.js';

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
  const lines: string[] = [];
  let where = site.file;
  let shown = '';
  if (e.position !== undefined && e.position > 0) {
    const at = locate(site.text, e.position, site.offset);
    where += `:${at.line}:${at.column}`;
    shown = caret(at.lineText, at.column);
  } else {
    where += `:${lineOf(site.text, site.offset)}`;
  }
  lines.push(`${where}: error${e.sqlstate ? ` ${e.sqlstate}` : ''}: ${e.message}`);
  if (e.detail) lines.push(`  detail: ${e.detail}`);
  if (e.hint) lines.push(`  hint: ${e.hint}`);
  if (e.where) lines.push(`  context: ${e.where.split('\n')[0]}`);
  if (shown) lines.push(...shown.split('\n').map((l) => `  | ${l}`));
  return lines.join('\n');
}
