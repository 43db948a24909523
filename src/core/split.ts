/**
 * Splits a SQL file into statements the way psql does: on semicolons outside strings, quoted
 * identifiers, dollar quotes, comments, parentheses and `BEGIN ATOMIC … END` function bodies.
 * The lexical rules follow PostgreSQL's scanner (scan.l) with standard_conforming_strings on.
 */

export interface Statement {
  /** `source.slice(start, end)`: from the statement's first token up to its `;` (not included), trailing whitespace trimmed. */
  text: string;
  /** JS string offset of the statement's first token (leading comments and whitespace skipped). */
  start: number;
  end: number;
  /**
   * For `COPY ... FROM STDIN`: where its data lines are in the source, `source.slice(start, end)`,
   * from the line after the statement up to the `\.` line (not included) or the end of the file.
   */
  copy?: { start: number; end: number };
}

/** A psql meta-command (`\set`, `\i`, `\;` ...) outside strings, comments and COPY data: not SQL. */
export interface MetaCommand {
  /** JS string offset of its backslash. */
  offset: number;
  /** As written, e.g. `\set` or `\;`. */
  command: string;
}

const SEMI = 0x3b;
const QUOTE = 0x27;
const DQUOTE = 0x22;
const DOLLAR = 0x24;
const DASH = 0x2d;
const SLASH = 0x2f;
const STAR = 0x2a;
const BACKSLASH = 0x5c;
const LPAREN = 0x28;
const RPAREN = 0x29;

/** PostgreSQL's whitespace: space, \t, \n, \r, \f, \v. */
export function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** Letters, `_` and every non-ASCII character (PostgreSQL treats bytes >= 0x80 as letters). */
function isIdentStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c >= 0x80;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Identifier continuation; `$` included, which is why `a$$` is an identifier and not a dollar quote. */
function isIdentCont(c: number): boolean {
  return isIdentStart(c) || isDigit(c) || c === DOLLAR;
}

/** Index just past a `--` comment starting at `i` (its line break not included). */
function skipLineComment(sql: string, i: number): number {
  const n = sql.length;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) break;
    i++;
  }
  return i;
}

/** Index just past a (possibly nested) block comment starting at `i`; the end of text when unterminated. */
function skipBlockComment(sql: string, i: number): number {
  const n = sql.length;
  let depth = 1;
  i += 2;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === SLASH && sql.charCodeAt(i + 1) === STAR) {
      depth++;
      i += 2;
    } else if (c === STAR && sql.charCodeAt(i + 1) === SLASH) {
      i += 2;
      if (--depth === 0) return i;
    } else {
      i++;
    }
  }
  return n;
}

/** Index of the first character at or after `i` that is neither whitespace nor part of a comment. */
export function skipTrivia(sql: string, i: number): number {
  const n = sql.length;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) i++;
    else if (c === DASH && sql.charCodeAt(i + 1) === DASH) i = skipLineComment(sql, i);
    else if (c === SLASH && sql.charCodeAt(i + 1) === STAR) i = skipBlockComment(sql, i);
    else break;
  }
  return i;
}

/** Index just past a quoted token opened at `i` by `quote` (`'` or `"`); a doubled quote stays inside. */
function skipQuoted(sql: string, i: number, quote: number, backslashEscapes: boolean): number {
  const n = sql.length;
  i++;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === quote) {
      if (sql.charCodeAt(i + 1) === quote) i += 2;
      else return i + 1;
    } else if (backslashEscapes && c === BACKSLASH) {
      i += 2;
    } else {
      i++;
    }
  }
  return n;
}

/**
 * Where an E'' string continues after its closing quote: PostgreSQL joins `E'a'` and a `'…'`
 * that follows after whitespace containing a newline, and the second part keeps E'' escapes.
 * Returns the index of the continuing quote, or -1.
 */
function stringContinuation(sql: string, i: number): number {
  const n = sql.length;
  // Before the line break: spaces, tabs, form feeds, vertical tabs and a `--` comment.
  for (;;) {
    const c = sql.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0c || c === 0x0b) i++;
    else if (c === DASH && sql.charCodeAt(i + 1) === DASH) i = skipLineComment(sql, i);
    else break;
  }
  const nl = sql.charCodeAt(i);
  if (nl !== 0x0a && nl !== 0x0d) return -1;
  for (;;) {
    while (i < n && isSpace(sql.charCodeAt(i))) i++;
    if (sql.charCodeAt(i) === DASH && sql.charCodeAt(i + 1) === DASH) i = skipLineComment(sql, i);
    else break;
  }
  return sql.charCodeAt(i) === QUOTE ? i : -1;
}

