// [targets.<name>] in migrate.toml: bad input is exit 2 naming the key, and a target's
// ${VAR} matters only when that target is used. No database is reached.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { project, removeProjects } from '../helpers/cli.js';

test.after.each(removeProjects);

test('unknown keys, schema with schemas, a bad schemas value: every problem named, exit 2', async () => {
  const p = await project({}, { toml: 'dir = "sql"\n[targets.eu]\nurl = "postgres://x@127.0.0.1:1/x"\nschmeas = "select 1"\n[targets.t]\nschema = "a"\nschemas = ["b"]\n[targets.u]\nschemas = 5\n' });
  const r = await p.fmig('status', '--all');
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /unknown key "targets\.eu\.schmeas" \(did you mean "targets\.eu\.schemas"\?\)/);
  assert.match(r.stderr, /targets\.t: schema and schemas together/);
  assert.match(r.stderr, /targets\.u\.schemas: expected a query \(a string\) or a list of schema names, got an integer/);
});

test('an unset ${VAR} in a target stops only a command that uses it; unknown targets and --url with --all are refused', async () => {
  const p = await project({ '000001_a': 'create table a (id int);\n' }, { toml: 'dir = "sql"\n[targets.eu]\nurl = "${FMIG_TEST_EU_URL}"\n[targets.local]\nurl = "pglite://memory"\n' });
  let r = await p.fmig('heads', '--target', 'local');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /000001_a/);
  r = await p.fmig('up', '--target', 'eu');
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /targets\.eu\.url: environment variable FMIG_TEST_EU_URL is not set/);
  r = await p.fmig('up', '--target', 'loca');
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /no \[targets\.loca\] in migrate\.toml \(did you mean local\?\)/);
  r = await p.fmig('up', '--all', '--url', 'pglite://memory');
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /--url and --target\/--all/);
  r = await p.fmig('up', '-j', '2');
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /-j goes with --target or --all/);
  r = await p.fmig('history', '--all');
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /history runs on one database/);
});

test.run();
