import type { CustomerObject } from "../../customers/customers.schemas";
import type { FieldError } from "../../lib/errors";
import type { SignedIn } from "../guard";
import { BOOLEAN_COLUMNS, labelOf, type ProfileFormValues, TEXT_COLUMNS } from "../profile-form";
import { CardTable, type Field, FieldList, FormTokens, Notice, Time, Value } from "./layout";

export const customerPath = (id: string) => `/console/customers/${encodeURIComponent(id)}`;

/** Every profile field as it is stored now. */
export const ProfileList = ({ customer }: { customer: CustomerObject }) => (
  <FieldList
    fields={[
      ["ID", <code>{customer.id}</code>],
      ...TEXT_COLUMNS.map((column): Field => [labelOf(column), <Value value={customer[column]} />]),
      ...BOOLEAN_COLUMNS.map((column): Field => [labelOf(column), customer[column] ? "yes" : "no"]),
      ["Has payment method", customer.has_payment_method ? "yes" : "no"],
      ["Created", <Time iso={customer.created_at} />],
      ["Updated", <Time iso={customer.updated_at} />],
    ]}
  />
);

const INPUT_TYPES: Partial<Record<string, string>> = { email: "email", phone: "tel" };

/** What the form says after a refused or conflicting save. */
export type ProfileDraft = {
  /** The values as sent (refused input); absent after a conflict, when the form shows the stored values. */
  values?: ProfileFormValues;
  problem: string;
  errors: FieldError[];
  /** After a conflict: what the form held that differs from the current values (not saved). */
  unsaved?: [label: string, value: string][];
};

type FormProps = {
  who: SignedIn;
  customer: CustomerObject;
  etag: string;
  values: ProfileFormValues;
  draft?: ProfileDraft;
};

/**
 * The edit form, sent with the ETag the page showed (If-Match): if someone else changed the
 * customer meanwhile, nothing is saved and the form comes back with the fresh values.
 */
export function ProfileForm({ who, customer, etag, values, draft }: FormProps) {
  const errorOf = (column: string) => draft?.errors.find((error) => error.pointer === `/${column}`)?.detail;
  return (
    <details class="panel" open={draft !== undefined}>
      <summary>Edit profile</summary>
      {draft && (
        <Notice kind="error">
          <p>{draft.problem}</p>
          {draft.unsaved && draft.unsaved.length > 0 && (
            <>
              <p>Your form held (not saved):</p>
              <ul>
                {draft.unsaved.map(([label, value]) => (
                  <li>{`${label}: ${value}`}</li>
                ))}
              </ul>
            </>
          )}
          {draft.errors.length > 0 && (
            <ul>
              {draft.errors.map((error) => (
                <li>
                  <code>{error.pointer}</code> {error.detail}
                </li>
              ))}
            </ul>
          )}
        </Notice>
      )}
      <form method="post" action={`${customerPath(customer.id)}/edit`} class="grid-form">
        <FormTokens who={who} />
        <input type="hidden" name="etag" value={etag} />
        {TEXT_COLUMNS.map((column) => (
          <div class="field">
            <label for={`f-${column}`}>{labelOf(column)}</label>
            <input
              id={`f-${column}`}
              name={column}
              type={INPUT_TYPES[column] ?? "text"}
              value={values.text[column]}
              aria-invalid={errorOf(column) ? "true" : undefined}
              aria-describedby={errorOf(column) ? `e-${column}` : undefined}
            />
            {errorOf(column) && (
              <span class="field-error" id={`e-${column}`}>
                {errorOf(column)}
              </span>
            )}
          </div>
        ))}
        {BOOLEAN_COLUMNS.map((column) => (
          <div class="field check">
            <input id={`f-${column}`} name={column} type="checkbox" checked={values.flags[column]} />
            <label for={`f-${column}`}>{labelOf(column)}</label>
          </div>
        ))}
        <fieldset class="field-pair">
          <legend>Set a metadata key (optional)</legend>
          <div class="field">
            <label for="f-metadata_key">Key</label>
            <input id="f-metadata_key" name="metadata_key" value={values.metadataKey} />
          </div>
          <div class="field">
            <label for="f-metadata_value">Value</label>
            <input id="f-metadata_value" name="metadata_value" value={values.metadataValue} />
          </div>
        </fieldset>
        <div class="actions">
          <button type="submit">Save changes</button>
        </div>
      </form>
    </details>
  );
}

/** The metadata, each key with its own remove button. */
export function MetadataTable({ who, customer }: { who: SignedIn; customer: CustomerObject }) {
  const entries = Object.entries(customer.metadata);
  if (entries.length === 0) return <p class="muted">No metadata.</p>;
  return (
    <CardTable
      columns={["Key", "Value", null]}
      rows={entries}
      cells={([key, value]) => [
        <code>{key}</code>,
        JSON.stringify(value),
        <form method="post" action={`${customerPath(customer.id)}/metadata/remove`} class="inline">
          <FormTokens who={who} />
          <input type="hidden" name="key" value={key} />
          <button type="submit" class="secondary" aria-label={`Remove metadata key ${key}`}>
            Remove
          </button>
        </form>,
      ]}
    />
  );
}
