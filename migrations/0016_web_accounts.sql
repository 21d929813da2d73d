-- 0016 web accounts: the people who use the web console (docs/web-console.md).
--
-- An account is a person, not a system: a display name (Chinese first), a
-- role, a password stored as libsodium's crypto_pwhash_str (Argon2id, with
-- its own salt and cost in the string). Each account is bound to a console
-- node of its own (nodes.id 'p.<account>', role 'console'): its jurisdiction
-- is the node's, the server checks it with the code that checks every
-- console, and every command it gives is an event whose actor is that node.
-- The node's key is random and never leaves the server: the account cannot
-- be used over nanomsg. Disabling an account revokes its node.
CREATE TABLE web_accounts (
    account              text PRIMARY KEY CHECK (account ~ '^[a-z0-9][a-z0-9._-]{0,39}$'),
    display_name         text NOT NULL CHECK (display_name <> '' AND length(display_name) <= 64),
    role                 text NOT NULL CHECK (role IN ('operator', 'supervisor', 'viewer')),
    node_id              text NOT NULL UNIQUE REFERENCES nodes (id),
    password_hash        text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    created_at           timestamptz NOT NULL DEFAULT now(),
    password_changed_at  timestamptz NOT NULL DEFAULT now(),
    disabled_at          timestamptz
);

-- A signed-in browser. The cookie carries a random token; only its SHA-256
-- is stored, so a dump of this table opens no session. The CSRF token goes
-- with every command the page sends (X-CSRF-Token).
CREATE TABLE web_sessions (
    token_hash   bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    account      text NOT NULL REFERENCES web_accounts (account),
    csrf_token   text NOT NULL CHECK (length(csrf_token) >= 32),
    remote       text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX web_sessions_account ON web_sessions (account) WHERE ended_at IS NULL;

-- Every attempt to sign in, kept: who was named (as typed, cut to 64
-- characters), from where, and what came of it.
CREATE TABLE web_logins (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    account   text NOT NULL CHECK (length(account) <= 64),
    remote    text NOT NULL DEFAULT '',
    outcome   text NOT NULL CHECK (outcome IN
                  ('ok', 'wrong_password', 'unknown_account', 'disabled', 'rate_limited', 'logout'))
);
CREATE INDEX web_logins_at ON web_logins (at);
