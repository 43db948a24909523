/** Cutting a one-file migration (goose, dbmate) into its sections at marker comment lines (pure). */

export interface Section {
  /** The marker line, as written. */
  marker: string;
  /** What follows the marker's line up to the next marker line or the end, byte for byte. */
  text: string;
}

/** The sections of `text` at lines `isMarker` accepts; `preamble` is what comes before the first. */
export function cutSections(text: string, isMarker: (line: string) => boolean): { preamble: string; sections: Section[] } {
  const sections: Section[] = [];
  let preamble = '';
  let open: { marker: string; from: number } | null = null;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    end = end === -1 ? text.length : end + 1;
    const line = text.slice(pos, end).replace(/\r?\n$/, '');
    if (isMarker(line)) {
      if (open) sections.push({ marker: open.marker, text: text.slice(open.from, pos) });
      else preamble = text.slice(0, pos);
      open = { marker: line, from: end };
    }
    pos = end;
  }
  if (open) sections.push({ marker: open.marker, text: text.slice(open.from) });
  else preamble = text;
  return { preamble, sections };
}
