// Each tool's format and ledger rows, read from literals (no files, no database).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appliedIds } from '../../dist/import/applied.js';
import { flywayLedger, readFlyway, compareFlyway } from '../../dist/import/flyway.js';
import { gooseLedger, readGoose } from '../../dist/import/goose.js';
import { golangMigrateLedger } from '../../dist/import/golang-migrate.js';
import { prismaLedger } from '../../dist/import/prisma.js';
import { readDiesel } from '../../dist/import/diesel.js';
import { MappingError } from '../../dist/import/map.js';

test("Flyway: part-by-part order, 1_1 is 1.1, undo scripts, conf files; a BASELINE row covers every version up to it, an undo takes one back", () => {
  assert.equal(['1.10', '1.2', '1', '2', '1.1'].sort(compareFlyway), ['1', '1.1', '1.2', '1.10', '2']);
  const folder = readFlyway([
    { path: 'V1_1__b.sql', text: 'b' },
    { path: 'V1__a.sql', text: 'a' },
    { path: 'U1__a.sql', text: 'undo a' },
    { path: 'V2__c.sql', text: '-- flyway:executeInTransaction=false\nc' },
    { path: 'V3__d.py', text: '' },
  ]);
  assert.equal(folder.revisions.map((r) => [r.id, r.version, r.down?.text ?? null, r.up.noTransaction]), [
    ['1', '1', 'undo a', false],
    ['1p1', '1.1', null, false],
    ['2', '2', null, true],
  ]);
  assert.equal(folder.skipped.map((s) => s.source), ['V3__d.py']);
  assert.throws(() => readFlyway([{ path: 'V1__a.sql', text: '' }, { path: 'V1.0.x__b.sql', text: '' }]), (e) => e instanceof MappingError && /"1.0.x" is not a Flyway version/.test(e.message));

  const rows = [
    { installed_rank: 1, version: '1.1', type: 'BASELINE', script: '<< Flyway Baseline >>', success: true },
    { installed_rank: 2, version: '2', type: 'SQL', script: 'V2__c.sql', success: true },
    { installed_rank: 3, version: null, type: 'SQL', script: 'R__v.sql', success: true },
    { installed_rank: 4, version: '3', type: 'SQL', script: 'V3__d.sql', success: true },
    { installed_rank: 5, version: '3', type: 'UNDO_SQL', script: 'U3__d.sql', success: true },
  ];
  const view = { order: ['1', '1p1', '1p2', '2', '3'], ancestors: () => new Set() };
  assert.equal(appliedIds(flywayLedger.interpret(rows), flywayLedger.idFor, view, flywayLedger.versionOf), ['1', '1p1', '2']);
  assert.throws(() => flywayLedger.interpret([...rows, { installed_rank: 6, version: '4', type: 'SQL', script: 'V4__e.sql', success: false }]), /row 6 \(version 4, V4__e.sql\) failed/);
});

test('goose: sections, NO TRANSACTION for both sides, a missing Down is an empty one; the latest row of a version decides', () => {
  const folder = readGoose([
    { path: '002_b.sql', text: '-- +goose NO TRANSACTION\n-- +goose Up\ncreate index concurrently i on t (x);\n' },
    { path: '001_a.sql', text: '-- a comment\n-- +goose Up\n-- +goose StatementBegin\ncreate function f() returns int as $$ select 1; $$ language sql;\n-- +goose StatementEnd\n\n-- +goose Down\ndrop function f();\n' },
  ]);
  assert.equal(folder.revisions.map((r) => [r.id, r.up.text, r.down.text, r.up.noTransaction, r.down.noTransaction]), [
    ['001', '-- +goose StatementBegin\ncreate function f() returns int as $$ select 1; $$ language sql;\n-- +goose StatementEnd\n\n', 'drop function f();\n', false, false],
    ['002', 'create index concurrently i on t (x);\n', '', true, true],
  ]);
  const reading = gooseLedger.interpret([
    { version: '0', is_applied: true },
    { version: '1', is_applied: true },
    { version: '3', is_applied: true },
    { version: '2', is_applied: true },
    { version: '2', is_applied: false },
  ]);
  assert.equal(reading, { kind: 'exact', versions: ['1', '3'] });
  assert.equal(appliedIds(reading, gooseLedger.idFor, { order: ['001', '002', '003'], ancestors: () => new Set() }), ['001', '003'], 'out of order kept exact; 1 is 001');
});

test('golang-migrate: one row, dirty refused, none means nothing applied; Prisma: failed refused, rolled back ignored', () => {
  assert.equal(golangMigrateLedger.interpret([]), { kind: 'up-to', version: null });
  assert.equal(golangMigrateLedger.interpret([{ version: '7', dirty: false }]), { kind: 'up-to', version: '7' });
  assert.throws(() => golangMigrateLedger.interpret([{ version: '7', dirty: true }]), /version 7 is dirty/);
  assert.equal(
    prismaLedger.interpret([
      { migration_name: '1_a', finished: true, rolled_back: false },
      { migration_name: '2_b', finished: false, rolled_back: true },
    ]),
    { kind: 'exact', versions: ['1_a'] },
  );
  assert.is(prismaLedger.idFor('20240101120000_init'), '20240101120000');
  assert.throws(() => prismaLedger.interpret([{ migration_name: '2_b', finished: false, rolled_back: false }]), /2_b failed \(finished_at is null\)/);
});

test('diesel: versions without dashes, ordered as text, metadata.toml, a missing down.sql is irreversible', () => {
  const folder = readDiesel([
    { path: '2024-01-02-000000_b/up.sql', text: 'b' },
    { path: '2024-01-01-000000-0000_a/up.sql', text: 'a' },
    { path: '2024-01-01-000000-0000_a/down.sql', text: '' },
    { path: '2024-01-01-000000-0000_a/metadata.toml', text: 'run_in_transaction = false\n' },
    { path: 'README.md', text: '' },
  ]);
  assert.equal(folder.revisions.map((r) => [r.id, r.slug, r.down?.text ?? null, r.up.noTransaction]), [
    ['202401010000000000', 'a', '', true],
    ['20240102000000', 'b', null, false],
  ]);
});

test.run();
