import { requestOutbox } from "../event-deliveries/outbox";
import { keepAnswer } from "../lib/kept-answer";
import { deletedBody } from "../lib/lists";
import type { AppRouteHandler } from "../lib/types";
import { toAddressObject } from "./addresses.object";
import type * as routes from "./addresses.routes";
import type { AddressObject } from "./addresses.schemas";
import * as service from "./addresses.service";

// The answers of the address writes, as values: each is kept with its change (lib/kept-answer.ts).
const created = (address: AddressObject) => ({ status: 201 as const, body: address });
const current = (address: AddressObject) => ({ status: 200 as const, body: address });
const deleted = (addressId: string) => ({ status: 200 as const, body: deletedBody("address", addressId) });

export const listAddresses: AppRouteHandler<typeof routes.listAddresses> = async (c) => {
  const { id } = c.req.valid("param");
  return c.json(await service.list(c.get("db"), c.get("orgId"), id, c.req.valid("query")), 200);
};

export const createAddress: AppRouteHandler<typeof routes.createAddress> = async (c) => {
  const { id } = c.req.valid("param");
  const row = await service.create(
    c.get("db"),
    c.get("orgId"),
    id,
    c.req.valid("json"),
    requestOutbox(c),
    keepAnswer(c, created),
  );
  const answer = created(toAddressObject(row));
  return c.json(answer.body, answer.status);
};

export const updateAddress: AppRouteHandler<typeof routes.updateAddress> = async (c) => {
  const { id, address_id: addressId } = c.req.valid("param");
  const keep = keepAnswer(c, current);
  const row = await service.update(
    c.get("db"),
    c.get("orgId"),
    id,
    addressId,
    c.req.valid("json"),
    requestOutbox(c),
    keep,
  );
  const answer = current(toAddressObject(row));
  return c.json(answer.body, answer.status);
};

export const deleteAddress: AppRouteHandler<typeof routes.deleteAddress> = async (c) => {
  const { id, address_id: addressId } = c.req.valid("param");
  await service.remove(c.get("db"), c.get("orgId"), id, addressId, requestOutbox(c), keepAnswer(c, deleted));
  const answer = deleted(addressId);
  return c.json(answer.body, answer.status);
};
