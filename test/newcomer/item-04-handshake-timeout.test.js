// The connect timeout covers the whole start-up handshake, whatever the other end sends: a port
// answered by an HTTP proxy (400, then hang-up), by garbage, or by nothing at all ends in exit 3
// naming the timeout, never in a silent hang.
import { execFile } from 'node:child_process';
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cliEnv, FMIG_BIN, project, removeProjects } from '../helpers/cli.js';

/** A loopback listener that answers every connection as `mode` says; resolves to { port, close }. */
function listener(mode) {
  const sockets = new Set();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    if (mode === 'http-400-hang-up') s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    else if (mode === 'http-400-stay') s.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    else if (mode === 'garbage') s.write(Buffer.from('\x00\x01\x02garbage\xff\xfe'.repeat(50), 'latin1'));
    else if (mode === 'garbage-hang-up') s.end(Buffer.from('\x00\x01\x02garbage\xff\xfe'.repeat(50), 'latin1'));
    // 'nothing': accept and say nothing
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        close: () => {
          for (const s of sockets) s.destroy();
          return new Promise((r) => server.close(r));
        },
      }),
    ),
  );
}

/** Runs fmig, killed after `killMs` (a hang fails the test instead of stalling the suite). */
function run(cwd, args, killMs) {
  return new Promise((resolve) => {
    execFile(process.execPath, [FMIG_BIN, ...args], { cwd, env: cliEnv(), timeout: killMs }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, killed: !!err?.killed, stdout, stderr });
    });
  });
}

test.after.each(removeProjects);

for (const mode of ['http-400-hang-up', 'http-400-stay', 'garbage', 'garbage-hang-up', 'nothing']) {
  test(`item 4: a listener that answers with ${mode}: exit 3 naming the timeout, no hang`, async () => {
    const p = await project({ '1_a': 'create table a (id int);\n' });
    const l = await listener(mode);
    try {
      for (const cmd of [['status'], ['up']]) {
        const r = await run(p.dir, [...cmd, '--url', `postgres://root@127.0.0.1:${l.port}/db?connect_timeout=1`], 30000);
        assert.not.ok(r.killed, `${cmd}: fmig hung (killed after 30 s)`);
        assert.is(r.code, 3, `${cmd}: ${r.stderr}`);
        assert.match(r.stderr, `could not connect to postgres://root@127.0.0.1:${l.port}/db?connect_timeout=1: timed out after 1s`);
        assert.match(r.stderr, 'not an HTTP proxy');
      }
    } finally {
      await l.close();
    }
  });
}

test('item 4: without connect_timeout in the URL, the default limit (10 s) covers the handshake too', async () => {
  const p = await project({ '1_a': 'create table a (id int);\n' });
  const l = await listener('http-400-hang-up');
  try {
    const r = await run(p.dir, ['status', '--url', `postgres://root@127.0.0.1:${l.port}/db`], 60000);
    assert.not.ok(r.killed, 'fmig hung (killed after 60 s)');
    assert.is(r.code, 3, r.stderr);
    assert.match(r.stderr, 'timed out after 10s');
  } finally {
    await l.close();
  }
});

test.run();
