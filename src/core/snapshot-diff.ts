/**
 * A schema snapshot (what `fmig schema` prints and `fmig check` compares) and its pure parts:
 * the canonical text form, one block per object, and a unified-style difference of two
 * snapshots. Two snapshots are equal when their text forms are.
 */

export interface Column {
  name: string;
  type: string;
  notNull: boolean;
  default: string | null;
  /** `always` or `by default` for an identity column. */
  identity: 'always' | 'by default' | null;
  /** A generated column's `(expression) stored` or `(expression) virtual`. */
  generated: string | null;
  /** A collation other than the type's own. */
  collation: string | null;
  comment: string | null;
}

export interface Constraint {
  name: string;
  /** PRIMARY KEY, FOREIGN KEY, UNIQUE, CHECK, EXCLUDE. */
  type: string;
  /** pg_get_constraintdef. */
  definition: string;
  comment: string | null;
}

export interface Index {
  name: string;
  /** pg_get_indexdef. */
  definition: string;
  /** False for an index a failed CREATE INDEX CONCURRENTLY left behind. */
  valid: boolean;
  comment: string | null;
}

export interface Trigger {
  name: string;
  /** pg_get_triggerdef. */
  definition: string;
  /** `origin` (the default), `disabled`, `replica` or `always`. */
  enabled: string;
  comment: string | null;
}

/**
 * A privilege that differs from the object's default (PostgreSQL's `acldefault`): granted to a
 * role beyond the default, or a default one revoked. The owner's own privileges are left out.
 */
export interface Grant {
  /** `SELECT`, `INSERT`, `EXECUTE`, `USAGE` ... */
  privilege: string;
  /** A role name, or `PUBLIC`. */
  grantee: string;
  /** Granted WITH GRANT OPTION. */
  grantable: boolean;
  /** True for a default privilege that was revoked. */
  revoked: boolean;
}

/** A row-level-security policy on a table. */
export interface Policy {
  name: string;
  /** `ALL`, `SELECT`, `INSERT`, `UPDATE` or `DELETE`. */
  command: string;
  permissive: boolean;
  /** Role names, `PUBLIC` for everyone. */
  roles: string[];
  /** The USING and WITH CHECK expressions, as pg_get_expr prints them. */
  using: string | null;
  check: string | null;
}

export interface Table {
  schema: string;
  name: string;
  /** `table`, `partitioned table` or `foreign table`; `unlogged` is prefixed. */
  kind: string;
  partitionKey: string | null;
  /** `parent FOR VALUES ...` for a partition. */
  partitionOf: string | null;
  inherits: string | null;
  options: string | null;
  rowSecurity: 'enabled' | 'forced' | null;
  columns: Column[];
  constraints: Constraint[];
  indexes: Index[];
  triggers: Trigger[];
  policies?: Policy[];
  grants?: Grant[];
  comment: string | null;
}

export interface View {
  schema: string;
  name: string;
  materialized: boolean;
  /** pg_get_viewdef with runs of white space made one space. */
  definition: string;
  options: string | null;
  indexes: Index[];
  triggers: Trigger[];
  grants?: Grant[];
  comment: string | null;
}

export interface Routine {
  schema: string;
  name: string;
  /** `function`, `procedure`, `aggregate` or `window function`. */
  kind: string;
  arguments: string;
  /** pg_get_functiondef; for an aggregate, its state function, type and final function. */
  definition: string;
  grants?: Grant[];
  comment: string | null;
}

export interface Sequence {
  schema: string;
  name: string;
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  /** `schema.table.column`, with ` (identity)` for an identity column's sequence. */
  ownedBy: string | null;
  grants?: Grant[];
  comment: string | null;
}

export interface TypeDef {
  schema: string;
  name: string;
  kind: 'enum' | 'domain' | 'composite' | 'range';
  /** enum: its labels, quoted, in order; composite: its attributes; range: its subtype; domain: its base type. */
  definition: string;
  notNull: boolean;
  default: string | null;
  /** A domain's constraints: `name definition`. */
  constraints: string[];
  comment: string | null;
}

export interface Extension {
  name: string;
  version: string;
  schema: string;
}

export interface SchemaInfo {
  name: string;
  grants?: Grant[];
  comment: string | null;
}

export interface Snapshot {
  schemas: SchemaInfo[];
  extensions: Extension[];
  types: TypeDef[];
  sequences: Sequence[];
  tables: Table[];
  views: View[];
  functions: Routine[];
}

