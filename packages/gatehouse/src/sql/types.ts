/** A value that can be bound to a `$n` placeholder on both dialects. */
export type SqlValue = string | number | boolean | null;

/** The database engines a client can talk to. */
export type SqlDialect = 'sqlite' | 'postgres';

/**
 * One small interface over the app database, so stores above it (notes, sessions, CSP reports) are
 * written once and run on SQLite or PostgreSQL.
 *
 * Rows come back as the driver builds them. On PostgreSQL that means node-postgres' default type
 * parsing: `timestamptz` and `date` become `Date`, `int8` and `numeric` become strings (they may
 * not fit a JS number). On SQLite, integers are JS numbers and booleans are stored as 1/0.
 */
export interface SqlClient {
  readonly dialect: SqlDialect;

  /**
   * Runs a statement with `$1, $2…` placeholders on both dialects; returns rows as plain objects.
   */
  query<Row extends Record<string, unknown>>(
    text: string,
    params?: readonly SqlValue[],
  ): Promise<Row[]>;

  /**
   * Runs a statement and returns the number of rows it changed. Without params, `text` may hold
   * several statements separated by semicolons (PostgreSQL's simple query protocol, SQLite's
   * `exec`), which is what migrations need.
   */
  execute(text: string, params?: readonly SqlValue[]): Promise<{ rowCount: number }>;

  /**
   * Runs fn inside one transaction; commits when it resolves, rolls back when it throws.
   *
   * Use only the `tx` client inside fn. On SQLite, the client it was called on is locked until
   * the transaction ends, so awaiting it from inside fn would never finish; that is detected and
   * rejected with an error instead. `tx.transaction` nests with a SAVEPOINT: its failure rolls
   * back only its own work, and the outer transaction decides whether to go on.
   */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;

  /** Waits for the work in progress, then closes the connection(s); calling it again is a no-op. */
  close(): Promise<void>;
}

/** One schema change, written once per dialect; `id` is recorded once it has been applied. */
export interface Migration {
  readonly id: string;
  readonly sqlite: string;
  readonly postgres: string;
}
