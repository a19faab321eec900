import { ApiError } from "../lib/errors";
import { canonicalLanguage, MAX_METADATA_KEYS, type Metadata } from "./customers.fields";
import { type CustomerProfile, type CustomerRow, PROFILE_COLUMNS } from "./customers.repository";
import type { ProfileInput } from "./customers.schemas";

/** The profile columns `applyProfileInput` does not take as sent: it normalizes these itself. */
const NORMALIZED_FIELDS = ["language", "mail_marketing", "tele_marketing", "metadata"] as const;

type StringField = Exclude<(typeof PROFILE_COLUMNS)[number], (typeof NORMALIZED_FIELDS)[number]>;

/** Every other profile column: a string, or null to clear it, stored as sent. */
const STRING_FIELDS = PROFILE_COLUMNS.filter(
  (column): column is StringField => !(NORMALIZED_FIELDS as readonly string[]).includes(column),
);

export const EMPTY_PROFILE: CustomerProfile = {
  alternative_id: null,
  email: null,
  name: null,
  first_name: null,
  last_name: null,
  display_name: null,
  username: null,
  phone: null,
  company: null,
  language: null,
  timezone: null,
  mail_marketing: false,
  tele_marketing: false,
  coupon_id: null,
  metadata: {},
};

export function profileOf(row: CustomerRow): CustomerProfile {
  return {
    alternative_id: row.alternative_id,
    email: row.email,
    name: row.name,
    first_name: row.first_name,
    last_name: row.last_name,
    display_name: row.display_name,
    username: row.username,
    phone: row.phone,
    company: row.company,
    language: row.language,
    timezone: row.timezone,
    mail_marketing: row.mail_marketing === 1,
    tele_marketing: row.tele_marketing === 1,
    coupon_id: row.coupon_id,
    metadata: JSON.parse(row.metadata) as Metadata,
  };
}

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
  for (const field of STRING_FIELDS) {
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
