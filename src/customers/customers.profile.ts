import {
  type CustomerProfile,
  type CustomerRow,
  EMPTY_PROFILE,
  profileOf,
  TEXT_COLUMNS,
} from "../customer-records/customer-columns";
import { ApiError } from "../lib/errors";
import { MAX_METADATA_KEYS, type Metadata } from "../lib/metadata";
import { canonicalLanguage } from "./customers.fields";
import type { ProfileInput } from "./customers.schemas";

/** The text columns taken as sent (a string, or null to clear it); `language` is canonicalized. */
const AS_SENT_COLUMNS = TEXT_COLUMNS.filter(
  (column): column is Exclude<(typeof TEXT_COLUMNS)[number], "language"> => column !== "language",
);

function withoutNulls(metadata: Record<string, string | number | boolean | null>): Metadata {
  return Object.fromEntries(Object.entries(metadata).filter(([, value]) => value !== null)) as Metadata;
}

function checkMetadataSize(metadata: Metadata): Metadata {
  const count = Object.keys(metadata).length;
  if (count > MAX_METADATA_KEYS) {
    throw new ApiError(
      "validation_failed",
      `metadata would have ${count} keys; at most ${MAX_METADATA_KEYS} are allowed.`,
      {
        errors: [
          { pointer: "/metadata", detail: `would have ${count} keys after the merge; at most ${MAX_METADATA_KEYS}` },
        ],
      },
    );
  }
  return metadata;
}

/**
 * Applies the fields present in `input` to `base`: a field sent as null is cleared (booleans
 * reset to false), an absent one is kept. `metadata` merges key by key unless `replaceMetadata`.
 */
export function applyProfileInput(
  base: CustomerProfile,
  input: ProfileInput,
  replaceMetadata: boolean,
): CustomerProfile {
  const next: CustomerProfile = { ...base };
  for (const field of AS_SENT_COLUMNS) {
    const value = input[field];
    if (value !== undefined) next[field] = value;
  }
  if (input.language !== undefined) next.language = input.language === null ? null : canonicalLanguage(input.language);
  if (input.mail_marketing !== undefined) next.mail_marketing = input.mail_marketing ?? false;
  if (input.tele_marketing !== undefined) next.tele_marketing = input.tele_marketing ?? false;
  if (input.metadata === null) next.metadata = {};
  else if (input.metadata !== undefined) {
    next.metadata = replaceMetadata
      ? withoutNulls(input.metadata)
      : checkMetadataSize(withoutNulls({ ...base.metadata, ...input.metadata }));
  }
  return next;
}

/** Create: every field not sent is unset. */
export const profileForCreate = (input: ProfileInput) => applyProfileInput(EMPTY_PROFILE, input, true);

/** PATCH: only the fields sent change; metadata merges. */
export const profileForPatch = (row: CustomerRow, input: ProfileInput) =>
  applyProfileInput(profileOf(row), input, false);

/** PUT: a full replace, except that the alternative ID changes only when sent. */
export const profileForPut = (row: CustomerRow, input: ProfileInput) =>
  applyProfileInput({ ...EMPTY_PROFILE, alternative_id: row.alternative_id }, input, true);

export function sameProfile(a: CustomerProfile, b: CustomerProfile): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
