import { PGlite } from '@electric-sql/pglite';
const t0 = performance.now();
const mode = process.argv[2];
const dir = process.argv[3];
let extensions = {};
if (mode === 'ext') {
  const CONTRIB = ['btree_gin','btree_gist','citext','cube','earthdistance','fuzzystrmatch','hstore','intarray','isn','lo','ltree','moddatetime','pg_trgm','pgcrypto','seg','tablefunc','tcn','unaccent','uuid_ossp'];
  const mods = await Promise.all(CONTRIB.map((n) => import(`@electric-sql/pglite/contrib/${n}`).then((m) => m[n])));
  extensions = Object.fromEntries(CONTRIB.map((n, i) => [n, mods[i]]));
}
const t1 = performance.now();
const opts = { extensions };
if (process.argv[4]) opts.initialMemory = Number(process.argv[4]);
const db = await PGlite.create(dir, opts);
const t2 = performance.now();
await db.query('select 1');
const t3 = performance.now();
await db.close();
const t4 = performance.now();
console.log(mode, 'import', (t1-t0)|0, 'create', (t2-t1)|0, 'q', (t3-t2)|0, 'close', (t4-t3)|0, 'rss', (process.memoryUsage().rss/1e6)|0);
