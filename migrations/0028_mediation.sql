-- 0028 mediation (矛盾纠纷调解, docs/mediation.md): the district's people's
-- mediation committees (人民调解委员会) and their mediators, from the
-- topology's "mediation" section; and per incident its mediation — parties,
-- mediators or a committee, sessions, and its end: an agreement or a failure
-- transferred on — with its own clock.
--
-- Each step is an event on the incident (mediation_opened, mediation_session,
-- mediation_agreed, mediation_failed), written by the server's action
-- statement like every command, so the history's hash chain covers it; the
-- signed envelope (the event's payload) is the step as the console sent it.
-- The same statement writes the step's record into mediation_steps (a JSON
-- object the server derives from the envelope); a trigger projects it into
-- the tables the console and the statistics read.

CREATE TABLE mediation_committees (
    id      text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    name    text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- the town or village it serves (a district-level one: the district)
    serves  text NOT NULL REFERENCES org_units (id)
);

CREATE TABLE mediators (
    id         text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    committee  text NOT NULL REFERENCES mediation_committees (id),
    phone      text NOT NULL DEFAULT ''
);
CREATE INDEX mediators_committee ON mediators (committee);

-- The mediation's limit: due this many days after it is opened (人民调解法
-- practice: 30 days). One row; the topology's "mediation.limit_days" sets it.
CREATE TABLE mediation_settings (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    limit_days  integer NOT NULL DEFAULT 30 CHECK (limit_days BETWEEN 1 AND 365)
);
INSERT INTO mediation_settings DEFAULT VALUES;

-- One per incident mediated. `town` and `territory` as when it was opened
-- (the statistics group by them).
CREATE TABLE mediation_cases (
    incident_id     bigint PRIMARY KEY REFERENCES incidents (id),
    state           text NOT NULL CHECK (state IN ('open', 'ended')),
    territory       text REFERENCES org_units (id),
    town            text REFERENCES org_units (id),
    committee       text REFERENCES mediation_committees (id),
    mediators       text[] NOT NULL DEFAULT '{}',
    opened_at       timestamptz NOT NULL,
    opened_by       text REFERENCES nodes (id),
    opened_seq      bigint NOT NULL,
    due_at          timestamptz NOT NULL,
    note            text NOT NULL DEFAULT '',
    ended_at        timestamptz,
    ended_by        text REFERENCES nodes (id),
    ended_seq       bigint,
    outcome         text CHECK (outcome IN ('agreed', 'failed')),
    agreement       text,
    transferred_to  text CHECK (transferred_to IN ('court', 'arbitration', 'petition_office',
                                                   'other')),
    end_note        text,
    CHECK ((state = 'ended') = (outcome IS NOT NULL AND ended_at IS NOT NULL)),
    CHECK (outcome IS DISTINCT FROM 'agreed' OR agreement IS NOT NULL),
    CHECK (outcome IS DISTINCT FROM 'failed' OR transferred_to IS NOT NULL)
);
CREATE INDEX mediation_cases_open ON mediation_cases (due_at) WHERE state = 'open';
CREATE INDEX mediation_cases_opened ON mediation_cases (opened_at);

CREATE TABLE mediation_parties (
    incident_id  bigint NOT NULL REFERENCES mediation_cases (incident_id),
    position     smallint NOT NULL,
    side         text NOT NULL CHECK (side IN ('applicant', 'respondent')),
    name         text NOT NULL,
    role         text NOT NULL DEFAULT '',
    phone        text NOT NULL DEFAULT '',
    PRIMARY KEY (incident_id, position)
);

CREATE TABLE mediation_sessions (
    incident_id  bigint NOT NULL REFERENCES mediation_cases (incident_id),
    event_seq    bigint NOT NULL,
    held_at      timestamptz NOT NULL,
    place        text NOT NULL,
    attendees    text[] NOT NULL,
    note         text NOT NULL DEFAULT '',
    recorded_by  text REFERENCES nodes (id),
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, event_seq)
);

-- Every step as the server recorded it, with its event's seq: append-only,
-- like the history it comes with.
CREATE TABLE mediation_steps (
    incident_id  bigint NOT NULL REFERENCES incidents (id),
    event_seq    bigint NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('mediation_opened', 'mediation_session',
                                               'mediation_agreed', 'mediation_failed')),
    actor_node   text REFERENCES nodes (id),
    at           timestamptz NOT NULL DEFAULT now(),
    record       jsonb NOT NULL,
    PRIMARY KEY (incident_id, event_seq)
);
CREATE TRIGGER mediation_steps_no_update BEFORE UPDATE OR DELETE ON mediation_steps
    FOR EACH ROW EXECUTE FUNCTION fq_refuse_change();