/** The `$tag$` delimiter opening at `i`, or null when the `$` there does not open a dollar quote. */
function dollarTag(sql: string, i: number): string | null {
  let j = i + 1;
  const n = sql.length;
  if (j < n && sql.charCodeAt(j) !== DOLLAR) {
    if (!isIdentStart(sql.charCodeAt(j))) return null;
    j++;
    while (j < n && (isIdentStart(sql.charCodeAt(j)) || isDigit(sql.charCodeAt(j)))) j++;
  }
  return j < n && sql.charCodeAt(j) === DOLLAR ? sql.slice(i, j + 1) : null;
}

/**
 * psql's heuristic for SQL-standard function bodies: in a statement that starts with
 * CREATE [OR REPLACE] FUNCTION|PROCEDURE, outside parentheses, BEGIN opens a body that ends
 * at its END, and a CASE inside that body ends with an END of its own. Unlike psql, only
 * BEGIN ATOMIC opens a body, so a function named `begin` does not swallow the file.
 */
class AtomicTracker {
  private words: string[] = [];
  private routine = false;
  depth = 0;

  reset(): void {
    this.words = [];
    this.routine = false;
    this.depth = 0;
  }

  word(sql: string, start: number, end: number, parenDepth: number): void {
    if (this.words.length < 4) {
      this.words.push(sql.slice(start, end).toLowerCase());
      const [a, b, c, d] = this.words;
      this.routine =
        a === 'create' && (b === 'function' || b === 'procedure' || (b === 'or' && c === 'replace' && (d === 'function' || d === 'procedure')));
    }
    if (!this.routine || parenDepth !== 0 || end - start > 5) return;
    const w = sql.slice(start, end).toLowerCase();
    if (w === 'begin' && followedByAtomic(sql, end)) this.depth++;
    else if (w === 'case' && this.depth > 0) this.depth++;
    else if (w === 'end' && this.depth > 0) this.depth--;
  }
}

function followedByAtomic(sql: string, i: number): boolean {
  const j = skipTrivia(sql, i);
  return sql.slice(j, j + 6).toLowerCase() === 'atomic' && !isIdentCont(sql.charCodeAt(j + 6));
}

/** Splits `sql` into its statements, in order; statements holding only whitespace and comments are dropped. */
export function splitStatements(sql: string): Statement[] {
  return scan(sql).statements;
}

/** The psql meta-commands in `sql`, in order; `\restrict` and `\unrestrict` lines (pg_dump's) are not among them. */
export function metaCommands(sql: string): MetaCommand[] {
  return scan(sql).metas;
}

/** Is `text` a `COPY ... FROM STDIN` statement, whose data follows it in the file? */
function copiesFromStdin(text: string): boolean {
  if (!/^copy\b/i.test(text)) return false;
  const t = leadingTokens(text, Infinity).map((tok) => tok.value);
  return t.some((w, k) => w === 'from' && t[k + 1] === 'stdin');
}

/**
 * COPY data as psql reads it from a file: from the line after the statement's `;` up to a line
 * holding only `\.` (or the end of the file). `next` is where SQL resumes.
 */
function copyData(sql: string, semi: number): { start: number; end: number; next: number } {
  const n = sql.length;
  let start = sql.indexOf('\n', semi);
  start = start < 0 ? n : start + 1;
  for (let line = start; line < n; ) {
    let eol = sql.indexOf('\n', line);
    if (eol < 0) eol = n;
    const body = sql.slice(line, sql.charCodeAt(eol - 1) === 0x0d ? eol - 1 : eol);
    if (body === '\\.') return { start, end: line, next: Math.min(eol + 1, n) };
    line = eol + 1;
  }
  return { start, end: n, next: n };
}

/** A `\restrict <key>` / `\unrestrict <key>` line: pg_dump's guard against meta-commands in a dump, which fmig never runs. */
function restrictLine(sql: string, i: number): boolean {
  let k = i - 1;
  while (k >= 0 && (sql.charCodeAt(k) === 0x20 || sql.charCodeAt(k) === 0x09)) k--;
  if (k >= 0 && sql.charCodeAt(k) !== 0x0a && sql.charCodeAt(k) !== 0x0d) return false;
  return /^\\(un)?restrict(?![A-Za-z])/.test(sql.slice(i, i + 12));
}

