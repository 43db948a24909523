/**
 * The lint rules: one revision file's parse trees plus what earlier revisions left (context.ts)
 * → findings, each naming the lock it takes, on what, for how long, and the safe pattern
 * (codes.ts). Inline `-- fmig:lint-ignore` comments and `[lint]` settings apply here. Pure.
 */
import type { Finding, Ignored } from '../core/findings.js';
import { closest } from '../core/suggest.js';
import type { ParsedStatement } from '../sql/parse.js';
import { LINT_RULES, type LintCode, type RuleSetting } from './codes.js';
import type { FileContext, LintContext } from './context.js';
import { transactionsOf } from './context.js';
import { ignoresIn } from './ignore.js';
import { columnConstraints, droppedNames, excerpt, hasOption, isSerial, names, notNullColumn, relName, stringConstants, volatileCall, type Node } from './tree.js';

export interface LintSettings {
  /** `[lint] postgres`: the server version version-dependent rules assume. */
  postgres: number;
  /** `[lint.rules]`: a code's setting; absent = its default severity. */
  rules: Readonly<Record<string, RuleSetting>>;
  /** fmig's own `lock_timeout` is 0: nothing bounds a revision's wait for a lock unless it sets one. */
  lockTimeoutOff: boolean;
}

export interface FileInput {
  /** Path relative to the project root. */
  file: string;
  text: string;
  statements: readonly ParsedStatement[];
  /** The file's `-- fmig:no-transaction` directive. */
  noTransaction: boolean;
  /** The revision is not published: what it creates is new for the revisions after it. */
  unpublished: boolean;
}

/** A rule's verdict on one statement: its code and why (the lock, on what, for how long). */
interface Hit {
  code: LintCode;
  why: string;
  fix?: string;
}

/** Lints one file; files must come in application order, through the same `ctx`. */
export function lintFile(input: FileInput, ctx: LintContext, settings: LintSettings): { findings: Finding[]; ignored: Ignored[] } {
  const file = ctx.file(input.unpublished);
  const tx = transactionsOf(input.text, input.noTransaction, input.statements.length);
  const enumValues = new Map<string, number>(); // value added → its transaction
  const findings: Finding[] = [];
  const ignored: Ignored[] = [];
  input.statements.forEach((st, i) => {
    const hits = st.node ? statementHits(st.node, file, settings, tx[i]) : [{ code: 'syntax-error' as const, why: st.error ?? 'not a statement' }];
    if (st.node) hits.push(...enumHits(st.node, tx[i], enumValues, file, settings));
    const at = { file: input.file, line: st.line, column: st.column, statement: excerpt(st.text) };
    const comments = ignoresIn(input.text, i === 0 ? 0 : input.statements[i - 1].end, st.start);
    const silenced = new Map<string, string>();
    for (const c of comments) {
      const where = { file: input.file, line: c.line, column: c.column };
      if (!c.codes.length || !c.reason) {
        findings.push({ code: 'lint-ignore-reason', severity: 'error', ...where, message: `-- fmig:lint-ignore ${c.codes.length ? `${c.codes.join(',')} has no reason` : 'names no rule'}: the reason is required and shown`, fix: 'write -- fmig:lint-ignore <code> <why this statement is safe here>' });
        continue;
      }
      for (const code of c.codes) {
        if (code in LINT_RULES) silenced.set(code, c.reason);
        else {
          const near = closest(code, Object.keys(LINT_RULES));
          findings.push({ code: 'lint-ignore-unknown', severity: 'error', ...where, message: `-- fmig:lint-ignore names "${code}", which is not a lint rule${near ? ` (did you mean "${near}"?)` : ''}`, fix: "use a code from fmig's lint rules table (README, \"Lint\")" });
        }
      }
    }
    const used = new Set<string>();
    for (const hit of hits) {
      const setting = settings.rules[hit.code] ?? LINT_RULES[hit.code].severity;
      if (setting === 'off') {
        used.add(hit.code);
        continue;
      }
      const reason = silenced.get(hit.code);
      if (reason !== undefined) {
        used.add(hit.code);
        ignored.push({ code: hit.code, ...at, reason });
        continue;
      }
      findings.push({ code: hit.code, severity: setting, ...at, message: `\`${at.statement}\`: ${hit.why}`, fix: hit.fix ?? LINT_RULES[hit.code].safe });
    }
    for (const [code] of silenced) {
      if (used.has(code) || settings.rules[code] === 'off') continue;
      findings.push({ code: 'lint-ignore-unused', severity: 'warning', ...at, message: `-- fmig:lint-ignore ${code} above a statement that has no ${code} finding`, fix: 'remove the comment, or move it above the statement it is meant for' });
    }
  });
  return { findings, ignored };
}

