import type { AddressObject } from "../src/addresses/addresses.schemas";
import { createAt, customerWith } from "./sub-resources-helpers";

/** Shared by the addresses*.test.ts files. */

export const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export const UNKNOWN_ID = "adr_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R";

export const HOME = { line1: "1 Main Street", country: "US" };

export const customerSetup = () => customerWith("addresses");

export const addAddress = (key: string, base: string, body: Record<string, unknown> = HOME) =>
  createAt<AddressObject>("address", key, base, body);

export const defaultsOf = (addresses: AddressObject[], type: string) =>
  addresses.filter((address) => address.type === type && address.is_default).map((address) => address.id);

export const pause = () => new Promise((resolve) => setTimeout(resolve, 3));
