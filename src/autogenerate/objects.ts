/** CREATE and DROP text for each kind of object in a snapshot. Pure. */
import type { Routine, Sequence, Table, TypeDef, View } from '../core/snapshot-diff.js';
import { columnDefinition } from './columns.js';
import { literal, qualifiedName, quoteIdent } from './sql-text.js';

export function createTable(t: Table): string {
  const name = qualifiedName(t);
  const unlogged = t.kind.startsWith('unlogged ') ? 'UNLOGGED ' : '';
  const tail = [
    t.inherits ? ` INHERITS (${t.inherits})` : '',
    t.partitionKey ? ` PARTITION BY ${t.partitionKey}` : '',
    t.options ? ` WITH (${t.options})` : '',
  ].join('');
  if (t.partitionOf) return `CREATE ${unlogged}TABLE ${name} PARTITION OF ${t.partitionOf}${t.partitionKey ? ` PARTITION BY ${t.partitionKey}` : ''}`;
  const cols = t.columns.map((c) => `    ${columnDefinition(c)}`);
  return `CREATE ${unlogged}TABLE ${name} (${cols.length ? `\n${cols.join(',\n')}\n` : ''})${tail}`;
}

export function createSequence(q: Sequence): string {
  return `CREATE SEQUENCE ${qualifiedName(q)} AS ${q.type} ${sequenceOptions(q)}`;
}

export function sequenceOptions(q: Sequence): string {
  return `INCREMENT BY ${q.increment} MINVALUE ${q.min} MAXVALUE ${q.max} START WITH ${q.start} CACHE ${q.cache} ${q.cycle ? 'CYCLE' : 'NO CYCLE'}`;
}

/** The labels of an enum from its snapshot definition (`'a', 'b'`). */
export function enumLabels(definition: string): string[] {
  return [...definition.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1].replace(/''/g, "'"));
}

export function createType(t: TypeDef, name = qualifiedName(t)): string {
  switch (t.kind) {
    case 'enum':
      return `CREATE TYPE ${name} AS ENUM (${t.definition})`;
    case 'composite':
      return `CREATE TYPE ${name} AS (${t.definition})`;
    case 'range':
      return `CREATE TYPE ${name} AS RANGE (SUBTYPE = ${t.definition})`;
    case 'domain':
      return [
        `CREATE DOMAIN ${name} AS ${t.definition}`,
        t.default !== null ? ` DEFAULT ${t.default}` : '',
        t.notNull ? ' NOT NULL' : '',
        ...t.constraints.map((c) => ` CONSTRAINT ${c}`),
      ].join('');
  }
}

export function dropType(t: TypeDef): string {
  return `DROP ${t.kind === 'domain' ? 'DOMAIN' : 'TYPE'} ${qualifiedName(t)}`;
}

/** The header of a function's definition (everything but its body), to tell a changed signature from a changed body. */
export function routineHeader(f: Routine): string {
  const i = f.definition.search(/\nAS |\n(BEGIN ATOMIC)|\n AS /);
  return i < 0 ? f.definition : f.definition.slice(0, i);
}

export function routineSignature(f: Routine): string {
  return `${qualifiedName(f)}(${f.arguments})`;
}

/**
 * CREATE AGGREGATE from an aggregate's snapshot definition
 * (`sfunc <fn>, stype <type>[, finalfunc <fn>][, initcond '<text>']`).
 */
export function createAggregate(f: Routine): string {
  const m = /^sfunc (\S+), stype (.+?)(?:, finalfunc (\S+))?(?:, initcond ('(?:[^']|'')*'))?$/s.exec(f.definition);
  if (!m) throw new Error(`cannot read the definition of aggregate ${routineSignature(f)}: ${f.definition}`);
  const [, sfunc, stype, finalfunc, initcond] = m;
  const parts = [`SFUNC = ${sfunc}`, `STYPE = ${stype}`, ...(finalfunc ? [`FINALFUNC = ${finalfunc}`] : []), ...(initcond ? [`INITCOND = ${initcond}`] : [])];
  return `CREATE AGGREGATE ${routineSignature(f)} (${parts.join(', ')})`;
}

export function dropRoutine(f: Routine): string {
  return `DROP ${f.kind === 'procedure' ? 'PROCEDURE' : f.kind === 'aggregate' ? 'AGGREGATE' : 'FUNCTION'} ${routineSignature(f)}`;
}

export function createView(v: View): string {
  const body = v.definition.replace(/;\s*$/, '');
  return `CREATE ${v.materialized ? 'MATERIALIZED ' : ''}VIEW ${qualifiedName(v)}${v.options ? ` WITH (${v.options})` : ''} AS ${body}`;
}

export function dropView(v: View): string {
  return `DROP ${v.materialized ? 'MATERIALIZED ' : ''}VIEW ${qualifiedName(v)}`;
}

export type CommentTarget =
  | { kind: 'SCHEMA' | 'EXTENSION'; name: string }
  | { kind: 'TABLE' | 'VIEW' | 'MATERIALIZED VIEW' | 'SEQUENCE' | 'TYPE' | 'DOMAIN' | 'INDEX'; schema: string; name: string }
  | { kind: 'COLUMN'; schema: string; table: string; name: string }
  | { kind: 'CONSTRAINT' | 'TRIGGER'; schema: string; table: string; name: string }
  | { kind: 'FUNCTION' | 'PROCEDURE' | 'AGGREGATE'; signature: string };

export function commentOn(target: CommentTarget, text: string | null): string {
  const what = (() => {
    switch (target.kind) {
      case 'SCHEMA':
      case 'EXTENSION':
        return quoteIdent(target.name);
      case 'COLUMN':
        return `${qualifiedName({ schema: target.schema, name: target.table })}.${quoteIdent(target.name)}`;
      case 'CONSTRAINT':
      case 'TRIGGER':
        return `${quoteIdent(target.name)} ON ${qualifiedName({ schema: target.schema, name: target.table })}`;
      case 'FUNCTION':
      case 'PROCEDURE':
      case 'AGGREGATE':
        return target.signature;
      default:
        return qualifiedName(target);
    }
  })();
  return `COMMENT ON ${target.kind} ${what} IS ${literal(text)}`;
}
