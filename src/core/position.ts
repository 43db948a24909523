/**
 * Turns PostgreSQL's error `position` (1-based, in characters, i.e. code points, of the text
 * it was sent) into a file's line and column, for errors shown like a compiler's.
 */

export interface Location {
  /** 1-based line in the file; \n, \r\n and a lone \r each end a line. */
  line: number;
  /** 1-based column, in characters (code points). */
  column: number;
  /** The whole line, without its line break. */
  lineText: string;
}

const LF = 0x0a;
const CR = 0x0d;

/** JS offset `position - 1` characters after `offset`, clamped to the text. */
export function offsetOf(text: string, position: number, offset = 0): number {
  let i = Math.max(0, Math.min(offset, text.length));
  for (let k = 1; k < position && i < text.length; k++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return i;
}

/** Where character `position` of the text sent (starting at JS offset `offset` in `text`) lies in `text`. */
export function locate(text: string, position: number, offset = 0): Location {
  let at = offsetOf(text, position, offset);
  // "at end of input" points past trailing line breaks; show it after the last character, as psql does.
  if (/^\s*$/.test(text.slice(at))) at = Math.max(Math.min(offset, text.length), text.trimEnd().length);
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) {
      line++;
      lineStart = i + 1;
    }
  }
  let lineEnd = lineStart;
  while (lineEnd < text.length && text.charCodeAt(lineEnd) !== LF && text.charCodeAt(lineEnd) !== CR) lineEnd++;
  const lineText = text.slice(lineStart, lineEnd);
  // A position on the line break itself points just past the line's last character.
  const column = Math.min(codePoints(text.slice(lineStart, at)), codePoints(lineText)) + 1;
  return { line, column, lineText };
}

/** The 1-based line that JS offset `offset` of `text` is on. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  const stop = Math.min(offset, text.length);
  for (let i = 0; i < stop; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) line++;
  }
  return line;
}

/** Two lines: `lineText`, and a `^` under character `column` (1-based), tabs kept so it lines up. */
export function caret(lineText: string, column: number): string {
  let pad = '';
  let k = 1;
  for (const ch of lineText) {
    if (k >= column) break;
    pad += ch === '\t' ? '\t' : ' ';
    k++;
  }
  if (k < column) pad += ' '.repeat(column - k);
  return `${lineText}\n${pad}^`;
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!(c >= 0xdc00 && c <= 0xdfff && i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff)) n++;
  }
  return n;
}
