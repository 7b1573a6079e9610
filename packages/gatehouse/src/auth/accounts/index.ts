// Node-only through its callers: the store runs on a SqlClient, whose drivers need Node.
export { accountMigrations } from './migrations.js';
export { createAccountStore, normaliseEmail, type Account, type AccountStore } from './store.js';
