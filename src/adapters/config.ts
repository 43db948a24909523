/** Reads migrate.toml (SPEC section 5): finds it, checks every key, fills defaults and the URL. */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse, TomlError } from 'smol-toml';
import type { Config } from './config-types.js';
import { maskUrl } from './db/driver.js';
import { ConfigError, FmigError } from '../core/errors.js';
import { closest } from '../core/suggest.js';
import { parseDuration } from '../core/duration.js';
import { readTargets } from './config-targets.js';
import { checkLock, DATABASE_KEYS, type InheritedLock, type LockKind } from './config-database.js';
import { currentFolder, globFolders } from './config-folders.js';
import { DEFAULT_POSTGRES, LINT_CODES } from '../lint/codes.js';

export const CONFIG_FILE = 'migrate.toml';
export const DEFAULT_URL = 'pglite://.fmig/pglite';
const NAMEDATALEN = 63;

type Kind = 'string' | 'duration' | 'count' | 'boolean' | 'table';
interface Shape {
  [key: string]: Kind | Shape;
}
const SHAPE: Shape = {
  dir: 'string',
  database: DATABASE_KEYS,
  git: { main: 'string' },
  schema: { files: 'string' },
  // [targets.<name>]: any name, so checked by config-targets.ts (listed here for "did you mean").
  targets: {},
  backup: { before_up: 'boolean', pg_dump: 'string', dir: 'string', keep: 'count' },
  lint: { postgres: 'count', rules: 'table' },
};
const ALL_KEYS = flatten(SHAPE, '');

type Table = Record<string, unknown>;

export interface LoadOptions {
  cwd: string;
  /** `--config`: a file to read instead of searching, relative to cwd. */
  configPath?: string;
  /** `--url`: wins over every other source of the database URL. */
  url?: string;
  /** `--lock-wait`: wins over database.lock_wait. */
  lockWait?: string;
  env: Record<string, string | undefined>;
}

/** The configuration for a command run in `cwd`; throws one ConfigError listing every problem. */
export async function loadConfig(opts: LoadOptions): Promise<Config> {
  const file = findFile(opts);
  const root = file ? path.dirname(file) : opts.cwd;
  const label = file ? path.relative(opts.cwd, file) || file : 'configuration';
  const doc = file ? readToml(file, label) : {};

  const problems: string[] = [];
  const { targets: targetTables, ...rest } = doc;
  checkShape(rest, SHAPE, '', problems);
  const database = table(doc.database);
  const git = table(doc.git);
  const schemaSection = table(doc.schema);
  // A value already reported (wrong type, unset variable) is not checked again.
  const value = (key: string, raw: unknown, dflt?: string) =>
    raw === undefined ? dflt : typeof raw === 'string' ? expand(key, raw, opts.env, problems) : raw;

  const dir = value('dir', doc.dir, 'sql');
  if (dir === '') problems.push('dir: must not be empty (the default is "sql")');
  const schema = identifier('database.schema', value('database.schema', database.schema, 'public'), problems);
  const tableName = identifier('database.table', value('database.table', database.table, 'fmig_ledger'), problems);
  const lockTimeoutMs = duration('database.lock_timeout', value('database.lock_timeout', database.lock_timeout, '5s'), problems);
  const lockWaitMs =
    opts.lockWait !== undefined
      ? duration('--lock-wait', opts.lockWait, problems)
      : duration('database.lock_wait', value('database.lock_wait', database.lock_wait, '5m'), problems);
  const lockRetries = count('database.lock_retries', database.lock_retries ?? 5, problems);
  const directUrl = directUrlOf(value('database.direct_url', database.direct_url), root, problems);
  const statementTimeoutMs = duration('database.statement_timeout', value('database.statement_timeout', database.statement_timeout, '0'), problems);
  const lock = lockSettings(value, database, problems);
  const main = value('git.main', git.main);
  const schemaFiles = value('schema.files', schemaSection.files);
  if (schemaFiles === '') problems.push('schema.files: must not be empty (a glob such as "schema/**/*.sql")');
  const targets = readTargets(
    targetTables,
    {
      expand: (key, raw, into) => expand(key, raw, opts.env, into),
      duration,
      count,
      identifier,
      url: (key, v, into) => checkUrl(v, key, root, into),
    },
    lock,
    problems,
  );
  const backup = backupSettings(table(doc.backup), value, problems);
  const lint = lintSettings(table(doc.lint), problems);
  // A bad URL from --url or the environment is not migrate.toml's fault: it is reported on its own.
  const urlProblems: string[] = [];
  const { url, urlSource } = databaseUrl(opts, () => value('database.url', database.url), root, problems, urlProblems, directUrl);

  const folders = typeof dir === 'string' && dir !== '' ? await globFolders(root, dir, tableName, problems) : null;
  const here = folders ? currentFolder(folders, opts.cwd) : undefined;
  if (problems.length) throw new ConfigError(label, [...problems, ...urlProblems]);
  if (urlProblems.length) throw new FmigError('bad-url', urlProblems.join('\n'), 2);
  return {
    file,
    root,
    dir: here?.dir ?? path.resolve(root, typeof dir === 'string' ? dir : 'sql'),
    database: { url, urlSource, directUrl, schema, table: here?.table ?? tableName, lockWaitMs, lockTimeoutMs, lockRetries, statementTimeoutMs, lock: lock.lock, lockLeaseMs: lock.lease.value, lockHeartbeatMs: lock.heartbeat.value },
    git: { main: typeof main === 'string' && main !== '' ? main : null },
    schema: { files: typeof schemaFiles === 'string' && schemaFiles !== '' ? schemaFiles : null },
    lint,
    targets,
    folders,
    // A pg_dump named by a path (with a /) is relative to migrate.toml, like dir; a bare name is looked up on PATH.
    backup: { ...backup, dir: path.resolve(root, backup.dir), pgDump: backup.pgDump?.includes('/') ? path.resolve(root, backup.pgDump) : backup.pgDump },
  };
}

