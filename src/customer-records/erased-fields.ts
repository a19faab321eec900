import { ADDRESS_PII_COLUMNS } from "./address-columns";
import { PII_COLUMNS } from "./customer-columns";
import { PAYMENT_METHOD_PII_COLUMNS } from "./payment-method-columns";

/**
 * Which fields of the records under a customer are PII: an archive erases them from the
 * customer row, deletes the addresses and payment methods that hold the rest, and nulls all of
 * them in every copy kept elsewhere (kept Idempotency-Key responses, stored events). The
 * customer's, the addresses' and the payment methods' come from their column tables
 * (`PROFILE_SPEC`, `ADDRESS_SPEC`, `PAYMENT_METHOD_SPEC`), and `test/erased-fields.test.ts`
 * holds each list to its table's columns.
 * Where they are erased: `customers/erasure.ts`.
 */
export { ADDRESS_PII_COLUMNS, PAYMENT_METHOD_PII_COLUMNS };

/** Every field an archive erases wherever a copy of the customer's records is kept. */
export const ERASED_FIELDS: readonly string[] = [...PII_COLUMNS, ...ADDRESS_PII_COLUMNS, ...PAYMENT_METHOD_PII_COLUMNS];
