// Divergent heads judged by whether they commute: `fmig verify --against` and `fmig resolve`,
// the CLI as a child process in real temp repositories.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gitRepo, revision, cleanup } from '../helpers/git.js';

test.after.each(cleanup);

const TOML = { 'migrate.toml': 'dir = "sql"\n' };
const BASE = 'create table users (id int primary key, name text);\n';

/** main: 0001; the branch `feature` adds 0002 on it, main meanwhile 0003 on it: two heads once merged. */
async function diverged(ours, theirs) {
  return gitRepo({
    files: { ...TOML, ...revision('0001', 'base', BASE, 'drop table users;\n') },
    steps: [
      { branch: 'feature' },
      { commit: revision('0002', 'ours', `-- fmig:parent 0001\n${ours}`, '') , message: 'ours' },
      { checkout: 'main' },
      { commit: revision('0003', 'theirs', `-- fmig:parent 0001\n${theirs}`, ''), message: 'theirs' },
      { checkout: 'feature' },
    ],
  });
}

const only = (r, code) => r.json.findings.filter((f) => f.code === code);
/** The divergence itself is an error (merge-divergent-heads): the judgement adds to it, or not. */
const errors = (r) => [...new Set(r.json.findings.filter((f) => f.severity === 'error').map((f) => f.code))];

test('two branches touching different tables commute: info, exit unaffected; resolve says why the order cannot matter', async () => {
  const repo = await diverged('create table orders (id int);\n', 'alter table users add column email text;\n');
  const r = await repo.fmig('verify', '--against', 'main', '--json');
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.equal(errors(r), ['merge-divergent-heads']);
  const [f] = only(r, 'commutes');
  assert.ok(f, r.stdout);
  assert.is(f.severity, 'info');
  assert.is(only(r, 'conflict-objects').length, 0);
  assert.match(f.message, /0002's side \(0002\) touches table public\.orders; 0003's side \(0003\) touches table public\.users: no object in common/);
  await repo.git('merge', '-q', '--no-edit', 'main');
  const res = await repo.fmig('resolve');
  assert.is(res.code, 0, res.stderr);
  assert.match(res.stdout, /the order cannot matter: 0003's side \(0003\) touches table public\.users; 0002's side \(0002\) touches table public\.orders: no object in common/);
});

test('two branches adding different columns to one table overlap; both orders differ only in column order: a warning that says exactly that', async () => {
  const repo = await diverged('alter table users add column email text;\n', 'alter table users add column phone text;\n');
  const r = await repo.fmig('verify', '--against', 'main', '--json');
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.equal(errors(r), ['merge-divergent-heads']);
  const [f] = only(r, 'conflict-objects');
  assert.ok(f, r.stdout);
  assert.is(f.severity, 'warning');
  assert.match(f.message, /both touch table public\.users \(sql\/0002_ours\.up\.sql:2 and sql\/0003_theirs\.up\.sql:2\)/);
  assert.match(
    f.message,
    /they give the same schema except the order of columns in public\.users \(0002 then 0003: id, name, email, phone; 0003 then 0002: id, name, phone, email\)$/,
  );
  const text = await repo.fmig('verify', '--against', 'main');
  assert.match(text.stdout, /^warning conflict-objects sql\/0003_theirs\.up\.sql: /m);
});

test('a rename on one side and an index on the renamed column on the other: an error with both orders\' outcomes', async () => {
  const repo = await diverged('alter table users rename column name to full_name;\n', 'create index users_name on users (name);\n');
  const r = await repo.fmig('verify', '--against', 'main', '--json');
  assert.is(r.code, 1, r.stdout + r.stderr);
  // The branch's own rename is also a lint error (the release still running reads the old name).
  assert.equal(errors(r), ['rename', 'merge-divergent-heads', 'conflict-objects']);
  const [f] = only(r, 'conflict-objects');
  assert.ok(f, r.stdout);
  assert.is(f.severity, 'error');
  assert.match(f.message, /both touch column public\.users\.name \(sql\/0002_ours\.up\.sql:2 and sql\/0003_theirs\.up\.sql:2\)/);
  assert.match(f.message, /0002 then 0003 fails at 0003_theirs; 0003 then 0002 applies$/);
  assert.match(f.detail.join('\n'), /column "name" does not exist/);
  const text = await repo.fmig('verify', '--against', 'main');
  assert.is(text.code, 1);
  assert.match(text.stdout, /^ {4}0002 then 0003:$/m);
  assert.match(text.stdout, /column "name" does not exist/);
});

test('resolve refuses to rebase when the order changes the outcome, then accepts it with --force', async () => {
  const repo = await diverged('alter table users rename column name to full_name;\n', 'create index users_name on users (name);\n');
  await repo.git('merge', '-q', '--no-edit', 'main');
  const refused = await repo.fmig('resolve');
  assert.is(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /refusing to rebase: 0003's and 0002's sides both touch column public\.users\.name/);
  assert.match(refused.stderr, /0003 then 0002 applies; 0002 then 0003 fails at 0003_theirs/);
  assert.match(refused.stderr, /column "name" does not exist/);
  assert.match(refused.stderr, /fmig resolve --force/);
  assert.is((await repo.fmig('heads', '--json')).json.heads.length, 2, 'nothing was changed');
  const forced = await repo.fmig('resolve', '--force');
  assert.is(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, /--force: rebasing in this order all the same/);
  assert.match(forced.stdout, /moved 0002_ours's side onto the line of 0003/);
  assert.is((await repo.fmig('heads', '--json')).json.heads.length, 1);
});

test('a judgement from the caches (parse trees in .git/fmig, replays in .fmig) finds what the first found, a SQL function\'s reads included; a damaged parse cache is not believed', async () => {
  const repo = await diverged(
    "create function user_names() returns setof text language sql as $$ select name from users $$;\n",
    'alter table users rename column name to full_name;\n',
  );
  const judged = (r) => r.json.findings.filter((f) => ['commutes', 'conflict-objects'].includes(f.code)).map((f) => [f.code, f.severity, f.message]);
  const first = await repo.fmig('verify', '--against', 'main', '--json');
  const [f] = only(first, 'conflict-objects');
  assert.ok(f, first.stdout);
  assert.match(f.message, /public\.users/);
  const cacheFile = path.join(repo.dir, '.git', 'fmig', 'parse-cache');
  const cached = await readFile(cacheFile, 'utf8');
  assert.match(cached, /select name from users/, 'the function body\'s parse is kept too');
  const second = await repo.fmig('verify', '--against', 'main', '--json');
  assert.equal(judged(second), judged(first));
  // The body's tree swapped for one reading nothing, without the checksum that vouches for it.
  const tampered = cached.replace(/"relname":"users"/g, '"relname":"nothing"');
  assert.not.equal(tampered, cached);
  await writeFile(cacheFile, tampered);
  const third = await repo.fmig('verify', '--against', 'main', '--json');
  assert.equal(judged(third), judged(first));
});

test.run();
