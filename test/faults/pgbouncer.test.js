// PgBouncer in front of the server (Debian's pgbouncer, started here on a loopback port):
// in transaction pooling fmig refuses, naming [database] direct_url, and with direct_url set it
// migrates through the server itself; session pooling works as a plain server.
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { forEachTarget } from '../helpers/databases.js';
import { project, removeProjects, state } from '../helpers/cli.js';

const PGBOUNCER = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((f) => fs.existsSync(f));

const freePort = () =>
  new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

/** Starts pgbouncer in `mode` in front of the server of `url`; resolves to { url (through it), stop() }. */
async function pgbouncer(url, mode) {
  const server = new URL(url);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmig-pgbouncer-'));
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const user = decodeURIComponent(server.username);
  fs.writeFileSync(path.join(dir, 'users.txt'), `"${user}" ""\n`);
  fs.writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    `[databases]\n* = host=${server.hostname} port=${server.port || 5432}\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = ${port}\n` +
      `unix_socket_dir =\nauth_type = trust\nauth_file = ${dir}/users.txt\npool_mode = ${mode}\ndefault_pool_size = 4\n` +
      `ignore_startup_parameters = extra_float_digits,options\n`,
  );
  for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644);
  // pgbouncer will not run as root: -u hands it to the postgres user.
  const args = process.getuid?.() === 0 ? ['-u', 'postgres', `${dir}/pgbouncer.ini`] : [`${dir}/pgbouncer.ini`];
  const proc = spawn(PGBOUNCER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  for (let i = 0; ; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (i > 100 || proc.exitCode !== null) throw new Error(`pgbouncer did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const through = new URL(url);
  through.host = `127.0.0.1:${port}`;
  return {
    url: through.toString(),
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.on('exit', r)));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const REVISIONS = { '001_a': { up: 'create table a (id int);', down: 'drop table a;' }, '002_b': { up: 'create table b (id int);', down: 'drop table b;' } };

forEachTarget('faults: PgBouncer', (test, { target, fresh }) => {
  if (target.kind !== 'postgres') return; // a pooler stands in front of a server only
  test.after.each(removeProjects);

  test('transaction pooling: refused, naming direct_url, nothing changed; with direct_url set, up and status work through it', async () => {
    assert.ok(PGBOUNCER, 'pgbouncer is installed (.ci/run installs it)');
    const { url } = await fresh();
    const bouncer = await pgbouncer(url, 'transaction');
    try {
      const p = await project(REVISIONS);
      const r = await p.fmig('up', { env: { ...process.env, NO_COLOR: '1', FMIG_DATABASE_URL: '', DATABASE_URL: bouncer.url } });
      assert.is(r.code, 3, r.stderr);
      assert.match(r.stderr, 'goes through a pooler in transaction mode');
      assert.match(r.stderr, 'direct_url');
      assert.equal((await state(url)).rows, [], 'nothing applied, no ledger row');

      const withDirect = await project(REVISIONS, { toml: `dir = "sql"\n[database]\nurl = "${bouncer.url}"\ndirect_url = "${url}"\n` });
      const ok = await withDirect.fmig('up');
      assert.is(ok.code, 0, ok.stderr);
      assert.equal((await state(url)).rows.map((x) => x.revision), ['001', '002']);
      const st = await withDirect.fmig('status', '--check');
      assert.is(st.code, 0, st.stderr);
    } finally {
      await bouncer.stop();
    }
  });

  test('session pooling works as a plain server', async () => {
    const { url } = await fresh();
    const bouncer = await pgbouncer(url, 'session');
    try {
      const p = await project(REVISIONS);
      const r = await p.fmig('up', '--url', bouncer.url);
      assert.is(r.code, 0, r.stderr);
      assert.equal((await state(url)).rows.map((x) => x.revision), ['001', '002']);
      assert.is((await p.fmig('down', '--url', bouncer.url)).code, 0);
    } finally {
      await bouncer.stop();
    }
  });
});
