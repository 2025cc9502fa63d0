/**
 * A byte-bounded LRU cache of promises (decoded tiles, decoded levels). Entries are charged by
 * the size their value reports once resolved; a failed promise is dropped so it can be retried.
 */
export class ByteLruCache<V> {
  private readonly map = new Map<string, { value: Promise<V>; bytes: number }>();
  private used = 0;

  constructor(
    readonly maxBytes: number,
    private readonly sizeOf: (value: V) => number,
  ) {}

  get bytesUsed(): number {
    return this.used;
  }

  /** The cached value for `key`, or the result of `make()` (cached unless it is bigger than the cache). */
  getOrCreate(key: string, make: () => Promise<V>): Promise<V> {
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit.value;
    }
    const entry = { value: make(), bytes: 0 };
    this.map.set(key, entry);
    entry.value.then(
      (v) => {
        if (this.map.get(key) !== entry) return;
        entry.bytes = this.sizeOf(v);
        this.used += entry.bytes;
        if (entry.bytes > this.maxBytes) {
          this.map.delete(key);
          this.used -= entry.bytes;
        }
        this.evict();
      },
      () => {
        if (this.map.get(key) === entry) this.map.delete(key);
      },
    );
    return entry.value;
  }

  private evict(): void {
    for (const [k, e] of this.map) {
      if (this.used <= this.maxBytes) break;
      if (e.bytes === 0) continue; // still pending
      this.map.delete(k);
      this.used -= e.bytes;
    }
  }

  clear(): void {
    this.map.clear();
    this.used = 0;
  }
}
