/** Durations as migrate.toml writes them ("10s", "500ms", "2m"), read into milliseconds. */

const UNIT_MS: Record<string, number> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

const DURATION = /^(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)$/i;

/**
 * Milliseconds for a duration: a number with an optional unit ("250ms", "1.5s", "10 s", "2m",
 * "1min", "1h"), or a bare number, read as milliseconds the way PostgreSQL reads lock_timeout.
 * Negative, unknown units or anything else malformed: null.
 */
export function parseDuration(s: string | number): number | null {
  if (typeof s === 'number') return toMs(s);
  const m = DURATION.exec(s.trim());
  if (!m) return null;
  const factor = m[2] === '' ? 1 : UNIT_MS[m[2].toLowerCase()];
  return factor === undefined ? null : toMs(Number(m[1]) * factor);
}

function toMs(ms: number): number | null {
  if (!Number.isFinite(ms) || ms < 0) return null;
  // A tiny positive timeout must not round down to 0, which means "no timeout".
  return ms > 0 ? Math.max(1, Math.round(ms)) : 0;
}
