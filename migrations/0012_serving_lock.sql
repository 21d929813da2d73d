-- 0012 the serving lock: one fengqiaod writes to a database at a time. Two
-- would hand out the same outbox sequence numbers and fire every escalation
-- twice. The server claims this session-level advisory lock first on every
-- connection it opens, before it writes anything; PostgreSQL lets it go with
-- the session (a stopped or killed server, a dropped connection). A second
-- server is told who holds it, and exits or waits (fengqiaod --if-locked).
-- The key is not the migrations' lock (fengqiao-admin migrate), so a
-- migration can run while a server serves.
CREATE FUNCTION fq_claim_serving_lock() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    serving_key constant bigint := 7236111411;
    holder text;
BEGIN
    IF pg_try_advisory_lock(serving_key) THEN
        RETURN;
    END IF;
    -- A bigint key shows in pg_locks as its high and low halves.
    SELECT format('PostgreSQL backend pid %s, client %s, connected since %s', a.pid,
                  coalesce(host(a.client_addr), 'on a local socket'),
                  to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'))
      INTO holder
      FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND l.classid = (serving_key >> 32)::oid AND l.objid = (serving_key & 4294967295)::oid
     LIMIT 1;
    RAISE EXCEPTION 'another fengqiaod is serving this database (%)',
        coalesce(holder, 'its session is not visible to this role')
        USING ERRCODE = 'lock_not_available';
END $$;
