/** What every command receives: where it runs, its settings, and where its human output goes. */
import type { Config } from '../adapters/config-types.js';
import type { SharedFolders } from './project.js';

export interface Reporter {
  /** A line of human output (stdout). Silent with --json and --quiet. */
  line(text: string): void;
  /** A warning (stderr). Silent with --quiet. */
  warn(text: string): void;
  /** Transient progress on a TTY's stderr, replaced by the next call; nothing in pipes or with --quiet. */
  progress(text: string): void;
  /** The terminal's width when stdout is one; undefined in pipes (where a line is never wrapped). */
  readonly width?: number;
}

export interface Context {
  cwd: string;
  env: Record<string, string | undefined>;
  /** Loads migrate.toml (once) with the global flags applied; throws ConfigError. */
  config(): Promise<Config>;
  report: Reporter;
  json: boolean;
  /** Set when the command runs on several targets at once: the folder is parsed once for all of them. */
  folders?: SharedFolders;
}

/** A Reporter that drops everything, for callers that only want results. */
export const silent: Reporter = { line() {}, warn() {}, progress() {} };
