/**
 * PostgreSQL's text form of arrays of strings (`{a,"b,c",NULL}`), read and written here so
 * that the server driver need not look up array types on every connection.
 */

export type TextArray = (string | null | TextArray)[];

/** Parses an array literal as the server prints it (any nesting, an optional `[l:u]=` prefix). */
export function parseTextArray(text: string): TextArray {
  let i = 0;
  if (text[0] === '[') i = text.indexOf('=') + 1; // lower bounds other than 1: `[0:1]={a,b}`
  const parse = (): TextArray => {
    const out: TextArray = [];
    i++; // '{'
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      if (text[i] === '{') out.push(parse());
      else if (text[i] === '"') {
        let v = '';
        for (i++; text[i] !== '"'; i++) {
          if (text[i] === '\\') i++;
          v += text[i];
        }
        i++;
        out.push(v);
      } else {
        let j = i;
        while (text[j] !== ',' && text[j] !== '}') j++;
        const v = text.slice(i, j);
        i = j;
        out.push(v === 'NULL' ? null : v);
      }
      if (text[i++] === '}') return out;
    }
  };
  return parse();
}

/** Writes an array of strings (or nulls, or such arrays) as a literal the server reads back unchanged. */
export function formatTextArray(xs: readonly unknown[]): string {
  return `{${xs.map((x) => (x === null || x === undefined ? 'NULL' : Array.isArray(x) ? formatTextArray(x) : `"${String(x).replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`;
}
