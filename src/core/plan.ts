/** Which revisions a command runs, and in what order, for a target. */
import { UsageError, StateError } from './errors.js';
import { GraphError, RevisionGraph } from './graph.js';
import { targetRevision } from './target-name.js';

export type UpTarget = { kind: 'head' } | { kind: 'revision'; id: string } | { kind: 'count'; n: number };
export type DownTarget = { kind: 'base' } | { kind: 'revision'; id: string } | { kind: 'count'; n: number };

/** `head` (default), a revision id, or `+N`. */
export function parseUpTarget(s: string | undefined): UpTarget {
  if (s === undefined || s === 'head' || s === 'heads') return { kind: 'head' };
  const m = /^\+(\d+)$/.exec(s);
  if (m) return { kind: 'count', n: Number(m[1]) };
  const id = targetRevision(s);
  if (id) return { kind: 'revision', id };
  throw new UsageError(`bad target "${s}" for up`, 'use head, a revision id, or +N (the next N revisions)');
}

/** `-1` (default), `-N`, a revision id (it stays applied; its applied descendants are reverted), or `base`. */
export function parseDownTarget(s: string | undefined): DownTarget {
  if (s === undefined) return { kind: 'count', n: 1 };
  if (s === 'base') return { kind: 'base' };
  const m = /^-(\d+)$/.exec(s);
  if (m) return { kind: 'count', n: Number(m[1]) };
  const id = targetRevision(s);
  if (id) return { kind: 'revision', id };
  throw new UsageError(`bad target "${s}" for down`, 'use -N (the last N revisions), a revision id to go back to, or base');
}

/** The revisions `up` applies, in application order. */
export function planUp(graph: RevisionGraph, applied: ReadonlySet<string>, target: UpTarget): string[] {
  const pending = graph.order().filter((id) => !applied.has(id));
  switch (target.kind) {
    case 'head':
      return pending;
    case 'count':
      return pending.slice(0, target.n);
    case 'revision': {
      if (!graph.has(target.id)) throw new UsageError(`revision ${target.id} is not in the folder`, 'see `fmig history` for the revisions there are');
      const wanted = graph.ancestors(target.id).add(target.id);
      return pending.filter((id) => wanted.has(id));
    }
  }
}

export interface AppliedNode {
  revision: string;
  parents: readonly string[];
}

/**
 * The applied revisions in application order, from the parents recorded when they ran (so
 * revisions whose files are gone still count): parents before children, among revisions free
 * at the same time the lower id first. Never from when rows were written: two revisions can be
 * recorded in the same millisecond, and a row's time says nothing of the graph.
 */
export function appliedOrder(applied: readonly AppliedNode[]): RevisionGraph {
  const ids = new Set(applied.map((a) => a.revision));
  try {
    // A recorded parent that is not applied (pruned by repair) does not hold its child back.
    return new RevisionGraph(applied.map((a) => ({ id: a.revision, parents: a.parents.filter((p) => ids.has(p)) })));
  } catch (e) {
    if (!(e instanceof GraphError)) throw e;
    throw new StateError('ledger-cycle', `the ledger's recorded parents form a cycle, so no revert order exists: ${e.message}`, 'fix the parents column of those ledger rows by hand');
  }
}

/** The applied revisions in revert order: children before parents; among free ones, the reverse of the application order. */
export function revertOrder(applied: readonly AppliedNode[]): string[] {
  return appliedOrder(applied).order().reverse();
}

/**
 * The revisions `down` reverts, in revert order: `-N` the first N of that order, `base` all of
 * them, a revision id exactly its applied descendants (it and everything not descending from
 * it stay applied).
 */
export function planDown(applied: readonly AppliedNode[], target: DownTarget): string[] {
  const graph = appliedOrder(applied);
  const newestFirst = graph.order().reverse();
  switch (target.kind) {
    case 'base':
      return newestFirst;
    case 'count':
      return newestFirst.slice(0, target.n);
    case 'revision': {
      if (!graph.has(target.id)) throw new StateError('not-applied', `revision ${target.id} is not applied, so down cannot stop at it`);
      const descendants = graph.descendants(target.id);
      return newestFirst.filter((id) => descendants.has(id));
    }
  }
}
