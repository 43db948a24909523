/**
 * Which objects two sides of a divergence both touch, with the statements that do. Two
 * touches meet when they name the same object and at least one changes it, or when one
 * creates, drops or renames an object that holds the other's (a table and its column). A
 * statement whose objects cannot be read (a DO block) meets everything. Pure.
 */
import type { Touch } from '../core/sql-objects.js';

/** A statement of a revision file: where it is, for people. */
export interface StatementAt {
  /** Path relative to the project root. */
  file: string;
  line: number;
  /** The statement's first line, shortened. */
  text: string;
}

export interface SideObjects {
  head: string;
  touches: { touch: Touch; at: StatementAt }[];
  opaque: { why: string; at: StatementAt }[];
}

export interface Shared {
  /** The object, for people (`column public.users.email`), or what could not be read. */
  object: string;
  a: StatementAt;
  b: StatementAt;
}

/** The objects both sides touch, one entry per object (its first statement on each side). */
export function sharedObjects(a: SideObjects, b: SideObjects): Shared[] {
  const out = new Map<string, Shared>();
  const add = (object: string, x: StatementAt, y: StatementAt) => {
    if (!out.has(object)) out.set(object, { object, a: x, b: y });
  };
  for (const x of a.touches) {
    for (const y of b.touches) {
      const meet = meets(x.touch, y.touch);
      if (meet) add(meet, x.at, y.at);
    }
  }
  const first = (s: SideObjects) => s.touches[0]?.at ?? s.opaque[0]?.at;
  for (const o of a.opaque) {
    const other = first(b);
    if (other) add(`anything: ${o.why}`, o.at, other);
  }
  for (const o of b.opaque) {
    const other = first(a);
    if (other) add(`anything: ${o.why}`, other, o.at);
  }
  return [...out.values()];
}

/** The object two touches meet on, or null. */
function meets(x: Touch, y: Touch): string | null {
  if (x.key === y.key && (x.action !== 'read' || y.action !== 'read')) return x.label;
  const holds = (outer: Touch, inner: Touch) => inner.within === outer.key && outer.action !== 'read' && outer.action !== 'alter';
  if (holds(x, y)) return `${y.label} (${x.action === 'drop' ? 'dropped or renamed' : 'created'} with ${x.label})`;
  if (holds(y, x)) return `${x.label} (${y.action === 'drop' ? 'dropped or renamed' : 'created'} with ${y.label})`;
  return null;
}

/** What a side touches, for the message that says why two sides commute: the objects it changes, or else reads. */
export function summary(s: SideObjects, limit = 5): string {
  const changed = [...new Set(s.touches.filter((t) => t.touch.action !== 'read' && !t.touch.key.startsWith('column:')).map((t) => t.touch.label))];
  const names = changed.length ? changed : [...new Set(s.touches.map((t) => t.touch.label))];
  if (!names.length) return 'nothing';
  return names.length > limit ? `${names.slice(0, limit).join(', ')} and ${names.length - limit} more` : names.join(', ');
}
