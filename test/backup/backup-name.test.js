import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  backupFileName,
  dumpVersionProblem,
  ledgerSummary,
  parseBackupName,
  toPrune,
  toolVersionNum,
  withoutPassword,
} from '../../dist/core/backup-name.js';

const at = new Date('2026-12-02T16:45:07.123Z');

test('a backup is named after its database, the UTC time and the revision it protects against', () => {
  assert.is(backupFileName({ database: 'app', at, when: 'before', revision: '000042', kind: 'postgres' }), 'app-20261202T164507Z-before-000042.dump');
  assert.is(backupFileName({ database: 'pglite', at, when: 'at', revision: 'empty', kind: 'pglite' }), 'pglite-20261202T164507Z-at-empty.tar.gz');
  // Characters a file name should not carry become _.
  assert.is(backupFileName({ database: 'my db/x', at, when: 'at', revision: 'a+b', kind: 'postgres' }), 'my_db_x-20261202T164507Z-at-a_b.dump');
});

test('two backups in the same second get different names', () => {
  const first = backupFileName({ database: 'app', at, when: 'before', revision: '7', kind: 'postgres' });
  const second = backupFileName({ database: 'app', at, when: 'before', revision: '7', kind: 'postgres' }, new Set([first]));
  assert.is(second, 'app-20261202T164507Z-2-before-7.dump');
  assert.equal(parseBackupName(second), { database: 'app', time: '20261202T164507Z-2', when: 'before', revision: '7' });
});

test('names are read back; other files are not backups', () => {
  assert.equal(parseBackupName('app-20261202T164507Z-before-000042.dump'), { database: 'app', time: '20261202T164507Z', when: 'before', revision: '000042' });
  assert.equal(parseBackupName('my-app-20261202T164507Z-at-empty.tar.gz')?.database, 'my-app');
  assert.is(parseBackupName('app-20261202T164507Z-before-000042.dump.json'), null);
  assert.is(parseBackupName('notes.txt'), null);
});

test('pruning keeps the newest N of one database and never touches others', () => {
  const names = [
    'app-20261201T100000Z-before-1.dump',
    'app-20261203T100000Z-before-3.dump',
    'app-20261202T100000Z-before-2.dump',
    'app-20261203T100000Z-2-before-4.dump',
    'app_test-20261101T100000Z-before-1.dump',
    'other-20260101T000000Z-at-1.dump',
    'app-20261201T100000Z-before-1.dump.json',
    'README',
  ];
  assert.equal(toPrune(names, 'app', 2), ['app-20261201T100000Z-before-1.dump', 'app-20261202T100000Z-before-2.dump']);
  assert.equal(toPrune(names, 'app', 10), []);
  // keep is at least 1: the backup just taken always stays.
  assert.equal(toPrune(names, 'other', 0), []);
});

test('the metadata names the database without its password', () => {
  assert.is(withoutPassword('postgres://app:s3cret@db:5432/prod?sslmode=require'), 'postgres://app@db:5432/prod?sslmode=require');
  assert.is(withoutPassword('postgres://app@db/prod'), 'postgres://app@db/prod');
  assert.is(withoutPassword('postgresql://db/prod?password=s3cret&sslmode=require'), 'postgresql://db/prod?sslmode=require');
  assert.is(withoutPassword('postgres://app:p@ss/w@db/prod'), 'postgres://db/prod');
  assert.is(withoutPassword('pglite:///tmp/x'), 'pglite:///tmp/x');
});

test('pg_dump older than the server is refused; newer or equal is fine', () => {
  assert.is(toolVersionNum('pg_dump (PostgreSQL) 15.10 (Debian 15.10-1.pgdg120+1)'), 150010);
  assert.is(toolVersionNum('pg_dump (PostgreSQL) 9.6.24'), 90624);
  assert.is(toolVersionNum('nothing here'), null);
  assert.is(dumpVersionProblem(150010, 150004), null);
  assert.is(dumpVersionProblem(160000, 150004), null);
  assert.is(dumpVersionProblem(140011, 150004), 'pg_dump is version 14, the server is version 15: pg_dump cannot back up a server newer than itself');
  assert.ok(dumpVersionProblem(90624, 100001)?.includes('version 9.6'));
});

test('the ledger summary: applied revisions with checksums, applied heads, unfinished ones', () => {
  const rows = [
    { revision: '1', parents: [], up_checksum: 'xxh64:1', down_checksum: null, finished_at: new Date() },
    { revision: '2', parents: ['1'], up_checksum: 'xxh64:2', down_checksum: 'xxh64:d2', finished_at: new Date() },
    { revision: '3', parents: ['2'], up_checksum: 'xxh64:3', down_checksum: null, finished_at: null },
  ];
  assert.equal(ledgerSummary(rows), {
    heads: ['2'],
    applied: [
      { revision: '1', up_checksum: 'xxh64:1', down_checksum: null },
      { revision: '2', up_checksum: 'xxh64:2', down_checksum: 'xxh64:d2' },
    ],
    unfinished: ['3'],
  });
});

test.run();
