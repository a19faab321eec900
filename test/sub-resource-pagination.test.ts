import { describe, expect, it } from "vitest";
import type { AddressObject } from "../src/addresses/addresses.schemas";
import type { PaymentMethodObject } from "../src/payment-methods/payment-methods.schemas";
import { call, createCustomer, type ListBody, newOrganization, type Problem, type Subscription } from "./helpers";

// A customer's addresses, subscriptions and payment methods are listed a page at a time,
// oldest first, with `limit` and `cursor` as for customers.

const RESOURCES = [
  ["addresses", (i: number) => ({ line1: `${i} Main St`, country: "US" })],
  ["subscriptions", (i: number) => ({ plan_id: `plan-${i}` })],
  ["payment_methods", (i: number) => ({ gateway: "stripe", gateway_reference: `pm_ref_${i}` })],
] as const;

/** What a customer's sub-resource collection holds. */
type SubResourceObject = AddressObject | Subscription | PaymentMethodObject;

describe.each(RESOURCES)("GET /v1/customers/{id}/%s", (resource, bodyOf) => {
  it("pages with limit and cursor, oldest first, never repeating or skipping", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key);
    const base = `/v1/customers/${customer.id}/${resource}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await call<SubResourceObject>("POST", base, { key, body: bodyOf(i) });
      expect(created.status).toBe(201);
      ids.push(created.body.id);
    }

    const first = await call<ListBody<SubResourceObject>>("GET", `${base}?limit=2`, { key });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ object: "list", has_more: true });
    expect(first.body.data.map((item) => item.id)).toEqual(ids.slice(0, 2));
    const second = await call<ListBody<SubResourceObject>>("GET", `${base}?limit=2&cursor=${first.body.next_cursor}`, {
      key,
    });
    expect(second.body.data.map((item) => item.id)).toEqual(ids.slice(2, 4));
    const last = await call<ListBody<SubResourceObject>>("GET", `${base}?limit=2&cursor=${second.body.next_cursor}`, {
      key,
    });
    expect(last.body).toMatchObject({ has_more: false, next_cursor: null });
    expect(last.body.data.map((item) => item.id)).toEqual(ids.slice(4));

    const all = await call<ListBody<SubResourceObject>>("GET", base, { key });
    expect(all.body.data).toHaveLength(5);
    expect(all.body.has_more).toBe(false);
  });

  it("refuses a cursor issued for another customer's list, and a limit over 100", async () => {
    const { key } = await newOrganization();
    const one = await createCustomer(key);
    const two = await createCustomer(key);
    for (let i = 0; i < 2; i++) await call("POST", `/v1/customers/${one.id}/${resource}`, { key, body: bodyOf(i) });
    const page = await call<ListBody<SubResourceObject>>("GET", `/v1/customers/${one.id}/${resource}?limit=1`, { key });
    const other = await call<Problem>("GET", `/v1/customers/${two.id}/${resource}?cursor=${page.body.next_cursor}`, {
      key,
    });
    expect(other.status).toBe(400);
    expect(other.body.errors?.[0]?.pointer).toBe("#/query/cursor");
    expect(other.body.errors?.[0]?.detail).toMatch(/issued for another list or other filters/);
    const tooMany = await call("GET", `/v1/customers/${one.id}/${resource}?limit=101`, { key });
    expect(tooMany.status).toBe(400);
  });
});
