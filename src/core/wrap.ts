/** Word wrapping for a terminal: lines no wider than the width, continuation lines indented. */

/**
 * Wraps `text` at spaces to `width` columns: the first line starts with `first`, the others
 * with `rest`. A word longer than a line stands on its own line, unbroken (a path or a URL
 * stays whole, so it can still be copied).
 */
export function wrap(text: string, width: number, first = '', rest = first): string[] {
  const lines: string[] = [];
  let line = first;
  // A prefix that is not only indentation is followed by a space, like any word.
  let empty = first.trim() === '';
  for (const word of text.split(/ +/).filter(Boolean)) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest;
      empty = true;
    }
    line += (empty ? '' : ' ') + word;
    empty = false;
  }
  lines.push(line);
  return lines;
}
