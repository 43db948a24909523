// The README's main job, as a user on a fresh clone runs it: no --url, no DATABASE_URL, so
// `fmig up` applies sql/ to the embedded database in .fmig/pglite.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { repositoryCopy, removeProjects, REPO_ROOT } from '../helpers/cli.js';

test.after.each(removeProjects);

const IDS = readdirSync(path.join(REPO_ROOT, 'sql'))
  .filter((f) => f.endsWith('.up.sql'))
  .map((f) => f.replace(/\.up\.sql$/, ''))
  .sort();

test('fmig up applies sql/ to .fmig/pglite; again applies nothing; status and history show it; down base and up round-trip', async () => {
  const p = await repositoryCopy();
  assert.ok(IDS.length >= 12);

  // Looking first creates nothing: a dry run and status plan against the database not made yet.
  let r = await p.fmig('up', '--dry-run');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, `-- dry run: ${IDS.length} revision(s) would be applied`);
  r = await p.fmig('status');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, `pending:  ${IDS.length} revision(s)`);
  assert.not.ok(existsSync(path.join(p.dir, '.fmig')), 'no embedded database was created');

  r = await p.fmig('up');
  assert.is(r.code, 0, r.stderr);
  assert.equal([...r.stdout.matchAll(/^applied (\S+)/gm)].map((m) => m[1]), IDS);
  assert.ok(existsSync(path.join(p.dir, '.fmig', 'pglite', 'PG_VERSION')), 'the embedded database is in .fmig/pglite');

  r = await p.fmig('up');
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'nothing to apply: the database is up to date\n');

  r = await p.fmig('status', '--check');
  assert.is(r.code, 0, r.stdout);
  assert.match(r.stdout, /^database: pglite:\/\/\S*\.fmig\/pglite /m);
  assert.match(r.stdout, `applied:  ${IDS.length} revision(s); head ${IDS.at(-1)}`);
  assert.match(r.stdout, 'pending:  none');

  r = await p.fmig('history');
  assert.is(r.code, 0, r.stderr);
  for (const id of IDS) assert.match(r.stdout, `${id.replace('_', ' ')} (applied)`);
  assert.match(r.stdout, '|\\', 'the branch and merge are drawn');
  r = await p.fmig('history', '--json');
  assert.is(r.code, 0, r.stderr);
  const revs = JSON.parse(r.stdout).revisions;
  assert.equal(revs.map((x) => `${x.revision}_${x.slug}`), [...IDS].reverse(), 'newest first');
  assert.ok(revs.every((x) => x.applied === true));

  r = await p.fmig('down', 'base');
  assert.is(r.code, 0, r.stderr);
  assert.equal([...r.stdout.matchAll(/^reverted (\S+)/gm)].map((m) => m[1]), [...IDS].reverse());
  r = await p.fmig('status', '--json');
  assert.equal(JSON.parse(r.stdout).applied, []);

  r = await p.fmig('up');
  assert.is(r.code, 0, r.stderr);
  assert.equal([...r.stdout.matchAll(/^applied (\S+)/gm)].map((m) => m[1]), IDS);
});

test.run();
