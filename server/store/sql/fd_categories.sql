-- The categories with their keywords, for the suggestions: one json array
-- [{code, name, keywords}], in code order.
SELECT coalesce(json_agg(json_build_object('code', code, 'name', name, 'keywords', keywords) ORDER
BY code), '[]')::text FROM categories WHERE keywords <> '{}'
