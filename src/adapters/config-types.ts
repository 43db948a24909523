/** The settings of migrate.toml after defaults, environment and flags (SPEC section 5). */
export interface Config {
  /** Absolute path of the migrate.toml read, or null when none was found (defaults apply). */
  file: string | null;
  /** The project root: migrate.toml's directory, or the working directory when there is none. */
  root: string;
  /** Absolute path of the revisions folder. */
  dir: string;
  database: {
    url: string;
    /** Where the URL came from: `--url`, `FMIG_DATABASE_URL`, `DATABASE_URL`, `database.url` or `default`. */
    urlSource: string;
    schema: string;
    table: string;
    lockTimeoutMs: number;
    statementTimeoutMs: number;
  };
  git: {
    /** The published ref; null when not configured (then `origin/main`, or `main` without a remote). */
    main: string | null;
  };
  schema: {
    /** `[schema] files`: a glob, relative to the project root, of the files describing the wanted schema; null when unset. */
    files: string | null;
  };
}
