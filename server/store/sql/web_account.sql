-- One account by name: account, display name, role, node id, the node's
-- jurisdiction, its name, password hash, disabled (bool), node revoked
-- (bool), then FQ_SQL_WEB_SERVES (9, 10, 11). Bound by its binder in
-- web/http.c.
SELECT a.account, a.display_name, a.role, a.node_id, n.jurisdiction, u.name, a.password_hash,
a.disabled_at IS NOT NULL, n.revoked_at IS NOT NULL, {{FQ_SQL_WEB_SERVES}} FROM web_accounts a JOIN
nodes n ON n.id = a.node_id JOIN org_units u ON u.id = n.jurisdiction WHERE a.account = $1