CREATE TRIGGER mediation_steps_no_truncate BEFORE TRUNCATE ON mediation_steps
    FOR EACH STATEMENT EXECUTE FUNCTION fq_refuse_change();

-- The projection. The server checked the step against the mediation's state
-- (server/core/mediation.c) before writing it; the checks here hold the
-- tables to the same rules should anything else write a step. What only the
-- database knows — that the committee and the mediators exist — is refused
-- here with a sentence (SQLSTATE P0001) the server passes on as the
-- command's INVALID answer: nothing of the step is stored.
CREATE FUNCTION fq_mediation_project() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r jsonb := NEW.record;
    cur mediation_cases%ROWTYPE;
    unknown text;
    limit_days integer;
    where_it text;
BEGIN
    SELECT * INTO cur FROM mediation_cases WHERE incident_id = NEW.incident_id FOR UPDATE;
    IF NEW.kind = 'mediation_opened' THEN
        IF FOUND THEN
            RAISE EXCEPTION 'incident % has a mediation already', NEW.incident_id;
        END IF;
        IF coalesce(r->>'committee', '') <> ''
           AND NOT EXISTS (SELECT 1 FROM mediation_committees WHERE id = r->>'committee') THEN
            RAISE EXCEPTION 'no mediation committee %', r->>'committee';
        END IF;
        SELECT m INTO unknown FROM jsonb_array_elements_text(r->'mediators') AS m
        WHERE NOT EXISTS (SELECT 1 FROM mediators d WHERE d.id = m) LIMIT 1;
        IF unknown IS NOT NULL THEN
            RAISE EXCEPTION 'no mediator %', unknown;
        END IF;
        SELECT s.limit_days INTO limit_days FROM mediation_settings s;
        SELECT coalesce(i.territory, i.place_unit) INTO where_it FROM incidents i
        WHERE i.id = NEW.incident_id;
        INSERT INTO mediation_cases (incident_id, state, territory, town, committee, mediators,
                                     opened_at, opened_by, opened_seq, due_at, note)
        VALUES (NEW.incident_id, 'open', where_it, fq_town_of(where_it),
                nullif(r->>'committee', ''),
                ARRAY(SELECT jsonb_array_elements_text(r->'mediators')),
                NEW.at, NEW.actor_node, NEW.event_seq,
                NEW.at + make_interval(days => coalesce(limit_days, 30)), r->>'note');
        INSERT INTO mediation_parties (incident_id, position, side, name, role, phone)
        SELECT NEW.incident_id, p.i - 1, p.v->>'side', p.v->>'name', coalesce(p.v->>'role', ''),
               coalesce(p.v->>'phone', '')
        FROM jsonb_array_elements(r->'parties') WITH ORDINALITY AS p (v, i);
        RETURN NULL;
    END IF;
    IF NOT FOUND OR cur.state <> 'open' THEN
        RAISE EXCEPTION 'incident % has no open mediation', NEW.incident_id;
    END IF;
    IF NEW.kind = 'mediation_session' THEN
        INSERT INTO mediation_sessions (incident_id, event_seq, held_at, place, attendees, note,
                                        recorded_by, recorded_at)
        VALUES (NEW.incident_id, NEW.event_seq,
                to_timestamp((r->>'at_ms')::double precision / 1000), r->>'place',
                ARRAY(SELECT jsonb_array_elements_text(r->'attendees')), r->>'note',
                NEW.actor_node, NEW.at);
    ELSE
        UPDATE mediation_cases SET state = 'ended', ended_at = NEW.at, ended_by = NEW.actor_node,
               ended_seq = NEW.event_seq,
               outcome = CASE NEW.kind WHEN 'mediation_agreed' THEN 'agreed' ELSE 'failed' END,
               agreement = r->>'agreement', transferred_to = r->>'transferred_to',
               end_note = r->>'note'
        WHERE incident_id = NEW.incident_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER mediation_steps_project AFTER INSERT ON mediation_steps
    FOR EACH ROW EXECUTE FUNCTION fq_mediation_project();

-- A mediation's end concludes its incident: the meeting statistics count an
-- agreement and a failure transferred on as concluded (0020's facts, with
-- the two kinds beside 'concluded').
CREATE OR REPLACE FUNCTION fq_case_facts(from_ts timestamptz, to_ts timestamptz, within text)
RETURNS TABLE (
    id bigint, received_at timestamptz, town text, line smallint, tier smallint,
    unit text, worker text, acknowledged_at timestamptz, concluded_at timestamptz,
    ack_late boolean, conclude_late boolean, overdue boolean,
    returns bigint, escalations bigint, redos bigint,
    suspensions bigint, suspended_s double precision, suspended_now boolean)
