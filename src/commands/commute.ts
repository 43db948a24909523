/**
 * Do divergent heads commute? For each pair of heads, the objects each side's revisions touch
 * (read from PostgreSQL's parse trees); when the sides share any, both orders are replayed on
 * the embedded database from main's head (remembered under .fmig/replay/) and their schemas
 * compared. Used by `fmig verify --against` and `fmig resolve`.
 */
import type { Config } from '../adapters/config-types.js';
import { blobId, catBlobs } from '../adapters/git-tree.js';
import { findGitDir } from '../adapters/header-cache.js';
import { openParseCache, parseCached } from '../adapters/parse-cache.js';
import { loadHasher } from '../core/checksum.js';
import type { Finding } from '../core/findings.js';
import { parseFolder, type Folder } from '../core/folder.js';
import { statementObjects, sqlFunctionBody } from '../core/sql-objects.js';
import { commuteFinding, type Judgement } from '../commute/findings.js';
import { sharedObjects, summary, type SideObjects } from '../commute/overlap.js';
import { divergences } from '../commute/sides.js';
import { judge } from '../commute/verdict.js';
import type { Context } from './context.js';
import { replayOutcome } from './replay.js';

/** The judgement of every pair of `heads` (in that order: the first pair's A is `heads[0]`). `shown` names a revision file for people. */
export async function judgeHeads(ctx: Context, config: Config, folder: Folder, heads: readonly string[], shown: (name: string) => string): Promise<Judgement[]> {
  // Parse trees as verify keeps them (adapters/parse-cache.ts), keyed by the blob id of the text
  // parsed: a judgement whose files were parsed before loads no parser.
  const cache = openParseCache(findGitDir(config.root));
  const parseStatements = (text: string) => parseCached(cache, blobId(Buffer.from(text)), text);
  const perRevision = new Map<string, Omit<SideObjects, 'head'>>();
  const read = async (id: string) => {
    const known = perRevision.get(id);
    if (known) return known;
    const rev = folder.byId.get(id)!;
    const file = shown(rev.up.name);
    const found: Omit<SideObjects, 'head'> = { touches: [], opaque: [] };
    for (const s of await parseStatements(rev.up.text)) {
      const at = { file, line: s.line, text: firstLine(s.text) };
      if (!s.node) {
        found.opaque.push({ why: `a statement the parser refused (${s.error})`, at });
        continue;
      }
      const body = sqlFunctionBody(s.node);
      const bodyNodes = body ? (await parseStatements(body)).flatMap((b) => (b.node ? [b.node] : [])) : [];
      const objects = statementObjects(s.node, bodyNodes);
      for (const touch of objects.touches) found.touches.push({ touch, at });
      if (objects.opaque) found.opaque.push({ why: objects.opaque, at });
    }
    perRevision.set(id, found);
    return found;
  };
  const side = async (head: string, ids: string[]): Promise<SideObjects> => {
    const all = await Promise.all(ids.map(read));
    return { head, touches: all.flatMap((x) => x.touches), opaque: all.flatMap((x) => x.opaque) };
  };

  const out: Judgement[] = [];
  try {
    for (const d of divergences(folder.graph, heads)) {
      const [a, b] = [await side(d.a.head, d.a.revisions), await side(d.b.head, d.b.revisions)];
      const j: Judgement = {
        a: { ...d.a, touches: summary(a) },
        b: { ...d.b, touches: summary(b) },
        file: shown(folder.byId.get(d.b.head)!.up.name),
        shared: sharedObjects(a, b),
      };
      if (j.shared.length) {
        const revs = (ids: string[]) => ids.map((id) => folder.byId.get(id)!);
        const ab = await replayOutcome(ctx, config, revs([...d.base, ...d.a.revisions, ...d.b.revisions]));
        const ba = await replayOutcome(ctx, config, revs([...d.base, ...d.b.revisions, ...d.a.revisions]));
        j.verdict = judge(ab.outcome, ba.outcome);
      }
      out.push(j);
    }
  } finally {
    cache.save();
  }
  return out;
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0].trim();
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

/**
 * `verify --against`: the findings for the divergent heads of the predicted merge, whose folder
 * is `tree` (name → blob id). The files are read in full from git, in one call. Heads whose up
 * file is in `ours` come first.
 */
export async function mergeFindings(ctx: Context, config: Config, tree: Map<string, string>, ours: ReadonlySet<string>, shown: (name: string) => string): Promise<Finding[]> {
  const [blobs, hash] = await Promise.all([catBlobs(config.root, [...tree.values()]), loadHasher()]);
  const folder = parseFolder([...tree].map(([name, blob]) => ({ name, bytes: blobs.get(blob) ?? new Uint8Array() })), hash);
  const heads = folder.graph.heads();
  const mine = (id: string) => (ours.has(folder.byId.get(id)!.up.name) ? 0 : 1);
  heads.sort((x, y) => mine(x) - mine(y));
  return (await judgeHeads(ctx, config, folder, heads, shown)).map(commuteFinding);
}
