/**
 * When a backup is not taken, and when a backup or a restore refuses: nothing pending takes
 * none; a failed backup stops `up` before anything changes; a pg_dump older than the server is
 * named as such; a restore never writes into a database that holds anything, and on a server
 * only with --yes.
 */
import { existsSync, readdirSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { project, removeProjects, snapshot, state } from '../helpers/cli.js';

const A = { '001_a': { up: 'create table a (id int primary key, note text);\ninsert into a values (1, \'kept\');\n', down: 'drop table a;' } };
const B = { '002_b': { up: 'create table b (id int);', down: 'drop table b;' } };

forEachTarget('backup refusals', (test, { target, fresh }) => {
  test.after.each(removeProjects);
  const server = target.kind === 'postgres';

  test('up --backup with nothing pending takes no backup', async () => {
    const p = await project(A);
    const { url } = await fresh();
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    const r = await p.fmig('up', '--url', url, '--backup');
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /nothing to apply/);
    assert.not.match(r.stdout, /backup/);
    assert.not.ok(existsSync(path.join(p.dir, '.fmig', 'backups')));
  });

  test('a backup that fails stops up with exit 1, before anything changes', async () => {
    // On a server, a pg_dump that is not there; on either, a backup folder that cannot be made.
    const toml = server ? 'dir = "sql"\n[backup]\npg_dump = "/nonexistent/bin/pg_dump"\n' : 'dir = "sql"\n[backup]\ndir = "migrate.toml/backups"\n';
    const p = await project(A, { toml });
    const { url } = await fresh();
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    const before = await state(url);
    await p.revisions(B);
    const r = await p.fmig('up', '--url', url, '--backup');
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, server ? /could not run \/nonexistent\/bin\/pg_dump: not found/ : /could not write the backup/);
    assert.match(r.stderr, /nothing was applied/);
    assert.not.match(r.stderr, /    at /); // no stack
    assert.not.match(r.stdout, /applied 002_b/);
    assert.equal(await state(url), before);
  });

  test('[backup] before_up = true takes it without the flag; --no-backup skips it', async () => {
    const p = await project(A, { toml: 'dir = "sql"\n[backup]\nbefore_up = true\npg_dump = "/nonexistent/pg_dump"\ndir = "migrate.toml/x"\n' });
    const { url } = await fresh();
    const r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /nothing was applied/);
    const skipped = await p.fmig('up', '--url', url, '--no-backup');
    assert.is(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stdout, /applied 001_a/);
  });

  test('restore into a database that holds anything refuses, naming what is there, and changes nothing', async () => {
    const p = await project(A);
    const { url } = await fresh();
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    const out = server ? 'a.dump' : 'a.tar.gz';
    const b = await p.fmig('backup', '--url', url, '--out', out);
    assert.is(b.code, 0, b.stderr);
    assert.ok(existsSync(path.join(p.dir, `${out}.json`)));
    await p.revisions(B);
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    const before = { ...(await state(url)), schema: await snapshot(url) };
    const r = await p.fmig('restore', out, '--url', url, '--yes');
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /refusing to restore: .* is not empty \(table public\.a, table public\.b/);
    assert.equal({ ...(await state(url)), schema: await snapshot(url) }, before);
  });

  if (server) {
    test('a pg_dump older than the server is reported as a version mismatch, before it runs', async () => {
      const p = await project(A, { toml: 'dir = "sql"\n[backup]\npg_dump = "./old-pg_dump"\n', files: { 'old-pg_dump': '#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n' } });
      await chmod(path.join(p.dir, 'old-pg_dump'), 0o755);
      const { url } = await fresh();
      const r = await p.fmig('backup', '--url', url);
      assert.is(r.code, 1, r.stderr);
      assert.match(r.stderr, /pg_dump is version 9\.6, the server is version \d+: pg_dump cannot back up a server newer than itself/);
      assert.match(r.stderr, /\[backup\] pg_dump/);
      const up = await p.fmig('up', '--url', url, '--backup');
      assert.is(up.code, 1);
      assert.match(up.stderr, /pg_dump is version 9\.6/);
      assert.equal((await state(url)).tables, []);
    });

    test('restore on a server needs --yes, and --url', async () => {
      const p = await project(A);
      const { url } = await fresh();
      assert.is((await p.fmig('up', '--url', url)).code, 0);
      assert.is((await p.fmig('backup', '--url', url, '--out', 'a.dump')).code, 0);
      const empty = (await fresh()).url;
      const r = await p.fmig('restore', 'a.dump', '--url', empty);
      assert.is(r.code, 1);
      assert.match(r.stderr, /a server: it needs --yes/);
      assert.equal((await state(empty)).tables, []);
      const noUrl = await p.fmig('restore', 'a.dump');
      assert.is(noUrl.code, 2);
      assert.match(noUrl.stderr, /restore needs --url/);
    });

    test('--keep leaves the newest backups of the database', async () => {
      const p = await project(A);
      const { url } = await fresh();
      for (let i = 0; i < 3; i++) assert.is((await p.fmig('backup', '--url', url, '--keep', '2')).code, 0);
      const left = readdirSync(path.join(p.dir, '.fmig', 'backups'));
      assert.is(left.filter((n) => n.endsWith('.dump')).length, 2);
      assert.is(left.filter((n) => n.endsWith('.dump.json')).length, 2);
    });
  }
});
