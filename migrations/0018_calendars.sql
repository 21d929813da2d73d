-- 0018 calendars: each district's working calendar (docs/calendar.md),
-- loaded by fengqiao-admin calendar import. The settings are one row per
-- district; the dated exceptions to its weekly rule (public holidays and
-- official make-up working days, 调休) are one row per date, for the years
-- imported (calendar_years: which years, from which source). A year imported
-- is replaced whole by the next import that lists it.
CREATE TABLE calendars (
    district          text PRIMARY KEY REFERENCES org_units (id),
    -- Local time is UTC plus this fixed offset (no DST: docs/calendar.md).
    utc_offset_s      integer NOT NULL CHECK (utc_offset_s BETWEEN -50400 AND 50400),
    -- Working periods of a working day as local minutes from midnight,
    -- start and end pairs [start, end): {510,720,810,1050} is 08:30-12:00, 13:30-17:30.
    working_periods   integer[] NOT NULL CHECK (cardinality(working_periods) BETWEEN 2 AND 8
                                                AND cardinality(working_periods) % 2 = 0),
    -- Bit 0 Monday ... bit 6 Sunday: the weekdays that are working days.
    working_weekdays  smallint NOT NULL CHECK (working_weekdays BETWEEN 1 AND 127),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE calendar_years (
    district     text NOT NULL REFERENCES calendars (district),
    year         integer NOT NULL CHECK (year BETWEEN 2000 AND 2099),
    source       text NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (district, year)
);

CREATE TABLE calendar_days (
    district  text NOT NULL,
    day       date NOT NULL,
    -- true: a make-up working day; false: a holiday.
    working   boolean NOT NULL,
    name      text NOT NULL,
    year      integer NOT NULL GENERATED ALWAYS AS (extract(year FROM day)::integer) STORED,
    PRIMARY KEY (district, day),
    FOREIGN KEY (district, year) REFERENCES calendar_years (district, year) ON DELETE CASCADE
);
