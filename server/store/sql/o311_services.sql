-- The services: every category, or the one whose service code is $1: service
-- code, name (the category's), group, keywords (comma-separated), category
-- code.
SELECT coalesce(open311_code, code), name, open311_group, array_to_string(open311_keywords, ', '),
code FROM categories WHERE $1::text IS NULL OR coalesce(open311_code, code) = $1 ORDER BY 1
