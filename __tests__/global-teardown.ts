// Jest's globalTeardown: stops and removes the cluster that global-setup.ts started.
export default async function globalTeardown(): Promise<void> {
  globalThis.ewsPostgresCluster?.stop();
  globalThis.ewsPostgresCluster = undefined;
}
