import { toApiKeyObject } from "../api-keys/api-keys.service";
import { inBackground } from "../lib/background";
import { followUp } from "../lib/follow-up";
import { liveCredential, rememberLiveCredential } from "../lib/live-credentials";
import type { AppRouteHandler } from "../lib/types";
import type * as routes from "./organizations.routes";
import * as service from "./organizations.service";

export const createOrganization: AppRouteHandler<typeof routes.createOrganization> = async (c) => {
  const { name } = c.req.valid("json");
  const { organization, key } = await service.createOrganization(c.get("db"), name);
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
