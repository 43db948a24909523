// verify reports revision files holding psql meta-commands, which up and down refuse.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { project, removeProjects } from '../helpers/cli.js';

test.after.each(removeProjects);

test('verify reports a psql meta-command with file, line and command; pg_dump\'s \\restrict lines pass', async () => {
  const p = await project({
    '001_a': '\\restrict k1\nCREATE TABLE a (id int);\n\\unrestrict k1\n',
    '002_b': { up: 'CREATE TABLE b (id int);\n', down: "DROP TABLE b;\nSELECT 'not \\i a command';\n\\connect other\n" },
  });
  const r = await p.fmig('verify');
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, 'sql/002_b.down.sql:3: \\connect: a psql meta-command, not SQL');
  assert.not.match(r.stdout, '001_a');
  await p.revisions({ '002_b': { up: 'CREATE TABLE b (id int);\n', down: 'DROP TABLE b;\n' } });
  const ok = await p.fmig('verify');
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
});

test.run();
