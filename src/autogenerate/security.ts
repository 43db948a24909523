/**
 * Row-level-security policies and privileges (GRANT/REVOKE) between two snapshots. Pure.
 *
 * A snapshot lists the privileges that differ from an object's default; an object made anew
 * (new, or dropped and made again) starts from its default, so its old list does not count.
 */
import type { Grant, Policy, Snapshot, Table } from '../core/snapshot-diff.js';
import { grantLine } from '../core/snapshot-diff.js';
import { routineSignature } from './objects.js';
import { qualifiedName, quoteIdent, type Statement } from './sql-text.js';

const keyOf = (o: { schema: string; name: string }) => `${o.schema}.${o.name}`;
const routineKey = (f: { schema: string; name: string; arguments: string }) => `${keyOf(f)}(${f.arguments})`;

export function createPolicy(table: Table, p: Policy): string {
  return [
    `CREATE POLICY ${quoteIdent(p.name)} ON ${qualifiedName(table)} AS ${p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${p.command} TO ${p.roles.join(', ')}`,
    p.using !== null ? ` USING (${p.using})` : '',
    p.check !== null ? ` WITH CHECK (${p.check})` : '',
  ].join('');
}

const samePolicy = (a: Policy, b: Policy) => JSON.stringify(a) === JSON.stringify(b);

/** DROP POLICY for policies gone or changed on tables that stay (a dropped table takes its policies with it). */
export function policyDrops(from: Snapshot, to: Snapshot): Statement[] {
  const out: Statement[] = [];
  for (const a of from.tables) {
    const b = to.tables.find((t) => keyOf(t) === keyOf(a));
    if (!b) continue;
    for (const p of a.policies ?? []) {
      const now = (b.policies ?? []).find((x) => x.name === p.name);
      if (!now || !samePolicy(p, now)) out.push({ sql: `DROP POLICY ${quoteIdent(p.name)} ON ${qualifiedName(a)}` });
    }
  }
  return out;
}

/** CREATE POLICY for policies new or changed (all of a new table's). */
export function policyMakes(from: Snapshot, to: Snapshot): Statement[] {
  const out: Statement[] = [];
  for (const b of to.tables) {
    const a = from.tables.find((t) => keyOf(t) === keyOf(b));
    for (const p of b.policies ?? []) {
      const was = (a?.policies ?? []).find((x) => x.name === p.name);
      if (!was || !samePolicy(p, was)) out.push({ sql: createPolicy(b, p) });
    }
  }
  return out;
}

/** Keys of the objects made anew by the plan (they start from their default privileges). */
export interface MadeAnew {
  schemas: Set<string>;
  relations: Set<string>;
  functions: Set<string>;
}

/** GRANT and REVOKE statements that turn `from`'s privileges into `to`'s, removals first. */
export function grantPlan(from: Snapshot, to: Snapshot, anew: MadeAnew): Statement[] {
  const revokes: Statement[] = [];
  const grants: Statement[] = [];
  const compare = (on: string, was: Grant[] | undefined, now: Grant[] | undefined) => {
    const before = new Map((was ?? []).map((g) => [grantLine(g), g]));
    const after = new Map((now ?? []).map((g) => [grantLine(g), g]));
    for (const [line, g] of before) if (!after.has(line)) (g.revoked ? grants : revokes).push({ sql: g.revoked ? grant(on, { ...g, grantable: false }) : revoke(on, g) });
    for (const [line, g] of after) if (!before.has(line)) (g.revoked ? revokes : grants).push({ sql: g.revoked ? revoke(on, g) : grant(on, g) });
  };
  for (const s of to.schemas) {
    const was = anew.schemas.has(s.name) ? undefined : from.schemas.find((x) => x.name === s.name)?.grants;
    compare(`SCHEMA ${quoteIdent(s.name)}`, was, s.grants);
  }
  const relations = [
    ...to.tables.map((t) => ({ o: t, kind: 'TABLE', was: from.tables.find((x) => keyOf(x) === keyOf(t)) })),
    ...to.views.map((v) => ({ o: v, kind: 'TABLE', was: from.views.find((x) => keyOf(x) === keyOf(v)) })),
    ...to.sequences.map((q) => ({ o: q, kind: 'SEQUENCE', was: from.sequences.find((x) => keyOf(x) === keyOf(q)) })),
  ];
  for (const { o, kind, was } of relations) compare(`${kind} ${qualifiedName(o)}`, anew.relations.has(keyOf(o)) ? undefined : was?.grants, o.grants);
  for (const f of to.functions) {
    const was = anew.functions.has(routineKey(f)) ? undefined : from.functions.find((x) => routineKey(x) === routineKey(f))?.grants;
    compare(`${f.kind === 'procedure' ? 'PROCEDURE' : 'FUNCTION'} ${routineSignature(f)}`, was, f.grants);
  }
  return [...revokes, ...grants];
}

function grant(on: string, g: Grant): string {
  return `GRANT ${g.privilege} ON ${on} TO ${g.grantee}${g.grantable ? ' WITH GRANT OPTION' : ''}`;
}

function revoke(on: string, g: Grant): string {
  return `REVOKE ${g.privilege} ON ${on} FROM ${g.grantee}`;
}
