/**
 * Inline `-- fmig:lint-ignore <code>[,<code>...] <reason>` comments: on the comment lines
 * between a statement and the one before it, each silences the named findings of the
 * statement below it. The reason is required. Pure.
 */

export interface IgnoreComment {
  codes: string[];
  /** Empty when none was written. */
  reason: string;
  /** 1-based line of the comment in the file. */
  line: number;
  column: number;
}

const IGNORE = /--[ \t]*fmig:lint-ignore\b([^\n\r]*)/g;

/** The ignore comments in `text.slice(from, to)` (the gap before a statement). */
export function ignoresIn(text: string, from: number, to: number): IgnoreComment[] {
  const gap = text.slice(from, to);
  const out: IgnoreComment[] = [];
  for (const m of gap.matchAll(IGNORE)) {
    const offset = from + m.index!;
    const rest = m[1].trim();
    const space = rest.search(/\s/);
    const codeList = space === -1 ? rest : rest.slice(0, space);
    const reason = space === -1 ? '' : rest.slice(space).trim();
    const { line, column } = lineColumn(text, offset);
    out.push({ codes: codeList.split(',').filter(Boolean), reason, line, column });
  }
  return out;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}
