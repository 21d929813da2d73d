-- 0033 history references guarded where they can break: the foreign keys
-- events -> incidents, events -> nodes (actor) and outbox -> incidents go
-- (docs/write-path.md, "Constraints"). Each cost an SPI query with a row lock
-- per inserted row, in the writes backend, for every event and outbox row:
-- about an eighth of its CPU per report. fengqiaod writes these rows in the
-- statement that writes or locks their incident, so the insert-side check
-- never refuses what it writes; what the keys also did - keep an incident or
-- a node that history names from being deleted, truncated or renumbered by
-- another writer (an operator's psql) - the triggers below keep, paying only
-- when such a DELETE, TRUNCATE or UPDATE of the id runs (never on the write
-- path). Kept: incidents -> nodes and org_units (the directory is edited by
-- admin tools), every CHECK, NOT NULL of seq/prev_hash/hash, events'
-- append-only triggers, the unique (reporter_node, message_id).

ALTER TABLE events DROP CONSTRAINT events_incident_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_actor_node_fkey;
ALTER TABLE outbox DROP CONSTRAINT outbox_incident_id_fkey;

-- What the keys' referenced side refused: a referenced row deleted or its id
-- changed (SQLSTATE 23503 as before).
CREATE FUNCTION fq_incident_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM events WHERE incident_id = OLD.id)
       OR EXISTS (SELECT 1 FROM outbox WHERE incident_id = OLD.id) THEN
        RAISE EXCEPTION 'incident % is referenced by its history', OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER incidents_referenced BEFORE DELETE OR UPDATE OF id ON incidents
    FOR EACH ROW EXECUTE FUNCTION fq_incident_referenced();

CREATE FUNCTION fq_node_acted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM events WHERE actor_node = OLD.id) THEN
        RAISE EXCEPTION 'node % acted in the history', OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER nodes_acted BEFORE DELETE OR UPDATE OF id ON nodes
    FOR EACH ROW EXECUTE FUNCTION fq_node_acted();

-- TRUNCATE of incidents stays refused by the keys that reference it
-- (attachments, case_parties, ...); nodes by incidents -> nodes. Said here
-- in case those go too.
CREATE FUNCTION fq_no_truncate_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is referenced by the history: no TRUNCATE', TG_TABLE_NAME
        USING ERRCODE = 'foreign_key_violation';
END $$;
CREATE TRIGGER incidents_no_truncate BEFORE TRUNCATE ON incidents
    FOR EACH STATEMENT EXECUTE FUNCTION fq_no_truncate_history();
