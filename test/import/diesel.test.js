// fmig import --from diesel: <version>_<name>/{up,down}.sql, metadata.toml, diesel's string order of versions.
import * as assert from 'uvu/assert';
import { importSuite, STEPS } from './scenario.js';

// Diesel orders versions as strings: the 18-digit 2024-01-04-120000-0000 comes before 2024-01-05-120000.
const dirs = ['2024-01-01-120000', '2024-01-02-120000', '2024-01-03-120000', '2024-01-04-120000-0000', '2024-01-05-120000', '2024-01-06-120000'];
const id = (i) => dirs[i].replace(/-/g, '');
const files = {};
STEPS.forEach((s, i) => {
  files[`${dirs[i]}_${s.slug}/up.sql`] = s.up;
  files[`${dirs[i]}_${s.slug}/down.sql`] = s.down;
  if (s.noTransaction) files[`${dirs[i]}_${s.slug}/metadata.toml`] = 'run_in_transaction = false\n';
});

importSuite('diesel', {
  files,
  ups: STEPS.map((s) => s.up),
  checkMapping(out) {
    assert.match(out, `${dirs[3]}_index_booked_on/ → ${id(3)}_index_booked_on (after ${id(2)}); up: -- fmig:parent ${id(2)}; up: -- fmig:no-transaction; down: -- fmig:no-transaction`);
    assert.match(out, `${dirs[4]}_add_currency/ → ${id(4)}_add_currency (after ${id(3)}); up: -- fmig:parent ${id(3)}`);
  },
  async checkFiles(p) {
    assert.is(await p.read(`sql/${id(2)}_balance_function.up.sql`), STEPS[2].up);
    assert.is(await p.read(`sql/${id(5)}_seed_cash_account.down.sql`), '');
  },
  partly: 4,
  ledger: (k) => `create table if not exists __diesel_schema_migrations (
  version varchar(50) primary key not null,
  run_on timestamp not null default current_timestamp
);
insert into __diesel_schema_migrations (version) values ${STEPS.slice(0, k).map((_, i) => `('${id(i)}')`).join(', ')};`,
  refusals: [
    { why: 'unknown version', sql: "insert into __diesel_schema_migrations (version) values ('20990101000000')", undo: "delete from __diesel_schema_migrations where version = '20990101000000'", message: 'their ledger records version 20990101000000, which is not in the folder' },
  ],
  recorded: [0, 1, 2, 3].map(id),
  rest: [4, 5].map(id),
});
