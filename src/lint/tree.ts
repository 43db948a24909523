/** Small readers over libpg-query's parse trees (its JSON form: `{ NodeType: { ...fields } }`). Pure. */

// The parse tree is untyped JSON from the parser.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Node = Record<string, any>;

/** A RangeVar's table name as PostgreSQL resolves it (unquoted names already folded to lower case), schema left out. */
export function relName(rangeVar: Node | undefined): string {
  return rangeVar?.relname ?? '';
}

/** The strings of a list of `{ String: { sval } }` nodes, e.g. a qualified name. */
export function names(list: Node[] | undefined): string[] {
  return (list ?? []).map((n) => n.String?.sval ?? '').filter(Boolean);
}

/** A DROP's object names (the last part of each, qualified or not). */
export function droppedNames(objects: Node[] | undefined): string[] {
  return (objects ?? []).map((o) => {
    const parts = o.List ? names(o.List.items) : names([o]);
    return parts[parts.length - 1] ?? '';
  });
}

/** Whether a `DefElem` option list (VACUUM, REINDEX) holds `name`. */
export function hasOption(options: Node[] | undefined, name: string): boolean {
  return (options ?? []).some((o) => o.DefElem?.defname === name);
}

/** Visits every object in a tree, depth first. */
export function walk(node: unknown, visit: (n: Node) => void): void {
  if (Array.isArray(node)) {
    for (const x of node) walk(x, visit);
  } else if (node && typeof node === 'object') {
    visit(node as Node);
    for (const v of Object.values(node)) if (v && typeof v === 'object') walk(v, visit);
  }
}

/** Every string constant in a tree (`'value'` literals). */
export function stringConstants(node: unknown): Set<string> {
  const out = new Set<string>();
  walk(node, (n) => {
    if (n.A_Const?.sval) out.add(n.A_Const.sval.sval ?? '');
  });
  return out;
}

/** Functions whose value changes row by row: a column default calling one is computed for every existing row. */
const VOLATILE = new Set(['random', 'gen_random_uuid', 'uuid_generate_v1', 'uuid_generate_v1mc', 'uuid_generate_v4', 'uuidv4', 'uuidv7', 'clock_timestamp', 'timeofday', 'nextval', 'txid_current', 'random_normal']);

/** The first volatile function an expression calls, or null. */
export function volatileCall(expr: unknown): string | null {
  let found: string | null = null;
  walk(expr, (n) => {
    if (found || !n.FuncCall) return;
    const fn = names(n.FuncCall.funcname).pop() ?? '';
    if (VOLATILE.has(fn)) found = fn;
  });
  return found;
}

const SERIAL = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);

/** Whether a column type is one of the serial pseudo-types (a default of nextval()). */
export function isSerial(typeName: Node | undefined): boolean {
  return SERIAL.has(names(typeName?.names).pop() ?? '');
}

/** The constraints of a ColumnDef, unwrapped. */
export function columnConstraints(def: Node): Node[] {
  return (def.constraints ?? []).map((c: Node) => c.Constraint).filter(Boolean);
}

/** `column IS NOT NULL` as a CHECK expression: the column, else null. */
export function notNullColumn(expr: Node | undefined): string | null {
  const t = expr?.NullTest;
  if (!t || t.nulltesttype !== 'IS_NOT_NULL') return null;
  const fields = names(t.arg?.ColumnRef?.fields);
  return fields.length ? fields[fields.length - 1] : null;
}

/** The statement on one line, whitespace collapsed, cut at `max` characters. */
export function excerpt(text: string, max = 100): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
