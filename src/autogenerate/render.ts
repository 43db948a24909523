/** The text of a generated revision file, and the list of statements marked for review. Pure. */
import type { ChangePlan } from './plan.js';

export interface RenderedFile {
  text: string;
  /** The statements marked `-- fmig:review`, with why. */
  review: { sql: string; reason: string }[];
}

/**
 * `header` lines (directives, the message) first, then each statement ending in `;`, those
 * that lose data under a `-- fmig:review <why>` line, and the plan's notes as comments.
 */
export function renderRevision(header: string[], plan: ChangePlan): RenderedFile {
  const review: RenderedFile['review'] = [];
  const body = plan.statements.map((s) => {
    const sql = `${s.sql.replace(/;?\s*$/, '')};`;
    if (!s.review) return sql;
    review.push({ sql: firstLine(s.sql), reason: s.review });
    return `-- fmig:review ${s.review}\n${sql}`;
  });
  const notes = plan.notes.map((n) => `-- note: ${n}`);
  const text = [...header, '-- Written by fmig new --autogenerate: read it before committing.', ...notes, '', body.join('\n\n'), ''].join('\n');
  return { text, review };
}

const firstLine = (sql: string) => sql.split('\n')[0];
