-- Ends a session ($1 token hash) with a 'logout' row ($2 remote). Bound by
-- its binder in web/http.c.
WITH s AS (UPDATE web_sessions SET ended_at = now() WHERE token_hash = $1 AND ended_at IS NULL
RETURNING account) INSERT INTO web_logins (account, remote, outcome) SELECT account, $2, 'logout'
FROM s
