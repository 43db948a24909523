// Extensions real folders create work in the embedded database as on a server.
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { project, removeProjects, inspect } from '../helpers/cli.js';

forEachTarget('engine: extensions', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('pgcrypto, uuid-ossp, pg_trgm and citext can be created, used and dropped', async () => {
    const { url } = await fresh();
    const p = await project({
      '1_ext': {
        up: [
          'create extension if not exists pgcrypto;',
          'create extension if not exists "uuid-ossp";',
          'create extension if not exists pg_trgm;',
          'create extension if not exists citext;',
          'create table t (id uuid primary key default gen_random_uuid(), u uuid default uuid_generate_v4(), name citext);',
          'create index t_name on t using gin (name gin_trgm_ops);',
          "insert into t (name) values ('Alpha');",
        ].join('\n'),
        down: 'drop table t;\ndrop extension citext;\ndrop extension pg_trgm;\ndrop extension "uuid-ossp";\ndrop extension pgcrypto;\n',
      },
    });
    let r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    const rows = await inspect(url, (db) => db.query("select count(*)::int as n from t where name = 'ALPHA' and u is not null"));
    assert.is(rows[0].n, 1, 'citext compares case-insensitively; uuid_generate_v4 filled u');
    r = await p.fmig('down', '--url', url);
    assert.is(r.code, 0, r.stderr);
    const left = await inspect(url, (db) => db.query("select extname from pg_extension where extname <> 'plpgsql'"));
    assert.equal(left, []);
  });
});
