// A plain `up` on a server that found nothing to apply and nothing amiss records what it
// compared (.fmig/up-to-date): the folder's stat, the stat cache's entries, the ledger's digest.
// The next plain `up` answers from it when all of them are unchanged. Nothing may get past it:
// a revision added, a file edited or removed, the ledger changed behind fmig's back, a record
// racily as old as the folder; and a server that cannot be reached is reported as without it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { admin, freshDatabase, targets } from '../helpers/databases.js';
import { project, removeProjects, state } from '../helpers/cli.js';

// The record is kept for servers only (an embedded database answers from its state file).
const target = targets.find((t) => t.kind === 'postgres');
const test = suite(`${target?.name ?? 'postgres (no server: skipped)'}: the up-to-date record of up`);
const made = [];
const closers = [];
test.after.each(async () => {
  for (const close of closers.splice(0)) await close();
  await removeProjects();
  for (const db of made.splice(0)) await db.drop();
});

const A = 'create table a (id int);\n';
const EDITED = 'create table z (id int);\n'; // the same size as A

/** A project with two revisions applied on a fresh database, then a no-op up that wrote the record. */
async function recorded({ url } = {}) {
  const db = await freshDatabase(target);
  made.push(db);
  const p = await project(
    { '001_a': { up: A, down: 'drop table a;\n' }, '002_b': { up: 'create table b (id int);\n', down: 'drop table b;\n' } },
    { toml: `dir = "sql"\n[database]\nurl = "${url ?? db.url}"\n` },
  );
  const first = await p.fmig('up');
  assert.is(first.code, 0, first.stderr);
  assert.match(first.stdout, /applied 002_b/);
  const second = await p.fmig('up');
  assert.is(second.code, 0, second.stderr);
  assert.match(second.stdout, 'nothing to apply');
  const record = path.join(p.dir, '.fmig', 'up-to-date');
  assert.ok(fs.existsSync(record), 'the no-op up wrote the record');
  return { p, db, record, sqlDir: path.join(p.dir, 'sql'), upFile: path.join(p.dir, 'sql', '001_a.up.sql') };
}

const nothing = (r) => {
  assert.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, 'nothing to apply: the database is up to date');
};

/** Makes the record claim the folder as it is now, written after it (a forgery fmig would accept but for the digest and files). */
function forgeFolder(record, sqlDir) {
  const st = fs.statSync(sqlDir, { bigint: true });
  const body = JSON.parse(fs.readFileSync(record, 'utf8'));
  body.folder = [st.size, st.mtimeNs, st.ctimeNs, st.ino, st.dev].join('\t');
  fs.writeFileSync(record, JSON.stringify(body));
  const later = Date.now() / 1000 + 60;
  fs.utimesSync(record, later, later);
}

