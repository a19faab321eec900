-- Local development only (npm run dev): one organization and a known API key.
-- The key is rk_dev_local_development_key; only its SHA-256 is stored, as for every key.
INSERT OR IGNORE INTO organizations (id, name, created_at)
  VALUES ('org_dev', 'Development', '2026-01-01T00:00:00.000Z');
INSERT OR IGNORE INTO api_keys (id, org_id, name, key_hash, prefix, created_at)
  VALUES ('key_00000000000000000000000DEV', 'org_dev', 'development', '17cebd99e4ae58ccb4d5047b7cf627d4c4eb5921f636c0ff2eba7e701d5db351', 'rk_dev_', '2026-01-01T00:00:00.000Z');
-- The test payment gateway (no network; docs/money.md), so money routes work out of the box.
INSERT OR IGNORE INTO payment_gateways (org_id, id, type, created_at, updated_at)
  VALUES ('org_dev', 'gw_00000000000000000000000DEV', 'test', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
