// The fan-out's scheduler and its summary, from literals: at most N at once, runs on one
// embedded database never together, nothing new once stopped; the worst exit code wins.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runPool } from '../../dist/targets/pool.js';
import { gist, summaryLines, worst } from '../../dist/targets/outcome.js';

/** Items that finish only when the test says so; records how many ran at once. */
function controlled() {
  const waiting = new Map();
  const log = { running: 0, most: 0, started: [], keysNow: new Set(), clash: false };
  const fn = (item) => {
    log.running++;
    log.most = Math.max(log.most, log.running);
    log.started.push(item.id);
    if (item.key && log.keysNow.has(item.key)) log.clash = true;
    if (item.key) log.keysNow.add(item.key);
    return new Promise((resolve) => waiting.set(item.id, () => {
      log.running--;
      if (item.key) log.keysNow.delete(item.key);
      resolve(`r${item.id}`);
    }));
  };
  const finish = async (id) => {
    waiting.get(id)();
    waiting.delete(id);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { fn, finish, log, waiting };
}

test('at most `jobs` at once, started in order, each result in its place', async () => {
  const items = Array.from({ length: 6 }, (_, id) => ({ id, key: null }));
  const c = controlled();
  const all = runPool(items, 2, (i) => i.key, c.fn, () => false);
  await Promise.resolve();
  assert.equal(c.log.started, [0, 1]);
  await c.finish(1);
  assert.equal(c.log.started, [0, 1, 2]);
  while (c.waiting.size) await c.finish([...c.waiting.keys()][0]);
  assert.equal(await all, ['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
  assert.is(c.log.most, 2);
});

test('items with the same key never overlap; others pass them', async () => {
  const items = [{ id: 0, key: 'a' }, { id: 1, key: 'a' }, { id: 2, key: null }, { id: 3, key: 'a' }];
  const c = controlled();
  const all = runPool(items, 3, (i) => i.key, c.fn, () => false);
  await Promise.resolve();
  assert.equal(c.log.started, [0, 2]);
  while (c.waiting.size) await c.finish([...c.waiting.keys()][0]);
  await all;
  assert.is(c.log.clash, false);
  assert.equal(c.log.started, [0, 2, 1, 3]);
});

test('once stopped, nothing new starts; those not started come back undefined', async () => {
  const items = Array.from({ length: 4 }, (_, id) => ({ id, key: null }));
  const c = controlled();
  let stop = false;
  const all = runPool(items, 1, () => null, c.fn, () => stop);
  stop = true;
  await c.finish(0);
  assert.equal(await all, ['r0', undefined, undefined, undefined]);
});

test('the summary: a row per target, every failed run with its error; worst exit code; a failure gist', () => {
  const o = (target, state, exitCode, errorText) => ({ target, schema: null, folder: null, label: target, database: 'postgres://h/db', state, exitCode, ms: 5, summary: 's', errorText });
  const lines = summaryLines([o('eu', 'ok', 0), o('t', 'failed', 1, '000002_b failed\nboom'), o('t', 'not run', 0)], 1500);
  assert.ok(lines.includes('eu         1   1       0        0'), lines.join('\n'));
  assert.ok(lines.includes('t          1   0       1        1'), lines.join('\n'));
  assert.match(lines.join('\n'), /failed:\n  t \(postgres:\/\/h\/db\): exit 1\n    000002_b failed\n    boom/);
  assert.is(worst([0, 1, 3, 2]), 3);
  assert.is(gist('000002_b failed\nsql/000002_b.up.sql:1:1: error 42P07: relation "b" already exists\n  | x'), '000002_b failed: sql/000002_b.up.sql:1:1: error 42P07: relation "b" already exists');
});

test.run();
