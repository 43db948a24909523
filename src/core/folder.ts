/**
 * A revision folder from its files' names and bytes (or from summaries of files already read):
 * revisions, their directives and checksums, and the graph. Every problem is gathered and
 * reported together, naming each file.
 */
import type { Hasher } from './checksum.js';
import { FolderError, type FileProblem } from './errors.js';
import { parseDirectives } from './directives.js';
import { GraphError, RevisionGraph } from './graph.js';
import { compareIds, parseFileName, type Direction } from './names.js';

export interface SourceFile {
  /** File name inside the folder. */
  name: string;
  bytes: Uint8Array;
}

/**
 * A file reduced to what the graph needs of it: its header (the blank and comment lines before
 * the first line of SQL, where directives live), checksum and line endings. A folder assembled
 * from summaries has the right graph, checksums and flags, but only headers for texts.
 */
export interface FileSummary {
  name: string;
  header: string;
  checksum: string;
  crlf: boolean;
}

/**
 * A down file known by its name only: listed in the folder, not read. `up` reads the down
 * files of the revisions it applies, not those of every revision applied before (see readDowns).
 */
export interface ListedFile {
  name: string;
}

export interface RevisionFile {
  name: string;
  /** The text that runs: UTF-8 with a leading BOM dropped (only the header when parsed from a FileSummary). */
  text: string;
  checksum: string;
  noTransaction: boolean;
  /** The file has CRLF or lone CR line endings. */
  crlf: boolean;
  /** Parsed from a FileSummary: `text` is the header only, until readUps reads the file. */
  headerOnly?: true;
}

export interface Revision {
  id: string;
  slug: string;
  up: RevisionFile;
  down: RevisionFile | null;
  /** Parents as the graph uses them: explicit, or implied by id order. */
  parents: string[];
  /** The up file has a `-- fmig:parent` directive. */
  explicitParents: boolean;
}

export interface Folder {
  /** Revisions by id order. */
  revisions: Revision[];
  byId: Map<string, Revision>;
  graph: RevisionGraph;
  /**
   * Down files listed but not read, by revision id. Their revisions have `down: null` until
   * readDowns reads them; nothing is known of their content meanwhile.
   */
  unreadDowns: Map<string, string>;
}

type FolderEntry = SourceFile | FileSummary | ListedFile;
const isListed = (f: FolderEntry): f is ListedFile => !('bytes' in f) && !('header' in f);

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses a folder's files (bytes, or summaries; down files may be listed only); throws
 * FolderError naming every offending file. Non-`.sql` names are ignored.
 */
export function parseFolder(files: readonly FolderEntry[], hash: Hasher): Folder {
  const problems: FileProblem[] = [];
  const sides = new Map<string, { slug: string; up?: FolderEntry; down?: FolderEntry; names: string[]; clash: boolean }>();
  const unreadDowns = new Map<string, string>();
  // Indexed loops and forEach rather than for-of: see RevisionGraph.
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    if (!f.name.endsWith('.sql')) continue;
    const parsed = parseFileName(f.name);
    if (!parsed) {
      problems.push({
        code: 'bad-name',
        files: [f.name],
        message: `${f.name}: not a revision file name; expected <revision>_<slug>.up.sql or <revision>_<slug>.down.sql, <revision> being letters and digits`,
      });
      continue;
    }
    let entry = sides.get(parsed.revision);
    if (!entry) sides.set(parsed.revision, (entry = { slug: parsed.slug, names: [], clash: false }));
    entry.names.push(f.name);
    if (entry.slug !== parsed.slug || entry[parsed.direction]) entry.clash = true;
    else entry[parsed.direction] = f;
  }

  const revisions: Revision[] = [];
  sides.forEach((entry, id) => {
    if (entry.clash) {
      const slugs = new Set(entry.names.map((n) => parseFileName(n)!.slug));
      const hint = slugs.size > 1 ? '; if they come from two branches, `fmig resolve` renumbers one of them' : '';
      problems.push({
        code: 'duplicate-id',
        files: entry.names.sort(),
        message: `revision ${id} is claimed by more than one pair of files: ${entry.names.sort().join(', ')}${hint}`,
      });
      return;
    }
    if (!entry.up) {
      problems.push({ code: 'down-without-up', files: [entry.down!.name], message: `${entry.down!.name}: a down file without its up file (${id}_${entry.slug}.up.sql)` });
      return;
    }
    if (isListed(entry.up)) throw new Error(`${entry.up.name}: an up file must be read, not only listed`);
    const up = readSide(entry.up, 'up', hash, problems);
    const listed = entry.down && isListed(entry.down);
    const down = entry.down && !isListed(entry.down) ? readSide(entry.down, 'down', hash, problems) : null;
    if (!up || (entry.down && !listed && !down)) return;
    if (listed) unreadDowns.set(id, entry.down!.name);
    revisions.push({ id, slug: entry.slug, up: up.file, down: down?.file ?? null, parents: up.parents ?? [], explicitParents: up.parents !== null });
  });

  revisions.sort((a, b) => compareIds(a.id, b.id));
  for (let i = 1; i < revisions.length; i++) {
    if (!revisions[i].explicitParents) revisions[i].parents = [revisions[i - 1].id];
  }
  if (problems.length) throw new FolderError(sortProblems(problems));

  const byId = new Map<string, Revision>();
  for (let i = 0; i < revisions.length; i++) byId.set(revisions[i].id, revisions[i]);
  try {
    const graph = new RevisionGraph(revisions);
    return { revisions, byId, graph, unreadDowns };
  } catch (e) {
    if (!(e instanceof GraphError)) throw e;
    throw new FolderError(
      e.problems.map((p) => {
        const files = p.ids.map((id) => byId.get(id)!.up.name);
        const message = p.code === 'unknown-parent' ? `${files[0]}: names parent ${p.parent}, which is not a revision in the folder` : `${p.message} (${files.join(', ')})`;
        return { code: p.code, files, message };
      }),
    );
  }
}

