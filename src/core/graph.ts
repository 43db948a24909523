/**
 * The revision graph: built from a list of (id, parents) pairs, it knows nothing of files.
 * Parents come before children; among revisions free at the same time, the lower id first.
 */
import { compareIds } from './names.js';

export interface GraphNode {
  id: string;
  parents: readonly string[];
}

export type GraphProblem =
  | { code: 'unknown-parent'; ids: string[]; parent: string; message: string }
  | { code: 'cycle'; ids: string[]; message: string };

/** The graph is not a DAG over known revisions. Carries every problem found. */
export class GraphError extends Error {
  constructor(readonly problems: GraphProblem[]) {
    super(problems.map((p) => p.message).join('\n'));
  }
}

export class RevisionGraph {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly childMap = new Map<string, string[]>();
  /** Each node's parents, each once. */
  private readonly distinctParents = new Map<string, readonly string[]>();
  private orderCache?: string[];
  private indexCache?: Map<string, number>;

  /** Throws GraphError listing every unknown parent and every cycle. */
  constructor(nodes: Iterable<GraphNode>) {
    // Indexed loops and forEach rather than for-of: this runs on every command, over thousands
    // of revisions, in code V8 does not optimise that early, where each step of an iterator is
    // an object to collect.
    const list = Array.isArray(nodes) ? (nodes as readonly GraphNode[]) : [...nodes];
    for (let i = 0; i < list.length; i++) {
      const n = list[i];
      this.nodes.set(n.id, n);
      this.childMap.set(n.id, []);
      this.distinctParents.set(n.id, n.parents.length < 2 ? n.parents : [...new Set(n.parents)]);
    }
    const problems: GraphProblem[] = [];
    this.distinctParents.forEach((parents, id) => {
      for (let i = 0; i < parents.length; i++) {
        const p = parents[i];
        const siblings = this.childMap.get(p);
        if (siblings) siblings.push(id);
        else problems.push({ code: 'unknown-parent', ids: [id], parent: p, message: `revision ${id} names parent ${p}, which does not exist` });
      }
    });
    this.childMap.forEach((c) => {
      if (c.length > 1) c.sort(compareIds);
    });
    if (problems.length) throw new GraphError(problems);
    const order = this.topologicalOrder();
    if (order.length !== this.nodes.size) {
      const placed = new Set(order);
      const stuck = [...this.nodes.keys()].filter((id) => !placed.has(id));
      for (const cycle of this.findCycles(new Set(stuck))) {
        problems.push({ code: 'cycle', ids: cycle, message: `revisions form a cycle: ${[...cycle, cycle[0]].join(' -> ')}` });
      }
      throw new GraphError(problems);
    }
    this.orderCache = order;
  }

  get size(): number {
    return this.nodes.size;
  }

  has(id: string): boolean {
    return this.nodes.has(id);
  }

  parents(id: string): readonly string[] {
    return this.node(id).parents;
  }

  children(id: string): readonly string[] {
    this.node(id);
    return this.childMap.get(id)!;
  }

  /** Revisions with no children, lowest id first. */
  heads(): string[] {
    return this.order().filter((id) => this.childMap.get(id)!.length === 0).sort(compareIds);
  }

  /** Revisions with no parents, lowest id first. */
  roots(): string[] {
    return this.order().filter((id) => this.node(id).parents.length === 0).sort(compareIds);
  }

  /** What a revision is, in one word. */
  kind(id: string): 'head' | 'base' | 'merge' | 'branch-point' | 'revision' {
    const n = this.node(id);
    if (n.parents.length > 1) return 'merge';
    if (this.childMap.get(id)!.length > 1) return 'branch-point';
    if (this.childMap.get(id)!.length === 0) return 'head';
    if (n.parents.length === 0) return 'base';
    return 'revision';
  }

  /** Every ancestor of `id`, not including it. */
  ancestors(id: string): Set<string> {
    return this.walk(id, (x) => this.node(x).parents);
  }

  /** Every descendant of `id`, not including it. */
  descendants(id: string): Set<string> {
    return this.walk(id, (x) => this.childMap.get(x)!);
  }

  /** All revisions in application order. */
  order(): string[] {
    return this.orderCache ?? this.topologicalOrder();
  }

  /** Position of each revision in application order. */
  index(): Map<string, number> {
    this.indexCache ??= new Map(this.order().map((id, i) => [id, i]));
    return this.indexCache;
  }

  private node(id: string): GraphNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`unknown revision ${id}`);
    return n;
  }

  private walk(start: string, next: (id: string) => readonly string[]): Set<string> {
    this.node(start);
    const seen = new Set<string>();
    const stack = [...next(start)];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...next(id));
    }
    return seen;
  }

  /** Kahn's algorithm with a min-heap on revision ids; stops short when there is a cycle. */
  private topologicalOrder(): string[] {
    const waiting = new Map<string, number>();
    const heap = new MinHeap();
    this.distinctParents.forEach((parents, id) => {
      waiting.set(id, parents.length);
      if (parents.length === 0) heap.push(id);
    });
    const order: string[] = [];
    while (heap.size) {
      const id = heap.pop();
      order.push(id);
      // Each child is listed once: it counts each of its parents once.
      const children = this.childMap.get(id)!;
      for (let i = 0; i < children.length; i++) {
        const c = children[i];
        const k = waiting.get(c)! - 1;
        waiting.set(c, k);
        if (k === 0) heap.push(c);
      }
    }
    return order;
  }

  /** Cycles among the given revisions, each listed once, starting from its lowest id. */
  private findCycles(stuck: Set<string>): string[][] {
    const cycles: string[][] = [];
    const done = new Set<string>();
    for (const start of [...stuck].sort(compareIds)) {
      if (done.has(start)) continue;
      // Follow parents inside the stuck set until a revision repeats.
      const path: string[] = [];
      const at = new Map<string, number>();
      let cur: string | undefined = start;
      while (cur !== undefined && !at.has(cur) && !done.has(cur)) {
        at.set(cur, path.length);
        path.push(cur);
        cur = this.node(cur).parents.find((p) => stuck.has(p));
      }
      if (cur !== undefined && at.has(cur)) {
        const cycle = path.slice(at.get(cur)!).reverse();
        const low = cycle.reduce((a, b) => (compareIds(a, b) <= 0 ? a : b));
        const i = cycle.indexOf(low);
        cycles.push([...cycle.slice(i), ...cycle.slice(0, i)]);
      }
      for (const id of path) done.add(id);
    }
    return cycles;
  }
}

class MinHeap {
  private items: string[] = [];
  get size(): number {
    return this.items.length;
  }
  push(x: string): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (compareIds(a[p], a[i]) <= 0) break;
      const t = a[p];
      a[p] = a[i];
      a[i] = t;
      i = p;
    }
  }
  pop(): string {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && compareIds(a[l], a[m]) < 0) m = l;
        if (r < a.length && compareIds(a[r], a[m]) < 0) m = r;
        if (m === i) break;
        const t = a[m];
        a[m] = a[i];
        a[i] = t;
        i = m;
      }
    }
    return top;
  }
}