/** `[backup]`: taking a backup before `up`, where pg_dump is, where backups go and how many stay. */
function backupSettings(section: Table, value: (key: string, raw: unknown, dflt?: string) => unknown, problems: string[]): Config['backup'] {
  const pgDump = value('backup.pg_dump', section.pg_dump);
  if (pgDump === '') problems.push('backup.pg_dump: must not be empty (leave it out to use pg_dump from PATH)');
  const dir = value('backup.dir', section.dir, '.fmig/backups');
  if (dir === '') problems.push('backup.dir: must not be empty (the default is ".fmig/backups")');
  let keep: number | null = null;
  if (section.keep !== undefined) {
    keep = count('backup.keep', section.keep, problems);
    if (typeof section.keep === 'number' && section.keep === 0) problems.push('backup.keep: 0 would remove every backup; leave it out to keep them all');
  }
  return {
    beforeUp: section.before_up === true,
    pgDump: typeof pgDump === 'string' && pgDump !== '' ? pgDump : null,
    dir: typeof dir === 'string' && dir !== '' ? dir : '.fmig/backups',
    keep,
  };
}

/** `[database] lock`, `lock_lease`, `lock_heartbeat`: which lock, and the table lock's lease, with the keys they came from. */
function lockSettings(value: (key: string, raw: unknown, dflt?: string) => unknown, database: Table, problems: string[]): InheritedLock & { lock: LockKind } {
  const kind = value('database.lock', database.lock, 'advisory');
  const inherited: InheritedLock = {
    kind: { value: kind, key: 'database.lock', shown: String(kind) },
    lease: { value: duration('database.lock_lease', value('database.lock_lease', database.lock_lease, '30s'), problems), key: 'database.lock_lease', shown: String(database.lock_lease ?? '30s') },
    heartbeat: { value: duration('database.lock_heartbeat', value('database.lock_heartbeat', database.lock_heartbeat, '10s'), problems), key: 'database.lock_heartbeat', shown: String(database.lock_heartbeat ?? '10s') },
  };
  return { ...inherited, lock: checkLock(inherited.kind, inherited.lease, inherited.heartbeat, problems) };
}

