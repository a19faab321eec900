import type { CustomerRow } from "../customer-records/customer-columns";
import { indexCustomersStatements } from "../customer-search/search-index.repository";
import { recordEventsStatements } from "../events/events.repository";
import { enabledSelectorsStatement, fanOutSize } from "../events/fan-out.repository";
import { rowsOf, runBatch } from "../lib/batch";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/fields";
import { newId } from "../lib/ids";
import { type KeepAnswer, keepNothing } from "../lib/kept-answer";
import { fieldErrorsFrom } from "../lib/validation-hook";
import {
  activeSubscriptionKeysStatement,
  activeSubscriptionsOfIdentitiesStatement,
  importSubscriptionsStatement,
  type SubscriptionRow,
} from "../subscriptions/subscriptions.repository";
import { keptWithEvents } from "./customer-events";
import type { CustomerDeps } from "./customers.service";
import { importLookupStatements, importWriteStatements } from "./import.repository";
import { spendImportBudget } from "./import-budget";
import { importEvents } from "./import-events";
import {
  checkGatewayItemsCap,
  type ItemGatewayWrite,
  importGatewayStatements,
  prepareImportGateway,
  writeImportGateway,
} from "./import-gateway";
import { checkEmails, failure } from "./import-items";
import { type ItemPlan, planAll } from "./import-planner";
import { type ImportItemResult, MAX_IMPORT_DELIVERIES, ProvisionBody } from "./provision.schemas";

/** The items' results when every planned write lands: each plan succeeds as planned. */
function reportIfAllLand(results: ImportItemResult[], plans: ItemPlan[]): ImportItemResult[] {
  const report = [...results];
  for (const plan of plans)
    report[plan.index] = { index: plan.index, status: plan.status, id: plan.customerId, error: null };
  return report;
}

const concurrentChange = () =>
  new ApiError(
    "storage_unavailable",
    "The customer changed while this import ran; nothing was written for this item. Retry it.",
  );

const fanOutTooLarge = (deliveries: number) =>
  new ApiError(
    "import_fan_out_too_large",
    `This import would create ${deliveries} event deliveries (its events × the destinations that select them); at most ${MAX_IMPORT_DELIVERIES} per import. Nothing was written: send it in smaller parts.`,
  );

/**
 * Bulk upsert: every item as by provision, atomically per item, in order. Three D1 round trips
 * whatever the size (the budget's claim, one batch of lookups, one of set-based writes; items go
 * in as JSON, never one parameter each); items with gateway options add their gateway calls and a
 * few reads before the writes (import-gateway.ts).
 */
export async function importAll(
  deps: CustomerDeps,
  items: unknown[],
  keep: KeepAnswer<ImportItemResult[]> = keepNothing,
): Promise<ImportItemResult[]> {
  const budget = await spendImportBudget(deps, items.length);
  const writes = { sent: false };
  try {
    return await importSpent(deps, items, keep, writes);
  } catch (error) {
    // Refused whole (a 413) or failed before its writes were sent: it wrote nothing, so it spent nothing.
    if (!writes.sent) await budget.refund();
    throw error;
  }
}

