import { describe, expect, it } from "vitest";
import { call, createCustomer, type ListBody, newOrganization, type Problem } from "./helpers";

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
export async function createAt<T = unknown>(
  what: string,
  key: string,
  base: string,
  body: Record<string, unknown>,
): Promise<T> {
  const response = await call<T>("POST", base, { key, body });
  if (response.status !== 201) throw new Error(`${what} create failed (${response.status}): ${response.text}`);
  return response.body;
}

/** The `data` of the list at `base`. */
export const listOf = async <T = unknown>(key: string, base: string): Promise<T[]> =>
  (await call<ListBody<T>>("GET", base, { key })).body.data;

/** A route of a sub-resource: method, path and the body to send (if any). */
export type Route = [method: string, path: string, body: unknown];

/** Calls every route with `key` (none when undefined): each answers `status`, and `code` when one is given. */
export async function expectEveryRoute(routes: Route[], key: string | undefined, status: number, code?: string) {
  for (const [method, path, body] of routes) {
    const response = await call<Problem>(method, path, { key, body });
    expect(response.status, `${method} ${path}`).toBe(status);
    if (code !== undefined) expect(response.body.code, `${method} ${path}`).toBe(code);
  }
}

/** The parts of /v1/openapi.json the sub-resource tests read. */
export type ServedDocument = {
  paths: Record<string, Record<string, { description?: string; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, { required?: string[] }> };
};

/** The OpenAPI document declares each operation with its statuses, and the ones every route may answer. */
export function expectOperations(
  document: ServedDocument,
  expected: [method: string, path: string, statuses: string[]][],
) {
  for (const [method, path, statuses] of expected) {
    const operation = document.paths[path]?.[method];
    expect(operation, `${method} ${path}`).toBeDefined();
    expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining([...statuses, "429", "500", "503"]));
  }
}

/** What the rules every customer sub-resource follows need to know of one of them. */
export type SubResourceRules = {
  resource: SubResource;
  /** The object's name in test titles, singular: "address", "payment method". */
  name: string;
  /** A well-formed id that names no object. */
  unknownId: string;
  /** Creates one object in the collection at `base` and returns it. */
  create: (key: string, base: string) => Promise<{ id: string }>;
  /**
   * Like `create`, but the object is its customer's default (where the resource has one); the cases in
   * which a stray write could clear a default use it. `create` when absent.
   */
  createDefault?: (key: string, base: string) => Promise<{ id: string }>;
  /** Every route, given a customer path (`/v1/customers/{id}`) and an object id. */
  routes: (customerPath: string, id: string) => Route[];
  /** A method no route takes, on the collection or on one object, and the Allow header its 405 names. */
  notAllowed: { method: string; on: "collection" | "object"; body?: unknown; allow: string };
  /** When DELETE removes the object (rather than keeping it as a cancel does): the `object` its answer names. */
  deletes?: string;
  /**
   * This resource's rows in storage, every organization's: 0 after the unknown customer's calls,
   * unchanged by the archived customer's.
   */
  storedCount?: () => Promise<number | undefined>;
  /** What the customer object shows of this resource: another organization's calls leave it as it was. */
  customerView?: (key: string, customerId: string) => Promise<unknown>;
  /** More checks once every route of an archived customer was refused. */
  afterArchivedRoutes?: (customerId: string) => Promise<void>;
};

/**
 * Registers the cases every customer sub-resource shares: the customer scoping (unknown, another
 * organization's and archived customers, no key), the 405 and, for a resource whose DELETE removes,
 * that a second DELETE is a 404. Each test title names the resource.
 */
export function describeSubResourceRules(rules: SubResourceRules) {
  const { name, create, routes } = rules;
  const createDefault = rules.createDefault ?? create;
  const setup = async () => {
    const { key, customerId, base } = await customerWith(rules.resource);
    return { key, customerId, base, customerPath: `/v1/customers/${customerId}` };
  };

  describe("rules every customer sub-resource follows", () => {
    it(`404 customer_not_found on every ${name} route for an unknown customer`, async () => {
      const { key } = await newOrganization();
      await expectEveryRoute(routes("/v1/customers/nobody", rules.unknownId), key, 404, "customer_not_found");
      if (rules.storedCount) expect(await rules.storedCount()).toBe(0);
    });

    it(`404 customer_not_found on every ${name} route for another organization's customer; nothing changes`, async () => {
      const { key, customerId, base, customerPath } = await setup();
      const object = await createDefault(key, base);
      const viewBefore = await rules.customerView?.(key, customerId);
      const intruder = await newOrganization("Intruder");
      await expectEveryRoute(routes(customerPath, object.id), intruder.key, 404, "customer_not_found");
      expect(await listOf(key, base)).toEqual([object]);
      if (rules.customerView) expect(await rules.customerView(key, customerId)).toEqual(viewBefore);
    });

    it(`404 not_found for another organization's ${name} under one's own customer`, async () => {
      const { key, base } = await setup();
      const object = await create(key, base);
      const intruder = await newOrganization("Intruder");
      const own = await createCustomer(intruder.key);
      // The routes that name one object; the collection's are the intruder's own customer's.
      const objectRoutes = routes(`/v1/customers/${own.id}`, object.id).filter(([, path]) =>
        path.endsWith(`/${object.id}`),
      );
      expect(objectRoutes).not.toEqual([]);
      await expectEveryRoute(objectRoutes, intruder.key, 404, "not_found");
      expect(await listOf(key, base)).toEqual([object]);
    });

    it(`404 customer_not_found on every ${name} route for an archived customer`, async () => {
      const { key, customerId, base, customerPath } = await setup();
      const object = await create(key, base);
      expect((await call("DELETE", customerPath, { key })).status).toBe(200);
      const storedBefore = await rules.storedCount?.();
      await expectEveryRoute(routes(customerPath, object.id), key, 404, "customer_not_found");
      if (rules.storedCount) expect(await rules.storedCount()).toBe(storedBefore);
      await rules.afterArchivedRoutes?.(customerId);
    });

    it(`401 on every ${name} route without a key`, async () => {
      const { key, base, customerPath } = await setup();
      const object = await create(key, base);
      await expectEveryRoute(routes(customerPath, object.id), undefined, 401);
      expect(await listOf(key, base)).toEqual([object]);
    });

    const { method, on, body, allow } = rules.notAllowed;
    it(`405 with Allow: ${allow} for ${method} on ${on === "object" ? `one ${name}` : `the ${name} collection`}`, async () => {
      const { key, base } = await setup();
      const path = on === "object" ? `${base}/${(await create(key, base)).id}` : base;
      const response = await call(method, path, { key, body });
      expect(response.status).toBe(405);
      expect(response.headers.get("Allow")).toBe(allow);
    });

    const deletes = rules.deletes;
    if (deletes !== undefined) {
      it(`DELETE removes the ${name} and answers its deletion; a second DELETE is a 404`, async () => {
        const { key, base } = await setup();
        const kept = await create(key, base);
        const doomed = await createDefault(key, base);
        const response = await call<unknown>("DELETE", `${base}/${doomed.id}`, { key });
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ object: deletes, id: doomed.id, deleted: true });
        expect(await listOf<unknown>(key, base)).toEqual([kept]);
        const again = await call<Problem>("DELETE", `${base}/${doomed.id}`, { key });
        expect(again.status).toBe(404);
        expect(again.body.code).toBe("not_found");
      });
    }
  });
}
