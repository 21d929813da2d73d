-- 0026 attachments: photos as evidence of the work (docs/phone.md,
-- "Evidence"; docs/history.md, "Evidence").
--
-- A photo comes with an action or a report: the request's envelope names it
-- by SHA-256 (AttachmentRef) and its bytes travel beside the envelope. The
-- statement that writes the event writes the photos' rows with the event's
-- seq, so a photo exists exactly when its event does. The event's payload
-- (the envelope, covered by the history's hash chain) holds the refs:
-- `fengqiao-admin verify` checks each row's bytes against its sha256 and
-- that sha256 against a ref of its event's envelope.
CREATE TABLE attachments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id   bigint NOT NULL REFERENCES incidents (id),
    -- The event it came with. Not a foreign key: events are partitioned by
    -- month and keyed (seq, at).
    event_seq     bigint NOT NULL,
    sha256        bytea NOT NULL CHECK (length(sha256) = 32),
    content_type  text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    size          integer NOT NULL CHECK (size BETWEEN 1 AND 2097152),
    width         integer NOT NULL CHECK (width BETWEEN 1 AND 12000),
    height        integer NOT NULL CHECK (height BETWEEN 1 AND 12000),
    name          text NOT NULL DEFAULT '' CHECK (length(name) <= 100),
    bytes         bytea NOT NULL CHECK (length(bytes) = size),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_event ON attachments (incident_id, event_seq);
-- JPEG and PNG are compressed already: stored out of line as they are,
-- without PostgreSQL trying (and failing) to compress them again.
ALTER TABLE attachments ALTER COLUMN bytes SET STORAGE EXTERNAL;

-- Evidence, like the history it belongs to, is append-only.
CREATE TRIGGER attachments_no_update BEFORE UPDATE OR DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION fq_refuse_change();
CREATE TRIGGER attachments_no_truncate BEFORE TRUNCATE ON attachments
    FOR EACH STATEMENT EXECUTE FUNCTION fq_refuse_change();

-- A category's rule: its incidents are concluded only with a photo
-- (topology: "photo_to_conclude": true; docs/topology.md).
ALTER TABLE categories ADD COLUMN photo_to_conclude boolean NOT NULL DEFAULT false;
