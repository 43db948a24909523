// fmig import --from golang-migrate: its folder is already fmig's names; schema_migrations is adopted.
import * as assert from 'uvu/assert';
import { importSuite, STEPS } from './scenario.js';

const id = (i) => String(i + 1).padStart(6, '0');
const files = {};
STEPS.forEach((s, i) => {
  files[`${id(i)}_${s.slug}.up.sql`] = s.up;
  files[`${id(i)}_${s.slug}.down.sql`] = s.down;
});

importSuite('golang-migrate', {
  files: { ...files, 'README.md': 'not a migration\n' },
  ups: STEPS.map((s) => s.up),
  checkMapping: (out) => assert.match(out, '000004_index_booked_on.up.sql → 000004_index_booked_on (after 000003)'),
  async checkFiles(p) {
    for (const [i, s] of STEPS.entries()) {
      assert.is(await p.read(`sql/${id(i)}_${s.slug}.up.sql`), s.up, 'copied byte for byte, no directive needed');
      assert.is(await p.read(`sql/${id(i)}_${s.slug}.down.sql`), s.down);
    }
  },
  partly: 3,
  ledger: (k) => `create table if not exists "schema_migrations" (version bigint not null primary key, dirty boolean not null);
insert into schema_migrations (version, dirty) values (${k}, false);`,
  refusals: [
    { why: 'dirty', sql: 'update schema_migrations set dirty = true', undo: 'update schema_migrations set dirty = false', message: 'refusing to import: schema_migrations says version 3 is dirty' },
    { why: 'unknown version', sql: 'update schema_migrations set version = 9', undo: 'update schema_migrations set version = 3', message: 'their ledger records version 9, which is not in the folder' },
  ],
  recorded: ['000001', '000002', '000003'],
  rest: ['000004', '000005', '000006'],
});