/** The findings of one statement. */
function statementHits(node: Node, file: FileContext, settings: LintSettings, tx: number | null): Hit[] {
  const [type] = Object.keys(node);
  const n = node[type];
  const hits: Hit[] = [];
  const existing = (name: string) => name !== '' && !file.isNew(name);
  switch (type) {
    case 'CreateStmt':
      file.create(relName(n.relation));
      break;
    case 'CreateTableAsStmt':
      file.create(relName(n.into?.rel));
      break;
    case 'CreateEnumStmt':
      file.create(names(n.typeName).pop() ?? '');
      break;
    case 'IndexStmt': {
      const table = relName(n.relation);
      if (n.concurrent && tx !== null) hits.push(inTransaction('CREATE INDEX CONCURRENTLY'));
      else if (!n.concurrent && existing(table)) {
        hits.push({ code: 'index-not-concurrent', why: `takes a SHARE lock on ${table} for the whole index build: every INSERT, UPDATE and DELETE on it waits until the index is built` });
      }
      if (n.idxname && !existing(table)) file.create(n.idxname);
      break;
    }
    case 'DropStmt':
      if (n.concurrent && tx !== null) hits.push(inTransaction('DROP INDEX CONCURRENTLY'));
      if (n.removeType === 'OBJECT_TABLE') {
        const old = droppedNames(n.objects).filter(existing);
        if (old.length) hits.push({ code: 'drop-table', why: `drops ${old.join(', ')} (ACCESS EXCLUSIVE, briefly); the release still running may read or write ${old.length > 1 ? 'them' : 'it'} and fail until the new release is out` });
      }
      break;
    case 'ReindexStmt': {
      const target = relName(n.relation) || n.name || '';
      const concurrent = hasOption(n.params, 'concurrently');
      if (concurrent && tx !== null) hits.push(inTransaction('REINDEX CONCURRENTLY'));
      else if (!concurrent && (target === '' || existing(target))) {
        hits.push({
          code: 'reindex-not-concurrent',
          why: `rebuilds under a SHARE lock on the table (writes wait) and an ACCESS EXCLUSIVE lock on each index (queries using it wait) until done${target ? `: ${target}` : ''}`,
          fix: settings.postgres >= 12 ? undefined : 'before PostgreSQL 12: CREATE INDEX CONCURRENTLY a copy, then drop the old index and rename the copy',
        });
      }
      break;
    }
    case 'VacuumStmt': {
      const tables = (n.rels ?? []).map((r: Node) => relName(r.VacuumRelation?.relation));
      if (n.is_vacuumcmd && hasOption(n.options, 'full') && (tables.length === 0 || tables.some(existing))) {
        hits.push({ code: 'vacuum-full', why: `rewrites ${tables.length ? tables.join(', ') : 'every table'} under an ACCESS EXCLUSIVE lock: no reads or writes until the copy is done` });
      }
      break;
    }
    case 'ClusterStmt': {
      const table = relName(n.relation);
      if (table === '' || existing(table)) hits.push({ code: 'cluster', why: `rewrites ${table || 'every clustered table'} in index order under an ACCESS EXCLUSIVE lock: no reads or writes until done` });
      break;
    }
    case 'LockStmt': {
      const tables = (n.relations ?? []).map((r: Node) => relName(r.RangeVar));
      if (tables.some(existing)) hits.push({ code: 'lock-table', why: `holds ${LOCK_MODES[n.mode] ?? 'a'} lock on ${tables.join(', ')} until the revision commits, and waits behind every query already on ${tables.length > 1 ? 'them' : 'it'}` });
      break;
    }
    case 'RenameStmt':
      hits.push(...renameHits(n, file));
      break;
    case 'AlterTableStmt':
      if (n.objtype === 'OBJECT_TABLE') hits.push(...alterTableHits(n, file, settings));
      break;
    case 'UpdateStmt':
    case 'DeleteStmt': {
      const table = relName(n.relation);
      if (!n.whereClause && existing(table)) {
        hits.push({ code: 'data-without-where', why: `${type === 'UpdateStmt' ? 'updates' : 'deletes'} every row of ${table} in one transaction: row locks on all of them block concurrent writers until the revision commits, and the table bloats` });
      }
      break;
    }
    case 'TruncateStmt': {
      const tables = (n.relations ?? []).map((r: Node) => relName(r.RangeVar)).filter(existing);
      if (tables.length) hits.push({ code: 'truncate', why: `empties ${tables.join(', ')} under an ACCESS EXCLUSIVE lock; the data is gone once the revision commits` });
      break;
    }
    case 'VariableSetStmt':
      if (n.name === 'lock_timeout') file.lockTimeoutSet = n.kind === 'VAR_SET_VALUE' && !isZero(n.args?.[0]);
      break;
  }
  if (settings.lockTimeoutOff && !file.lockTimeoutSet && !file.lockTimeoutReported) {
    const target = accessExclusive(type, n).filter(existing);
    if (target.length) {
      file.lockTimeoutReported = true;
      hits.push({ code: 'lock-timeout-missing', why: `waits for an ACCESS EXCLUSIVE lock on ${target.join(', ')} with no lock_timeout (fmig's lock_timeout is off): behind one long query, every query on ${target.length > 1 ? 'them' : 'it'} queues behind this statement for as long as that query runs` });
    }
  }
  return hits;
}

