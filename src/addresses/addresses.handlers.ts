import { listPage } from "../customer-records/customer-records.pages";
import { customerNotFound, requireLiveCustomer } from "../customer-records/customer-records.repository";
import { nowIso } from "../lib/fields";
import { deletedBody } from "../lib/lists";
import type { AppRouteHandler } from "../lib/types";
import { addressNotFound } from "./addresses.errors";
import { toAddressObject } from "./addresses.object";
import * as repo from "./addresses.repository";
import type * as routes from "./addresses.routes";
import * as service from "./addresses.service";

const addresses = { name: "addresses", list: repo.listAddresses, toObject: toAddressObject };

export const listAddresses: AppRouteHandler<typeof routes.listAddresses> = async (c) => {
  const { id } = c.req.valid("param");
  return c.json(await listPage(c.get("db"), c.get("orgId"), id, addresses, c.req.valid("query")), 200);
};

export const createAddress: AppRouteHandler<typeof routes.createAddress> = async (c) => {
  const { id } = c.req.valid("param");
  const input = c.req.valid("json");
  const orgId = c.get("orgId");
  // No lookup first: the insert writes only under a live customer of this organization.
  const row = await repo.insertAddress(
    c.get("db"),
    orgId,
    id,
    {
      type: input.type ?? "billing",
      line1: input.line1,
      line2: input.line2 ?? null,
      city: input.city ?? null,
      state: input.state ?? null,
      postal_code: input.postal_code ?? null,
      country: input.country,
      is_default: input.is_default ?? false,
    },
    nowIso(),
  );
  if (!row) throw customerNotFound();
  return c.json(toAddressObject(row), 201);
};

export const updateAddress: AppRouteHandler<typeof routes.updateAddress> = async (c) => {
  const { id, address_id: addressId } = c.req.valid("param");
  const row = await service.update(c.get("db"), c.get("orgId"), id, addressId, c.req.valid("json"));
  return c.json(toAddressObject(row), 200);
};

export const deleteAddress: AppRouteHandler<typeof routes.deleteAddress> = async (c) => {
  const { id, address_id: addressId } = c.req.valid("param");
  const orgId = c.get("orgId");
  await requireLiveCustomer(c.get("db"), orgId, id);
  if (!(await repo.deleteAddress(c.get("db"), orgId, id, addressId))) throw addressNotFound();
  return c.json(deletedBody("address", addressId), 200);
};
