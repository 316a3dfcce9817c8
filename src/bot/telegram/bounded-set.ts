// A set that remembers at most `capacity` keys, forgetting the oldest first: memory for "seen this
// update", "told this stranger how to link" and similar, bounded whatever the traffic.
export class BoundedSet<K> {
  private readonly keys = new Set<K>();
  constructor(private readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
  }

  has(key: K): boolean {
    return this.keys.has(key);
  }

  /** Adds `key`; true when it was not there before. */
  add(key: K): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    while (this.keys.size > this.capacity) {
      const oldest = this.keys.values().next().value as K;
      this.keys.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.keys.size;
  }
}
