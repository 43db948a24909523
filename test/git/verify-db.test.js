// `fmig verify --db`: the ledger checked against the files; an unreachable database is exit 3.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gitRepo, revision, cleanup } from '../helpers/git.js';

test.after.each(cleanup);

test('an applied revision edited since is reported with --db; without --db it is a new, unpublished file', async () => {
  const repo = await gitRepo({ files: { 'migrate.toml': 'dir = "sql"\n', '.gitignore': '.fmig/\n', ...revision('0001', 'a') } });
  await repo.write(revision('0002', 'b', '-- fmig:parent 0001\ncreate table b (id int);\n'));
  const up = await repo.fmig('up', '--url', 'pglite://.fmig/pglite');
  assert.is(up.code, 0, up.stderr);
  await repo.write({ 'sql/0002_b.up.sql': '-- fmig:parent 0001\ncreate table b (id bigint);\n' });

  assert.is((await repo.fmig('verify')).code, 0, 'not on main: git has nothing against the edit');
  const r = await repo.fmig('verify', '--db', '--url', 'pglite://.fmig/pglite', '--json');
  assert.is(r.code, 1, r.stderr);
  assert.equal(r.json.findings.map((f) => [f.code, f.file]), [['db-edited', 'sql/0002_b.up.sql']]);
  assert.match(r.json.findings[0].fix, /fmig repair --yes/);

  await repo.write({ 'sql/0002_b.up.sql': null, 'sql/0002_b.down.sql': null });
  const gone = await repo.fmig('verify', '--db', '--url', 'pglite://.fmig/pglite', '--json');
  assert.is(gone.code, 1);
  assert.equal(gone.json.findings.map((f) => [f.code, f.file]), [['db-missing', 'sql/0002_*']]);
});

test('--db with an unreachable database is exit 3', async () => {
  const repo = await gitRepo({ files: { 'migrate.toml': 'dir = "sql"\n', ...revision('0001', 'a') } });
  const r = await repo.fmig('verify', '--db', '--url', 'postgres://nobody@127.0.0.1:1/none');
  assert.is(r.code, 3, r.stderr);
});

test.run();