function inTransaction(what: string): Hit {
  return { code: 'concurrently-in-transaction', why: `${what} runs inside a transaction block here (the file's own BEGIN/COMMIT); PostgreSQL refuses it there, and fmig up stops at it` };
}

function renameHits(n: Node, file: FileContext): Hit[] {
  const table = relName(n.relation);
  if (n.renameType === 'OBJECT_TABLE') {
    if (file.isNew(table)) {
      file.create(n.newname);
      return [];
    }
    return [{ code: 'rename', why: `renames table ${table} to ${n.newname} (ACCESS EXCLUSIVE, briefly); the release still running queries ${table} and fails until the new release is out` }];
  }
  if (n.renameType === 'OBJECT_COLUMN' && n.relationType === 'OBJECT_TABLE' && !file.isNew(table)) {
    return [{ code: 'rename', why: `renames column ${table}.${n.subname} to ${n.newname} (ACCESS EXCLUSIVE, briefly); the release still running uses ${n.subname} and fails until the new release is out` }];
  }
  return [];
}

function alterTableHits(n: Node, file: FileContext, settings: LintSettings): Hit[] {
  const table = relName(n.relation);
  const isNew = file.isNew(table);
  const hits: Hit[] = [];
  for (const { AlterTableCmd: cmd } of n.cmds ?? []) {
    if (!cmd) continue;
    const c = cmd.def?.Constraint;
    // Constraints are tracked on new tables too: a check validated there counts later.
    if (cmd.subtype === 'AT_AddConstraint' && c?.contype === 'CONSTR_CHECK') {
      const column = notNullColumn(c.raw_expr);
      if (column) file.notNullCheck(c.conname ?? null, table, column, !c.skip_validation);
    }
    if (cmd.subtype === 'AT_ValidateConstraint') file.validate(table, cmd.name);
    if (isNew) continue;
    switch (cmd.subtype) {
      case 'AT_AddColumn':
        hits.push(...addColumnHits(cmd.def?.ColumnDef ?? {}, table, settings));
        break;
      case 'AT_AlterColumnType':
        hits.push({ code: 'alter-column-type', why: `changes the type of ${table}.${cmd.name}: PostgreSQL rewrites the table and rebuilds its indexes under an ACCESS EXCLUSIVE lock (no reads or writes) for as long as that takes, unless the old type converts without a rewrite (varchar(n) to text or a longer varchar)` });
        break;
      case 'AT_SetNotNull':
        if (settings.postgres < 12 || !file.hasValidatedCheck(table, cmd.name)) {
          hits.push({
            code: 'set-not-null',
            why: `scans every row of ${table} to check ${cmd.name} under an ACCESS EXCLUSIVE lock: no reads or writes until the scan ends${settings.postgres < 12 ? ` (PostgreSQL ${settings.postgres} scans even with a validated CHECK)` : ''}`,
            fix: settings.postgres < 12 ? 'keep a validated CHECK (column IS NOT NULL) NOT VALID constraint instead of SET NOT NULL until PostgreSQL 12' : undefined,
          });
        }
        break;
      case 'AT_AddConstraint':
        if ((c?.contype === 'CONSTR_FOREIGN' || c?.contype === 'CONSTR_CHECK') && !c.skip_validation) {
          const fk = c.contype === 'CONSTR_FOREIGN';
          const other = fk ? relName(c.pktable) : '';
          hits.push({
            code: 'constraint-not-valid',
            why: fk
              ? `checks every row of ${table} against ${other} while holding SHARE ROW EXCLUSIVE locks on both: writes to ${table} and ${other} wait until the scan ends`
              : `checks every row of ${table} under an ACCESS EXCLUSIVE lock: no reads or writes until the scan ends`,
          });
        }
        if ((c?.contype === 'CONSTR_PRIMARY' || c?.contype === 'CONSTR_UNIQUE') && !c.indexname) {
          hits.push({ code: 'unique-without-index', why: `builds the ${c.contype === 'CONSTR_PRIMARY' ? 'primary key' : 'unique'} index on ${table} while holding an ACCESS EXCLUSIVE lock: no reads or writes until it is built` });
        }
        break;
      case 'AT_DropColumn':
        hits.push({ code: 'drop-column', why: `drops ${table}.${cmd.name} (ACCESS EXCLUSIVE, briefly); the release still running may select or insert it and fail until the new release is out` });
        break;
    }
  }
  return hits;
}