// Synchronous on purpose: two small reads, and a command that needs no other asynchronous file
// work then never starts libuv's thread pool (threads, and memory for each).
function findFile(opts: LoadOptions): string | null {
  if (opts.configPath !== undefined) {
    const file = path.resolve(opts.cwd, opts.configPath);
    if (!isFile(file)) throw new ConfigError(opts.configPath, ['no such file (named by --config)']);
    return file;
  }
  for (let dir = path.resolve(opts.cwd); ; dir = path.dirname(dir)) {
    const file = path.join(dir, CONFIG_FILE);
    if (isFile(file)) return file;
    if (path.dirname(dir) === dir) return null;
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

function readToml(file: string, label: string): Table {
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  try {
    return parse(text) as Table;
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    // Only the first line: smol-toml's code excerpt could show a password from the file.
    const reason = e.message.split('\n')[0].replace(/^Invalid TOML document:\s*/, '');
    throw new ConfigError(label, [`line ${e.line}, column ${e.column}: ${reason}`]);
  }
}

function checkShape(doc: Table, shape: Shape, prefix: string, problems: string[]): void {
  for (const [key, v] of Object.entries(doc)) {
    const name = prefix + key;
    const want = shape[key];
    if (want === undefined) {
      problems.push(unknownKey(name, key, isTable(v), shape, prefix));
    } else if (typeof want === 'object') {
      if (isTable(v)) checkShape(v, want, `${name}.`, problems);
      else problems.push(`${name}: expected a table ([${name}]), got ${describe(v)}`);
    } else if (want === 'table' && !isTable(v)) {
      problems.push(`${name}: expected a table ([${name}]), got ${describe(v)}`);
    } else if (want === 'string' && typeof v !== 'string') {
      problems.push(`${name}: expected a string, got ${describe(v)}`);
    } else if (want === 'count' && typeof v !== 'number') {
      problems.push(`${name}: expected a whole number such as 5, got ${describe(v)}`);
    } else if (want === 'boolean' && typeof v !== 'boolean') {
      problems.push(`${name}: expected true or false, got ${describe(v)}`);
    } else if (want === 'duration' && typeof v !== 'string' && typeof v !== 'number') {
      problems.push(`${name}: expected a duration such as "10s" or "500ms", got ${describe(v)}`);
    }
  }
}

function unknownKey(name: string, key: string, isTbl: boolean, shape: Shape, prefix: string): string {
  const here = Object.keys(shape);
  // A key that exists under another table (`url` at the top) was most likely put in the wrong place.
  const moved = ALL_KEYS.find((k) => k !== name && k.split('.').pop() === key);
  const near = closest(key, here);
  const hint = moved ?? (near !== undefined ? prefix + near : closest(name, ALL_KEYS));
  const known = here.map((k) => (typeof shape[k] === 'object' ? `[${prefix}${k}]` : prefix + k)).join(', ');
  return `unknown ${isTbl ? 'table' : 'key'} "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; valid here: ${known}`;
}


function flatten(shape: Shape, prefix: string): string[] {
  return Object.entries(shape).flatMap(([k, v]) => (typeof v === 'object' ? [prefix + k, ...flatten(v, `${prefix}${k}.`)] : [prefix + k]));
}

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function table(v: unknown): Table {
  return isTable(v) ? v : {};
}

function describe(v: unknown): string {
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number' || typeof v === 'bigint') return Number.isInteger(v) || typeof v === 'bigint' ? 'an integer' : 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a date';
  return 'a table';
}

function identifier(key: string, v: unknown, problems: string[]): string {
  if (typeof v !== 'string') return '';
  if (v === '') problems.push(`${key}: must not be empty`);
  const bytes = new TextEncoder().encode(v).length;
  if (bytes > NAMEDATALEN) problems.push(`${key}: "${v}" is ${bytes} bytes long; PostgreSQL names are at most ${NAMEDATALEN}`);
  return v;
}

function duration(key: string, v: unknown, problems: string[]): number {
  if (typeof v !== 'string' && typeof v !== 'number') return 0;
  // A bare number is ambiguous (PostgreSQL reads milliseconds, people mean seconds): only 0 may go without a unit.
  if (/^\s*\d*\.?\d+\s*$/.test(String(v)) && Number(v) !== 0) {
    problems.push(`${key}: ${typeof v === 'string' ? `"${v}"` : v} has no unit; write it with one, e.g. "${v}s", "${v}ms" or "${v}m" (units: ms, s, m, h, d)`);
    return 0;
  }
  const ms = parseDuration(v);
  if (ms === null) {
    const shown = typeof v === 'string' ? `"${maskUrl(v)}"` : String(v);
    problems.push(`${key}: bad duration ${shown}; use e.g. "10s", "500ms", "2m"`);
  }
  return ms ?? 0;
}

/** `[lint]`: the PostgreSQL version the rules assume, and each named rule's setting, checked against the rules there are. */
function lintSettings(lint: Table, problems: string[]): Config['lint'] {
  const postgres = lint.postgres ?? DEFAULT_POSTGRES;
  if (typeof postgres === 'number' && (!Number.isInteger(postgres) || postgres < 9 || postgres > 99)) {
    problems.push(`lint.postgres: ${postgres} is not a PostgreSQL major version such as 15`);
  }
  const rules: Config['lint']['rules'] = {};
  for (const [code, v] of Object.entries(table(lint.rules))) {
    if (!(LINT_CODES as string[]).includes(code)) {
      const near = closest(code, LINT_CODES);
      problems.push(`lint.rules."${code}": no such lint rule${near ? ` (did you mean "${near}"?)` : ''}; rules: ${LINT_CODES.join(', ')}`);
    } else if (v !== 'off' && v !== 'warning' && v !== 'error') {
      problems.push(`lint.rules."${code}": expected "off", "warning" or "error", got ${typeof v === 'string' ? `"${v}"` : describe(v)}`);
    } else {
      rules[code] = v;
    }
  }
  return { postgres: typeof postgres === 'number' ? postgres : DEFAULT_POSTGRES, rules };
}

/** A whole number of times, 0 or more. */
function count(key: string, v: unknown, problems: string[]): number {
  if (typeof v !== 'number') return 0;
  if (!Number.isInteger(v) || v < 0 || v > 100) {
    problems.push(`${key}: ${v} is not a whole number from 0 to 100`);
    return 0;
  }
  return v;
}

/** `database.direct_url`: a server URL, or null when unset. */
function directUrlOf(v: unknown, root: string, problems: string[]): string | null {
  if (typeof v !== 'string' || v === '') return null;
  if (!/^postgres(ql)?:\/\//i.test(v)) {
    problems.push(`database.direct_url: "${safeUrl(v)}" is not a server URL; use postgres://user@host:port/database (the server itself, not the pooler)`);
    return null;
  }
  return checkUrl(v, 'database.direct_url', root, problems);
}

/** `${VAR}` and `${VAR:-default}` read from env; null (and a problem) when a `${VAR}` is unset with no default. */
function expand(key: string, s: string, env: Record<string, string | undefined>, problems: string[]): string | null {
  const missing = new Set<string>();
  try {
    const [out] = scan(s, 0, false, env, missing);
    for (const name of missing) {
      problems.push(`${key}: environment variable ${name} is not set (write \${${name}:-default} to give a default)`);
    }
    return missing.size ? null : out;
  } catch (e) {
    if (!(e instanceof BadReference)) throw e;
    // The text itself is not shown: it may hold a password.
    problems.push(`${key}: "\${" at character ${e.at + 1} does not start a \${VAR} or \${VAR:-default} reference`);
    return null;
  }
}

class BadReference extends Error {
  constructor(readonly at: number) {
    super('bad reference');
  }
}

const VAR_NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/** Expands from `i` to the end of `s` (or to the `}` closing a default); returns the text and where it stopped. */
function scan(s: string, i: number, inDefault: boolean, env: Record<string, string | undefined>, missing: Set<string>): [string, number] {
  let out = '';
  while (i < s.length) {
    if (inDefault && s[i] === '}') return [out, i];
    if (!s.startsWith('${', i)) {
      out += s[i++];
      continue;
    }
    const start = i;
    VAR_NAME.lastIndex = i + 2;
    const m = VAR_NAME.exec(s);
    if (!m) throw new BadReference(start);
    const name = m[0];
    const value = env[name];
    i = VAR_NAME.lastIndex;
    if (s[i] === '}') {
      if (value === undefined) missing.add(name);
      out += value ?? '';
      i++;
    } else if (s.startsWith(':-', i)) {
      // Unset variables inside a default only matter when the default is used.
      const inner = new Set<string>();
      const [fallback, end] = scan(s, i + 2, true, env, inner);
      if (s[end] !== '}') throw new BadReference(start);
      const useDefault = value === undefined || value === '';
      if (useDefault) inner.forEach((n) => missing.add(n));
      out += useDefault ? fallback : value;
      i = end + 1;
    } else {
      throw new BadReference(start);
    }
  }
  if (inDefault) throw new BadReference(i);
  return [out, i];
}

const SOURCES = ['FMIG_DATABASE_URL', 'DATABASE_URL'] as const;

/** The first URL found among --url, FMIG_DATABASE_URL, database.direct_url, DATABASE_URL, database.url and the default; checked. */
function databaseUrl(opts: LoadOptions, fromFile: () => unknown, root: string, problems: string[], urlProblems: string[], directUrl: string | null): { url: string; urlSource: string } {
  let found: { url: string; urlSource: string } | undefined;
  if (opts.url) found = { url: opts.url, urlSource: '--url' };
  if (!found && opts.env.FMIG_DATABASE_URL) found = { url: opts.env.FMIG_DATABASE_URL, urlSource: 'FMIG_DATABASE_URL' };
  // The server itself, for migrating: before DATABASE_URL and database.url, which name the pooler the application uses.
  if (!found && directUrl) return { url: directUrl, urlSource: 'database.direct_url' };
  for (const name of SOURCES) if (!found && opts.env[name]) found = { url: opts.env[name]!, urlSource: name };
  if (!found) {
    // Read only when it is the source, so an unset ${VAR} in it does not block `--url`.
    const v = fromFile();
    if (typeof v === 'string' && v !== '') found = { url: v, urlSource: 'database.url' };
  }
  found ??= { url: DEFAULT_URL, urlSource: 'default' };
  const url = checkUrl(found.url, found.urlSource, root, found.urlSource === 'database.url' ? problems : urlProblems);
  return { url, urlSource: found.urlSource };
}

/** A usable URL, with a relative pglite directory made absolute against the project root. */
function checkUrl(url: string, source: string, root: string, problems: string[]): string {
  const from = SOURCES.includes(source as (typeof SOURCES)[number]) ? `environment variable ${source}` : source;
  if (/^postgres(ql)?:\/\//i.test(url)) return url;
  const lite = /^pglite:\/\/(.*)$/is.exec(url);
  if (lite) {
    if (lite[1] === 'memory') return 'pglite://memory';
    if (lite[1] !== '') return `pglite://${path.resolve(root, lite[1])}`;
    problems.push(`database URL from ${from} names no directory: use pglite://<dir> or pglite://memory`);
    return url;
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1];
  const shown = scheme ? ` "${safeUrl(url)}"` : '';
  const near = scheme ? closest(scheme.toLowerCase(), ['postgres', 'postgresql', 'pglite']) : undefined;
  problems.push(
    `database URL from ${from}${shown} is not one fmig can use${near ? ` (did you mean ${near}://?)` : ''}: use postgres://, postgresql://, pglite://<dir> or pglite://memory`,
  );
  return url;
}

/** maskUrl, and where a password holds characters it does not expect, everything before the host. */
function safeUrl(url: string): string {
  const masked = maskUrl(url);
  return masked !== url || !url.includes('@') ? masked : url.replace(/^([a-z][a-z0-9+.-]*:\/\/).*@/is, '$1***@');
}