function scan(sql: string): { statements: Statement[]; metas: MetaCommand[] } {
  const metas: MetaCommand[] = [];
  const out: Statement[] = [];
  const n = sql.length;
  const atomic = new AtomicTracker();
  let parens = 0;
  let stmtStart = -1; // offset of the current statement's first token, -1 before it
  let i = 0;

  const finish = (stop: number): void => {
    if (stmtStart >= 0) {
      let end = stop;
      while (end > stmtStart && isSpace(sql.charCodeAt(end - 1))) end--;
      out.push({ text: sql.slice(stmtStart, end), start: stmtStart, end });
    }
    stmtStart = -1;
    parens = 0;
    atomic.reset();
  };

  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === DASH && sql.charCodeAt(i + 1) === DASH) {
      i = skipLineComment(sql, i);
      continue;
    }
    if (c === SLASH && sql.charCodeAt(i + 1) === STAR) {
      i = skipBlockComment(sql, i);
      continue;
    }
    if (c === SEMI) {
      if (parens === 0 && atomic.depth === 0) {
        const before = out.length;
        finish(i);
        const st = out[out.length - 1];
        if (out.length > before && copiesFromStdin(st.text)) {
          const data = copyData(sql, i);
          st.copy = { start: data.start, end: data.end };
          i = data.next;
          continue;
        }
      }
      i++;
      continue;
    }
    if (c === BACKSLASH) {
      if (stmtStart < 0 && restrictLine(sql, i)) {
        i = skipLineComment(sql, i);
        continue;
      }
      const command = /^\\([A-Za-z][A-Za-z0-9_]*|.?)/.exec(sql.slice(i, i + 40))![0];
      metas.push({ offset: i, command });
      // A named meta-command takes the rest of its line as arguments, as psql reads it.
      i = /^\\[A-Za-z]/.test(command) ? skipLineComment(sql, i) : i + Math.max(command.length, 1);
      continue;
    }
    if (stmtStart < 0) stmtStart = i;

    if (c === QUOTE) {
      i = skipQuoted(sql, i, QUOTE, false);
    } else if (c === DQUOTE) {
      i = skipQuoted(sql, i, DQUOTE, false);
    } else if (c === DOLLAR) {
      const tag = dollarTag(sql, i);
      if (tag) {
        const close = sql.indexOf(tag, i + tag.length);
        i = close < 0 ? n : close + tag.length;
      } else {
        // A parameter ($1, with any junk PostgreSQL would glue to it) or a stray `$`.
        i++;
        while (i < n && isDigit(sql.charCodeAt(i))) i++;
        if (i < n && isIdentStart(sql.charCodeAt(i)) && isDigit(sql.charCodeAt(i - 1))) {
          while (i < n && isIdentCont(sql.charCodeAt(i))) i++;
        }
      }
    } else if (isIdentStart(c)) {
      const wordStart = i;
      i++;
      while (i < n && isIdentCont(sql.charCodeAt(i))) i++;
      if (i - wordStart === 1 && (c === 0x45 || c === 0x65) && sql.charCodeAt(i) === QUOTE) {
        i = skipQuoted(sql, i, QUOTE, true);
        for (let next = stringContinuation(sql, i); next >= 0; next = stringContinuation(sql, i)) {
          i = skipQuoted(sql, next, QUOTE, true);
        }
      } else {
        atomic.word(sql, wordStart, i, parens);
      }
    } else if (isDigit(c)) {
      // Numbers never absorb a `$`: in `1$$x$$` the `$$` opens a dollar quote.
      i++;
      while (i < n && (isDigit(sql.charCodeAt(i)) || sql.charCodeAt(i) === 0x2e || sql.charCodeAt(i) === 0x5f)) i++;
      if (i < n && isIdentStart(sql.charCodeAt(i))) {
        while (i < n && isIdentCont(sql.charCodeAt(i))) i++;
      }
    } else {
      if (c === LPAREN) parens++;
      else if (c === RPAREN && parens > 0) parens--;
      i++;
    }
  }
  finish(n);
  return { statements: out, metas };
}

export interface Token {
  /** A word lower-cased; a quoted token or punctuation verbatim. */
  value: string;
  start: number;
  end: number;
}

/** The first `limit` tokens of a statement, comments skipped. */
export function leadingTokens(text: string, limit: number): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = skipTrivia(text, 0);
  while (i < n && tokens.length < limit) {
    const c = text.charCodeAt(i);
    const start = i;
    let word = false;
    if (c === QUOTE || c === DQUOTE) {
      i = skipQuoted(text, i, c, false);
    } else if (isIdentStart(c)) {
      while (i < n && isIdentCont(text.charCodeAt(i))) i++;
      if (i - start === 1 && (c === 0x45 || c === 0x65) && text.charCodeAt(i) === QUOTE) i = skipQuoted(text, i, QUOTE, true);
      else word = true;
    } else if (c === DOLLAR && dollarTag(text, i)) {
      const tag = dollarTag(text, i) as string;
      const close = text.indexOf(tag, i + tag.length);
      i = close < 0 ? n : close + tag.length;
    } else {
      i++;
    }
    const raw = text.slice(start, i);
    tokens.push({ value: word ? raw.toLowerCase() : raw, start, end: i });
    i = skipTrivia(text, i);
  }
  return tokens;
}
