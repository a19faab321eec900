import { type ColumnsOfKind, PROFILE_COLUMNS, PROFILE_SPEC, TEXT_COLUMNS } from "../customer-records/customer-columns";
import type { CustomerObject, UpdateInput } from "../customers/customers.schemas";
import { UpdateCustomerBody } from "../customers/customers.schemas";
import { ApiError } from "../lib/errors";
import { fieldErrorsFrom } from "../lib/validation-hook";

/**
 * The profile form: one input per profile column of the column table (text inputs, checkboxes
 * for booleans), plus one metadata key to set. What it sends becomes a PATCH body of only the
 * fields that differ from the customer as the page showed it, checked by the API's own schema.
 */

export const BOOLEAN_COLUMNS = PROFILE_COLUMNS.filter(
  (column) => PROFILE_SPEC[column].kind === "boolean",
) as ColumnsOfKind<"boolean">[];

export { TEXT_COLUMNS };

type TextColumn = (typeof TEXT_COLUMNS)[number];
type BooleanColumn = (typeof BOOLEAN_COLUMNS)[number];

/** The form's values as the inputs show them. */
export type ProfileFormValues = {
  text: Record<TextColumn, string>;
  flags: Record<BooleanColumn, boolean>;
  metadataKey: string;
  metadataValue: string;
};

const LABELS: Partial<Record<string, string>> = { alternative_id: "Alternative ID", coupon_id: "Coupon ID" };

/** `first_name` → "First name". */
export const labelOf = (column: string) =>
  LABELS[column] ?? `${column.charAt(0).toUpperCase()}${column.slice(1).replaceAll("_", " ")}`;

export function formValuesOf(customer: CustomerObject): ProfileFormValues {
  return {
    text: Object.fromEntries(TEXT_COLUMNS.map((column) => [column, customer[column] ?? ""])) as Record<
      TextColumn,
      string
    >,
    flags: Object.fromEntries(BOOLEAN_COLUMNS.map((column) => [column, customer[column]])) as Record<
      BooleanColumn,
      boolean
    >,
    metadataKey: "",
    metadataValue: "",
  };
}

/** The values as sent: text as typed (an empty input clears the field), an unchecked box is false. */
export function formValuesFrom(form: URLSearchParams): ProfileFormValues {
  return {
    text: Object.fromEntries(TEXT_COLUMNS.map((column) => [column, form.get(column) ?? ""])) as Record<
      TextColumn,
      string
    >,
    flags: Object.fromEntries(BOOLEAN_COLUMNS.map((column) => [column, form.get(column) === "on"])) as Record<
      BooleanColumn,
      boolean
    >,
    metadataKey: form.get("metadata_key") ?? "",
    metadataValue: form.get("metadata_value") ?? "",
  };
}

/**
 * The PATCH body: the fields whose sent value differs from the customer's, validated by the
 * API's `UpdateCustomer` schema (a problem is the API's `400 validation_failed`, naming the field).
 */
export function patchFrom(values: ProfileFormValues, current: CustomerObject): UpdateInput {
  const body: Record<string, unknown> = {};
  for (const column of TEXT_COLUMNS) {
    const sent = values.text[column].trim() === "" ? null : values.text[column];
    if (sent !== current[column]) body[column] = sent;
  }
  for (const column of BOOLEAN_COLUMNS) {
    if (values.flags[column] !== current[column]) body[column] = values.flags[column];
  }
  if (values.metadataKey !== "" || values.metadataValue !== "") {
    body.metadata = { [values.metadataKey]: values.metadataValue };
  }
  const parsed = UpdateCustomerBody.safeParse(body);
  if (!parsed.success) {
    const errors = fieldErrorsFrom("json", parsed.error);
    throw new ApiError("validation_failed", "Some fields are not valid; nothing was saved.", { errors });
  }
  return parsed.data;
}

/** What the form held where it differs from the customer as stored now (shown after a conflict, so nothing typed is lost). */
export function unsavedValues(values: ProfileFormValues, current: CustomerObject): [label: string, value: string][] {
  const differences: [string, string][] = [];
  for (const column of TEXT_COLUMNS) {
    const sent = values.text[column].trim() === "" ? null : values.text[column];
    if (sent !== current[column]) differences.push([labelOf(column), sent ?? "(empty)"]);
  }
  for (const column of BOOLEAN_COLUMNS) {
    if (values.flags[column] !== current[column])
      differences.push([labelOf(column), values.flags[column] ? "yes" : "no"]);
  }
  if (values.metadataKey !== "") differences.push([`Metadata ${values.metadataKey}`, values.metadataValue]);
  return differences;
}
