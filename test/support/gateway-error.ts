// The GatewayError a promise must reject with, for tests of services and the
// Faseeh client that assert on the error's code and extensions.
import { expect } from "vitest";
import { GatewayError } from "../../src/errors.js";

export async function gatewayErrorOf(promise: Promise<unknown>): Promise<GatewayError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(GatewayError);
  return outcome as GatewayError;
}
