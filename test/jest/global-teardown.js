// Stops the environment; hack/test.sh then asserts no process of this run is left.
export default async function globalTeardown() {
  await globalThis.__ctEnvironment?.stop();
}
