import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDuration } from '../../dist/core/duration.js';

test('units read into milliseconds', () => {
  const cases = {
    '0': 0,
    '250ms': 250,
    '10s': 10_000,
    '1.5s': 1500,
    '2m': 120_000,
    '1min': 60_000,
    '3 minutes': 180_000,
    '1h': 3_600_000,
    '1d': 86_400_000,
    '10 s': 10_000,
    ' 10s ': 10_000,
    '.5s': 500,
    '10S': 10_000,
    '1500us': 2,
  };
  for (const [input, ms] of Object.entries(cases)) assert.is(parseDuration(input), ms, input);
});

test('a bare number is milliseconds, as PostgreSQL reads lock_timeout', () => {
  assert.is(parseDuration('5000'), 5000);
  assert.is(parseDuration(5000), 5000);
  assert.is(parseDuration(0), 0);
  assert.is(parseDuration(2.5), 3);
});

test('a tiny positive duration does not become 0 (no timeout)', () => {
  assert.is(parseDuration('0.2ms'), 1);
  assert.is(parseDuration('1us'), 1);
  assert.is(parseDuration(0.1), 1);
});

test('negative or malformed: null', () => {
  for (const bad of ['', 'abc', '-1s', '-5', '10x', '10 seconds ago', 's', '1.2.3s', '10s10', '1e3', 'Infinity', '0x10']) {
    assert.is(parseDuration(bad), null, JSON.stringify(bad));
  }
  assert.is(parseDuration(-1), null);
  assert.is(parseDuration(Number.NaN), null);
  assert.is(parseDuration(Number.POSITIVE_INFINITY), null);
});

test.run();
