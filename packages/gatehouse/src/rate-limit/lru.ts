/**
 * A map bounded to a number of entries that drops the least recently used, for the memory store.
 * @module
 */

interface Node<V> {
  readonly key: string;
  value: V;
  newer: Node<V> | undefined;
  older: Node<V> | undefined;
}

/**
 * Recency is a linked list beside the map. A bare `Map` used as a queue (delete the first key,
 * re-insert on use) leaves deleted slots at the front that every `keys().next()` walks past
 * until V8 rehashes, which turns a flood of new keys into quadratic time.
 */
export class LruMap<V> {
  readonly #capacity: number;
  readonly #nodes = new Map<string, Node<V>>();
  #newest: Node<V> | undefined;
  #oldest: Node<V> | undefined;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#nodes.size;
  }

  /** The value of `key`, which becomes the most recently used. */
  get(key: string): V | undefined {
    const node = this.#nodes.get(key);
    if (node === undefined) return undefined;
    this.#unlink(node);
    this.#pushNewest(node);
    return node.value;
  }

  /** Stores `value` as the most recently used, dropping the least recently used when full. */
  set(key: string, value: V): void {
    const existing = this.#nodes.get(key);
    if (existing !== undefined) {
      existing.value = value;
      this.#unlink(existing);
      this.#pushNewest(existing);
      return;
    }

    const node: Node<V> = { key, value, newer: undefined, older: undefined };
    this.#nodes.set(key, node);
    this.#pushNewest(node);
    if (this.#nodes.size > this.#capacity && this.#oldest !== undefined) {
      const oldest = this.#oldest;
      this.#unlink(oldest);
      this.#nodes.delete(oldest.key);
    }
  }

  #pushNewest(node: Node<V>): void {
    node.older = this.#newest;
    node.newer = undefined;
    if (this.#newest !== undefined) this.#newest.newer = node;
    this.#newest = node;
    this.#oldest ??= node;
  }

  #unlink(node: Node<V>): void {
    if (node.newer === undefined) this.#newest = node.older;
    else node.newer.older = node.older;
    if (node.older === undefined) this.#oldest = node.newer;
    else node.older.newer = node.newer;
    node.newer = undefined;
    node.older = undefined;
  }
}
