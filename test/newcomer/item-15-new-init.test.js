// `fmig new` where there is no migrate.toml says so instead of making ./sql/; `init` leaves a
// file in the new folder so that git carries the empty folder to teammates.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { runFmig, cliEnv, tempDir, removeProjects } from '../helpers/cli.js';

test.after.each(removeProjects);

test('fmig new with no migrate.toml here or above exits 2 and creates nothing', async () => {
  const dir = await tempDir();
  const r = await runFmig(dir, ['new', 'add_users'], { env: cliEnv() });
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /no migrate\.toml/);
  assert.match(r.stderr, /fmig init/);
  assert.equal(readdirSync(dir), []);
});

test('fmig init leaves sql/.gitkeep, and new still works beside it', async () => {
  const dir = await tempDir();
  let r = await runFmig(dir, ['init'], { env: cliEnv() });
  assert.is(r.code, 0, r.stderr);
  assert.ok(existsSync(path.join(dir, 'sql', '.gitkeep')));
  r = await runFmig(dir, ['new', 'add_users'], { env: cliEnv() });
  assert.is(r.code, 0, r.stderr);
  r = await runFmig(dir, ['status', '--url', 'pglite://memory'], { env: cliEnv() });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /pending:\s+1 revision/);
});

test.run();
