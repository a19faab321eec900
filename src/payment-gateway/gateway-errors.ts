import { ApiError } from "../lib/errors";
import { GatewayRejected, GatewayUnreachable } from "./gateway";

/**
 * What a gateway adapter's error means to the caller: `GatewayRejected` is the gateway's own
 * refusal (`422 gateway_rejected`, its message and code in the detail; adapters never put a
 * secret there), `GatewayUnreachable` a request that never reached it (`502
 * gateway_unavailable`: nothing happened there). Anything else is not a gateway answer and is
 * left alone (a bug: a 500).
 */
export function gatewayProblem(error: unknown): ApiError | null {
  if (error instanceof GatewayRejected) {
    const code = error.code ? ` (code ${error.code}${error.param ? `, param ${error.param}` : ""})` : "";
    return new ApiError("gateway_rejected", `The payment gateway refused the request: ${error.message}${code}`);
  }
  if (error instanceof GatewayUnreachable) {
    return new ApiError(
      "gateway_unavailable",
      `The payment gateway could not be reached (${error.message}); nothing was charged or stored. Retry later.`,
    );
  }
  return null;
}

/** Runs a gateway call, turning its refusal or unreachability into the API's problem. */
export async function askGateway<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw gatewayProblem(error) ?? error;
  }
}
