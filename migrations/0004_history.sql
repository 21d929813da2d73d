-- 0004 history: the event log becomes durable, tamper-evident history
-- (docs/history.md). `events` is partitioned by month on `at`, and every
-- event carries a SHA-256 hash chained over its predecessor in seq order.
-- The existing rows are kept with their seqs, and hashed in seq order here.

-- ---- the hashed bytes ----
-- len-prefixed bytes: 4-byte big-endian length, then the bytes; NULL is the
-- length 0xffffffff and nothing else (so NULL and '' differ).
CREATE FUNCTION fq_lp(b bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN b IS NULL THEN '\xffffffff'::bytea ELSE int4send(length(b)) || b END
$$;

-- hash = SHA-256(prev_hash (32 bytes) || int8 seq || int8 incident_id
--               || lp(kind UTF-8) || lp(actor_node UTF-8 or NULL)
--               || int8 at in microseconds since 1970-01-01 00:00 UTC
--               || lp(reason UTF-8) || lp(payload or NULL))
-- with every int8 big-endian two's complement. fengqiao-admin verify
-- (server/admin/history.c) computes the same bytes in C; docs/history.md
-- states them for other implementations.
CREATE FUNCTION fq_event_hash(prev_hash bytea, seq bigint, incident_id bigint, kind text,
                              actor_node text, at timestamptz, reason text, payload bytea)
RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT sha256(prev_hash || int8send(seq) || int8send(incident_id)
                  || fq_lp(convert_to(kind, 'UTF8')) || fq_lp(convert_to(actor_node, 'UTF8'))
                  || int8send((extract(epoch FROM at) * 1000000)::bigint)
                  || fq_lp(convert_to(reason, 'UTF8')) || fq_lp(payload))
$$;

-- ---- the chain head ----
-- The last event of the chain: seq 0 and 32 zero bytes before the first.
CREATE TABLE event_chain_head (
    id    boolean PRIMARY KEY DEFAULT true CHECK (id),
    seq   bigint NOT NULL,
    hash  bytea NOT NULL CHECK (length(hash) = 32)
);

-- ---- the new table ----
ALTER TABLE events RENAME TO events_old;
ALTER INDEX events_pkey RENAME TO events_old_pkey;
ALTER INDEX events_incident RENAME TO events_old_incident;
ALTER TABLE events_old RENAME CONSTRAINT events_incident_id_fkey TO events_old_incident_id_fkey;
ALTER TABLE events_old RENAME CONSTRAINT events_actor_node_fkey TO events_old_actor_node_fkey;

-- seq is a global sequence across the partitions. It is not an identity
-- column: an identity value is drawn when the row is formed, before the
-- chain lock is taken, so two writers could chain out of seq order. The
-- chain trigger draws it under the lock instead; any value given is replaced.
CREATE SEQUENCE events_seq AS bigint;

CREATE TABLE events (
    seq          bigint NOT NULL,
    incident_id  bigint NOT NULL REFERENCES incidents (id),
    kind         text NOT NULL,
    actor_node   text REFERENCES nodes (id),  -- NULL: fengqiaod itself
    at           timestamptz NOT NULL DEFAULT now(),
    reason       text NOT NULL DEFAULT '',
    payload      bytea,  -- the request's envelope bytes exactly as received and MACed
    prev_hash    bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash         bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (seq, at)
) PARTITION BY RANGE (at);
ALTER SEQUENCE events_seq OWNED BY events.seq;
CREATE INDEX events_incident ON events (incident_id, seq);

-- Row triggers are cloned to every partition; statement triggers are not,
-- and fire only for the table a statement names: each partition gets its
-- own TRUNCATE guard and chain-head trigger (see the chain below).
CREATE FUNCTION fq_event_partition_guard(part text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON %I'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()', part);
    IF to_regproc('fq_events_chain_head') IS NOT NULL THEN
        EXECUTE format('CREATE TRIGGER events_chain_head AFTER INSERT ON %I'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION fq_events_chain_head()', part);
    END IF;
END $$;

CREATE TABLE events_default PARTITION OF events DEFAULT;
SELECT fq_event_partition_guard('events_default');

-- The partition of the month (UTC) that holds `month`: events_yYYYYmMM for
-- [first of the month 00:00 UTC, first of the next month 00:00 UTC).
-- Idempotent: false when it exists already. Rows of that month that went to
-- the default partition (the partition did not exist yet) are moved into it,
-- with their seqs and hashes unchanged.
CREATE FUNCTION fq_event_partition_create(month timestamptz) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    lo_utc timestamp := date_trunc('month', month AT TIME ZONE 'UTC');
    part text := 'events_y' || to_char(lo_utc, 'YYYY') || 'm' || to_char(lo_utc, 'MM');
    lo text := to_char(lo_utc, 'YYYY-MM-DD') || ' 00:00:00+00';
    hi text := to_char(lo_utc + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00';
BEGIN
    IF to_regclass(part) IS NOT NULL THEN
        IF NOT EXISTS (SELECT 1 FROM pg_inherits
                       WHERE inhrelid = to_regclass(part) AND inhparent = 'events'::regclass) THEN
            RAISE WARNING 'events partition %: a table of that name exists and is not attached'
                          ' (archived?); the month stays in events_default', part;
        END IF;
        RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM events_default WHERE at >= lo::timestamptz AND at < hi::timestamptz) THEN
        -- Build it beside the table, move the rows (no trigger on the new
        -- table yet, so seq and hashes stay), then attach it.
        EXECUTE format('CREATE TABLE %I (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
        EXECUTE format('INSERT INTO %I SELECT * FROM events_default WHERE at >= $1 AND at < $2', part)
            USING lo::timestamptz, hi::timestamptz;
        -- In this transaction only: the lock keeps everyone else out until commit.
        ALTER TABLE events_default DISABLE TRIGGER events_no_update;
        DELETE FROM events_default WHERE at >= lo::timestamptz AND at < hi::timestamptz;
        ALTER TABLE events_default ENABLE TRIGGER events_no_update;
        EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                       part, lo, hi);
    ELSE
        EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                       part, lo, hi);
    END IF;
    PERFORM fq_event_partition_guard(part);
    RETURN true;
END $$;

-- Makes sure the partitions of the current month (UTC) and the next
-- months_ahead months exist; returns how many it created. The server calls
-- it on every connection (fq_ensure_event_partitions(2)), and
-- `fengqiao-admin partitions ensure` calls it on demand. A partition that
-- cannot be made now (say a lock not granted within 2 s) is a warning, not
-- an error: the server must still start, and its rows wait in the default
-- partition until a later call moves them out.
CREATE FUNCTION fq_ensure_event_partitions(months_ahead integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET lock_timeout = '2s' AS $$
DECLARE
    created integer := 0;
    start_month timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
BEGIN
    IF months_ahead IS NULL OR months_ahead < 0 OR months_ahead > 120 THEN
        RAISE EXCEPTION 'months_ahead must be 0 to 120, is %', months_ahead;
    END IF;
    FOR i IN 0 .. months_ahead LOOP
        BEGIN
            IF fq_event_partition_create(start_month + make_interval(months => i)) THEN
                created := created + 1;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'events partition for % not created: %',
                to_char((start_month + make_interval(months => i)) AT TIME ZONE 'UTC', 'YYYY-MM'), SQLERRM;
        END;
    END LOOP;
    RETURN created;
END $$;

-- ---- the existing rows, hashed in seq order ----
DO $$
DECLARE
    m timestamptz;
    r record;
    prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
    h bytea;
    last_seq bigint := 0;
BEGIN
    FOR m IN SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
             FROM events_old LOOP
        PERFORM fq_event_partition_create(m);
    END LOOP;
    FOR r IN SELECT * FROM events_old ORDER BY seq LOOP
        h := fq_event_hash(prev, r.seq, r.incident_id, r.kind, r.actor_node, r.at, r.reason,
                           r.payload);
        INSERT INTO events (seq, incident_id, kind, actor_node, at, reason, payload, prev_hash, hash)
            VALUES (r.seq, r.incident_id, r.kind, r.actor_node, r.at, r.reason, r.payload, prev, h);
        prev := h;
        last_seq := r.seq;
    END LOOP;
    INSERT INTO event_chain_head (seq, hash) VALUES (last_seq, prev);
    IF last_seq > 0 THEN
        PERFORM setval('events_seq', last_seq);
    END IF;
END $$;
DROP TABLE events_old;
SELECT fq_ensure_event_partitions(2);

-- ---- the chain ----
-- Each insert chains onto the chain head. The head row is locked by the
-- first event of a transaction and stays locked until the transaction ends:
-- the server writes from one connection, so it never waits; but admin tools
-- and operators' scripts may insert too, and without the lock two writers
-- would chain onto the same predecessor. The seq is drawn under the lock, so
-- seq order is chain order.
--
-- Within a transaction the tail of the chain is kept in a transaction-local
-- setting (fengqiao.chain_tail = 'xid:seq:hex hash'), and the head row is
-- written once per statement (events_chain_head, AFTER ... FOR EACH
-- STATEMENT) rather than once per row: updating one row N times in one
-- transaction costs O(N^2), as every update walks the row's earlier versions.
-- A rolled-back savepoint restores the setting and the head row together.
CREATE FUNCTION fq_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tail text := current_setting('fengqiao.chain_tail', true);
    xid text := pg_current_xact_id()::text;
    prev_seq bigint;
    prev_hash bytea;
BEGIN
    IF tail IS NOT NULL AND split_part(tail, ':', 1) = xid THEN
        prev_seq := split_part(tail, ':', 2)::bigint;
        prev_hash := decode(split_part(tail, ':', 3), 'hex');
    ELSE
        SELECT seq, hash INTO prev_seq, prev_hash FROM event_chain_head WHERE id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'event_chain_head has no row: the event chain is broken';
        END IF;
    END IF;
    NEW.seq := nextval('events_seq');
    IF NEW.seq <= prev_seq THEN
        RAISE EXCEPTION 'events_seq (%) is behind the chain head (%)', NEW.seq, prev_seq;
    END IF;
    NEW.prev_hash := prev_hash;
    NEW.hash := fq_event_hash(prev_hash, NEW.seq, NEW.incident_id, NEW.kind, NEW.actor_node,
                              NEW.at, NEW.reason, NEW.payload);
    PERFORM set_config('fengqiao.chain_tail',
                       xid || ':' || NEW.seq || ':' || encode(NEW.hash, 'hex'), true);
    RETURN NEW;
END $$;

-- Writes the transaction's chain tail to the head row (under the lock the
-- first event took). On the parent and on every partition: an INSERT fires
-- the statement triggers of the table it names only.
CREATE FUNCTION fq_events_chain_head() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tail text := current_setting('fengqiao.chain_tail', true);
BEGIN
    IF tail IS NOT NULL AND split_part(tail, ':', 1) = pg_current_xact_id_if_assigned()::text THEN
        UPDATE event_chain_head SET seq = split_part(tail, ':', 2)::bigint,
                                    hash = decode(split_part(tail, ':', 3), 'hex')
            WHERE id AND seq <> split_part(tail, ':', 2)::bigint;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER events_chain BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION fq_events_chain();
CREATE TRIGGER events_chain_head AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION fq_events_chain_head();
DO $$
DECLARE
    part regclass;
BEGIN
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'events'::regclass LOOP
        EXECUTE format('CREATE TRIGGER events_chain_head AFTER INSERT ON %s'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION fq_events_chain_head()', part);
    END LOOP;
END $$;

-- Append-only as before, on every partition (row triggers are cloned to
-- partitions; TRUNCATE triggers are per table, see fq_event_partition_guard).
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

CREATE FUNCTION fq_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%: % refused', TG_TABLE_NAME, TG_OP;
END $$;
-- The head row never goes away (the chain trigger updates it).
CREATE TRIGGER event_chain_head_no_delete BEFORE DELETE ON event_chain_head
    FOR EACH ROW EXECUTE FUNCTION fq_refuse_change();
CREATE TRIGGER event_chain_head_no_truncate BEFORE TRUNCATE ON event_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION fq_refuse_change();

-- Detached (archived) partitions, written by `fengqiao-admin partitions
-- detach`: the last hash of each is the anchor the attached chain continues.
CREATE TABLE event_archives (
    partition    text PRIMARY KEY,
    range_from   timestamptz NOT NULL,
    range_to     timestamptz NOT NULL,
    events       bigint NOT NULL,
    first_seq    bigint,
    last_seq     bigint,
    last_hash    bytea CHECK (length(last_hash) = 32),
    detached_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER event_archives_no_update BEFORE UPDATE OR DELETE ON event_archives
    FOR EACH ROW EXECUTE FUNCTION fq_refuse_change();
