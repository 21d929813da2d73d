-- 0017 incident search: the console's search (docs/console.md, "Search")
-- finds a text inside titles, addresses and reporters' phones, concluded
-- incidents included. Trigram indexes answer such a LIKE '%text%' without
-- reading the whole table (a district's years of incidents); the external
-- reference is matched whole, by a plain index.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX incidents_title_trgm ON incidents USING gin (title gin_trgm_ops);
CREATE INDEX incidents_address_trgm ON incidents USING gin (address gin_trgm_ops);
CREATE INDEX incidents_phone_trgm ON incidents USING gin (reporter_phone gin_trgm_ops);
CREATE INDEX incidents_external_ref ON incidents (external_ref) WHERE external_ref <> '';
