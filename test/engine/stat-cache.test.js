// `up` knows unchanged revision files from .fmig/stat-cache instead of reading and hashing
// them; every applied file is still checked against the ledger on every run, so an edit must
// be seen whatever the cache says: a same-size edit with the mtime set back, a file replaced by
// another, a cache whose entries are racily clean, and a damaged cache.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freshDatabase, targets } from '../helpers/databases.js';
import { project, removeProjects, state } from '../helpers/cli.js';
import { loadHasher } from '../../dist/core/checksum.js';

const hash = await loadHasher();

// The cache does not depend on the database: one target is enough, the server when there is one (quicker to start).
const target = targets[targets.length - 1];
const test = suite(`${target.name}: the stat cache of up`);
const made = [];
test.after.each(async () => {
  await removeProjects();
  for (const db of made.splice(0)) await db.drop();
});

const A = 'create table a (id int);\n';
const EDITED = 'create table z (id int);\n'; // the same size as A

/** A project with two revisions applied; the cache written by that first up. */
async function applied() {
  const db = await freshDatabase(target);
  made.push(db);
  const p = await project({ '001_a': { up: A, down: 'drop table a;\n' }, '002_b': 'create table b (id int);\n' }, { toml: `dir = "sql"\n[database]\nurl = "${db.url}"\n` });
  const r = await p.fmig('up');
  assert.is(r.code, 0, r.stderr);
  const cacheFile = path.join(p.dir, '.fmig', 'stat-cache');
  const upFile = path.join(p.dir, 'sql', '001_a.up.sql');
  assert.ok(fs.readFileSync(cacheFile, 'utf8').includes('001_a.up.sql\t'), 'the first up recorded the file');
  return { p, cacheFile, upFile, url: db.url };
}

const expectEdited = (r) => {
  assert.is(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /001_a\.up\.sql was edited after it was applied/);
};

/** Rewrites the cache with the body changed by `edit`, its checksum made to match again (a cache fmig would accept). */
function forgeCache(cacheFile, edit) {
  const text = fs.readFileSync(cacheFile, 'utf8');
  const nl = text.indexOf('\n');
  const [magic, version, , dir] = text.slice(0, nl).split(' ');
  const body = edit(text.slice(nl + 1));
  assert.is.not(body, text.slice(nl + 1), 'the cache had the entry to forge');
  fs.writeFileSync(cacheFile, `${magic} ${version} ${crypto.createHash('sha1').update(body).digest('hex')} ${dir}\n${body}`);
}

const wrongChecksum = (body) => body.replace(/^(001_a\.up\.sql\t(?:[^\t]*\t){5})xxh64:[0-9a-f]{16}/m, '$1xxh64:0123456789abcdef');

test('a no-op up answers from the cache, and .fmig/ stays out of git', async () => {
  const { p, cacheFile } = await applied();
  const r = await p.fmig('up');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'nothing to apply');
  assert.is(fs.readFileSync(path.join(p.dir, '.fmig', '.gitignore'), 'utf8'), '*\n');
  assert.ok(fs.existsSync(cacheFile));
});

test('an applied file edited to the same size, its mtime set back, is caught (its ctime moved)', async () => {
  const { p, upFile } = await applied();
  assert.is((await p.fmig('up')).code, 0);
  const before = fs.statSync(upFile, { bigint: true });
  // touch -r copies the times to the nanosecond, as fs.utimes (in floating-point seconds) cannot.
  const ref = `${upFile}.times`;
  fs.writeFileSync(ref, '');
  execFileSync('touch', ['-r', upFile, ref]);
  fs.writeFileSync(upFile, EDITED);
  execFileSync('touch', ['-r', ref, upFile]);
  fs.rmSync(ref);
  const after = fs.statSync(upFile, { bigint: true });
  assert.is(after.size, before.size);
  assert.is(after.mtimeNs, before.mtimeNs);
  assert.is.not(after.ctimeNs, before.ctimeNs);
  expectEdited(await p.fmig('up'));
  expectEdited(await p.fmig('up'));
});

