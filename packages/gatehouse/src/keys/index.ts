/**
 * The inventory of a deployment's managed keys.
 * @module
 */
export { ageInDays, keyDirectories, listManagedKeys, type ManagedKey } from './inventory.js';
