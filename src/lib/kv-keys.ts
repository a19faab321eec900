import { sha256Hex } from "./crypto";

/**
 * Every KV key Roster writes is built here, under one versioned prefix, so a change of
 * value format can move to `v2:` without reading old entries. Raw caller values never appear
 * in a key: an alternative ID can be 1,024 UTF-8 bytes (KV's limit is 512) and may be PII.
 */
const PREFIX = "v1";

export const kvKeys = {
  /** alternative ID → customer id. Value: the customer id. TTL: ALTERNATIVE_ID_TTL_SECONDS. */
  async alternativeId(orgId: string, alternativeId: string): Promise<string> {
    return `${PREFIX}:altid:${orgId}:${await sha256Hex(alternativeId)}`;
  },
};

/** Entries expire on their own, so one orphaned by a lost write cannot linger. */
export const ALTERNATIVE_ID_TTL_SECONDS = 24 * 60 * 60;
