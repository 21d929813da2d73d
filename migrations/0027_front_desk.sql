-- 0027 front-desk acceptance (综合受理, docs/front-desk.md).
--
-- A receptionist (web account role 'receptionist') registers a case for a
-- visitor or a caller at the service window or on the hotline. The case is
-- a report of the receptionist's console node through the intake's very
-- path (validation, routing, dedup, idempotency, history); the person who
-- raised it is kept here, apart from the incident, because it is personal
-- data: the incident and its history carry only the masked forms.
ALTER TABLE web_accounts DROP CONSTRAINT web_accounts_role_check;
ALTER TABLE web_accounts ADD CONSTRAINT web_accounts_role_check
    CHECK (role IN ('operator', 'supervisor', 'viewer', 'worker', 'receptionist'));

-- Keys of the server's own, each sealed under the server key like a node's
-- key (keyseal.h: XChaCha20-Poly1305, the associated data 'sealed_keys/' ||
-- name): 'frontdesk' is the personal-data key below, made by the server at
-- its first need. `fengqiao-admin server-key rotate` re-seals these rows with
-- the nodes', so a rotation changes no personal-data key and re-encrypts
-- nothing.
CREATE TABLE sealed_keys (
    name        text PRIMARY KEY,
    key_sealed  bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The person of a registered case. Name, phone and identity number are
-- each sealed (libsodium crypto_secretbox: nonce || box) under a key derived
-- from the personal-data key (sealed_keys 'frontdesk'), so a database dump
-- alone reveals none of them; each
-- has a keyed BLAKE2b-256 of its normalised form for lookups (the same
-- person's or phone's other cases, 重复信访) and a masked form for lists.
CREATE TABLE case_parties (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id    bigint NOT NULL UNIQUE REFERENCES incidents (id),
    -- ReportIncident.matter: 1 complaint (投诉/信访事项), 2 consult (咨询),
    -- 3 legal aid (法律援助申请), 4 help (求助), 5 dispute (矛盾纠纷).
    matter         smallint NOT NULL CHECK (matter BETWEEN 1 AND 5),
    name_masked    text NOT NULL CHECK (length(name_masked) BETWEEN 1 AND 100),
    name_sealed    bytea NOT NULL,
    name_hash      bytea NOT NULL CHECK (length(name_hash) = 32),
    phone_masked   text NOT NULL DEFAULT '',
    phone_sealed   bytea,
    phone_hash     bytea CHECK (length(phone_hash) = 32),
    id_masked      text NOT NULL DEFAULT '',
    id_sealed      bytea,
    id_hash        bytea CHECK (length(id_hash) = 32),
    registered_by  text NOT NULL,  -- the receptionist's account
    registered_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_parties_name ON case_parties (name_hash);
CREATE INDEX case_parties_phone ON case_parties (phone_hash) WHERE phone_hash IS NOT NULL;
CREATE INDEX case_parties_id_number ON case_parties (id_hash) WHERE id_hash IS NOT NULL;

-- Every look at a person's full data: who, when, which person, from where.
-- Append-only like the history.
CREATE TABLE person_reveals (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    party_id  bigint NOT NULL REFERENCES case_parties (id),
    account   text NOT NULL,
    role      text NOT NULL,
    remote    text NOT NULL DEFAULT '',
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX person_reveals_party ON person_reveals (party_id, at);
CREATE TRIGGER person_reveals_no_update BEFORE UPDATE OR DELETE ON person_reveals
    FOR EACH ROW EXECUTE FUNCTION fq_refuse_change();
CREATE TRIGGER person_reveals_no_truncate BEFORE TRUNCATE ON person_reveals
    FOR EACH STATEMENT EXECUTE FUNCTION fq_refuse_change();

-- A category's keywords (topology: "keywords"), which the front desk ranks
-- categories by against a case's title and description.
ALTER TABLE categories ADD COLUMN keywords text[] NOT NULL DEFAULT '{}';

-- Addresses people name (topology: a grid's or village's "addresses"),
-- picked at the front desk to place a case.
CREATE TABLE addresses (
    unit  text NOT NULL REFERENCES org_units (id),
    text  text NOT NULL CHECK (length(text) BETWEEN 1 AND 200),
    lat   double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lng   double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
    PRIMARY KEY (unit, text)
);
CREATE INDEX addresses_text_trgm ON addresses USING gin (text gin_trgm_ops);