function addColumnHits(def: Node, table: string, settings: LintSettings): Hit[] {
  const constraints = columnConstraints(def);
  const dflt = constraints.find((c) => c.contype === 'CONSTR_DEFAULT' && !c.raw_expr?.A_Const?.isnull);
  const generated = constraints.find((c) => c.contype === 'CONSTR_GENERATED' || c.contype === 'CONSTR_IDENTITY');
  const serial = isSerial(def.typeName);
  const column = `${table}.${def.colname}`;
  const rewrite = (what: string): Hit => ({ code: 'add-column-rewrite', why: `adds ${column} with ${what}: PostgreSQL rewrites every row of ${table} under an ACCESS EXCLUSIVE lock (no reads or writes) for as long as that takes` });
  if (serial) return [rewrite('a serial type (a nextval() default, different for each row)')];
  if (generated) return [rewrite(generated.contype === 'CONSTR_IDENTITY' ? 'an identity (a value from a sequence for each row)' : 'a generated value computed for each row')];
  if (dflt) {
    const fn = volatileCall(dflt.raw_expr);
    if (fn) return [rewrite(`a volatile default (${fn}(), different for each row)`)];
    if (settings.postgres < 11) return [rewrite(`a default (before PostgreSQL 11, with [lint] postgres = ${settings.postgres}, any default is written into every row)`)];
    return [];
  }
  if (constraints.some((c) => c.contype === 'CONSTR_NOTNULL')) {
    return [{ code: 'add-column-not-null', why: `adds ${column} NOT NULL without a default: fails with "contains null values" as soon as ${table} has a row, after waiting for an ACCESS EXCLUSIVE lock` }];
  }
  return [];
}

