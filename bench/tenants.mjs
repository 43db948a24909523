// Tenant fan-out: `fmig up --target tenants` (every schema in one process, -j at a time) against
// a shell loop of `fmig up`, one process per tenant schema one after another, each applying
// this repository's sql/ to a fresh database of empty tenant schemas. See README.md.
//
//   node bench/tenants.mjs              (after `npm run build` at the top)
//
// Environment: TENANTS (schemas, 200), JOBS (the fan-out's -j, each timed: 4,8), ROUNDS (1),
// BENCH_PG_URL (server, postgres://root@127.0.0.1:5432; a user that may create databases),
// FLOOR (1: also time the floor, the tenants' SQL alone through psql, -j sessions at once; 0: not).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const FMIG = path.join(ROOT, 'bin', 'fmig');
const TENANTS = Number(process.env.TENANTS ?? 200);
const JOBS = String(process.env.JOBS ?? '4,8').split(',').map(Number);
const ROUNDS = Number(process.env.ROUNDS ?? 1);
const FLOOR = process.env.FLOOR !== '0';
const SERVER = (process.env.BENCH_PG_URL ?? 'postgres://root@127.0.0.1:5432').replace(/\/+$/, '');
const DB = `fmig_bench_tenants_${process.pid}`;
const DB_URL = `${SERVER}/${DB}`;
const names = Array.from({ length: TENANTS }, (_, i) => `tenant_${String(i + 1).padStart(4, '0')}`);
const env = { ...process.env, PGSSLMODE: 'disable', NO_COLOR: '1' };
for (const k of ['FMIG_DATABASE_URL', 'DATABASE_URL']) delete env[k];

async function sql(url, text) {
  const c = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await c.unsafe(text);
  } finally {
    await c.end({ timeout: 5 });
  }
}

/** A fresh database holding TENANTS empty schemas (outside the timed region). */
async function freshTenants() {
  await sql(`${SERVER}/postgres`, `drop database if exists ${DB} with (force)`);
  await sql(`${SERVER}/postgres`, `create database ${DB}`);
  await sql(DB_URL, names.map((n) => `create schema ${n};`).join('\n'));
}

/** Every tenant has every revision of sql/ applied once, and its tables in its own schema. */
async function check(revisions) {
  const counts = await sql(DB_URL, names.map((n) => `select count(*)::int as n from ${n}.fmig_ledger where finished_at is not null`).join(' union all '));
  const wrong = counts.filter((c) => c.n !== revisions).length;
  if (wrong) throw new Error(`${wrong} tenant(s) do not have the ${revisions} revisions applied`);
  const [pub] = await sql(DB_URL, `select count(*)::int as n from information_schema.tables where table_schema = 'public'`);
  if (pub.n !== 0) throw new Error(`${pub.n} table(s) landed in public`);
}

/** Wall milliseconds of one run of the command; throws with its stderr if it fails. */
function timed(cmd, args, opts) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stderr}`);
  return ms;
}

/**
 * The floor: each tenant's SQL alone (no ledger, no lock), one psql session per tenant with its
 * search_path, `jobs` sessions at once; a transactional revision inside BEGIN/COMMIT, a
 * `-- fmig:no-transaction` one statement by statement. Wall milliseconds.
 */
async function floor(sqlDir, jobs) {
  const files = readdirSync(sqlDir).filter((f) => f.endsWith('.up.sql')).sort().map((f) => readFileSync(path.join(sqlDir, f), 'utf8'));
  const body = files.map((t) => (/^\s*-- fmig:no-transaction/.test(t) ? t : `BEGIN;\n${t}\n;COMMIT;`)).join('\n');
  const one = (schema) =>
    new Promise((resolve, reject) => {
      const c = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', DB_URL], { env, stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      c.stderr.on('data', (d) => (err += d));
      c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql for ${schema} exited ${code}: ${err}`))));
      c.stdin.end(`SET search_path = ${schema};\n${body}\n`);
    });
  const queue = [...names];
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: jobs }, async () => {
    while (queue.length) await one(queue.shift());
  }));
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = mkdtempSync(path.join(os.tmpdir(), 'fmig-bench-tenants-'));
try {
  cpSync(path.join(ROOT, 'sql'), path.join(dir, 'sql'), { recursive: true });
  const revisions = readdirSync(path.join(dir, 'sql')).filter((f) => f.endsWith('.up.sql')).length;
  // One target for the fan-out; and one per tenant (a list of one schema) for the loop's processes.
  writeFileSync(
    path.join(dir, 'migrate.toml'),
    `dir = "sql"\n\n[targets.tenants]\nurl = "${DB_URL}"\nschemas = "select nspname from pg_namespace where nspname like 'tenant\\\\_%'"\n` +
      names.map((n) => `\n[targets.${n}]\nurl = "${DB_URL}"\nschemas = ["${n}"]\n`).join(''),
  );
  const loop = `for s in $(psql -X -At "${DB_URL}" -c "select nspname from pg_namespace where nspname like 'tenant\\_%' order by 1"); do node "${FMIG}" up --target "$s" --quiet || exit 1; done`;
  const fan = new Map(JOBS.map((j) => [j, []]));
  const floors = new Map(JOBS.map((j) => [j, []]));
  const seq = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const j of JOBS) {
      await freshTenants();
      fan.get(j).push(timed(process.execPath, [FMIG, 'up', '--target', 'tenants', '-j', String(j), '--quiet'], { cwd: dir }));
      await check(revisions);
      console.error(`round ${round}: fan-out -j ${j}: ${(fan.get(j).at(-1) / 1000).toFixed(1)} s`);
      if (FLOOR) {
        await freshTenants();
        floors.get(j).push(await floor(path.join(dir, 'sql'), j));
        console.error(`round ${round}: floor, ${j} psql sessions at once: ${(floors.get(j).at(-1) / 1000).toFixed(1)} s`);
      }
    }
    await freshTenants();
    seq.push(timed('bash', ['-c', loop], { cwd: dir }));
    await check(revisions);
    console.error(`round ${round}: loop: ${(seq.at(-1) / 1000).toFixed(1)} s`);
  }
  const s = median(seq);
  console.log(`${TENANTS} tenant schemas x ${revisions} revisions (this repository's sql/), ${ROUNDS} round(s), medians:`);
  console.log(`  shell loop of fmig up, one process per tenant:  ${(s / 1000).toFixed(2)} s`);
  for (const j of JOBS) {
    const f = median(fan.get(j));
    console.log(`  fmig up --target tenants -j ${j} (one process):   ${(f / 1000).toFixed(2)} s, ${(s / f).toFixed(1)}x faster`);
    if (FLOOR) {
      const fl = median(floors.get(j));
      console.log(`  floor: the tenants' SQL alone, ${j} psql sessions:  ${(fl / 1000).toFixed(2)} s (the fan-out takes ${(f / fl).toFixed(2)}x the floor)`);
    }
  }
} finally {
  await sql(`${SERVER}/postgres`, `drop database if exists ${DB} with (force)`).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
