-- 0022 district platform: the district's own hotline (12345) and online
-- channels report incidents anywhere in the district (docs/protocol.md,
-- "Nodes and roles"). Its jurisdiction is a district; the server and
-- fengqiao-admin check the tier, as they do for town platforms and grid nodes.
ALTER TABLE nodes DROP CONSTRAINT nodes_role_check;
ALTER TABLE nodes ADD CONSTRAINT nodes_role_check
    CHECK (role IN ('town_platform', 'grid_node', 'terminal', 'console', 'admin',
                    'district_platform'));
