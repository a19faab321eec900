import type { CustomerProfile, CustomerRow } from "../customer-records/customer-columns";
import type { RecordedEvents } from "../events/events.repository";
import { ApiError } from "../lib/errors";
import type { GatewayEffect } from "./customer-events";
import type { CustomerDeps } from "./customers.service";
import {
  askAboutOptions,
  changesCustomer,
  checkGatewayOptions,
  type GatewayWrite,
  gatewayWrite,
  hasGatewayOptions,
  openRequestGateway,
  type PreparedGateway,
  withoutGatewayOptions,
} from "./gateway-request";
import { importLinkStatement, importWrittenGuard } from "./import.repository";
import { MAX_IMPORT_GATEWAY_ITEMS, type ProvisionBody } from "./provision.schemas";

/**
 * The gateway options of import items (spec section 11, as on provision): every gateway call is
 * made before the import's one batch, a few items at a time; an item the gateway (or the
 * options' own rules) refuses fails alone with nothing written for it, and what an item's
 * options change (its link, its imported payment methods and their events) goes into that
 * batch, guarded by the state the item's customer write leaves.
 */

/** How many items ask the gateway at once (each is a few outbound requests). */
const GATEWAY_ITEMS_AT_ONCE = 8;

type Fail = (index: number, error: ApiError) => void;

/** Runs `work` on every item, at most `atOnce` at a time; a refusal (ApiError) fails that item alone. */
async function eachItem<T extends { index: number }>(items: T[], fail: Fail, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      if (!item) break;
      try {
        await work(item);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        fail(item.index, error);
      }
    }
  };
  await Promise.all(Array.from({ length: GATEWAY_ITEMS_AT_ONCE }, worker));
}

const OPTION_FIELDS = ["gateway_customer_reference", "import_payment_methods", "billing_information"] as const;

const gatewayItemsTooMany = (count: number) =>
  new ApiError(
    "import_gateway_items_too_many",
    `This import holds ${count} items with gateway options; at most ${MAX_IMPORT_GATEWAY_ITEMS} per import. Nothing was written: send them in smaller imports.`,
  );

type ValidItem = { index: number; body: ProvisionBody };

const withGatewayOptions = (valid: ValidItem[]) =>
  valid.filter(({ body }) => OPTION_FIELDS.some((field) => body[field] !== undefined));

/** The cap on items with gateway options: past it the whole import is refused, before anything is asked. */
export function checkGatewayItemsCap(valid: ValidItem[]): void {
  const count = withGatewayOptions(valid).length;
  if (count > MAX_IMPORT_GATEWAY_ITEMS) throw gatewayItemsTooMany(count);
}

/**
 * Before planning (and after the cap and the email DNS checks): each item's options checked and
 * what they name asked of the gateway. Returns what was learned, by item index.
 */
export async function prepareImportGateway(
  deps: CustomerDeps,
  valid: ValidItem[],
  fail: Fail,
): Promise<Map<number, PreparedGateway>> {
  const items = withGatewayOptions(valid);
  const prepared = new Map<number, PreparedGateway>();
  const asking: { index: number; options: ReturnType<typeof withoutGatewayOptions>[1] }[] = [];
  for (const { index, body } of items) {
    const [, options] = withoutGatewayOptions(body);
    try {
      checkGatewayOptions(options);
      if (hasGatewayOptions(options)) asking.push({ index, options });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      fail(index, error);
    }
  }
  if (asking.length === 0) return prepared;
  let opened: Awaited<ReturnType<typeof openRequestGateway>>;
  try {
    opened = await openRequestGateway(deps);
  } catch (error) {
    // No gateway (409) or no deployment secret (503): every item that needs it fails alone.
    if (!(error instanceof ApiError)) throw error;
    for (const { index } of asking) fail(index, error);
    return prepared;
  }
  await eachItem(asking, fail, async ({ index, options }) => {
    prepared.set(index, await askAboutOptions(opened, options));
  });
  return prepared;
}

/** An item's customer as the import plans to leave it. */
export type PlannedTarget = {
  index: number;
  customerId: string;
  original: CustomerRow | null;
  profile: CustomerProfile;
};

/** What an item's gateway options add to the import's batch. */
export type ItemGatewayWrite = { customerId: string; original: CustomerRow | null; write: GatewayWrite };

const sameCustomerTwice = () =>
  new ApiError(
    "validation_failed",
    "An earlier item of this import sends gateway options for the same customer; nothing was written for this item. Send it in another import.",
  );

const planMoved = () =>
  new ApiError(
    "storage_unavailable",
    "An earlier item this one depended on failed after this item's gateway work; nothing was written for this item. Retry it.",
  );

/**
 * After a plan: forwards each planned gateway item's billing information and builds its
 * statements (`done` keeps those of earlier plans: the gateway is asked once per item). Returns
 * how many items failed here; the import plans again without them when any did.
 */
export async function writeImportGateway(
  deps: CustomerDeps,
  prepared: Map<number, PreparedGateway>,
  targets: PlannedTarget[],
  done: Map<number, ItemGatewayWrite>,
  now: string,
  fail: Fail,
): Promise<number> {
  let failed = 0;
  const failItem: Fail = (index, error) => {
    failed++;
    done.delete(index);
    fail(index, error);
  };
  const customers = new Set<string>();
  const pending: PlannedTarget[] = [];
  for (const target of targets) {
    if (!prepared.has(target.index)) continue;
    const earlier = done.get(target.index);
    if (customers.has(target.customerId)) failItem(target.index, sameCustomerTwice());
    else if (earlier && (earlier.customerId !== target.customerId || earlier.original !== target.original)) {
      failItem(target.index, planMoved());
    } else if (!earlier) pending.push(target);
    customers.add(target.customerId);
  }
  await eachItem(pending, failItem, async ({ index, customerId, original, profile }) => {
    const guard = importWrittenGuard(deps.orgId, customerId, (original?.version ?? 0) + 1, now);
    const write = await gatewayWrite(deps, prepared.get(index) ?? null, customerId, original, profile, guard, now);
    done.set(index, { customerId, original, write });
  });
  return failed;
}

/** The gateway items' part of the import's batch, and what it changes on their customers. */
export function importGatewayStatements(deps: CustomerDeps, writes: ItemGatewayWrite[], now: string) {
  const statements: D1PreparedStatement[] = [];
  const recorded: RecordedEvents[] = [];
  const effects = new Map<string, GatewayEffect>();
  /** Customers written for their gateway options even when their profile does not change. */
  const forced = new Set<string>();
  for (const { customerId, original, write } of writes) {
    if (!changesCustomer(write)) continue;
    forced.add(customerId);
    effects.set(customerId, { link: write.link, addsPaymentMethods: write.addsPaymentMethods });
    const version = (original?.version ?? 0) + 1;
    if (write.link) statements.push(importLinkStatement(deps.db, deps.orgId, customerId, write.link, version, now));
    statements.push(...write.guarded, ...write.after);
    recorded.push(...write.recorded);
  }
  return { statements, recorded, effects, forced };
}
