/**
 * Databases for tests: every database test runs on each target, each test on a database of
 * its own that no other test sees.
 *
 *   import { forEachTarget } from '../helpers/databases.js';
 *   forEachTarget('ledger', (test, { target, fresh }) => {
 *     test('records a revision', async () => {
 *       const { url } = await fresh();          // dropped after the test
 *       const db = await openDatabase(url, { baseDir: process.cwd(), lockTimeoutMs: 10000, statementTimeoutMs: 0 });
 *       ...
 *     });
 *   });
 *
 * Targets: `pglite` always; `postgres` when FMIG_TEST_DATABASE_URL names a server (e.g.
 * postgres://root@127.0.0.1:5432/test). When it is set and the server cannot be reached, the
 * tests fail: they never quietly skip.
 *
 * - pglite: creating a data directory runs initdb in wasm (seconds), so it is done once per
 *   machine and PGlite version into a template under `scratchDir` (built aside, then
 *   renamed into place, so test processes racing to build it are safe), and each fresh
 *   database is a copy of it: `pglite:///<scratchDir>/fmig-db-<pid>-XXXX/pglite`, with the state
 *   file fmig would write beside it. drop() removes the folder, the data directory's `.lock`
 *   and `.state` siblings with it.
 * - postgres: `CREATE DATABASE fmig_t_<random>` on that server; drop() runs
 *   `DROP DATABASE ... WITH (FORCE)`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { suite } from 'uvu';
import postgres from 'postgres';
import { PGlite } from '@electric-sql/pglite';
import { writeState } from '../../dist/adapters/db/embedded-state.js';
import { unpackTemplate } from '../../dist/adapters/db/pglite-template.js';

const serverUrl = process.env.FMIG_TEST_DATABASE_URL || '';

/**
 * Where PGlite test databases live: memory-backed /dev/shm where there is one (a data
 * directory is ~40 MB in ~1000 files, copied and removed per test), else the temp dir.
 */
export const scratchDir = process.env.FMIG_TEST_TMPDIR || (fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir());

/** The targets every database test runs on. */
export const targets = [{ name: 'pglite', kind: 'pglite' }, ...(serverUrl ? [{ name: 'postgres', kind: 'postgres', serverUrl }] : [])];

/** The server of the postgres target, or '' when there is none. */
export const testServerUrl = serverUrl;

/** A brand-new empty database on `target`: `{ url, drop() }`. */
export async function freshDatabase(target) {
  return target.kind === 'pglite' ? freshPglite() : freshPostgres(target.serverUrl);
}

/**
 * Registers one uvu suite per target, named `<target>: <name>`, and runs it. `register(test,
 * { target, fresh })` adds the tests; databases made with `fresh()` are dropped after each test.
 */
export function forEachTarget(name, register) {
  for (const target of targets) {
    const test = suite(`${target.name}: ${name}`);
    const made = [];
    const fresh = async () => {
      const db = await freshDatabase(target);
      made.push(db);
      return db;
    };
    test.after.each(async () => {
      for (const db of made.splice(0)) await db.drop();
    });
    register(test, { target, fresh });
    test.run();
  }
}

/**
 * A new PGlite, no extension loaded, on a copy of the shared template (pgliteTemplate) in the
 * scratch directory, removed when it is closed: the same database as `new PGlite()`, without
 * initdb's seconds of CPU.
 */
export async function memoryPglite() {
  sweepLeftovers();
  const from = await pgliteTemplate();
  const parent = fs.mkdtempSync(path.join(scratchDir, `fmig-db-${process.pid}-`));
  const dir = path.join(parent, 'pglite');
  fs.cpSync(from, dir, { recursive: true });
  const db = await PGlite.create(dir);
  const close = db.close.bind(db);
  db.close = async () => {
    try {
      await close();
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  };
  return db;
}

let template;

/** The initialised PGlite data directory that fresh databases are copied from. */
export function pgliteTemplate() {
  template ??= buildTemplate();
  return template;
}

async function buildTemplate() {
  const require = createRequire(import.meta.url);
  const pkg = path.join(path.dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
  const version = JSON.parse(fs.readFileSync(pkg, 'utf8')).version;
  const dir = path.join(scratchDir, `fmig-test-pglite-${version}`);
  if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return dir;
  const tmp = `${dir}.build-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    // The data directory the build packed, as fmig's first run uses it; initdb without one.
    if (!unpackTemplate(tmp)) {
      const db = await PGlite.create(tmp);
      await db.close();
    }
    fs.renameSync(tmp, dir);
  } catch (e) {
    // Another process won the race: its template is as good as ours.
    if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) throw e;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

let swept = false;

/** Removes test databases and template builds left by test processes that were killed (they would hold memory in /dev/shm). */
function sweepLeftovers() {
  if (swept) return;
  swept = true;
  for (const name of fs.readdirSync(scratchDir)) {
    const pid = Number(/^fmig-db-(\d+)-|^fmig-test-pglite-.*\.build-(\d+)-/.exec(name)?.slice(1).find(Boolean));
    if (!pid || alive(pid)) continue;
    fs.rmSync(path.join(scratchDir, name), { recursive: true, force: true });
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code !== 'ESRCH';
  }
}

async function freshPglite() {
  sweepLeftovers();
  const from = await pgliteTemplate();
  const parent = fs.mkdtempSync(path.join(scratchDir, `fmig-db-${process.pid}-`));
  const dir = path.join(parent, 'pglite');
  fs.cpSync(from, dir, { recursive: true });
  // What fmig would have recorded on closing it: no extension installed, so the first run loads
  // only those its folder names, as on a database fmig made.
  await writeState(dir, { extensions: [] });
  return {
    url: `pglite://${dir}`,
    dir,
    async drop() {
      fs.rmSync(parent, { recursive: true, force: true });
    },
  };
}

async function freshPostgres(server) {
  const name = `fmig_t_${crypto.randomBytes(6).toString('hex')}`;
  await admin(server, `create database ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      await admin(server, `drop database if exists ${name} with (force)`);
    },
  };
}

/** Runs one statement on the test server, failing loudly when it cannot be reached. */
export async function admin(server, statement, params = []) {
  const sql = postgres(server, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    return [...(await sql.unsafe(statement, params))];
  } catch (e) {
    if (e.severity) throw e; // the statement failed, not the server
    throw new Error(`FMIG_TEST_DATABASE_URL is set but its server cannot be reached (${e.code ?? ''} ${e.message}): start it, or unset the variable`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
