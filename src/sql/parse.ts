/**
 * PostgreSQL's own parser (libpg-query, compiled to wasm) over a revision file, statement by
 * statement. Loaded on first use: commands that never read SQL never pay for the wasm.
 *
 * Statements come from fmig's splitter (core/split.ts), which already knows psql's lexical
 * rules and COPY data; each is parsed on its own, so one statement the parser refuses does not
 * hide the others.
 */
import { splitStatements } from '../core/split.js';

/** One statement of a file with its parse tree (libpg-query's JSON form, `{ CreateStmt: {...} }`). */
export interface ParsedStatement {
  /** The statement's text, as core/split.ts cut it (no trailing `;`). */
  text: string;
  /** JS string offsets of the statement in the file. */
  start: number;
  end: number;
  /** 1-based line and column of `start` in the file. */
  line: number;
  column: number;
  /** The statement's node: an object with one key, the node type (`CreateStmt`, `IndexStmt`, ...). Absent when `error` is set. */
  node?: Record<string, any>;
  /** The parser's message when it refused the statement. */
  error?: string;
}

type Parse = (sql: string) => { stmts?: { stmt: Record<string, any> }[] };
let parser: Promise<Parse> | undefined;

/** Loads the wasm parser once. */
function loadParser(): Promise<Parse> {
  parser ??= import('libpg-query').then(async (m) => {
    await m.loadModule();
    return m.parseSync as unknown as Parse;
  });
  return parser;
}

/** Parses every statement of `sql` (a whole file). */
export async function parseStatements(sql: string): Promise<ParsedStatement[]> {
  const parse = await loadParser();
  const lines = lineStarts(sql);
  return splitStatements(sql).map((s) => {
    const { line, column } = position(lines, s.start);
    const base = { text: s.text, start: s.start, end: s.end, line, column };
    try {
      const node = parse(s.text).stmts?.[0]?.stmt;
      return node ? { ...base, node } : { ...base, error: 'empty statement' };
    } catch (err) {
      return { ...base, error: err instanceof Error ? err.message : String(err) };
    }
  });
}

/** The node type of a parsed statement (`CreateStmt`, `IndexStmt`, ...), or undefined. */
export function nodeType(s: ParsedStatement): string | undefined {
  return s.node ? Object.keys(s.node)[0] : undefined;
}

function lineStarts(sql: string): number[] {
  const starts = [0];
  for (let i = sql.indexOf('\n'); i !== -1; i = sql.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function position(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo] + 1 };
}
