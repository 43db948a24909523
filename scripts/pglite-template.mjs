// Makes dist/pglite-template-<PGlite version>.bin: an initialised data directory that the first
// run in a project, and every throwaway database (pglite://memory), unpacks instead of running
// initdb (src/adapters/db/pglite-template.ts). Skipped when the file for this PGlite version is
// there; older ones are removed, and so are the in-memory dumps (pglite-memory-*.tar.gz) that
// earlier builds made.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { packTemplate, templateFile } from '../dist/adapters/db/pglite-template.js';

const dist = new URL('../dist/', import.meta.url).pathname;
const file = templateFile(dist);
if (!fs.existsSync(file)) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fmig-template-'));
  try {
    const db = await PGlite.create(path.join(tmp, 'pglite'));
    await db.close();
    packTemplate(path.join(tmp, 'pglite'), `${file}.${process.pid}.tmp`);
    fs.renameSync(`${file}.${process.pid}.tmp`, file);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
for (const name of fs.readdirSync(dist)) {
  if (/^pglite-(template-.*\.bin|memory-.*\.tar\.gz)(\.\d+\.tmp)?$/.test(name) && path.join(dist, name) !== file) fs.rmSync(path.join(dist, name), { force: true });
}
