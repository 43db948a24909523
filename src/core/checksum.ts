/** The checksum of a revision file: xxh64 (seed 0) of its bytes with a leading BOM dropped and line endings made LF. */
import xxhash from 'xxhash-wasm';

export type Hasher = (bytes: Uint8Array) => string;

const CR = 13;
const LF = 10;

/** Drops a leading UTF-8 BOM and turns CRLF and lone CR into LF. Returns the input when there is nothing to change. */
export function normalizeBytes(bytes: Uint8Array): Uint8Array {
  let start = 0;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  if (bytes.indexOf(CR, start) === -1) return start === 0 ? bytes : bytes.subarray(start);
  const out = new Uint8Array(bytes.length - start);
  let n = 0;
  for (let i = start; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === CR) {
      out[n++] = LF;
      if (bytes[i + 1] === LF) i++;
    } else out[n++] = b;
  }
  return out.subarray(0, n);
}

let loaded: Promise<Hasher> | undefined;

/** Loads the xxh64 wasm once and returns the checksum function (`xxh64:` and 16 lowercase hex digits). */
export function loadHasher(): Promise<Hasher> {
  loaded ??= xxhash().then(({ h64Raw }) => (bytes: Uint8Array) =>
    'xxh64:' + h64Raw(normalizeBytes(bytes), 0n).toString(16).padStart(16, '0'),
  );
  return loaded;
}
