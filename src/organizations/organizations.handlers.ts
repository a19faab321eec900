import { mintApiKey } from "../api-keys/api-keys.repository";
import { toApiKeyObject } from "../api-keys/api-keys.service";
import { nowIso } from "../lib/fields";
import { newId } from "../lib/ids";
import type { AppRouteHandler } from "../lib/types";
import { insertOrganizationWithKey } from "./organizations.repository";
import type * as routes from "./organizations.routes";

export const createOrganization: AppRouteHandler<typeof routes.createOrganization> = async (c) => {
  const { name } = c.req.valid("json");
  const now = nowIso();
  const organization = { id: newId("org"), name, created_at: now };
  const key = await mintApiKey(organization.id, "default", now);
  await insertOrganizationWithKey(c.get("db"), organization, key);
  return c.json(
    {
      organization: { object: "organization" as const, ...organization },
      api_key: { ...toApiKeyObject(key.row), secret: key.secret },
    },
    201,
  );
};