/** One object of the text form: `key` names it (kind and name), `lines` are its header and properties. */
export interface Block {
  key: string;
  lines: string[];
}

const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const qualified = (o: { schema: string; name: string }) => `${o.schema}.${o.name}`;
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
const comment = (c: string | null) => (c === null ? [] : [`  comment ${literal(c)}`]);

/** Makes a snapshot's order canonical: objects by schema and name (code points), columns kept in table order. */
export function normalise(s: Snapshot): Snapshot {
  const sortBy = <T>(xs: T[], key: (x: T) => string) => [...xs].sort((a, b) => byCode(key(a), key(b)));
  const named = <T extends { name: string }>(xs: T[]) => sortBy(xs, (x) => x.name);
  const grants = <T extends { grants?: Grant[] }>(x: T): T => ({ ...x, grants: sortBy(x.grants ?? [], grantLine) });
  return {
    schemas: named(s.schemas).map(grants),
    extensions: named(s.extensions),
    types: sortBy(s.types, qualified).map((t) => ({ ...t, constraints: [...t.constraints].sort(byCode) })),
    sequences: sortBy(s.sequences, qualified).map(grants),
    tables: sortBy(s.tables, qualified).map((t) => grants({ ...t, constraints: named(t.constraints), indexes: named(t.indexes), triggers: named(t.triggers), policies: named(t.policies ?? []) })),
    views: sortBy(s.views, qualified).map((v) => grants({ ...v, indexes: named(v.indexes), triggers: named(v.triggers) })),
    functions: sortBy(s.functions, (f) => `${qualified(f)}(${f.arguments})`).map(grants),
  };
}

/** `grant SELECT to reader`, `grant EXECUTE to PUBLIC with grant option`, `revoke EXECUTE from PUBLIC`. */
export function grantLine(g: Grant): string {
  return g.revoked ? `revoke ${g.privilege} from ${g.grantee}` : `grant ${g.privilege} to ${g.grantee}${g.grantable ? ' with grant option' : ''}`;
}

const grantLines = (xs: Grant[] | undefined) => (xs ?? []).map((g) => `  ${grantLine(g)}`);

/** `policy name: as permissive for ALL to PUBLIC using (...) with check (...)`. */
export function policyLine(p: Policy): string {
  return [
    `  policy ${p.name}: as ${p.permissive ? 'permissive' : 'restrictive'} for ${p.command} to ${p.roles.join(', ')}`,
    p.using !== null ? ` using (${p.using})` : '',
    p.check !== null ? ` with check (${p.check})` : '',
  ].join('');
}

function columnLine(c: Column): string {
  const parts = [`  column ${c.name} ${c.type}`];
  if (c.collation) parts.push(`collate ${c.collation}`);
  if (c.notNull) parts.push('not null');
  if (c.default !== null && !c.generated) parts.push(`default ${c.default}`);
  if (c.identity) parts.push(`generated ${c.identity} as identity`);
  if (c.generated) parts.push(`generated always as ${c.generated}`);
  return parts.join(' ');
}

function indexLines(xs: Index[]): string[] {
  return xs.flatMap((i) => [`  index ${i.name}: ${i.definition}${i.valid ? '' : ' -- INVALID'}`, ...comment(i.comment).map((l) => `  ${l}`)]);
}

function triggerLines(xs: Trigger[]): string[] {
  return xs.flatMap((t) => [`  trigger ${t.name}: ${t.definition}${t.enabled === 'origin' ? '' : ` -- ${t.enabled}`}`, ...comment(t.comment).map((l) => `  ${l}`)]);
}