LANGUAGE sql STABLE AS $$
    SELECT i.id, i.recorded_at,
           fq_town_of(coalesce(i.territory, i.place_unit)),
           i.line, i.tier, i.lead_unit, i.worker,
           f.acknowledged_at, f.concluded_at, f.ack_late, f.conclude_late,
           f.ack_late OR f.conclude_late
             OR (NOT p.suspended_now AND f.concluded_at IS NULL AND i.conclude_due IS NOT NULL
                 AND i.conclude_due < least(to_ts, now()))
             OR (NOT p.suspended_now AND f.acknowledged_at IS NULL AND f.concluded_at IS NULL
                 AND i.ack_due IS NOT NULL AND i.ack_due < least(to_ts, now())),
           f.returns, f.escalations, f.redos,
           p.suspensions, p.suspended_s, p.suspended_now
    FROM incidents i
    CROSS JOIN LATERAL (
        SELECT min(e.at) FILTER (WHERE e.kind = 'acknowledged') AS acknowledged_at,
               max(e.at) FILTER (WHERE e.kind IN ('concluded', 'mediation_agreed',
                                                   'mediation_failed')) AS concluded_at,
               count(*) FILTER (WHERE e.kind = 'returned') AS returns,
               count(*) FILTER (WHERE e.kind = 'escalated') AS escalations,
               count(*) FILTER (WHERE e.kind = 'reopened') AS redos,
               coalesce(bool_or(e.kind IN ('escalated', 'breached')
                                AND e.reason LIKE 'acknowledge limit passed%'), false) AS ack_late,
               coalesce(bool_or(e.kind IN ('escalated', 'breached')
                                AND e.reason LIKE 'conclude limit passed%'), false) AS conclude_late
        FROM events e
        WHERE e.incident_id = i.id AND e.at < to_ts) f
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE s.kind = 'suspended') AS suspensions,
               coalesce(sum(extract(epoch FROM coalesce(s.until, least(to_ts, now())) - s.at))
                        FILTER (WHERE s.kind = 'suspended'), 0)::double precision AS suspended_s,
               coalesce(bool_or(s.kind = 'suspended' AND s.until IS NULL), false) AS suspended_now
        FROM (SELECT e.kind, e.at, lead(e.at) OVER (ORDER BY e.seq) AS until
              FROM events e
              WHERE e.incident_id = i.id AND e.at < to_ts
                AND e.kind IN ('suspended', 'resumed', 'concluded', 'merged',
                               'mediation_agreed', 'mediation_failed')) s) p
    WHERE i.recorded_at >= from_ts AND i.recorded_at < to_ts
      AND i.state NOT IN ('merged', 'reported')
      AND (within IS NULL OR fq_unit_within(coalesce(i.territory, i.place_unit), within))
$$;

-- Mediation success (docs/mediation.md, "Statistics"): of the mediations
-- opened in [from_ts, to_ts), inside `within` (NULL: everywhere), as of
-- to_ts, by town, committee or mediator (a case with two mediators counts
-- for each). success = agreed / ended (NULL when none ended); overdue: still
-- open after its due time.
CREATE FUNCTION fq_mediation_stats(from_ts timestamptz, to_ts timestamptz, by text, within text)
RETURNS TABLE (grp text, name text, opened bigint, ended bigint, agreed bigint, failed bigint,
               open_now bigint, overdue bigint, success double precision)
LANGUAGE sql STABLE AS $$
    WITH c AS (
        SELECT m.*, m.ended_at IS NOT NULL AND m.ended_at < to_ts AS ended_then
        FROM mediation_cases m
        WHERE m.opened_at >= from_ts AND m.opened_at < to_ts
          AND (within IS NULL OR fq_unit_within(m.territory, within))),
    g AS (
        SELECT CASE by WHEN 'town' THEN coalesce(c.town, '')
                       WHEN 'committee' THEN coalesce(c.committee, '') END AS grp, c.*
        FROM c WHERE by IN ('town', 'committee')
        UNION ALL
        SELECT d.mediator, c.* FROM c CROSS JOIN LATERAL unnest(c.mediators) AS d (mediator)
        WHERE by = 'mediator')
    SELECT g.grp,
           coalesce(CASE by WHEN 'town' THEN (SELECT o.name FROM org_units o WHERE o.id = g.grp)
                            WHEN 'committee' THEN (SELECT k.name FROM mediation_committees k
                                                   WHERE k.id = g.grp)
                            ELSE (SELECT d.name FROM mediators d WHERE d.id = g.grp) END, ''),
           count(*),
           count(*) FILTER (WHERE g.ended_then),
           count(*) FILTER (WHERE g.ended_then AND g.outcome = 'agreed'),
           count(*) FILTER (WHERE g.ended_then AND g.outcome = 'failed'),
           count(*) FILTER (WHERE NOT g.ended_then),
           count(*) FILTER (WHERE NOT g.ended_then AND g.due_at < least(to_ts, now())),
           (count(*) FILTER (WHERE g.ended_then AND g.outcome = 'agreed'))::double precision
             / nullif(count(*) FILTER (WHERE g.ended_then), 0)
    FROM g GROUP BY g.grp ORDER BY g.grp
