/**
 * Draws a revision graph as text, newest first, the way `git log --graph` does: `*` for a
 * revision, `|` for a line going on, `\` and `/` where lines fan out and join, and `*-.`
 * for a merge of three parents or more.
 *
 * Each awaited revision has a lane (a column at every other character). A lane holds one
 * revision, so two lines waiting for the same parent join as soon as they are drawn toward it;
 * between revision rows, every line moves at most one lane per row, those going left first.
 *
 * A graph may have several roots. Where a root's lane would be taken at once by an unrelated
 * revision, which would look like its parent, a row with that lane left empty separates them.
 */

export interface DrawNode {
  id: string;
  parents: readonly string[];
  /** What follows the graph on the revision's row. */
  label: string;
}

/** The drawing, one string per line; `nodes` must list children before their parents. */
export function drawGraph(nodes: readonly DrawNode[]): string[] {
  const out: string[] = [];
  let lanes: (string | null)[] = [];
  for (let n = 0; n < nodes.length; n++) {
    const node = nodes[n];
    let col = lanes.indexOf(node.id);
    if (col === -1) {
      lanes.push(node.id);
      col = lanes.length - 1;
    }
    const fresh = node.parents.filter((p, i) => !lanes.includes(p) && node.parents.indexOf(p) === i);
    const extra = Math.max(0, fresh.length - 1);

    // An octopus draws its fan on its own row (`*-.`): lanes to its right step aside first.
    if (extra >= 2 && lanes.length > col + 1) {
      const room: (string | null)[] = [...lanes.slice(0, col + 1), ...Array<null>(extra - 1).fill(null), ...lanes.slice(col + 1)];
      out.push(...moves(lanes.map((id, i) => (id === null ? null : { at: i, to: room.indexOf(id) }))));
      lanes = room;
    }

    // A parent already waiting in a lane to the right joins this one's place; to the left, this line goes to it.
    const joining = node.parents.filter((p) => !fresh.includes(p) && lanes.indexOf(p) > col);
    const next = [...lanes.slice(0, col), ...fresh, ...joining, ...lanes.slice(col + 1).filter((id) => !joining.includes(id!))].filter(
      (id): id is string => id !== null,
    );
    const cells = lanes.flatMap((id, i) => (i === 0 ? [] : [' ']).concat(id === null ? ' ' : '|'));
    cells[2 * col] = '*';
    if (extra >= 2) {
      for (let c = 2 * col + 1; c < 2 * (col + extra - 1); c++) cells[c] = '-';
      cells[2 * (col + extra - 1)] = '.';
    }
    const width = 2 * Math.max(lanes.length, next.length, col + 1 + extra);
    out.push(Array.from(cells, (c) => c ?? ' ').join('').padEnd(width) + node.label);

    const edges: Edge[] = [];
    lanes.forEach((id, i) => {
      if (id !== null && i !== col) edges.push({ at: i, to: next.indexOf(id) });
    });
    node.parents.forEach((p) => {
      const k = fresh.indexOf(p);
      // The octopus's fan starts along its row: the k-th new parent leaves from lane col+k-1.
      edges.push({ at: k >= 2 ? col + k - 1 : col, to: next.indexOf(p) });
    });
    out.push(...moves(edges));
    lanes = next;
    const following = nodes[n + 1];
    if (node.parents.length === 0 && following && !lanes.includes(following.id) && lanes.length === col) {
      out.push(lanes.map(() => '|').join(' '));
    }
  }
  return out;
}

interface Edge {
  at: number;
  to: number;
}

/** The rows that carry each line from its lane to its target, one lane per row; none when all go straight down. */
function moves(list: (Edge | null)[]): string[] {
  const edges = list.filter((e): e is Edge => e !== null).map((e) => ({ ...e }));
  const rows: string[] = [];
  while (edges.some((e) => e.at !== e.to)) {
    // Lines going left move first, then those going right, so that no two cross in one cell.
    const left = edges.some((e) => e.to < e.at);
    const cells: string[] = [];
    const put = (i: number, c: string) => {
      while (cells.length <= i) cells.push(' ');
      if (cells[i] === ' ') cells[i] = c;
    };
    for (const e of edges) {
      if (e.at === e.to || (left && e.to > e.at)) put(2 * e.at, '|');
      else if (e.to > e.at) put(2 * e.at + 1, '\\'), e.at++;
      else put(2 * e.at - 1, '/'), e.at--;
    }
    rows.push(cells.join('').trimEnd());
  }
  return rows;
}
