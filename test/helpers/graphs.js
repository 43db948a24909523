/**
 * Revision graphs that fmig's answers were compared on with Alembic's, as `{ id: [parents] }`.
 * Their ids deliberately do not follow the graph, so that id order (which is what rows recorded
 * in the same millisecond come back in) is not an application order.
 */
export const GRAPHS = {
  // 1 → 3, 1 → 7, (7, 3) → 5 → 2
  diamond: { 1: [], 3: ['1'], 7: ['1'], 5: ['7', '3'], 2: ['5'] },
  'merge of three': { 1: [], 4: ['1'], 2: ['1'], 3: ['1'], 9: ['2', '3', '4'], 5: ['9'] },
  // 1 → 6 and a second root 2 → 5, merged by 3 → 4
  'two roots merged': { 1: [], 6: ['1'], 2: [], 5: ['2'], 3: ['6', '5'], 4: ['3'] },
  // 1 → 9, 1 → 3, (9, 3) → 4, 4 → 2, 4 → 8 → 5, (2, 5) → 6
  'merges and branches again': { 1: [], 9: ['1'], 3: ['1'], 4: ['9', '3'], 2: ['4'], 8: ['4'], 5: ['8'], 6: ['2', '5'] },
};

/** Every revision that reaches `id` through parents, by brute force. */
export function descendantsOf(g, id) {
  const out = new Set();
  let grew = true;
  while (grew) {
    grew = false;
    for (const [c, ps] of Object.entries(g)) {
      if (!out.has(c) && ps.some((p) => p === id || out.has(p))) {
        out.add(c);
        grew = true;
      }
    }
  }
  return out;
}

/** The position of the first revision in `reverted` that comes before one of its children, or -1. */
export function parentBeforeChild(g, reverted) {
  return reverted.findIndex((id, i) => Object.entries(g).some(([c, ps]) => ps.includes(id) && reverted.indexOf(c) > i));
}

/** A parent directive for each revision (`-- fmig:root` for a parentless one that is not the lowest id). */
export function header(g, id) {
  const ps = g[id];
  const lowest = Object.keys(g).sort((a, b) => Number(a) - Number(b))[0];
  if (ps.length) return `-- fmig:parent ${ps.join(' ')}\n`;
  return id === lowest ? '' : '-- fmig:root\n';
}