async function importSpent(
  deps: CustomerDeps,
  items: unknown[],
  keep: KeepAnswer<ImportItemResult[]>,
  writes: { sent: boolean },
): Promise<ImportItemResult[]> {
  const { db, orgId } = deps;
  const results: ImportItemResult[] = new Array(items.length);
  let valid: { index: number; body: ProvisionBody }[] = [];
  items.forEach((item, index) => {
    const parsed = ProvisionBody.safeParse(item);
    if (parsed.success) valid.push({ index, body: parsed.data });
    else {
      const errors = fieldErrorsFrom("json", parsed.error);
      results[index] = failure(index, new ApiError("validation_failed", `Item ${index} is invalid.`, { errors }));
    }
  });

  const fail = (index: number, error: ApiError) => {
    results[index] = failure(index, error);
  };
  const notFailed = ({ index }: { index: number }) => results[index] === undefined;
  // As provision orders them: the email DNS checks, then the gateway's; the gateway items' cap
  // first of all (it refuses the whole import before anything is asked).
  checkGatewayItemsCap(valid);
  valid = await checkEmails(deps, valid, results);
  const gatewayItems = await prepareImportGateway(deps, valid, fail);
  valid = valid.filter(notFailed);

  const keys = {
    ids: new Set<string>(),
    alternativeIds: new Set<string>(),
    emails: new Set<string>(),
    usernames: new Set<string>(),
  };
  for (const { body } of valid) {
    if (body.id !== undefined) keys.ids.add(body.id);
    if (body.alternative_id !== undefined) keys.alternativeIds.add(body.alternative_id);
    if (body.email) keys.emails.add(body.email.toLowerCase());
    if (body.username) keys.usernames.add(body.username.toLowerCase());
  }
  const ids = [...keys.ids];
  const alternativeIds = [...keys.alternativeIds];
  // The lookups' round trip: everything the decisions need.
  const selectors = enabledSelectorsStatement(db, orgId);
  const customerLookups = importLookupStatements(db, orgId, {
    ids,
    alternativeIds,
    emails: [...keys.emails],
    usernames: [...keys.usernames],
  });
  const activeBefore = activeSubscriptionsOfIdentitiesStatement(db, orgId, ids, alternativeIds);
  const lookups = await runBatch(db, [selectors, ...customerLookups, activeBefore]);
  const destinations = rowsOf<{ event_types: string }>(lookups, selectors);
  const subscriptions = rowsOf<SubscriptionRow>(lookups, activeBefore);
  const known = customerLookups.flatMap((lookup) => rowsOf<CustomerRow>(lookups, lookup));

  const freshIds = new Map(valid.map(({ index }) => [index, newId("cus")]));
  const now = nowIso();
  const gatewayDone = new Map<number, ItemGatewayWrite>();
  let round = planAll(known, subscriptions, freshIds, valid);
  // An item the gateway refuses leaves the plan: plan again without it (its gateway work is kept).
  while (gatewayItems.size > 0) {
    const targets = round.plans.map((plan) => ({ ...plan, ...round.planner.target(plan.customerId) }));
    if ((await writeImportGateway(deps, gatewayItems, targets, gatewayDone, now, fail)) === 0) break;
    valid = valid.filter(notFailed);
    round = planAll(known, subscriptions, freshIds, valid);
  }
  const { planner, plans } = round;
  for (const [index, error] of round.failures) results[index] = failure(index, error);
  const gateway = importGatewayStatements(deps, [...gatewayDone.values()], now);

  // The writes' round trip: every write, set-based, then what is active afterwards.
  const { inserts, updates, versions } = planner.writes(gateway.forced);
  const planned = planner.subscriptions;
  const newEvents = importEvents(orgId, inserts, updates, planned, versions, now, gateway.effects);
  const paymentMethodEvents = gateway.recorded.flatMap((recorded) =>
    recorded.eventIds.map(() => "payment_method.created"),
  );
  const deliveries = fanOutSize(destinations, [...newEvents.map((event) => event.type), ...paymentMethodEvents]);
  if (deliveries > MAX_IMPORT_DELIVERIES) throw fanOutTooLarge(deliveries);
  const events = recordEventsStatements(db, {
    orgId,
    requestId: deps.events.requestId,
    createdAt: now,
    events: newEvents,
  });
  const customerWrites = importWriteStatements(db, orgId, inserts, updates, now);
  const activeAfter = activeSubscriptionKeysStatement(db, orgId, [
    ...new Set(planned.map((subscription) => subscription.customer_id)),
  ]);
  const statements = [
    customerWrites.release,
    customerWrites.insert,
    customerWrites.update,
    customerWrites.restore,
    importSubscriptionsStatement(
      db,
      orgId,
      planned.map(({ item: _, ...subscription }) => ({
        ...subscription,
        customer_version: versions.get(subscription.customer_id) ?? 0,
      })),
      now,
    ),
    activeAfter,
    // Set-based, whatever the item count: each event exists only if its write landed.
    ...events.statements,
    // The gateway items' links and imported payment methods, each landing only with its customer's write.
    ...gateway.statements,
    // The search index of every customer written, guarded by the values it was built from.
    ...indexCustomersStatements(
      db,
      [...inserts, ...updates].map(({ id, profile }) => ({ orgId, id, profile })),
    ),
    // The report as it is when every write lands, kept only then (else after the handler).
    ...(events.eventIds.length + gateway.recorded.length
      ? keptWithEvents(keep, reportIfAllLand(results, plans), deps, [events, ...gateway.recorded])
      : []),
  ];
  writes.sent = true;
  const batch = await runBatch(db, statements);
  deps.events.committed(orgId, [events, ...gateway.recorded], batch.statements, batch.results);

  // A customer's write either landed or was skipped by a concurrent change: its items share the fate.
  const landed = new Set(
    [
      ...rowsOf<{ id: string }>(batch, customerWrites.insert),
      ...rowsOf<{ id: string }>(batch, customerWrites.update),
    ].map((row) => row.id),
  );
  const written = new Set([...inserts, ...updates].map((write) => write.id));
  for (const [id] of versions) if (!written.has(id)) landed.add(id);
  const activeKeys = new Set(
    rowsOf<SubscriptionRow>(batch, activeAfter).map((row) =>
      JSON.stringify([row.customer_id, row.plan_id, row.resource_id]),
    ),
  );
  const subscriptionMissing = new Set(
    planned
      .filter(
        (subscription) =>
          !activeKeys.has(JSON.stringify([subscription.customer_id, subscription.plan_id, subscription.resource_id])),
      )
      .map((subscription) => subscription.item),
  );
  for (const plan of plans) {
    results[plan.index] =
      landed.has(plan.customerId) && !subscriptionMissing.has(plan.index)
        ? { index: plan.index, status: plan.status, id: plan.customerId, error: null }
        : failure(plan.index, concurrentChange());
  }
  return results;
}
