// Help and usage errors: no wrong "(default: true)", the Alembic names listed, Alembic's other
// commands and options answered with what fmig uses instead, did-you-mean for options, the
// command's own --help named, and every command's help ending with examples.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { project, removeProjects } from '../helpers/cli.js';

test.after.each(removeProjects);

const COMMANDS = ['init', 'new', 'up', 'down', 'status', 'history', 'baseline', 'repair', 'heads', 'verify', 'hook', 'resolve', 'sync', 'check', 'schema'];

test('no "(default: true)" on --no-* options, in the overall help or any command', async () => {
  const p = await project();
  for (const args of [['--help'], ['new', '--help'], ['up', '--help']]) {
    const r = await p.fmig(...args);
    assert.is(r.code, 0);
    assert.not.match(r.stdout, /default: true/, args.join(' '));
    assert.match(r.stdout, /--no-color/);
  }
});

test('a command word given as an option\'s value is not the command: the overall help still lists every command; the command after it runs', async () => {
  const p = await project();
  const r = await p.fmig('--lock-wait', 'status', { process: true }); // help goes to the process's own stdout
  assert.is(r.code, 0, r.stderr);
  for (const name of COMMANDS) assert.match(r.stdout, new RegExp(`^\\s+${name}\\b`, 'm'), name);
  const run = await p.fmig('--target', 'status', 'heads');
  assert.match(run.stderr, /--target status/, 'heads ran, and complained of the target');
});

test('the overall help lists the Alembic names', async () => {
  const p = await project();
  const r = await p.fmig('--help');
  for (const [alias, name] of [['upgrade', 'up'], ['downgrade', 'down'], ['revision', 'new'], ['current', 'status']]) {
    assert.match(r.stdout, new RegExp(`^\\s+${alias}\\s+= fmig ${name}$`, 'm'), alias);
  }
});

test('each command\'s help ends with two or three examples of that command', async () => {
  const p = await project();
  for (const c of COMMANDS) {
    const r = await p.fmig(c, '--help');
    assert.is(r.code, 0, c);
    const m = /\nExamples:\n((?:  \$ .*\n?)+)$/.exec(r.stdout.trimEnd() + '\n');
    assert.ok(m, `${c} --help ends with examples:\n${r.stdout}`);
    const lines = m[1].trim().split('\n');
    assert.ok(lines.length >= 2 && lines.length <= 3, `${c}: ${lines.length} examples`);
    for (const l of lines) assert.match(l, new RegExp(`^\\s*\\$ fmig ${c}\\b`), c);
  }
});

test('stamp, merge, show, branches and --sql elsewhere than up/down answer with what fmig uses instead (exit 2)', async () => {
  const p = await project();
  const cases = [
    [['stamp', 'head'], /fmig baseline/],
    [['merge', 'heads'], /fmig resolve --merge/],
    [['show', '000001'], /fmig history/],
    [['branches'], /fmig heads/],
    [['status', '--sql'], /fmig up --sql/],
  ];
  for (const [args, answer] of cases) {
    const r = await p.fmig(...args);
    assert.is(r.code, 2, args.join(' '));
    assert.match(r.stderr, answer, args.join(' '));
    assert.not.match(r.stderr, /unknown command|Unknown option/, args.join(' '));
  }
});

test('Alembic\'s `upgrade head --sql` prints the script for psql, as `fmig up --sql` does', async () => {
  const p = await project({ '1_a': { up: 'create table a (id int);\n', down: 'drop table a;\n' } });
  const r = await p.fmig('upgrade', 'head', '--sql', '--from', 'base');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\\set ON_ERROR_STOP on$/m);
  assert.match(r.stdout, /create table a \(id int\)/);
});

test('an unknown option gets a did-you-mean from that command\'s options and points at its --help', async () => {
  const p = await project();
  const cases = [
    [['up', '--dry'], '--dry-run', 'up'],
    [['verify', '--againts', 'main'], '--against', 'verify'],
    [['status', '--chek'], '--check', 'status'],
    [['down', '--dry-rn'], '--dry-run', 'down'],
  ];
  for (const [args, near, cmd] of cases) {
    const r = await p.fmig(...args);
    assert.is(r.code, 2, args.join(' '));
    assert.match(r.stderr, `did you mean ${near}?`, args.join(' '));
    assert.match(r.stderr, `fmig ${cmd} --help`, args.join(' '));
  }
  const r = await p.fmig('status', '--frobnicate');
  assert.is(r.code, 2);
  assert.match(r.stderr, /unknown option --frobnicate/);
  assert.match(r.stderr, /fmig status --help/);
});

test.run();
