// Node-only: both drivers need Node (better-sqlite3 is a native addon, pg opens TCP sockets).
export { migrate } from './migrate.js';
export { openPostgres } from './postgres.js';
export { openSqlite } from './sqlite.js';
export { isoTimestamp, isRowCount } from './values.js';
export type { Migration, SqlClient, SqlDialect, SqlValue } from './types.js';