/** `ALTER TYPE ... ADD VALUE`, then the value used in the same transaction (or, before 12, any transaction). */
function enumHits(node: Node, tx: number | null, values: Map<string, number>, file: FileContext, settings: LintSettings): Hit[] {
  const e = node.AlterEnumStmt;
  if (e?.newVal && !e.oldVal) {
    if (file.isNew(names(e.typeName).pop() ?? '')) return [];
    if (tx !== null && settings.postgres < 12) {
      return [{ code: 'enum-value-in-transaction', why: `ALTER TYPE ... ADD VALUE cannot run inside a transaction block before PostgreSQL 12 ([lint] postgres = ${settings.postgres}); fmig up stops at it` }];
    }
    if (tx !== null) values.set(e.newVal, tx);
    return [];
  }
  if (tx === null || !values.size) return [];
  const used = [...stringConstants(node)].filter((v) => values.get(v) === tx);
  return used.map((v) => ({ code: 'enum-value-in-transaction' as const, why: `uses the enum value '${v}' added earlier in the same transaction: PostgreSQL refuses it ("unsafe use of new value") until that transaction commits` }));
}

const LOCK_MODES: Record<number, string> = {
  1: 'an ACCESS SHARE',
  2: 'a ROW SHARE',
  3: 'a ROW EXCLUSIVE',
  4: 'a SHARE UPDATE EXCLUSIVE',
  5: 'a SHARE',
  6: 'a SHARE ROW EXCLUSIVE',
  7: 'an EXCLUSIVE',
  8: 'an ACCESS EXCLUSIVE',
};

/** ALTER TABLE subcommands that take less than an ACCESS EXCLUSIVE lock. */
const LIGHT_ALTERS = new Set(['AT_ValidateConstraint', 'AT_SetStatistics', 'AT_SetOptions', 'AT_ResetOptions', 'AT_ClusterOn', 'AT_DropCluster', 'AT_AttachPartition', 'AT_EnableTrig', 'AT_DisableTrig']);

/** The tables a statement locks ACCESS EXCLUSIVE. */
function accessExclusive(type: string, n: Node): string[] {
  switch (type) {
    case 'AlterTableStmt': {
      if (n.objtype !== 'OBJECT_TABLE') return [];
      const heavy = (n.cmds ?? []).some(({ AlterTableCmd: c }: Node) => c && !LIGHT_ALTERS.has(c.subtype) && !(c.subtype === 'AT_AddConstraint' && c.def?.Constraint?.contype === 'CONSTR_FOREIGN'));
      return heavy ? [relName(n.relation)] : [];
    }
    case 'DropStmt':
      return n.removeType === 'OBJECT_TABLE' || (n.removeType === 'OBJECT_INDEX' && !n.concurrent) ? droppedNames(n.objects) : [];
    case 'RenameStmt':
      return n.relation ? [relName(n.relation)] : [];
    case 'TruncateStmt':
      return (n.relations ?? []).map((r: Node) => relName(r.RangeVar));
    case 'LockStmt':
      return n.mode === 8 ? (n.relations ?? []).map((r: Node) => relName(r.RangeVar)) : [];
    case 'VacuumStmt':
      return hasOption(n.options, 'full') ? (n.rels ?? []).map((r: Node) => relName(r.VacuumRelation?.relation)) : [];
    case 'ClusterStmt':
      return n.relation ? [relName(n.relation)] : [];
    case 'ReindexStmt':
      return hasOption(n.params, 'concurrently') ? [] : [relName(n.relation) || n.name || ''];
  }
  return [];
}

/** `SET lock_timeout = 0` (or '0'), which turns it off. */
function isZero(arg: Node | undefined): boolean {
  const c = arg?.A_Const;
  if (!c) return false;
  if (c.ival !== undefined) return !c.ival.ival;
  return /^\s*0+\s*(ms|s|min|h|d)?\s*$/.test(c.sval?.sval ?? '');
}
