/**
 * A first-in first-out queue that can also be read from the back: a ring buffer that doubles when full and
 * halves when mostly empty, so `push`, `shift` and `pop` are O(1) and a long-lived queue that once held many items
 * does not keep their memory. Replaces the hand-written "array plus head index" queues, each of which had its own
 * rule for when to compact.
 *
 * Slots that no longer hold an item are cleared, so the queue never keeps a removed item alive. It lives in the
 * core because the core imports nothing outside itself; the transport and the API import it from here.
 */
export class Deque<T> implements Iterable<T> {
  private slots: Array<T | undefined>;
  /** Index of the first item. */
  private head = 0;
  private count = 0;

  /** `initialCapacity` is rounded up to a power of two (at least 4); it is also the smallest size it shrinks to. */
  constructor(initialCapacity = 16) {
    let capacity = 4;
    while (capacity < initialCapacity) capacity *= 2;
    this.minCapacity = capacity;
    this.slots = new Array<T | undefined>(capacity);
  }

  private readonly minCapacity: number;

  get length(): number {
    return this.count;
  }

  /** Slots allocated now (for tests and stats: memory follows the load). */
  get capacity(): number {
    return this.slots.length;
  }

  get isEmpty(): boolean {
    return this.count === 0;
  }

  /** Appends at the back. */
  push(item: T): void {
    if (this.count === this.slots.length) this.resize(this.slots.length * 2);
    this.slots[(this.head + this.count) & (this.slots.length - 1)] = item;
    this.count++;
  }

  /** Prepends at the front. */
  unshift(item: T): void {
    if (this.count === this.slots.length) this.resize(this.slots.length * 2);
    this.head = (this.head - 1) & (this.slots.length - 1);
    this.slots[this.head] = item;
    this.count++;
  }

  /** Removes and returns the front item; undefined when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) & (this.slots.length - 1);
    this.count--;
    this.shrinkIfSparse();
    return item;
  }

  /** Removes and returns the back item; undefined when empty. */
  pop(): T | undefined {
    if (this.count === 0) return undefined;
    const i = (this.head + this.count - 1) & (this.slots.length - 1);
    const item = this.slots[i];
    this.slots[i] = undefined;
    this.count--;
    this.shrinkIfSparse();
    return item;
  }

  /** The front item without removing it. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.slots[this.head];
  }

  /** The back item without removing it. */
  peekBack(): T | undefined {
    return this.count === 0 ? undefined : this.slots[(this.head + this.count - 1) & (this.slots.length - 1)];
  }

  /** The item `index` places from the front (negative: from the back); undefined outside the queue. */
  at(index: number): T | undefined {
    const i = index < 0 ? this.count + index : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.count) return undefined;
    return this.slots[(this.head + i) & (this.slots.length - 1)];
  }

  /** Removes every item and gives back the memory beyond the initial capacity. */
  clear(): void {
    this.slots = new Array<T | undefined>(this.minCapacity);
    this.head = 0;
    this.count = 0;
  }

  /** Front to back. The queue must not be changed while iterating. */
  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.count; i++) yield this.slots[(this.head + i) & (this.slots.length - 1)] as T;
  }

  toArray(): T[] {
    return [...this];
  }

  /** A quarter full: halve, so memory follows the load down as well as up (never below the initial capacity). */
  private shrinkIfSparse(): void {
    if (this.slots.length > this.minCapacity && this.count * 4 <= this.slots.length) this.resize(this.slots.length / 2);
  }

  private resize(capacity: number): void {
    const next = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.count; i++) next[i] = this.slots[(this.head + i) & (this.slots.length - 1)];
    this.slots = next;
    this.head = 0;
  }
}
