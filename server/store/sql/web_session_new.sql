-- A new session and its 'ok' sign-in row. $1 token hash (bytea), $2 account,
-- $3 CSRF token, $4 remote, $5 life in seconds. Out: expires_at (epoch ms).
-- Bound by its binder in web/http.c.
WITH s AS (INSERT INTO web_sessions (token_hash, account, csrf_token, remote, expires_at) VALUES
($1, $2, $3, $4, now() + $5::int * interval '1 second') RETURNING expires_at), l AS (INSERT INTO
web_logins (account, remote, outcome) VALUES ($2, $4, 'ok')) SELECT (extract(epoch FROM expires_at)
* 1000)::bigint FROM s
