import { ErrorCodes, VsyncError } from '../errors.js';
import { Deque } from '../core/deque.js';

/**
 * A bounded buffer read as an async iterator. A reader that falls more than `capacity` items behind is ended
 * with VSYNC_ERR_BACKPRESSURE instead of letting memory grow or silently skipping items.
 */
export class BoundedQueue<T> implements AsyncIterable<T> {
  private readonly items = new Deque<T>();
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
  private ended = false;
  private failure: unknown = null;

  constructor(
    private readonly capacity: number,
    private readonly onClose: () => void = () => {},
  ) {}

  push(item: T): void {
    if (this.ended) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve({ value: item, done: false });
      return;
    }
    if (this.items.length >= this.capacity) {
      this.fail(new VsyncError(ErrorCodes.BACKPRESSURE, `reader fell more than ${this.capacity} items behind`));
      return;
    }
    this.items.push(item);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.waiter && this.items.isEmpty) {
      this.waiter.resolve({ value: undefined, done: true });
      this.waiter = null;
    }
  }

  fail(err: unknown): void {
    if (this.ended) return;
    this.failure = err;
    this.ended = true;
    this.items.clear();
    if (this.waiter) {
      this.waiter.reject(err);
      this.waiter = null;
    }
    this.onClose();
  }

  private next(): Promise<IteratorResult<T>> {
    if (!this.items.isEmpty) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: () => {
        this.end();
        this.items.clear();
        this.onClose();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
