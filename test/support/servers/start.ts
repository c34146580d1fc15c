/**
 * Starts several servers at once; when one fails to start, the others are stopped before the
 * error is thrown, so no server outlives a test file that could not begin.
 */
export async function startAll<T extends readonly unknown[]>(starting: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(starting as readonly Promise<unknown>[]);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (!failed) return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
  await Promise.all(settled.map(async (s) => {
    if (s.status !== 'fulfilled') return;
    // A server stops itself; a started simulator (test/support/simulator.ts) through its `sim`.
    const server = s.value as { stop?: () => Promise<void>; sim?: { stop: () => Promise<void> } };
    const stop = server.stop ? () => server.stop!() : server.sim ? () => server.sim!.stop() : undefined;
    await stop?.().catch(() => undefined);
  }));
  throw failed.reason;
}
