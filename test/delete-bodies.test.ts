import { describe, expect, it } from "vitest";
import { createDestination } from "./events-helpers";
import {
  type Called,
  call,
  createCustomer,
  customerPath,
  expectProblem,
  expectValidationFailed,
  newOrganization,
} from "./helpers";

type Operation = { requestBody?: { required?: boolean; content: Record<string, { schema: { $ref?: string } }> } };
type Document = { paths: Record<string, Record<string, Operation & { responses: Record<string, unknown> }>> };

/** One record of every kind a DELETE removes, archives or cancels, and the path that does it. */
async function deletablePaths() {
  const { key } = await newOrganization();
  const customer = await createCustomer(key, { metadata: { plan: "pro" } });
  const records = customerPath(customer.id);
  const created = async (path: string, body: unknown) =>
    (await call<{ id: string }>("POST", path, { key, body })).body.id;
  const address = await created(`${records}/addresses`, { line1: "1 Main St", country: "FR" });
  const subscription = await created(`${records}/subscriptions`, { plan_id: "pro" });
  const paymentMethod = await created(`${records}/payment_methods`, { gateway: "stripe", gateway_reference: "pm_1" });
  const apiKey = await created("/v1/api_keys", { name: "spare" });
  const destination = await createDestination(key);
  const paths = [
    `${records}/metadata/plan`,
    `${records}/addresses/${address}`,
    `${records}/subscriptions/${subscription}`,
    `${records}/payment_methods/${paymentMethod}`,
    `/v1/api_keys/${apiKey}`,
    `/v1/event_destinations/${destination.id}`,
    records,
  ];
  return { key, paths };
}

describe("DELETE takes no fields: one sent is refused by name, not ignored", () => {
  it("every DELETE in the served document takes an optional body of no fields and declares 400, 413, 415", async () => {
    const document = (await call<Document>("GET", "/v1/openapi.json")).body;
    const deletes = Object.entries(document.paths).flatMap(([path, item]) =>
      item.delete ? [[path, item.delete] as const] : [],
    );
    expect(deletes.length).toBeGreaterThanOrEqual(9);
    for (const [path, operation] of deletes) {
      expect(operation.requestBody?.required, path).toBe(false);
      expect(operation.requestBody?.content["application/json"]?.schema.$ref, path).toBe(
        "#/components/schemas/EmptyBody",
      );
      expect(Object.keys(operation.responses), path).toEqual(expect.arrayContaining(["400", "413", "415"]));
    }
  });

  it("a field is a 400 naming it and nothing is deleted; then no body, or {}, deletes", async () => {
    const { key, paths } = await deletablePaths();
    for (const path of paths) {
      expectValidationFailed(await call("DELETE", path, { key, body: { confirm: true } }), ["/confirm"]);
    }
    // Nothing went: each is still there to delete, with no body and with an empty object.
    const answers: Called<unknown>[] = [];
    for (const [index, path] of paths.entries()) {
      answers.push(await call("DELETE", path, { key, ...(index % 2 === 0 ? {} : { body: {} }) }));
    }
    expect(answers.map((answer) => answer.status)).toEqual(paths.map(() => 200));
  });

  it("a body that is not JSON is a 415, and malformed JSON a 400 invalid_json", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key);
    const plain = await call("DELETE", customerPath(customer.id), {
      key,
      rawBody: "yes please",
      headers: { "Content-Type": "text/plain" },
    });
    expectProblem(plain, 415, "unsupported_media_type");
    const broken = await call("DELETE", customerPath(customer.id), {
      key,
      rawBody: "{",
      headers: { "Content-Type": "application/json" },
    });
    expectProblem(broken, 400, "invalid_json");
    expect((await call("GET", customerPath(customer.id), { key })).status).toBe(200);
  });
});
