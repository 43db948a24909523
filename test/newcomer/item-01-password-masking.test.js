// A password never appears in anything fmig prints, whatever characters it holds: every message
// that can carry a database URL is run against a table of awkward passwords, and none of the
// password's pieces may show in stdout or stderr. A URL whose password holds characters that
// must be percent-encoded is refused (exit 2) with everything between `://` and the last `@`
// masked, saying so.
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freshDatabase, testServerUrl } from '../helpers/databases.js';
import { cliEnv, project, removeProjects } from '../helpers/cli.js';
import { maskUrl } from '../../dist/adapters/db/driver.js';

/** Every password is made of these pieces and URL-special characters: no piece may be printed. */
const PIECES = ['Kq7x', 'Vw3z', 'Jm9p'];
const PASSWORDS = [
  'Kq7x', // plain
  'Kq7x/Vw3z',
  'Kq7x@Vw3z#Jm9p/Vw3z',
  'Kq7x@Vw3z', // parses (the last @ ends the user information), and connects
  'Kq7x?Vw3z',
  'Kq7x#Vw3z',
  'Kq7x%Vw3z', // not a valid percent-escape
  'Kq7x:Vw3z',
  'Kq7x Vw3z',
  'Kq7x%40Vw3z', // properly encoded
  'Kq7x@Vw3z@Jm9p',
];
/** The passwords that are run through every case (the others through the commonest). */
const SOME = ['Kq7x@Vw3z', 'Kq7x:Vw3z', 'Kq7x#Vw3z', 'Kq7x@Vw3z#Jm9p/Vw3z'];
/** Characters that must be percent-encoded in a password for it to parse one way only. */
const mustEncode = (pw) => /[/?#\s]/.test(pw) || /%(?![0-9A-Fa-f]{2})/.test(pw);

function assertNoLeak(r, what) {
  const out = r.stdout + r.stderr;
  for (const piece of PIECES) assert.not.ok(out.includes(piece), `${what}: printed "${piece}", a piece of the password:\n${out}`);
  assert.not.match(out, /^\s+at /m, `${what}: no stack trace`);
}

/** A loopback listener that accepts and says nothing. */
function silentListener() {
  const sockets = new Set();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: server.address().port, close: () => (sockets.forEach((s) => s.destroy()), new Promise((r) => server.close(r))) }),
    ),
  );
}

test.after.each(removeProjects);

test('item 1: maskUrl masks a plain password, and all of the user information where it is not plain', () => {
  assert.is(maskUrl('postgres://root:Kq7x@h:5432/db'), 'postgres://root:***@h:5432/db');
  assert.is(maskUrl('postgres://root@h/db'), 'postgres://root@h/db');
  assert.is(maskUrl('pglite://.fmig/pglite'), 'pglite://.fmig/pglite');
  for (const pw of PASSWORDS) {
    for (const text of [`postgres://root:${pw}@h:5432/db`, `--url=postgresql://root:${pw}@h/db?sslmode=require`, `fmig up --url postgres://root:${pw}@h/db`]) {
      const shown = maskUrl(text);
      for (const piece of PIECES) assert.not.ok(shown.includes(piece), `${text} → ${shown}`);
      assert.ok(shown.includes('@h'), `${text} → ${shown}: the host is still shown`);
    }
  }
  assert.is(maskUrl('postgres://root:p@ss#w/rd@h/db'), 'postgres://***@h/db');
});

test('item 1: a password with characters that must be percent-encoded: exit 2, masked, saying to encode them', async () => {
  const p = await project({ '1_a': 'create table a (id int);\n' });
  for (const pw of PASSWORDS.filter(mustEncode)) {
    const r = await p.fmig('status', '--url', `postgres://root:${pw}@127.0.0.1:1/db`);
    assertNoLeak(r, pw);
    assert.is(r.code, 2, `${pw}: ${r.stderr}`);
    assert.match(r.stderr, 'special characters in the user or password');
    assert.match(r.stderr, 'percent-encoded');
  }
});

test('item 1: every message with a URL in it, for every password: unreachable, unknown host, scheme typo, timeout, --json', async () => {
  const p = await project({ '1_a': { up: 'create table a (id int);\n', down: 'drop table a;\n' } });
  const silent = await silentListener();
  try {
    for (const pw of PASSWORDS) {
      const cases = [
        [['status', '--url', `postgres://root:${pw}@127.0.0.1:1/db`]],
        [['up', '--json', '--url', `postgres://root:${pw}@127.0.0.1:1/db`]],
        [['status', '--url', `postgress://root:${pw}@127.0.0.1/db`]],
      ];
      if (SOME.includes(pw)) {
        cases.push(
          [['status', '--url', `postgres://root:${pw}@fmig-no-such-host.invalid/db`]],
          [['status'], { DATABASE_URL: `postgress://root:${pw}@127.0.0.1/db` }],
          [['up', '--url', `postgres://root:${pw}@127.0.0.1:${silent.port}/db?connect_timeout=1`]],
        );
      }
      for (const [args, env] of cases) {
        const r = await p.fmig(...args, env ? { env: cliEnv(env) } : {});
        assertNoLeak(r, `${pw}: fmig ${args.join(' ')}`);
        assert.ok(r.code >= 2, `${pw}: fmig ${args.join(' ')}: ${r.stderr}`);
      }
    }
    // Every command that opens a database, with one of the worst passwords.
    for (const cmd of [['down'], ['history'], ['check'], ['sync', '--yes'], ['repair'], ['baseline', '1'], ['schema'], ['verify', '--db']]) {
      for (const pw of SOME) {
        const r = await p.fmig(...cmd, '--url', `postgres://root:${pw}@127.0.0.1:1/db`);
        assertNoLeak(r, `${pw}: fmig ${cmd.join(' ')}`);
      }
    }
    // In migrate.toml.
    for (const pw of PASSWORDS) {
      await p.write({ 'migrate.toml': `dir = "sql"\n[database]\nurl = "postgress://root:${pw.replace(/\\/g, '\\\\')}@127.0.0.1/db"\n` });
      const r = await p.fmig('status');
      assertNoLeak(r, `${pw}: migrate.toml`);
      assert.is(r.code, 2, r.stderr);
    }
  } finally {
    await silent.close();
  }
});

if (testServerUrl) {
  test('item 1: on a real server (trust auth takes any password): status, up, down, a missing database', async () => {
    const p = await project({ '1_a': { up: 'create table a (id int);\n', down: 'drop table a;\n' } });
    const db = await freshDatabase({ kind: 'postgres', serverUrl: testServerUrl });
    try {
      const own = new URL(db.url);
      for (const pw of PASSWORDS.filter((x) => !mustEncode(x))) {
        const base = `postgres://${own.username || 'root'}:${pw}@${own.host}`;
        const missing = await p.fmig('status', '--url', `${base}/fmig_item01_no_such_database`);
        assertNoLeak(missing, `${pw}: missing database`);
        assert.is(missing.code, 3, missing.stderr);
        assert.match(missing.stderr, 'does not exist');
        for (const args of [['status', '--json'], ['up'], ['down']]) {
          const r = await p.fmig(...args, '--url', `${base}${own.pathname}`);
          assertNoLeak(r, `${pw}: fmig ${args.join(' ')}`);
          assert.is(r.code, 0, `${pw}: fmig ${args.join(' ')}: ${r.stderr}`);
        }
      }
    } finally {
      await db.drop();
    }
  });
}

test.run();
