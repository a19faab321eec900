import { expect } from "vitest";
import { call, createCustomer, newOrganization } from "./helpers";

/** What the sub-resources' timestamps look like: UTC with milliseconds. */
export const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export type SubResource = "addresses" | "subscriptions" | "payment_methods";

/** An organization, its key, one live customer and the path of that customer's `resource`. */
export async function customerWith(resource: SubResource) {
  const { orgId, key } = await newOrganization();
  const customer = await createCustomer(key);
  return { orgId, key, customerId: customer.id as string, base: `/v1/customers/${customer.id}/${resource}` };
}

/** POSTs `body` to the collection at `base` and returns the created object; fails the test on anything but 201. */
export async function createAt(what: string, key: string, base: string, body: Record<string, unknown>) {
  const response = await call("POST", base, { key, body });
  if (response.status !== 201) throw new Error(`${what} create failed (${response.status}): ${response.text}`);
  return response.body;
}

/** The `data` of the list at `base`. */
export const listOf = async (key: string, base: string) => (await call("GET", base, { key })).body.data as any[];

/** A route of a sub-resource: method, path and the body to send (if any). */
export type Route = [method: string, path: string, body: unknown];

/** Calls every route with `key` (none when undefined): each answers `status`, and `code` when one is given. */
export async function expectEveryRoute(routes: Route[], key: string | undefined, status: number, code?: string) {
  for (const [method, path, body] of routes) {
    const response = await call(method, path, { key, body });
    expect(response.status, `${method} ${path}`).toBe(status);
    if (code !== undefined) expect(response.body.code, `${method} ${path}`).toBe(code);
  }
}

/** The OpenAPI document declares each operation with its statuses, and the ones every route may answer. */
export function expectOperations(document: any, expected: [method: string, path: string, statuses: string[]][]) {
  for (const [method, path, statuses] of expected) {
    const operation = document.paths[path]?.[method];
    expect(operation, `${method} ${path}`).toBeDefined();
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining([...statuses, "429", "500", "503"]));
  }
}
