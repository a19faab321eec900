import { mintApiKey } from "../api-keys/api-keys.repository";
import { toApiKeyObject } from "../api-keys/api-keys.service";
import { inBackground } from "../lib/background";
import { nowIso } from "../lib/fields";
import { followUp } from "../lib/follow-up";
import { newId } from "../lib/ids";
import { liveCredential, rememberLiveCredential } from "../lib/live-credentials";
import type { AppRouteHandler } from "../lib/types";
import { insertOrganizationWithKey } from "./organizations.repository";
import type * as routes from "./organizations.routes";

export const createOrganization: AppRouteHandler<typeof routes.createOrganization> = async (c) => {
  const { name } = c.req.valid("json");
  const now = nowIso();
  const organization = { id: newId("org"), name, created_at: now };
  const key = await mintApiKey(organization.id, "default", now);
  await insertOrganizationWithKey(c.get("db"), organization, key);
  // So the key passes even from an address over its failure budget (lib/live-credentials.ts).
  await followUp(inBackground(c, "live-credential record"), () =>
    rememberLiveCredential(c.env.KV, liveCredential.apiKey(key.keyHash)),
  );
  return c.json(
    {
      organization: { object: "organization" as const, ...organization },
      api_key: { ...toApiKeyObject(key.row), secret: key.secret },
    },
    201,
  );
};
