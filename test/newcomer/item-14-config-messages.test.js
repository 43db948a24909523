// Messages about settings that blame the right thing and say what to write: a duration with no
// unit, a URL scheme typo given on the command line, and an SSL failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { project, removeProjects } from '../helpers/cli.js';

test.after.each(removeProjects);

test('lock_timeout = 10 (a bare number) is an error naming the unit forms, exit 2', async () => {
  for (const value of ['10', '"10"', '2.5']) {
    const p = await project({}, { toml: `dir = "sql"\n[database]\nurl = "pglite://memory"\nlock_timeout = ${value}\n` });
    const r = await p.fmig('status');
    assert.is(r.code, 2, `${value}: ${r.stderr}`);
    assert.match(r.stderr, /database\.lock_timeout: .* has no unit/);
    assert.match(r.stderr, /"\d+(\.\d+)?s", "\d+(\.\d+)?ms"/);
  }
  // 0 needs no unit, and units are read as before.
  for (const value of ['0', '"0"', '"10s"', '"500ms"']) {
    const p = await project({}, { toml: `dir = "sql"\n[database]\nurl = "pglite://memory"\nlock_timeout = ${value}\n` });
    const r = await p.fmig('status');
    assert.is(r.code, 0, `${value}: ${r.stderr}`);
  }
});

test('a URL scheme typo on --url or in DATABASE_URL is blamed on that URL, not on migrate.toml', async () => {
  const p = await project({});
  let r = await p.fmig('status', '--url', 'postgress://app:s3cret@db.example/app');
  assert.is(r.code, 2, r.stderr);
  assert.not.match(r.stderr, /migrate\.toml/);
  assert.match(r.stderr, /--url "postgress:\/\/app:\*\*\*@db\.example\/app"/);
  assert.match(r.stderr, /did you mean postgres:\/\//);
  assert.not.match(r.stderr, /s3cret/);
  r = await p.fmig('status', { env: { ...process.env, NO_COLOR: '1', DATABASE_URL: 'postgress://app@db.example/app' } });
  assert.is(r.code, 2, r.stderr);
  assert.not.match(r.stderr, /migrate\.toml/);
  assert.match(r.stderr, /DATABASE_URL/);
  // In migrate.toml, it is migrate.toml's problem.
  const q = await project({}, { toml: 'dir = "sql"\n[database]\nurl = "postgress://app@db.example/app"\n' });
  r = await q.fmig('status');
  assert.is(r.code, 2);
  assert.match(r.stderr, /^error: migrate\.toml: database URL from database\.url/m);
});

test('an SSL failure says which sslmode to try', async () => {
  // A server that agrees to SSL and then hangs up: the TLS handshake fails.
  const server = net.createServer((s) => s.once('data', () => s.end('S')));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  try {
    const p = await project({});
    const r = await p.fmig('status', '--url', `postgres://app@127.0.0.1:${port}/app?sslmode=require`);
    assert.is(r.code, 3, r.stderr);
    assert.match(r.stderr, /sslmode=disable/);
  } finally {
    server.close();
  }
});

test.run();
