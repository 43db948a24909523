/**
 * The sides of a divergence: for two heads of the revision graph, the revisions each has that
 * the other lacks, and the base they share (main's head and everything before it). Pure.
 */
import type { RevisionGraph } from '../core/graph.js';

export interface Divergence {
  /** Revisions both heads descend from, in application order. */
  base: string[];
  /** Each head's own revisions, in application order. */
  a: { head: string; revisions: string[] };
  b: { head: string; revisions: string[] };
}

/** Every pair of heads (in the order given), each with its two sides. */
export function divergences(graph: RevisionGraph, heads: readonly string[]): Divergence[] {
  const order = graph.order();
  const line = (h: string) => new Set([h, ...graph.ancestors(h)]);
  const out: Divergence[] = [];
  for (let i = 0; i < heads.length; i++) {
    for (let j = i + 1; j < heads.length; j++) {
      const la = line(heads[i]);
      const lb = line(heads[j]);
      out.push({
        base: order.filter((id) => la.has(id) && lb.has(id)),
        a: { head: heads[i], revisions: order.filter((id) => la.has(id) && !lb.has(id)) },
        b: { head: heads[j], revisions: order.filter((id) => lb.has(id) && !la.has(id)) },
      });
    }
  }
  return out;
}
