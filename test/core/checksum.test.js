import { test } from 'uvu';
import * as assert from 'uvu/assert';
import xxhash from 'xxhash-wasm';
import { loadHasher, normalizeBytes } from '../../dist/core/checksum.js';

const { h64Raw } = await xxhash();
const hash = await loadHasher();
const enc = new TextEncoder();

test('xxh64 seed 0 of the bytes, as xxh64: and 16 lowercase hex digits', () => {
  const bytes = enc.encode('select 1;\n');
  assert.is(hash(bytes), 'xxh64:' + h64Raw(bytes, 0n).toString(16).padStart(16, '0'));
  // The empty file has a well-known xxh64.
  assert.is(hash(new Uint8Array()), 'xxh64:ef46db3751d8e999');
});

test('normalisation drops one leading BOM and turns CRLF and lone CR into LF', () => {
  const dec = new TextDecoder('utf-8', { ignoreBOM: true });
  assert.is(dec.decode(normalizeBytes(enc.encode('\ufeffa\r\nb\rc\n'))), 'a\nb\nc\n');
  assert.is(dec.decode(normalizeBytes(enc.encode('\ufeff\ufeffa'))), '\ufeffa');
  assert.is(dec.decode(normalizeBytes(enc.encode('a\r\r\nb'))), 'a\n\nb');
});

test.run();
