import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIRST_PAUSE_MS, LONGEST_PAUSE_MS, nextPause, readiness } from '../../dist/core/readiness.js';

test('ready only when every wanted revision has a finished row', () => {
  const rows = [
    { revision: '1', finished_at: new Date() },
    { revision: '2', finished_at: null },
  ];
  assert.equal(readiness(['1'], rows), { missing: [], unfinished: [] });
  assert.equal(readiness(['1', '2', '3'], rows), { missing: ['3'], unfinished: ['2'] });
  assert.equal(readiness([], []), { missing: [], unfinished: [] });
});

test('pauses grow to a cap and never below the first', () => {
  let p = FIRST_PAUSE_MS;
  const seen = [p];
  for (let i = 0; i < 20; i++) seen.push((p = nextPause(p)));
  assert.ok(seen.every((x, i) => i === 0 || x >= seen[i - 1]));
  assert.is(seen.at(-1), LONGEST_PAUSE_MS);
  assert.is(nextPause(0), FIRST_PAUSE_MS);
});

test.run();
