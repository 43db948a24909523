/** `-- fmig:` directives at the top of a revision file. */
import type { Direction } from './names.js';
import { closest } from './suggest.js';

export interface Directives {
  /** Explicit parents ([] for `-- fmig:root`), or null when the file has neither directive. */
  parents: string[] | null;
  noTransaction: boolean;
}

export interface DirectiveProblem {
  code: 'unknown-directive' | 'parent-in-down' | 'bad-directive';
  message: string;
}

const DIRECTIVE = /^--\s*fmig:(\S*)(.*)$/;
const ID = /^[0-9A-Za-z]+$/;

/**
 * Reads the directives in the header of a file: the comment and blank lines before the first
 * line of SQL. A `-- fmig:` line further down is an ordinary comment.
 */
export function parseDirectives(text: string, direction: Direction): { directives: Directives; problems: DirectiveProblem[] } {
  const directives: Directives = { parents: null, noTransaction: false };
  const problems: DirectiveProblem[] = [];
  let root = 0;
  let parentLine = 0;
  let pos = 0;
  let lineNo = 0;
  while (pos <= text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    lineNo++;
    const line = text.slice(pos, end).trim();
    pos = end + 1;
    if (line === '') continue;
    if (!line.startsWith('--')) break;
    const m = DIRECTIVE.exec(line);
    if (!m) continue;
    const [, name, rest] = m;
    const args = rest.split(/[\s,]+/).filter(Boolean);
    if (name === 'parent' || name === 'parents') {
      if (direction === 'down') {
        problems.push({ code: 'parent-in-down', message: `line ${lineNo}: -- fmig:parent belongs in the up file, not the down file` });
      } else if (args.length === 0) {
        problems.push({ code: 'bad-directive', message: `line ${lineNo}: -- fmig:parent needs at least one revision id` });
      } else if (!args.every((a) => ID.test(a))) {
        problems.push({ code: 'bad-directive', message: `line ${lineNo}: -- fmig:parent takes revision ids ([0-9A-Za-z]+), got "${rest.trim()}"` });
      } else {
        parentLine ||= lineNo;
        directives.parents = [...new Set([...(directives.parents ?? []), ...args])];
      }
    } else if (name === 'root') {
      if (direction === 'down') {
        problems.push({ code: 'parent-in-down', message: `line ${lineNo}: -- fmig:root belongs in the up file, not the down file` });
      } else if (args.length) {
        problems.push({ code: 'bad-directive', message: `line ${lineNo}: -- fmig:root takes no arguments (a revision to follow goes in -- fmig:parent)` });
      } else {
        root ||= lineNo;
      }
    } else if (name === 'no-transaction') {
      if (args.length) problems.push({ code: 'bad-directive', message: `line ${lineNo}: -- fmig:no-transaction takes no arguments` });
      directives.noTransaction = true;
    } else if (name === 'review' || name === 'lint-ignore') {
      // Mark the statement below: one that loses data, or a lint finding accepted (lint/ignore.ts reads it); nothing about how the file runs.
    } else {
      const hint = closest(name, ['parent', 'root', 'no-transaction', 'review', 'lint-ignore']);
      problems.push({
        code: 'unknown-directive',
        message: `line ${lineNo}: unknown directive "-- fmig:${name}"${hint ? ` (did you mean "-- fmig:${hint}"?)` : ''}; known: parent, root, no-transaction, review, lint-ignore`,
      });
    }
  }
  if (root && parentLine) {
    problems.push({
      code: 'bad-directive',
      message: `lines ${Math.min(root, parentLine)} and ${Math.max(root, parentLine)}: -- fmig:root and -- fmig:parent contradict each other (a root has no parent); keep one`,
    });
  } else if (root) {
    directives.parents = [];
  }
  return { directives, problems };
}
