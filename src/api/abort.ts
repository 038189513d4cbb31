import { ErrorCodes, VsyncError } from '../errors.js';

/**
 * The error every API call gives when its signal fires: always this code, with the signal's reason as `cause`.
 * `waiting`, when given, says what the call was still waiting for (a caller's timeout then tells why it fired).
 */
export function abortError(signal: AbortSignal, waiting?: string): VsyncError {
  return new VsyncError(ErrorCodes.ABORTED, waiting ? `operation aborted while ${waiting}` : 'operation aborted', { cause: signal.reason });
}

/** Throws VSYNC_ERR_ABORTED (not the signal's own reason, often a DOMException) when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/**
 * One 'abort' listener per signal, however many waits share it. An application that passes one signal to
 * thousands of concurrent sends would otherwise add one listener per send to the signal, which Node reports as
 * `MaxListenersExceededWarning` past ten (and which costs a scan per removal).
 */
const subscribers = new WeakMap<AbortSignal, { callbacks: Set<() => void>; listener: () => void }>();

function subscribe(signal: AbortSignal, cb: () => void): () => void {
  let entry = subscribers.get(signal);
  if (!entry) {
    const callbacks = new Set<() => void>();
    const listener = (): void => {
      subscribers.delete(signal);
      for (const fn of callbacks) fn();
    };
    entry = { callbacks, listener };
    subscribers.set(signal, entry);
    signal.addEventListener('abort', listener, { once: true });
  }
  entry.callbacks.add(cb);
  const e = entry;
  return () => {
    e.callbacks.delete(cb);
    if (e.callbacks.size === 0 && subscribers.get(signal) === e) {
      subscribers.delete(signal);
      signal.removeEventListener('abort', e.listener);
    }
  };
}

/**
 * Races `promise` against `signal`; `cleanup` runs when the signal wins. The promise given up on is still
 * observed, so that its later rejection (the group closing, say) is never an unhandled rejection.
 */
export function withSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined, cleanup: () => void = () => {}): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    cleanup();
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const unsubscribe = subscribe(signal, () => {
      if (settled) return;
      settled = true;
      promise.catch(() => {});
      cleanup();
      reject(abortError(signal));
    });
    promise.then(
      (v) => {
        unsubscribe();
        if (settled) return;
        settled = true;
        resolve(v);
      },
      (e) => {
        unsubscribe();
        if (settled) return;
        settled = true;
        reject(e);
      },
    );
  });
}
