// The header cache verify keeps in .git/fmig: a warm, stale, damaged or lying cache never hides a finding.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { gitRepo, revision, cleanup } from '../helpers/git.js';

test.after.each(cleanup);

const TOML = { 'migrate.toml': 'dir = "sql"\n' };
const codes = (r) => r.json.findings.map((f) => [f.code, f.file]);
const cacheFile = (repo) => path.join(repo.dir, '.git', 'fmig', 'header-cache');

/** main: 0001 (committed with CRLF) → 0002 → 0003, both naming 0001 as parent: two heads on main itself. */
async function repoWithHeaders() {
  return gitRepo({
    files: {
      ...TOML,
      ...revision('0001', 'a', 'create table a();\r\n'),
      ...revision('0002', 'b', '-- fmig:parent 0001\ncreate table b();\n'),
      ...revision('0003', 'c', '-- fmig:parent 0001\ncreate table c();\n'),
    },
    steps: [{ branch: 'feature' }],
  });
}

const EXPECTED = [
  ['divergent-heads', 'sql/0002_b.up.sql'],
  ['divergent-heads', 'sql/0003_c.up.sql'],
  ['crlf', 'sql/0001_a.up.sql'],
];

test('a second run, from the cache, reports what the first found from the files', async () => {
  const repo = await repoWithHeaders();
  const first = await repo.fmig('verify', '--json');
  assert.equal(codes(first), EXPECTED);
  const cached = await readFile(cacheFile(repo), 'utf8');
  assert.match(cached, /^fmig-header-cache 2 [0-9a-f]{40}\n/);
  assert.match(cached, /"-- fmig:parent 0001\\n"/, 'headers are kept');
  const second = await repo.fmig('verify', '--json');
  assert.equal(codes(second), EXPECTED);
  assert.is(second.code, 1);
});

test('an edit, a deletion or a rename of a cached published file is still found', async () => {
  const repo = await gitRepo({ files: { ...TOML, ...revision('0001', 'a'), ...revision('0002', 'b') }, steps: [{ branch: 'feature' }] });
  assert.is((await repo.fmig('verify')).code, 0);
  await repo.write({ 'sql/0002_b.up.sql': '-- fmig:parent 0001\ncreate table t0002 (id int);\n' });
  let r = await repo.fmig('verify', '--json');
  assert.equal(codes(r), [['published-edited', 'sql/0002_b.up.sql']]);
  await repo.write({ 'sql/0002_b.up.sql': null });
  r = await repo.fmig('verify', '--json');
  assert.equal(codes(r), [['down-without-up', 'sql/0002_b.down.sql'], ['published-deleted', 'sql/0002_b.up.sql']]);
  await repo.git('checkout', '-q', '--', 'sql');
  await repo.git('mv', 'sql/0001_a.down.sql', 'sql/0001_z.down.sql');
  r = await repo.fmig('verify', '--json');
  assert.ok(codes(r).some(([code, file]) => code === 'published-renamed' && file === 'sql/0001_a.down.sql'), r.stdout);
});

test('a damaged or tampered cache is ignored whole and rewritten', async () => {
  const repo = await repoWithHeaders();
  await repo.fmig('verify');
  const good = await readFile(cacheFile(repo), 'utf8');
  // A lie about every file (no header, no CR) without the checksum that vouches for the body.
  const lie = good.replace(/ 1\n/g, ' 0\n').replace(/ 1 ".*"\n/g, ' 0\n').replace(/ 0 ".*"\n/g, ' 0\n');
  assert.not.equal(lie, good);
  await writeFile(cacheFile(repo), lie);
  let r = await repo.fmig('verify', '--json');
  assert.equal(codes(r), EXPECTED, 'the tampered body is not believed');
  assert.is(await readFile(cacheFile(repo), 'utf8'), good, 'and is rewritten from the files');

  for (const damaged of ['', 'garbage\n', good.slice(0, good.length - 10), `fmig-header-cache 999 ${good.split('\n')[0].split(' ')[2]}\n${good.split('\n').slice(1).join('\n')}`]) {
    await writeFile(cacheFile(repo), damaged);
    r = await repo.fmig('verify', '--json');
    assert.equal(codes(r), EXPECTED, JSON.stringify(damaged.slice(0, 40)));
  }
  await rm(path.join(repo.dir, '.git', 'fmig'), { recursive: true });
  r = await repo.fmig('verify', '--json');
  assert.equal(codes(r), EXPECTED);
});

test('--staged reads the index through the cache and still sees a staged edit', async () => {
  const repo = await repoWithHeaders();
  await repo.fmig('verify');
  let r = await repo.fmig('verify', '--staged', '--json');
  assert.equal(codes(r), EXPECTED);
  await repo.write({ 'sql/0003_c.up.sql': '-- fmig:parent 0002\ncreate table c();\n' });
  await repo.git('add', 'sql/0003_c.up.sql');
  r = await repo.fmig('verify', '--staged', '--json');
  assert.equal(codes(r), [['published-edited', 'sql/0003_c.up.sql'], ['crlf', 'sql/0001_a.up.sql']]);
});

test('a published file holding a psql meta-command is still reported when the cache vouches for it', async () => {
  const repo = await gitRepo({
    files: { ...TOML, ...revision('0001', 'a', 'create table a();\n\\connect other\n'), ...revision('0002', 'b', "create table b();\nselect 'a \\ in a string';\n") },
    steps: [{ branch: 'feature' }],
  });
  const expected = [['psql-meta-command', 'sql/0001_a.up.sql']];
  for (const args of [[], [], ['--staged'], ['--staged']]) {
    const r = await repo.fmig('verify', ...args, '--json');
    assert.equal(codes(r), expected, args.join(' '));
    assert.is(r.code, 1);
  }
  const cached = await readFile(cacheFile(repo), 'utf8');
  assert.is(cached.split('\n').filter((l) => / 2$/.test(l)).length, 2, 'both files with a backslash are flagged');
});

test.run();
