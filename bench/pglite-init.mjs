#!/usr/bin/env node
/**
 * How long the embedded database takes to come up, as a user's `fmig up` pays it: each
 * measurement runs in a fresh Node process (so wasm compilation is counted, as it is for a
 * CLI), three times.
 *
 *   create          PGlite.create(<new dir>): the first `fmig up` in a project (initdb in wasm)
 *   reopen          PGlite.create(<existing dir>): every later command
 *   memory          new PGlite(): an in-memory database (`fmig check`)
 *   copy-template   cpSync of an initialised data directory, then open it
 *   memory-dump     in memory, loaded from a dumpDataDir() tarball (loadDataDir)
 *   prepop-dir      new dir loaded from @electric-sql/pglite-prepopulatedfs (loadDataDir)
 *   prepop-memory   in memory, loaded from @electric-sql/pglite-prepopulatedfs
 *
 * Packages are resolved from the working directory, so the prepopulatedfs cases can be run
 * from a scratch install without adding it to this project:
 *   mkdir /tmp/ppfs && cd /tmp/ppfs && npm init -y &&
 *   npm install --legacy-peer-deps @electric-sql/pglite@<version> @electric-sql/pglite-prepopulatedfs
 *   node <this repo>/bench/pglite-init.mjs
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const RUNS = 3;
const fromCwd = createRequire(path.join(process.cwd(), 'index.js'));

/** The ESM entry of a package installed where this is run from (or beside this script); null when absent. */
function entry(name) {
  for (const req of [fromCwd, createRequire(import.meta.url)]) {
    try {
      // package.json is not always exported: walk up from the entry point to it
      let dir = path.dirname(req.resolve(name));
      while (!fs.existsSync(path.join(dir, 'package.json')) || JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).name !== name) {
        if (dir === path.dirname(dir)) throw new Error(`no package.json for ${name}`);
        dir = path.dirname(dir);
      }
      const pkgFile = path.join(dir, 'package.json');
      const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
      const esm = pkg.exports?.['.']?.import?.default ?? pkg.module ?? pkg.main;
      return { url: pathToFileURL(path.join(path.dirname(pkgFile), esm)).href, version: pkg.version };
    } catch {
      // try the next place
    }
  }
  return null;
}

/** One measurement, in this (fresh) process: prints { ms, version } as JSON. */
async function one(kind, work) {
  const t0 = performance.now();
  const { PGlite } = await import(entry('@electric-sql/pglite').url);
  const blob = async () => {
    if (kind.startsWith('prepop')) return (await import(entry('@electric-sql/pglite-prepopulatedfs').url)).dataDir();
    return new Blob([fs.readFileSync(path.join(work, 'dump.tar'))]);
  };
  const dir = path.join(work, `db-${process.pid}`);
  let db;
  if (kind === 'create') db = await PGlite.create(dir);
  else if (kind === 'reopen') db = await PGlite.create(path.join(work, 'existing'));
  else if (kind === 'memory') db = await PGlite.create();
  else if (kind === 'copy-template') {
    fs.cpSync(path.join(work, 'existing'), dir, { recursive: true });
    db = await PGlite.create(dir);
  } else if (kind === 'memory-dump') db = await PGlite.create({ loadDataDir: await blob() });
  else if (kind === 'prepop-dir') db = await PGlite.create(dir, { loadDataDir: await blob() });
  else if (kind === 'prepop-memory') db = await PGlite.create({ loadDataDir: await blob() });
  const [{ server_version }] = (await db.query('show server_version')).rows;
  await db.exec('create table probe (x int); insert into probe values (1); drop table probe');
  const ms = performance.now() - t0;
  await db.close();
  if (kind === 'prepop-dir') {
    // the loaded directory must open again on its own
    const again = await PGlite.create(dir);
    await again.query('select 1');
    await again.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ ms, version: server_version }));
}

async function main() {
  const pglite = entry('@electric-sql/pglite');
  if (!pglite) throw new Error('@electric-sql/pglite is not installed here');
  const prepop = entry('@electric-sql/pglite-prepopulatedfs');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fmig-bench-pglite-'));
  try {
    const { PGlite } = await import(pglite.url);
    const seed = await PGlite.create(path.join(work, 'existing'));
    await seed.close();
    const mem = await PGlite.create();
    fs.writeFileSync(path.join(work, 'dump.tar'), Buffer.from(await (await mem.dumpDataDir('none')).arrayBuffer()));
    await mem.close();

    const kinds = ['create', 'reopen', 'memory', 'copy-template', 'memory-dump', ...(prepop ? ['prepop-dir', 'prepop-memory'] : [])];
    console.log(`@electric-sql/pglite ${pglite.version}${prepop ? `, @electric-sql/pglite-prepopulatedfs ${prepop.version}` : ' (prepopulatedfs not installed here: skipped)'}`);
    console.log(`node ${process.version}, ${os.cpus().length} cpus, ${os.platform()}\n`);
    for (const kind of kinds) {
      const times = [];
      let note = '';
      for (let i = 0; i < RUNS; i++) {
        const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--one', kind, work], { encoding: 'utf8', cwd: process.cwd() });
        const line = r.stdout.trim().split('\n').pop();
        if (r.status !== 0 || !line?.startsWith('{')) {
          note = `FAILED: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`;
          break;
        }
        const { ms, version } = JSON.parse(line);
        times.push(ms);
        note = `PostgreSQL ${version}`;
      }
      const sorted = [...times].sort((a, b) => a - b);
      const median = sorted.length ? `${Math.round(sorted[Math.floor(sorted.length / 2)])} ms` : '-';
      console.log(`${kind.padEnd(14)} median ${median.padStart(8)}   runs ${times.map((t) => Math.round(t)).join(', ').padEnd(20)} ${note}`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--one') await one(process.argv[3], process.argv[4]);
else await main();
