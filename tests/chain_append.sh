# shellcheck shell=bash
# chain_append.sh: append_events, sourced by the integration tests' lib.sh
# and by the benchmarks that write history as the server would. Needs a
# function q SQL that runs one statement against the database in question.

# append_events SELECT: appends the rows of SELECT (columns incident_id,
# kind, actor_node, at, reason, payload; at NULL: now) to the event chain as
# the server would (docs/write-path.md): each with the next seq, the hash of
# the one before and its own (fq_event_hash), and the chain head advanced.
# A running server finds the head moved and reads it again.
append_events() {
    q "DO \$\$
DECLARE
    r record;
    head_seq bigint;
    head_hash bytea;
    s bigint;
    h bytea;
    t timestamptz;
BEGIN
    SELECT seq, hash INTO head_seq, head_hash FROM event_chain_head WHERE id FOR UPDATE;
    s := head_seq;
    h := head_hash;
    FOR r IN $1 LOOP
        s := s + 1;
        t := coalesce(r.at, now());
        INSERT INTO events (seq, incident_id, kind, actor_node, at, reason, payload, prev_hash, hash)
        VALUES (s, r.incident_id, r.kind, r.actor_node, t, coalesce(r.reason, ''), r.payload, h,
                fq_event_hash(h, s, r.incident_id, r.kind, r.actor_node, t, coalesce(r.reason, ''),
                              r.payload))
        RETURNING hash INTO h;
    END LOOP;
    IF s > head_seq THEN
        PERFORM fq_chain_advance(head_seq, head_hash, s, h);
    END IF;
END \$\$"
}
