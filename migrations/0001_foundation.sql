-- 0001 foundation: the organisation tree, nodes, incidents, the event log
-- and the audit of rejected requests.

CREATE TABLE org_units (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    kind        text NOT NULL CHECK (kind IN ('district', 'town', 'village', 'grid')),
    parent_id   text REFERENCES org_units (id),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- The tree is district -> town -> village -> grid; only a district has no parent.
    CHECK ((kind = 'district') = (parent_id IS NULL))
);
CREATE INDEX org_units_parent ON org_units (parent_id);

-- A node is anything that talks to fengqiao: a town platform system, a grid
-- node, a field terminal, a console, an admin tool. Its 32-byte key is stored
-- sealed (XChaCha20-Poly1305 under the server key, which never enters the
-- database), so a dump of the database alone does not reveal it.
CREATE TABLE nodes (
    id            text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    role          text NOT NULL CHECK (role IN ('town_platform', 'grid_node', 'terminal', 'console', 'admin')),
    jurisdiction  text NOT NULL REFERENCES org_units (id),
    key_sealed    bytea NOT NULL,
    description   text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);

CREATE TABLE incidents (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reporter_node   text NOT NULL REFERENCES nodes (id),
    message_id      bigint NOT NULL CHECK (message_id > 0),
    -- BLAKE2b-256 of the report body: a reused message id with another body is a conflict.
    body_digest     bytea NOT NULL CHECK (length(body_digest) = 32),
    category        text NOT NULL,
    severity        smallint NOT NULL CHECK (severity BETWEEN 1 AND 4),
    risk            smallint NOT NULL CHECK (risk BETWEEN 1 AND 3),
    channel         smallint NOT NULL CHECK (channel BETWEEN 1 AND 6),
    place_unit      text NOT NULL REFERENCES org_units (id),
    lon             double precision CHECK (lon BETWEEN -180 AND 180),
    lat             double precision CHECK (lat BETWEEN -90 AND 90),
    address         text NOT NULL DEFAULT '',
    title           text NOT NULL,
    description     text NOT NULL DEFAULT '',
    occurred_at     timestamptz,
    external_ref    text NOT NULL DEFAULT '',
    reporter_name   text NOT NULL DEFAULT '',
    reporter_phone  text NOT NULL DEFAULT '',
    state           text NOT NULL DEFAULT 'reported',
    sent_at         timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((lon IS NULL) = (lat IS NULL)),
    -- The idempotency key: a request resent by REQ or replayed creates nothing new.
    UNIQUE (reporter_node, message_id)
);
CREATE INDEX incidents_place ON incidents (place_unit);
CREATE INDEX incidents_recorded ON incidents (recorded_at);

-- Every state change of an incident is one row, never updated or deleted.
CREATE TABLE events (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id  bigint NOT NULL REFERENCES incidents (id),
    kind         text NOT NULL,
    actor_node   text NOT NULL REFERENCES nodes (id),
    at           timestamptz NOT NULL DEFAULT now(),
    reason       text NOT NULL DEFAULT '',
    payload      bytea  -- the request's envelope bytes exactly as received and MACed
);
CREATE INDEX events_incident ON events (incident_id, seq);

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events is append-only: % refused', TG_OP;
END $$;
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- Requests refused before anything was stored (malformed, unauthenticated,
-- forbidden, stale, invalid): the audit trail. Rate-limited by the server.
CREATE TABLE rejected_requests (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    endpoint      text NOT NULL,
    claimed_node  text NOT NULL DEFAULT '',  -- as the request said; not proof of anything
    message_id    bigint,
    status        text NOT NULL,
    reason        text NOT NULL,
    frame_bytes   integer NOT NULL,
    frame_digest  bytea NOT NULL
);
CREATE INDEX rejected_requests_at ON rejected_requests (at);
