-- A live session by its token hash ($1): account, display name, role, node
-- id, jurisdiction, its name, CSRF token, expires_at (epoch ms), then
-- FQ_SQL_WEB_SERVES (8, 9, 10). No row: no such session, ended, expired,
-- account disabled or node revoked. Bound by its binder in web/http.c.
SELECT a.account, a.display_name, a.role, a.node_id, n.jurisdiction, u.name, s.csrf_token,
(extract(epoch FROM s.expires_at) * 1000)::bigint, {{FQ_SQL_WEB_SERVES}} FROM web_sessions s JOIN
web_accounts a ON a.account = s.account JOIN nodes n ON n.id = a.node_id JOIN org_units u ON u.id =
n.jurisdiction WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now() AND
a.disabled_at IS NULL AND n.revoked_at IS NULL
