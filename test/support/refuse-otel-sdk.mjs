// A module loader hook for tests (registered with `node --import`, see
// refuseOpenTelemetrySdk in test/observability/tracing.processes.test.ts):
// any import of an OpenTelemetry package other than the API fails, so a
// process that starts and serves under it has loaded no module of the SDK.
export async function resolve(specifier, context, nextResolve) {
  if (/^@opentelemetry\/(?!api$)/.test(specifier)) {
    throw new Error(`refuse-otel-sdk: ${specifier} may not be loaded here`);
  }
  return nextResolve(specifier, context);
}