/**
 * Reads the listed down files of these revisions (their bytes in `files`, by name), as
 * parseFolder reads a down file; throws FolderError naming every offending file, and then
 * changes nothing. Revisions whose down file was read already, or that have none, are skipped.
 */
export function readDowns(folder: Folder, files: readonly SourceFile[], hash: Hasher): void {
  const problems: FileProblem[] = [];
  const read: [Revision, RevisionFile][] = [];
  const byName = new Map(files.map((f) => [f.name, f]));
  for (const [id, name] of folder.unreadDowns) {
    const f = byName.get(name);
    if (!f) continue;
    const side = readSide(f, 'down', hash, problems);
    if (side) read.push([folder.byId.get(id)!, side.file]);
  }
  if (problems.length) throw new FolderError(sortProblems(problems));
  for (const [rev, file] of read) {
    rev.down = file;
    folder.unreadDowns.delete(rev.id);
  }
}

/**
 * Reads the up files of these revisions whose text is their header only (parsed from
 * summaries), with their bytes in `files` by name. The bytes must be those summarised: a file
 * that changed since (its checksum differs) throws FolderError, and nothing is changed.
 */
export function readUps(folder: Folder, ids: Iterable<string>, files: readonly SourceFile[], hash: Hasher): void {
  const problems: FileProblem[] = [];
  const read: [Revision, RevisionFile][] = [];
  const byName = new Map(files.map((f) => [f.name, f]));
  for (const id of ids) {
    const rev = folder.byId.get(id);
    const f = rev?.up.headerOnly && byName.get(rev.up.name);
    if (!rev || !f) continue;
    const side = readSide(f, 'up', hash, problems);
    if (!side) continue;
    if (side.file.checksum !== rev.up.checksum) {
      problems.push({ code: 'changed-while-read', files: [f.name], message: `${f.name}: changed while fmig was reading the folder; run the command again` });
    } else read.push([rev, side.file]);
  }
  if (problems.length) throw new FolderError(sortProblems(problems));
  for (const [rev, file] of read) rev.up = file;
}

/** Up files of these revisions that readUps has to read. */
export function headerOnlyUps(folder: Folder, ids: Iterable<string>): string[] {
  const names: string[] = [];
  for (const id of ids) {
    const up = folder.byId.get(id)?.up;
    if (up?.headerOnly) names.push(up.name);
  }
  return names;
}

/** A file's summary from its bytes; null when they are not UTF-8 (parseFolder reports that from the bytes). */
export function summarise(f: SourceFile, hash: Hasher): FileSummary | null {
  const text = decode(f.bytes);
  return text === null ? null : { name: f.name, header: headerOf(text), checksum: hash(f.bytes), crlf: text.includes('\r') };
}

function readSide(f: SourceFile | FileSummary, direction: Direction, hash: Hasher, problems: FileProblem[]): { file: RevisionFile; parents: string[] | null } | null {
  let text: string;
  if ('bytes' in f) {
    const decoded = decode(f.bytes);
    if (decoded === null) {
      problems.push({ code: 'not-utf8', files: [f.name], message: `${f.name}: not valid UTF-8; save it as UTF-8` });
      return null;
    }
    text = decoded;
  } else text = f.header;
  // Directives are read from the text each time, never trusted from a summary: a summary holds the header, not its meaning.
  const { directives, problems: found } = text === '' ? NO_DIRECTIVES : parseDirectives(text, direction);
  for (const p of found) problems.push({ code: p.code, files: [f.name], message: `${f.name}: ${p.message}` });
  if (found.length) return null;
  if (!('bytes' in f)) return { file: { name: f.name, text, checksum: f.checksum, noTransaction: directives.noTransaction, crlf: f.crlf, headerOnly: true }, parents: directives.parents };
  return { file: { name: f.name, text, checksum: hash(f.bytes), noTransaction: directives.noTransaction, crlf: text.includes('\r') }, parents: directives.parents };
}

// What parseDirectives finds in an empty text; most summaries have an empty header.
const NO_DIRECTIVES = { directives: { parents: null, noTransaction: false }, problems: [] } as const;

function decode(bytes: Uint8Array): string | null {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return null;
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The lines parseDirectives reads: up to the first that is neither blank nor a `--` comment.
 * Reading the header alone gives the same directives and line numbers as the whole text.
 */
function headerOf(text: string): string {
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    const line = text.slice(pos, end).trim();
    if (line !== '' && !line.startsWith('--')) return text.slice(0, pos);
    pos = end + 1;
  }
  return text;
}

function sortProblems(problems: FileProblem[]): FileProblem[] {
  return problems.sort((a, b) => (a.files[0] < b.files[0] ? -1 : a.files[0] > b.files[0] ? 1 : 0));
}
