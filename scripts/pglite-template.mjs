// Makes dist/pglite-template-<PGlite version>.bin: an initialised data directory that the first
// run in a project unpacks instead of running initdb, and dist/pglite-memory-<version>.tar.gz,
// the same as PGlite's own dump, that an in-memory database loads instead of running initdb
// (src/adapters/db/pglite-template.ts). Each is skipped when the file for this PGlite version is
// there; older ones are removed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { memoryTemplateFile, packTemplate, templateFile } from '../dist/adapters/db/pglite-template.js';

const dist = new URL('../dist/', import.meta.url).pathname;
const file = templateFile(dist);
const memory = memoryTemplateFile(dist);
if (!fs.existsSync(file) || !fs.existsSync(memory)) {
  // One initdb for both: the data directory as made, and PGlite's dump of it.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fmig-template-'));
  try {
    const db = await PGlite.create(path.join(tmp, 'pglite'));
    try {
      await db.exec('CHECKPOINT');
      const dump = Buffer.from(await (await db.dumpDataDir('gzip')).arrayBuffer());
      fs.writeFileSync(`${memory}.${process.pid}.tmp`, dump);
    } finally {
      await db.close();
    }
    packTemplate(path.join(tmp, 'pglite'), `${file}.${process.pid}.tmp`);
    fs.renameSync(`${file}.${process.pid}.tmp`, file);
    fs.renameSync(`${memory}.${process.pid}.tmp`, memory);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
for (const name of fs.readdirSync(dist)) {
  if (/^pglite-(template-.*\.bin|memory-.*\.tar\.gz)(\.\d+\.tmp)?$/.test(name) && ![file, memory].includes(path.join(dist, name))) fs.rmSync(path.join(dist, name), { force: true });
}
