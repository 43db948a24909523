// `fmig wait`, the readiness gate: it returns once another process has applied what it waits
// for, times out with exit 3 saying what was missing, and waits through a database that does
// not exist yet. It runs on a terminal here (through `script`), so its progress line shows
// that it was already waiting before the other process acted.
import * as assert from 'uvu/assert';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { admin, forEachTarget } from '../helpers/databases.js';
import { cliEnv, FMIG_BIN, project, removeProjects, state } from '../helpers/cli.js';

const rev = (n) => ({ up: `create table t${n} (id int);\n`, down: `drop table t${n};\n` });
const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** Runs fmig on a pseudo-terminal; `seen(re)` resolves once its output matches, `done` to { code, output }. */
function onTerminal(cwd, args) {
  const command = `stty cols 400; exec ${[process.execPath, FMIG_BIN, ...args].map(quote).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const watchers = [];
  let exited = false;
  const check = () => {
    for (const w of [...watchers]) {
      if (w.re.test(output)) w.resolve(output);
      else if (exited) w.reject(new Error(`fmig wait ended without printing ${w.re}:\n${output}`));
      else continue;
      watchers.splice(watchers.indexOf(w), 1);
    }
  };
  child.stdout.on('data', (d) => {
    output += d;
    check();
  });
  child.stderr.on('data', (d) => (output += d));
  const done = new Promise((resolve) =>
    child.on('exit', (code) => {
      exited = true;
      check();
      resolve({ code, output });
    }),
  );
  return { child, done, seen: (re) => new Promise((resolve, reject) => (watchers.push({ re, resolve, reject }), check())) };
}

forEachTarget('gate: fmig wait', (test, { target, fresh }) => {
  test.after.each(removeProjects);

  test('returns once another process applies the head; until then it says what is missing', async () => {
    const { url } = await fresh();
    const p = await project({ '001_a': rev(1), '002_b': rev(2) });
    const gate = onTerminal(p.dir, ['wait', '--url', url, '--timeout', '2m']);
    try {
      await gate.seen(/waiting .* for revision 002 on .*not applied yet: 002/);
      assert.is(gate.child.exitCode, null, 'still waiting');
      const r = await p.fmig('up', '--url', url);
      assert.is(r.code, 0, r.stderr);
      const { code, output } = await gate.done;
      assert.is(code, 0, output);
      assert.match(output, /ready: \S+ has revision 002/);
    } finally {
      gate.child.kill('SIGKILL');
    }
  });

  test('times out with exit 3, naming what was missing; writes nothing', async () => {
    const { url } = await fresh();
    const p = await project({ '001_a': rev(1) });
    let r = await p.fmig('wait', '--url', url, '--timeout', '1s', '--json');
    assert.is(r.code, 3, r.stderr);
    assert.match(r.stderr, /^error: timed out after 1s waiting for revision 001 on .*: not applied yet: 001$/m);
    assert.match(r.stderr, 'run `fmig up`');
    assert.is(r.json.error.code, 'wait-timeout');
    assert.equal((await state(url)).tables, [], 'no ledger created');
    assert.equal((await state(url)).rows, []);

    assert.is((await p.fmig('up', '--url', url)).code, 0);
    r = await p.fmig('wait', '--url', url, '--at-least', '002_b', '--timeout', '300ms');
    assert.is(r.code, 3, r.stderr);
    assert.match(r.stderr, 'waiting for revision 002 on');
    r = await p.fmig('wait', '--url', url, '--at-least', '001_a');
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ready: \S+ has revision 001$/m);
  });

  test(`waits for a database that does not exist yet (${target.kind === 'pglite' ? 'an embedded one not yet created' : 'created after wait starts'})`, async () => {
    let url;
    let drop = async () => {};
    const p = await project({ '001_a': rev(1) });
    if (target.kind === 'pglite') {
      url = `pglite://${p.dir}/.fmig/db`;
    } else {
      const name = `fmig_t_${crypto.randomBytes(6).toString('hex')}`;
      const u = new URL(target.serverUrl);
      u.pathname = `/${name}`;
      url = u.toString();
      drop = () => admin(target.serverUrl, `drop database if exists ${name} with (force)`);
    }
    const gate = onTerminal(p.dir, ['wait', '--url', url, '--timeout', '2m']);
    try {
      await gate.seen(target.kind === 'pglite' ? /has not been created yet/ : /database "fmig_t_\w+" does not exist/);
      assert.is(gate.child.exitCode, null, 'still waiting');
      if (target.kind !== 'pglite') await admin(target.serverUrl, `create database ${new URL(url).pathname.slice(1)}`);
      const r = await p.fmig('up', '--url', url);
      assert.is(r.code, 0, r.stderr);
      const { code, output } = await gate.done;
      assert.is(code, 0, output);
      assert.match(output, /ready: \S+ has revision 001/);
    } finally {
      gate.child.kill('SIGKILL');
      await drop();
    }
  });
});
