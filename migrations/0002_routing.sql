-- 0002 routing: who handles incidents (handlers, grid workers), where grids
-- lie (polygons), what incidents are (categories) and how they are routed
-- (versioned rule sets). Written by `fengqiao-admin import-topology`; loaded
-- by the server at start and again on NOTIFY fengqiao_directory.

-- A unit's kind never changes: handlers, workers and polygons rely on it.
CREATE FUNCTION org_units_kind_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'unit %: kind % cannot become %', OLD.id, OLD.kind, NEW.kind;
END $$;
CREATE TRIGGER org_units_kind_fixed BEFORE UPDATE OF kind ON org_units
    FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind)
    EXECUTE FUNCTION org_units_kind_fixed();

-- Raises unless unit `id` exists and is a `want`.
CREATE FUNCTION fq_require_unit_kind(id text, want text, what text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    got text;
BEGIN
    SELECT kind INTO got FROM org_units WHERE org_units.id = fq_require_unit_kind.id;
    IF got IS DISTINCT FROM want THEN
        RAISE EXCEPTION '%: % must be a %, is %', what, id, want, coalesce(got, 'missing');
    END IF;
END $$;

-- Handling units: the district command center, district departments, each
-- town's four platform lines, village/community units.
CREATE TABLE handlers (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    kind        text NOT NULL CHECK (kind IN ('center', 'department', 'town_line', 'village')),
    territory   text NOT NULL REFERENCES org_units (id),
    line        text CHECK (line IN ('governance', 'market', 'enforcement', 'services')),
    code        text CHECK (code ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    name        text NOT NULL CHECK (name <> ''),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- A town line has a line; a department has a code and may lead a line;
    -- the center and village units have neither.
    CHECK ((kind = 'department') = (code IS NOT NULL)),
    CHECK (kind <> 'town_line' OR line IS NOT NULL),
    CHECK (kind NOT IN ('center', 'village') OR line IS NULL)
);
CREATE UNIQUE INDEX handlers_one_center ON handlers (territory) WHERE kind = 'center';
CREATE UNIQUE INDEX handlers_one_village ON handlers (territory) WHERE kind = 'village';
CREATE UNIQUE INDEX handlers_town_line ON handlers (territory, line) WHERE kind = 'town_line';
CREATE UNIQUE INDEX handlers_department_code ON handlers (territory, code) WHERE kind = 'department';
CREATE UNIQUE INDEX handlers_department_line ON handlers (territory, line)
    WHERE kind = 'department' AND line IS NOT NULL;

CREATE FUNCTION handlers_territory_kind() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fq_require_unit_kind(NEW.territory,
        CASE NEW.kind WHEN 'town_line' THEN 'town' WHEN 'village' THEN 'village' ELSE 'district' END,
        'territory of handler ' || NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER handlers_territory_kind BEFORE INSERT OR UPDATE ON handlers
    FOR EACH ROW EXECUTE FUNCTION handlers_territory_kind();

-- Grid workers (网格员). Their load is not stored: it is the number of their
-- open assignments. on_duty is run-time state (fengqiao-admin worker duty).
CREATE TABLE workers (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    grid        text NOT NULL REFERENCES org_units (id),
    name        text NOT NULL CHECK (name <> ''),
    phone       text NOT NULL DEFAULT '',
    capacity    integer NOT NULL CHECK (capacity BETWEEN 1 AND 65535),
    on_duty     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workers_grid ON workers (grid);

CREATE FUNCTION workers_grid_kind() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fq_require_unit_kind(NEW.grid, 'grid', 'grid of worker ' || NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER workers_grid_kind BEFORE INSERT OR UPDATE OF grid ON workers
    FOR EACH ROW EXECUTE FUNCTION workers_grid_kind();

-- A ring of WGS84 degrees, flat: {lon0, lat0, lon1, lat1, ...}; closed
-- implicitly (a last vertex equal to the first is allowed). The server hands
-- the array as is to the geo index, which also rejects degenerate rings.
CREATE FUNCTION fq_valid_ring(ring double precision[]) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT array_ndims(ring) = 1
       AND cardinality(ring) >= 6 AND cardinality(ring) % 2 = 0
       AND cardinality(ring) <= 2000000
       AND NOT EXISTS (
           SELECT 1 FROM unnest(ring) WITH ORDINALITY AS v (x, i)
           WHERE x IS NULL OR x = 'NaN'::float8
              OR (i % 2 = 1 AND NOT x BETWEEN -180 AND 180)
              OR (i % 2 = 0 AND NOT x BETWEEN -90 AND 90))
$$;

CREATE TABLE grid_polygons (
    grid        text PRIMARY KEY REFERENCES org_units (id),
    ring        double precision[] NOT NULL CHECK (fq_valid_ring(ring)),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION grid_polygons_grid_kind() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fq_require_unit_kind(NEW.grid, 'grid', 'polygon');
    RETURN NEW;
END $$;
CREATE TRIGGER grid_polygons_grid_kind BEFORE INSERT OR UPDATE OF grid ON grid_polygons
    FOR EACH ROW EXECUTE FUNCTION grid_polygons_grid_kind();

-- Incident categories, each with the line that handles it by default.
CREATE TABLE categories (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    line        text NOT NULL CHECK (line IN ('governance', 'market', 'enforcement', 'services')),
    name        text NOT NULL CHECK (name <> ''),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Routing rules, versioned. A rule set is never edited: a change inserts a
-- new set and activates it, so the history of versions is the record of
-- every change. At most one set is active; with none, the built-in principle
-- routes everything.
CREATE TABLE rule_sets (
    -- 1, 2, 3 ... without gaps: the importer takes max + 1 holding a lock.
    version     integer PRIMARY KEY CHECK (version > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    note        text NOT NULL DEFAULT '',
    -- A set is active from its creation until the next one replaces it
    -- (retired_at); a set once retired stays retired. To roll back, import
    -- the old rules again: a new version with the old content.
    active      boolean NOT NULL DEFAULT false,
    retired_at  timestamptz,
    CHECK (NOT (active AND retired_at IS NOT NULL))
);
CREATE UNIQUE INDEX rule_sets_one_active ON rule_sets ((true)) WHERE active;

CREATE TABLE rules (
    id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_set         integer NOT NULL REFERENCES rule_sets (version),
    category         text REFERENCES categories (code),         -- NULL: any
    severity         smallint NOT NULL CHECK (severity BETWEEN 0 AND 4),  -- 0: any; 1 = I .. 4 = IV
    risk             smallint NOT NULL CHECK (risk BETWEEN 0 AND 3),      -- 0: any; 1 low .. 3 high
    tier             text NOT NULL CHECK (tier IN ('village', 'town', 'district')),
    line             text CHECK (line IN ('governance', 'market', 'enforcement', 'services')),  -- NULL: the category's
    co_departments   text[] NOT NULL DEFAULT '{}'
                     CHECK (cardinality(co_departments) <= 4 AND array_position(co_departments, NULL) IS NULL),
    ack_s            integer NOT NULL CHECK (ack_s > 0),
    ack_warn_s       integer NOT NULL CHECK (ack_warn_s >= 0 AND ack_warn_s < ack_s),
    conclude_s       integer NOT NULL CHECK (conclude_s > 0 AND ack_s <= conclude_s),
    conclude_warn_s  integer NOT NULL CHECK (conclude_warn_s >= 0 AND conclude_warn_s < conclude_s)
);
-- Two rows of one set with the same key would decide the same cells with the
-- same specificity.
CREATE UNIQUE INDEX rules_key ON rules (rule_set, coalesce(category, ''), severity, risk);

CREATE FUNCTION rules_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rules are never changed in place (% refused): insert a new rule set', TG_OP;
END $$;
CREATE TRIGGER rules_no_change BEFORE UPDATE OR DELETE ON rules
    FOR EACH ROW EXECUTE FUNCTION rules_immutable();
CREATE TRIGGER rules_no_truncate BEFORE TRUNCATE ON rules
    FOR EACH STATEMENT EXECUTE FUNCTION rules_immutable();

-- Of a rule set only retirement changes: active -> not active, once.
CREATE FUNCTION rule_sets_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR (OLD.version, OLD.created_at, OLD.created_by, OLD.note)
            IS DISTINCT FROM (NEW.version, NEW.created_at, NEW.created_by, NEW.note)
       OR (NOT OLD.active AND NEW.active)
       OR (OLD.retired_at IS NOT NULL AND NEW.retired_at IS DISTINCT FROM OLD.retired_at) THEN
        RAISE EXCEPTION 'rule sets are never changed in place (% refused)', TG_OP;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER rule_sets_no_change BEFORE UPDATE OR DELETE ON rule_sets
    FOR EACH ROW EXECUTE FUNCTION rule_sets_immutable();