test('an applied file replaced by another of the same size and mtime (a new inode) is caught', async () => {
  const { p, upFile } = await applied();
  const before = fs.statSync(upFile, { bigint: true });
  fs.writeFileSync(`${upFile}.new`, EDITED);
  execFileSync('touch', ['-r', upFile, `${upFile}.new`]);
  fs.renameSync(`${upFile}.new`, upFile);
  const after = fs.statSync(upFile, { bigint: true });
  assert.is(after.mtimeNs, before.mtimeNs);
  assert.is.not(after.ino, before.ino);
  expectEdited(await p.fmig('up'));
});

test('the cache is used: an entry that claims another checksum for the same stat is believed (the control for the tests below)', async () => {
  const { p, cacheFile } = await applied();
  forgeCache(cacheFile, wrongChecksum);
  expectEdited(await p.fmig('up'));
});

test('a racily clean entry (the file not older than the cache file) is not trusted: the file is hashed again', async () => {
  const { p, cacheFile, upFile } = await applied();
  forgeCache(cacheFile, wrongChecksum);
  // The cache file as old as the revision file: written, for all fmig knows, in the tick the file changed.
  // touch -r copies the times to the nanosecond (a Date rounds to the millisecond, possibly up).
  execFileSync('touch', ['-r', upFile, cacheFile]);
  assert.is(fs.statSync(cacheFile, { bigint: true }).mtimeNs, fs.statSync(upFile, { bigint: true }).mtimeNs);
  const r = await p.fmig('up');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'nothing to apply');
});

test('a damaged cache, one of another version and one of another folder are ignored whole', async () => {
  const { p, cacheFile } = await applied();
  const good = fs.readFileSync(cacheFile, 'utf8');
  const tampered = good.replace(/^(001_a\.up\.sql\t(?:[^\t]*\t){5})xxh64:[0-9a-f]{16}/m, '$1xxh64:0123456789abcdef');
  assert.is.not(tampered, good);
  const nl = good.indexOf('\n');
  for (const text of [tampered, good.replace('fmig-stat-cache 1', 'fmig-stat-cache 999'), good.slice(0, nl).replace(/"[^"]*"$/, '"/elsewhere/sql"') + good.slice(nl), 'garbage\n\0\0', '']) {
    fs.writeFileSync(cacheFile, text);
    const r = await p.fmig('up');
    assert.is(r.code, 0, `${JSON.stringify(text.slice(0, 80))}: ${r.stderr}`);
    assert.match(r.stdout, 'nothing to apply');
    // Rewritten: a valid cache of this folder again, each entry true of its file as it is now
    // (an entry whose file is too recent to be trusted may be left out until a later run, and
    // one the first up left out may be there now).
    const now = fs.readFileSync(cacheFile, 'utf8');
    const [head, ...entries] = now.split('\n').filter(Boolean);
    assert.match(head, /^fmig-stat-cache 1 [0-9a-f]{40} "/);
    assert.is(head.slice(head.indexOf('"')), good.slice(0, nl).slice(good.indexOf('"')), 'a cache of this folder');
    assert.ok(entries.length > 0, 'the cache was written again');
    for (const e of entries) assert.is(e, trueEntry(p.dir, e.split('\t')[0]), 'an entry that describes its file');
  }
});

/** The cache line that describes `sql/<name>` as it is now (stat fields, checksum, no CRs, no header). */
function trueEntry(dir, name) {
  const file = path.join(dir, 'sql', name);
  const st = fs.statSync(file, { bigint: true });
  return [name, st.size, st.mtimeNs, st.ctimeNs, st.ino, st.dev, hash(fs.readFileSync(file)), 0].join('\t');
}

test('a revision to apply runs with its whole text, not the summary the cache knows', async () => {
  const { p, cacheFile, url } = await applied();
  // 003 is known to the cache before it is applied: an earlier up ran while its parent was missing.
  await p.revisions({ '003_c': '-- fmig:no-transaction\ncreate table c (id int);\ncreate index concurrently c_id on c (id);\n' });
  assert.is((await p.fmig('up', '--dry-run')).code, 0);
  assert.is((await p.fmig('up', '002')).code, 0);
  assert.ok(fs.readFileSync(cacheFile, 'utf8').includes('003_c.up.sql\t'), 'the pending file is in the cache');
  const r = await p.fmig('up');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /applied 003_c/);
  const { tables } = await state(url);
  assert.ok(tables.includes('public.c'), `table c was made: ${tables}`);
});

test.run();