$$;

-- ---- what the web console reads (server/web/mediation.c) ----

-- A phone as lists show it: the first three and the last four digits
-- (138****1234); a short one wholly masked.
CREATE FUNCTION fq_mask_phone(phone text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN phone = '' THEN ''
                WHEN length(phone) < 8 THEN repeat('*', length(phone))
                ELSE left(phone, 3) || repeat('*', length(phone) - 7) || right(phone, 4) END
$$;

-- Epoch milliseconds, as the API gives every time.
CREATE FUNCTION fq_ms(t timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT (date_part('epoch', t) * 1000)::bigint
$$;

-- One mediation as JSON, names beside ids; phones whole or masked.
CREATE FUNCTION fq_mediation_json(m mediation_cases, full_phones boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'incident_id', m.incident_id,
        'title', (SELECT i.title FROM incidents i WHERE i.id = m.incident_id),
        'incident_state', (SELECT i.state FROM incidents i WHERE i.id = m.incident_id),
        'state', m.state,
        'town', coalesce(m.town, ''),
        'town_name', coalesce((SELECT o.name FROM org_units o WHERE o.id = m.town), ''),
        'territory_name', coalesce((SELECT o.name FROM org_units o WHERE o.id = m.territory), ''),
        'committee', coalesce(m.committee, ''),
        'committee_name', coalesce((SELECT k.name FROM mediation_committees k
                                    WHERE k.id = m.committee), ''),
        'mediators', coalesce((SELECT jsonb_agg(jsonb_build_object('id', x.id,
                                    'name', coalesce(d.name, x.id)) ORDER BY x.i)
                               FROM unnest(m.mediators) WITH ORDINALITY AS x (id, i)
                               LEFT JOIN mediators d ON d.id = x.id), '[]'::jsonb),
        'parties', coalesce((SELECT jsonb_agg(jsonb_build_object('side', p.side, 'name', p.name,
                                  'role', p.role,
                                  'phone', CASE WHEN full_phones THEN p.phone
                                                ELSE fq_mask_phone(p.phone) END)
                                  ORDER BY p.position)
                             FROM mediation_parties p WHERE p.incident_id = m.incident_id),
                            '[]'::jsonb),
        'sessions', coalesce((SELECT jsonb_agg(jsonb_build_object('held_at_ms', fq_ms(s.held_at),
                                   'place', s.place, 'attendees', to_jsonb(s.attendees),
                                   'note', s.note, 'event_seq', s.event_seq,
                                   'recorded_by_name', coalesce((SELECT a.display_name
                                       FROM web_accounts a WHERE a.node_id = s.recorded_by),
                                       s.recorded_by, ''))
                                   ORDER BY s.held_at, s.event_seq)
                              FROM mediation_sessions s WHERE s.incident_id = m.incident_id),
                             '[]'::jsonb),
        'note', m.note,
        'opened_at_ms', fq_ms(m.opened_at),
        'opened_by_name', coalesce((SELECT a.display_name FROM web_accounts a
                                    WHERE a.node_id = m.opened_by), m.opened_by, ''),
        'due_at_ms', fq_ms(m.due_at),
        'overdue', m.state = 'open' AND m.due_at < now(),
        'ended_at_ms', fq_ms(m.ended_at),
        'outcome', coalesce(m.outcome, ''),
        'agreement', coalesce(m.agreement, ''),
        'transferred_to', coalesce(m.transferred_to, ''),
        'end_note', coalesce(m.end_note, ''),
        'agreement_photos', coalesce((SELECT jsonb_agg(jsonb_build_object('id', x.id,
                                           'content_type', x.content_type, 'name', x.name,
                                           'sha256', encode(x.sha256, 'hex')) ORDER BY x.id)
                                      FROM attachments x WHERE x.incident_id = m.incident_id
                                        AND x.event_seq = m.ended_seq), '[]'::jsonb))
$$;

-- An incident's mediation for the console ($within: the account's
-- jurisdiction). allowed: the incident lies within it (else 403, as every
-- incident outside); doc: the mediation, or null when it has none. Every
-- read masks the parties' phones; only fq_mediation_reveal shows them whole.
CREATE FUNCTION fq_mediation_case_read(incident bigint, within text)
RETURNS TABLE (allowed boolean, doc jsonb) LANGUAGE sql STABLE AS $$
    SELECT fq_unit_within(coalesce(i.territory, i.place_unit), within),
           (SELECT fq_mediation_json(m, false) FROM mediation_cases m
            WHERE m.incident_id = i.id)
    FROM incidents i WHERE i.id = incident
$$;

-- Every look at a mediation's parties' phones whole (?reveal=1): who
-- (account and role), when, which incident's parties, from where (the peer's
-- address). Append-only like the history and person_reveals.
CREATE TABLE mediation_reveals (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id  bigint NOT NULL REFERENCES mediation_cases (incident_id),
    account      text NOT NULL,
    role         text NOT NULL,
    remote       text NOT NULL DEFAULT '',
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mediation_reveals_incident ON mediation_reveals (incident_id, at);
CREATE TRIGGER mediation_reveals_no_update BEFORE UPDATE OR DELETE ON mediation_reveals
    FOR EACH ROW EXECUTE FUNCTION fq_refuse_change();
CREATE TRIGGER mediation_reveals_no_truncate BEFORE TRUNCATE ON mediation_reveals
    FOR EACH STATEMENT EXECUTE FUNCTION fq_refuse_change();

-- The mediation with its parties' phones whole, and the look's audit row in
-- the same call, so no phone is shown unrecorded. As fq_mediation_case_read;
-- a row is written only when the incident lies within `within` and has a
-- mediation (nothing else is shown).
CREATE FUNCTION fq_mediation_reveal(incident bigint, within text, who text, who_role text,
                                    from_where text)
RETURNS TABLE (allowed boolean, doc jsonb) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    m mediation_cases%ROWTYPE;
    inside boolean;
BEGIN
    SELECT fq_unit_within(coalesce(i.territory, i.place_unit), within) INTO inside
    FROM incidents i WHERE i.id = incident;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF NOT inside THEN
        RETURN QUERY SELECT false, NULL::jsonb;
        RETURN;
    END IF;
    SELECT * INTO m FROM mediation_cases c WHERE c.incident_id = incident;
    IF NOT FOUND THEN
        RETURN QUERY SELECT true, NULL::jsonb;
        RETURN;
    END IF;
    INSERT INTO mediation_reveals (incident_id, account, role, remote)
    VALUES (incident, who, who_role, from_where);
    RETURN QUERY SELECT true, fq_mediation_json(m, true);
END $$;

-- The worklist: the mediations within `within`, open ones (most urgent due
-- first) or ended ones (latest first), at most `max_rows`; phones masked.
CREATE FUNCTION fq_mediation_worklist(want text, within text, max_rows integer)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(fq_mediation_json(m, false)
                              ORDER BY CASE WHEN want = 'open' THEN fq_ms(m.due_at)
                                            ELSE -fq_ms(m.ended_at) END, m.incident_id),
                    '[]'::jsonb)
    FROM (SELECT * FROM mediation_cases m
          WHERE m.state = want AND fq_unit_within(m.territory, within)
          ORDER BY CASE WHEN want = 'open' THEN m.due_at END, m.ended_at DESC, m.incident_id
          LIMIT max_rows) m
$$;

-- The committees and mediators an account may name: those serving inside
-- its jurisdiction, and those above it (a district's committee serves every
-- town).
CREATE FUNCTION fq_mediation_directory(within text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'limit_days', (SELECT limit_days FROM mediation_settings),
        'committees', coalesce(jsonb_agg(jsonb_build_object('id', k.id, 'name', k.name,
                         'serves', k.serves,
                         'serves_name', coalesce((SELECT o.name FROM org_units o
                                                  WHERE o.id = k.serves), ''),
                         'mediators', coalesce((SELECT jsonb_agg(jsonb_build_object('id', d.id,
                                                  'name', d.name) ORDER BY d.id)
                                                FROM mediators d WHERE d.committee = k.id),
                                               '[]'::jsonb)) ORDER BY k.id), '[]'::jsonb))
    FROM mediation_committees k
    WHERE fq_unit_within(k.serves, within) OR fq_unit_within(within, k.serves)
$$;
