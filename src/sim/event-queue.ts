interface Entry<T> {
  readonly time: number;
  /** Insertion number: breaks ties in time, so that (time, order) orders every pair and runs are deterministic. */
  readonly order: number;
  readonly item: T;
}

/**
 * A binary min-heap of timed events; ties break by insertion order, which keeps runs deterministic. Since no two
 * entries tie on (time, order), the pop order depends on nothing but the pushes. The simulator pushes and pops
 * once per frame and tick, so both move a hole down or up instead of swapping, and allocate only the entry.
 */
export class EventQueue<T> {
  private readonly heap: Array<Entry<T>> = [];
  private counter = 0;

  get size(): number {
    return this.heap.length;
  }

  push(time: number, item: T): void {
    const e: Entry<T> = { time, order: this.counter++, item };
    const heap = this.heap;
    let i = heap.length;
    heap.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p]!;
      if (!before(e, parent)) break;
      heap[i] = parent;
      i = p;
    }
    heap[i] = e;
  }

  peekTime(): number {
    return this.heap[0]?.time ?? Number.POSITIVE_INFINITY;
  }

  pop(): { time: number; item: T } | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    const m = heap.length;
    if (m > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= m) break;
        const r = l + 1;
        const c = r < m && before(heap[r]!, heap[l]!) ? r : l;
        if (!before(heap[c]!, last)) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.time < b.time || (a.time === b.time && a.order < b.order);
}
