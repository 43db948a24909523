/** Which revisions a command runs, and in what order, for a target. */
import { UsageError, StateError } from './errors.js';
import type { RevisionGraph } from './graph.js';
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

/** `-1` (default), `-N`, a revision id (it stays applied), or `base`. */
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
 * The revisions `down` reverts, newest first. `applied` is in the order they were applied;
 * parents are those recorded when they ran, so revisions whose files are gone still count.
 */
export function planDown(applied: readonly AppliedNode[], target: DownTarget): string[] {
  const newestFirst = applied.map((a) => a.revision).reverse();
  switch (target.kind) {
    case 'base':
      return newestFirst;
    case 'count':
      return newestFirst.slice(0, target.n);
    case 'revision': {
      const byId = new Map(applied.map((a) => [a.revision, a]));
      if (!byId.has(target.id)) throw new StateError('not-applied', `revision ${target.id} is not applied, so down cannot stop at it`);
      const keep = new Set<string>();
      const stack = [target.id];
      while (stack.length) {
        const id = stack.pop()!;
        if (keep.has(id) || !byId.has(id)) continue;
        keep.add(id);
        stack.push(...byId.get(id)!.parents);
      }
      return newestFirst.filter((id) => !keep.has(id));
    }
  }
}