/** The snapshot's text form: one block per object, in canonical order. */
export function toBlocks(snapshot: Snapshot): Block[] {
  const s = normalise(snapshot);
  const blocks: Block[] = [];
  const add = (key: string, lines: string[]) => blocks.push({ key, lines: [key, ...lines] });
  for (const x of s.schemas) add(`schema ${x.name}`, [...grantLines(x.grants), ...comment(x.comment)]);
  for (const x of s.extensions) add(`extension ${x.name}`, [`  version ${x.version} in schema ${x.schema}`]);
  for (const t of s.types) {
    const head = t.kind === 'enum' ? `  values (${t.definition})` : t.kind === 'composite' ? `  attributes (${t.definition})` : t.kind === 'range' ? `  subtype ${t.definition}` : `  base ${t.definition}`;
    add(`type ${qualified(t)} ${t.kind}`, [
      head,
      ...(t.notNull ? ['  not null'] : []),
      ...(t.default !== null ? [`  default ${t.default}`] : []),
      ...t.constraints.map((c) => `  constraint ${c}`),
      ...comment(t.comment),
    ]);
  }
  for (const q of s.sequences) {
    add(`sequence ${qualified(q)}`, [
      `  ${q.type} start ${q.start} increment ${q.increment} min ${q.min} max ${q.max} cache ${q.cache}${q.cycle ? ' cycle' : ''}`,
      ...(q.ownedBy ? [`  owned by ${q.ownedBy}`] : []),
      ...grantLines(q.grants),
      ...comment(q.comment),
    ]);
  }
  for (const t of s.tables) {
    add(`${t.kind} ${qualified(t)}`, [
      ...(t.partitionOf ? [`  partition of ${t.partitionOf}`] : []),
      ...(t.partitionKey ? [`  partition by ${t.partitionKey}`] : []),
      ...(t.inherits ? [`  inherits ${t.inherits}`] : []),
      ...(t.options ? [`  with (${t.options})`] : []),
      ...(t.rowSecurity ? [`  row level security ${t.rowSecurity}`] : []),
      ...t.columns.flatMap((c) => [columnLine(c), ...comment(c.comment).map((l) => `  ${l}`)]),
      ...t.constraints.flatMap((c) => [`  constraint ${c.name}: ${c.definition}`, ...comment(c.comment).map((l) => `  ${l}`)]),
      ...indexLines(t.indexes),
      ...triggerLines(t.triggers),
      ...(t.policies ?? []).map(policyLine),
      ...grantLines(t.grants),
      ...comment(t.comment),
    ]);
  }
  for (const v of s.views) {
    add(`${v.materialized ? 'materialized view' : 'view'} ${qualified(v)}`, [
      ...(v.options ? [`  with (${v.options})`] : []),
      `  as ${v.definition}`,
      ...indexLines(v.indexes),
      ...triggerLines(v.triggers),
      ...grantLines(v.grants),
      ...comment(v.comment),
    ]);
  }
  for (const f of s.functions) {
    add(`${f.kind} ${qualified(f)}(${f.arguments})`, [...f.definition.replace(/\s+$/, '').split('\n').map((l) => `  | ${l}`.trimEnd()), ...grantLines(f.grants), ...comment(f.comment)]);
  }
  return blocks;
}

/** The text form as lines, blocks separated by an empty line. */
export function renderSnapshot(snapshot: Snapshot): string[] {
  return toBlocks(snapshot).flatMap((b, i) => (i ? ['', ...b.lines] : b.lines));
}

/**
 * What changed from `before` to `after`, unified-style: `+ ` lines are in `after` only,
 * `- ` lines in `before` only, and each changed block's header is shown as context. Empty when
 * the snapshots are equal.
 */
export function diffSnapshots(before: Snapshot, after: Snapshot): string[] {
  const a = new Map(toBlocks(before).map((b) => [b.key, b.lines]));
  const b = new Map(toBlocks(after).map((x) => [x.key, x.lines]));
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  keys.sort((x, y) => kindRank(x) - kindRank(y) || byCode(x, y));
  const out: string[] = [];
  for (const key of keys) {
    const was = a.get(key);
    const now = b.get(key);
    if (!now) out.push(...was!.map((l) => `- ${l}`));
    else if (!was) out.push(...now.map((l) => `+ ${l}`));
    else if (was.join('\n') !== now.join('\n')) out.push(...lineDiff(was, now));
  }
  return out;
}

const KINDS = ['schema', 'extension', 'type', 'sequence', 'table', 'unlogged', 'partitioned', 'foreign', 'view', 'materialized', 'function', 'procedure', 'aggregate', 'window'];
function kindRank(key: string): number {
  const i = KINDS.indexOf(key.split(' ')[0]);
  return i < 0 ? KINDS.length : i;
}

/** A line diff of one block (longest common subsequence); the header stays as context. */
function lineDiff(a: string[], b: string[]): string[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      // Only the header is shown as context: a table's unchanged columns would bury the change.
      if (i === 0 && j === 0) out.push(`  ${a[i]}`);
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push(`- ${a[i++]}`);
    } else {
      out.push(`+ ${b[j++]}`);
    }
  }
  return out;
}
