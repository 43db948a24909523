/**
 * `[targets.<name>]` of migrate.toml: other databases, and one run per tenant schema. The
 * shape (keys, types) is checked on every load; values read from the environment are checked
 * only when a target is used, so that an unset `${EU_DATABASE_URL}` does not stop a plain
 * `fmig up` on a developer's machine.
 */
import type { TargetSettings } from './config-types.js';
import { closest } from '../core/suggest.js';
import { checkLock, DATABASE_KEYS, type InheritedLock } from './config-database.js';

/** The helpers of config.ts that read one value, each adding what is wrong to `problems`. */
export interface ValueReaders {
  /** `${VAR}` expansion; null when a variable is unset. */
  expand(key: string, raw: string, problems: string[]): string | null;
  duration(key: string, v: unknown, problems: string[]): number;
  count(key: string, v: unknown, problems: string[]): number;
  identifier(key: string, v: unknown, problems: string[]): string;
  /** A usable URL (a relative pglite directory made absolute). */
  url(key: string, v: string, problems: string[]): string;
}

/** A target's keys: those of `[database]`, and `schemas` for one run per tenant schema. */
const KEYS: Record<string, 'string' | 'duration' | 'count' | 'schemas'> = { ...DATABASE_KEYS, schemas: 'schemas' };

/** A target's name: what `--target` takes and output shows. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Reads `[targets]`; problems with the file's shape go to `problems` (reported at once), those
 * of a value from the environment to the target's own list.
 */
export function readTargets(raw: unknown, read: ValueReaders, lock: InheritedLock, problems: string[]): TargetSettings[] {
  if (raw === undefined) return [];
  if (!isTable(raw)) {
    problems.push('targets: expected tables such as [targets.eu] with a url, got a value');
    return [];
  }
  const out: TargetSettings[] = [];
  for (const [name, body] of Object.entries(raw)) {
    const at = `targets.${name}`;
    if (!NAME.test(name)) problems.push(`${at}: a target's name is letters, digits, "_", "-" and "." (it is typed after --target)`);
    if (!isTable(body)) {
      problems.push(`${at}: expected a table ([${at}]) with a url and/or schemas, got ${Array.isArray(body) ? 'an array' : `a ${typeof body}`}`);
      continue;
    }
    out.push(readTarget(name, body, read, lock, problems));
  }
  return out;
}

function readTarget(name: string, body: Record<string, unknown>, read: ValueReaders, inherited: InheritedLock, problems: string[]): TargetSettings {
  const at = `targets.${name}`;
  const own: string[] = [];
  const shapeOk = (key: string, v: unknown): boolean => {
    const kind = KEYS[key];
    const full = `${at}.${key}`;
    if (kind === undefined) {
      const near = closest(key, Object.keys(KEYS));
      problems.push(`unknown key "${full}"${near ? ` (did you mean "${at}.${near}"?)` : ''}; valid here: ${Object.keys(KEYS).map((k) => `${at}.${k}`).join(', ')}`);
      return false;
    }
    if (kind === 'string' && typeof v !== 'string') problems.push(`${full}: expected a string, got ${describe(v)}`);
    else if (kind === 'count' && typeof v !== 'number') problems.push(`${full}: expected a whole number such as 5, got ${describe(v)}`);
    else if (kind === 'duration' && typeof v !== 'string' && typeof v !== 'number') problems.push(`${full}: expected a duration such as "10s" or "500ms", got ${describe(v)}`);
    else if (kind === 'schemas' && typeof v !== 'string' && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
      problems.push(`${full}: expected a query (a string) or a list of schema names, got ${describe(v)}`);
    } else return true;
    return false;
  };
  const ok = Object.fromEntries(Object.entries(body).filter(([k, v]) => shapeOk(k, v)));
  const str = (key: string, into: string[]): string | undefined => (typeof ok[key] === 'string' ? (read.expand(`${at}.${key}`, ok[key] as string, into) ?? undefined) : undefined);

  const database: TargetSettings['database'] = {};
  if (ok.schema !== undefined) database.schema = read.identifier(`${at}.schema`, str('schema', own), own);
  if (ok.table !== undefined) database.table = read.identifier(`${at}.table`, str('table', own), own);
  for (const [key, field] of [['lock_wait', 'lockWaitMs'], ['lock_timeout', 'lockTimeoutMs'], ['statement_timeout', 'statementTimeoutMs']] as const) {
    if (ok[key] !== undefined) database[field] = read.duration(`${at}.${key}`, typeof ok[key] === 'string' ? str(key, own) : ok[key], own);
  }
  if (ok.lock_retries !== undefined) database.lockRetries = read.count(`${at}.lock_retries`, ok.lock_retries, problems);
  // fmig's lock: each key the target leaves out comes from [database]; checked together.
  if (ok.lock !== undefined || ok.lock_lease !== undefined || ok.lock_heartbeat !== undefined) {
    const kind = ok.lock !== undefined ? { value: str('lock', own) ?? null, key: `${at}.lock`, shown: String(ok.lock) } : inherited.kind;
    const lease = ok.lock_lease !== undefined ? { value: read.duration(`${at}.lock_lease`, typeof ok.lock_lease === 'string' ? str('lock_lease', own) : ok.lock_lease, own), key: `${at}.lock_lease`, shown: String(ok.lock_lease) } : inherited.lease;
    const heartbeat = ok.lock_heartbeat !== undefined ? { value: read.duration(`${at}.lock_heartbeat`, typeof ok.lock_heartbeat === 'string' ? str('lock_heartbeat', own) : ok.lock_heartbeat, own), key: `${at}.lock_heartbeat`, shown: String(ok.lock_heartbeat) } : inherited.heartbeat;
    database.lock = checkLock(kind, lease, heartbeat, own);
    database.lockLeaseMs = lease.value;
    database.lockHeartbeatMs = heartbeat.value;
  }

  let schemas: TargetSettings['schemas'] = null;
  if (typeof ok.schemas === 'string') {
    const query = str('schemas', own);
    if (query !== undefined && query.trim() === '') problems.push(`${at}.schemas: an empty query; write one returning the schema names, or a list of them`);
    schemas = { query: query ?? '' };
  } else if (Array.isArray(ok.schemas)) {
    const names = (ok.schemas as string[]).map((n) => read.identifier(`${at}.schemas`, n, problems));
    const twice = names.filter((n, i) => names.indexOf(n) !== i);
    if (twice.length) problems.push(`${at}.schemas: ${[...new Set(twice)].join(', ')} listed twice`);
    schemas = { names };
  }
  if (schemas && ok.schema !== undefined) {
    problems.push(`${at}: schema and schemas together; with schemas, each tenant's ledger lives in the tenant's own schema (drop "schema")`);
  }

  let url: string | null = null;
  let urlSource: string | null = null;
  for (const key of ['direct_url', 'url']) {
    if (url !== null || ok[key] === undefined) continue;
    const v = str(key, own);
    if (v === undefined || v === '') continue;
    url = read.url(`${at}.${key}`, v, own);
    urlSource = `${at}.${key}`;
  }
  return { name, url, urlSource, schemas, database, problems: own };
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  if (Array.isArray(v)) return 'an array';
  return 'a table';
}