if (target) {
  test('a no-op up answers from the record, again and again', async () => {
    const { p, record } = await recorded();
    const before = fs.readFileSync(record, 'utf8');
    nothing(await p.fmig('up'));
    const quiet = await p.fmig('up', '--quiet');
    assert.is(quiet.code, 0, quiet.stderr);
    assert.is(quiet.stdout, '');
    assert.is(fs.readFileSync(record, 'utf8'), before, 'answered, not recorded again');
  });

  test('the record is believed (the control for the tests below): forged to match a folder with a new revision, that revision is not seen', async () => {
    const { p, record, sqlDir } = await recorded();
    await p.revisions({ '003_c': 'create table c (id int);\n' });
    forgeFolder(record, sqlDir);
    nothing(await p.fmig('up'));
  });

  test('a record not older than the folder (racily clean) is not trusted: the new revision is applied', async () => {
    const { p, db, record, sqlDir } = await recorded();
    await p.revisions({ '003_c': 'create table c (id int);\n' });
    forgeFolder(record, sqlDir);
    execFileSync('touch', ['-r', sqlDir, record]);
    const r = await p.fmig('up');
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /applied 003_c/);
    assert.ok((await state(db.url)).tables.includes('public.c'));
  });

  test('a revision added to the folder is applied', async () => {
    const { p, db } = await recorded();
    await p.revisions({ '003_c': 'create table c (id int);\n' });
    const r = await p.fmig('up');
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /applied 003_c/);
    assert.equal((await state(db.url)).rows.map((row) => row.revision), ['001', '002', '003']);
    nothing(await p.fmig('up'));
  });

  test('an applied file edited to the same size, its mtime set back, is refused', async () => {
    const { p, upFile } = await recorded();
    // The reference file outside sql/: the folder's own stat stays as recorded.
    const ref = path.join(p.dir, 'times');
    fs.writeFileSync(ref, '');
    execFileSync('touch', ['-r', upFile, ref]);
    fs.writeFileSync(upFile, EDITED);
    execFileSync('touch', ['-r', ref, upFile]);
    fs.rmSync(ref);
    for (let i = 0; i < 2; i++) {
      const r = await p.fmig('up');
      assert.is(r.code, 1, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /001_a\.up\.sql was edited after it was applied/);
    }
  });

  test('an applied revision removed from the folder is refused', async () => {
    const { p } = await recorded();
    await p.revisions({ '002_b': null });
    const r = await p.fmig('up');
    assert.is.not(r.code, 0, r.stdout);
    assert.match(r.stderr, /002 is applied to the database but not in the folder/);
  });

  test('the ledger changed behind fmig\'s back: a row gone is applied again, a checksum changed is refused', async () => {
    const { p, db } = await recorded();
    await admin(db.url, 'drop table b');
    await admin(db.url, 'delete from fmig_ledger where revision = $1', ['002']);
    const again = await p.fmig('up');
    assert.is(again.code, 0, again.stderr);
    assert.match(again.stdout, /applied 002_b/);
    nothing(await p.fmig('up'));
    await admin(db.url, "update fmig_ledger set up_checksum = 'xxh64:0123456789abcdef' where revision = $1", ['001']);
    const r = await p.fmig('up');
    assert.is(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /001_a\.up\.sql was edited after it was applied/);
  });

  test('a damaged record is ignored, and written again by the next no-op up', async () => {
    const { p, record } = await recorded();
    const good = fs.readFileSync(record, 'utf8');
    for (const text of ['', 'garbage\0', good.replace(/"ledger":"[0-9a-f]+"/, '"ledger":"0"'), good.replace('"format":2', '"format":9')]) {
      fs.writeFileSync(record, text);
      nothing(await p.fmig('up'));
    }
    assert.is(fs.readFileSync(record, 'utf8'), good, 'the same record again, for the same folder and ledger');
  });

  test('a server that cannot be reached is reported as without the record', async () => {
    const db = await freshDatabase(target);
    made.push(db);
    const server = new URL(db.url);
    const proxy = await forwarder(Number(server.port || 5432), server.hostname);
    closers.push(proxy.close);
    server.port = String(proxy.port);
    const { p, record } = await recorded({ url: server.href });
    await proxy.close();
    const withRecord = await p.fmig('up');
    fs.rmSync(record);
    const without = await p.fmig('up');
    assert.is(withRecord.code, 3, withRecord.stderr);
    assert.is(withRecord.code, without.code);
    assert.is(withRecord.stderr, without.stderr);
  });

  test('the record keeps no password from the URL', async () => {
    const db = await freshDatabase(target);
    made.push(db);
    const url = new URL(db.url);
    url.password = 'Sekr1tPassw0rd';
    const { p } = await recorded({ url: url.href });
    for (const f of fs.readdirSync(path.join(p.dir, '.fmig'))) {
      const file = path.join(p.dir, '.fmig', f);
      if (fs.statSync(file).isFile()) assert.not.ok(fs.readFileSync(file, 'utf8').includes('Sekr1tPassw0rd'), f);
    }
  });
}

/** A loopback port forwarding to the server, until closed. */
function forwarder(port, host) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  let closed;
  const close = () => (closed ??= (sockets.forEach((s) => s.destroy()), new Promise((r) => server.close(r))));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: server.address().port, close })));
}

test.run();
