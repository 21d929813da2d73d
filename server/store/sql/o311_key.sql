-- The node of an API key ($1 its BLAKE2b-256), unless revoked.
SELECT node_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL
