-- A sign-in attempt that opened nothing: $1 the account as typed (cut to 64
-- characters), $2 remote, $3 outcome. Bound by its binder in web/http.c.
INSERT INTO web_logins (account, remote, outcome) VALUES (left($1, 64), $2, $3)
