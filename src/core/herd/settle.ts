/**
 * Waiting with a bound: a stopped drill must end whatever the database does, so the waits on
 * its work end by the clock too. The work itself goes on; the caller decides what to drop.
 */
export type Settled<T> = { done: true; value: () => T } | { done: false };

function settled<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (v) => ({ done: true, value: () => v }),
    (e: unknown) => ({
      done: true,
      value: () => {
        throw e;
      },
    }),
  );
}

/** The promise's outcome, or not done once `ms` have passed since `signal` aborted. */
export function settleUnlessStopped<T>(promise: Promise<T>, signal: AbortSignal, ms: number): Promise<Settled<T>> {
  const stopped = new Promise<Settled<T>>((resolve) => {
    const later = () => setTimeout(() => resolve({ done: false }), ms).unref();
    if (signal.aborted) later();
    else signal.addEventListener('abort', later, { once: true });
  });
  return Promise.race([settled(promise), stopped]);
}

export function settleWithin<T>(promise: Promise<T>, ms: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Settled<T>>((resolve) => (timer = setTimeout(() => resolve({ done: false }), ms)));
  return Promise.race([settled(promise), late]).finally(() => clearTimeout(timer));
}
