-- 0023 Open311 GeoReport v2 (docs/open311.md): the service codes of the
-- categories, and the API keys city hotline and 311 systems use.

-- A category is an Open311 service: its service_code (default: the category
-- code itself), the group it is listed under and its search keywords. The
-- service's name is the category's name.
ALTER TABLE categories
    ADD COLUMN open311_code text CHECK (open311_code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    ADD COLUMN open311_group text NOT NULL DEFAULT '' CHECK (length(open311_group) <= 100),
    ADD COLUMN open311_keywords text[] NOT NULL DEFAULT '{}';
-- Two categories never answer to one code (the category codes themselves
-- included).
CREATE UNIQUE INDEX categories_open311_code ON categories ((coalesce(open311_code, code)));

-- An API key acts as one platform node (a town or district platform): a POST
-- is a report from that node, a GET sees the node's jurisdiction. Only a
-- BLAKE2b-256 of the key is stored: the key is 32 random bytes, so a fast
-- hash cannot be reversed by trying keys (a slow password hash protects
-- secrets people choose, which can be guessed), and a dump of this table
-- opens nothing.
CREATE TABLE api_keys (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_hash     bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    key_prefix   text NOT NULL CHECK (length(key_prefix) BETWEEN 4 AND 12),  -- shown by 'list'
    node_id      text NOT NULL REFERENCES nodes (id),
    description  text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
CREATE INDEX api_keys_node ON api_keys (node_id);
