import { ErrorCodes, VsyncError } from '../core/errors.js';

export function abortError(signal: AbortSignal): VsyncError {
  return new VsyncError(ErrorCodes.ABORTED, 'operation aborted', { cause: signal.reason });
}

/** Races `promise` against `signal`; `cleanup` runs when the signal wins. */
export function withSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined, cleanup: () => void = () => {}): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    cleanup();
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      cleanup();
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
