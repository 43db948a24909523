// fmig import --from dbmate: `-- migrate:up` / `-- migrate:down` sections become up and down files.
import * as assert from 'uvu/assert';
import { importSuite, STEPS } from './scenario.js';

const version = (i) => `2024010${i + 1}120000`;
const files = {};
STEPS.forEach((s, i) => {
  const opt = s.noTransaction ? ' transaction:false' : '';
  files[`${version(i)}_${s.slug}.sql`] = `-- migrate:up${opt}\n${s.up}\n-- migrate:down${opt}\n${s.down}`;
});

importSuite('dbmate', {
  files,
  ups: STEPS.map((s) => `${s.up}\n`),
  checkMapping: (out) => assert.match(out, `${version(3)}_index_booked_on.sql → ${version(3)}_index_booked_on (after ${version(2)}); up: -- fmig:no-transaction; down: -- fmig:no-transaction`),
  async checkFiles(p) {
    assert.is(await p.read(`sql/${version(2)}_balance_function.up.sql`), `${STEPS[2].up}\n`, 'the section byte for byte');
    assert.is(await p.read(`sql/${version(3)}_index_booked_on.up.sql`), `-- fmig:no-transaction\n${STEPS[3].up}\n`);
    assert.is(await p.read(`sql/${version(3)}_index_booked_on.down.sql`), `-- fmig:no-transaction\n${STEPS[3].down}`);
    assert.is(await p.read(`sql/${version(5)}_seed_cash_account.down.sql`), '', 'an empty down section');
  },
  partly: 4,
  ledger: (k) => `create table if not exists schema_migrations (version varchar(128) primary key);
insert into schema_migrations (version) values ${STEPS.slice(0, k).map((_, i) => `('${version(i)}')`).join(', ')};`,
  refusals: [
    { why: 'unknown version', sql: "insert into schema_migrations values ('20991231000000')", undo: "delete from schema_migrations where version = '20991231000000'", message: 'their ledger records version 20991231000000, which is not in the folder' },
  ],
  recorded: [0, 1, 2, 3].map(version),
  rest: [4, 5].map(version),
});
