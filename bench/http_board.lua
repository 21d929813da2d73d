-- wrk script of bench/run http: GET /api/v1/board?limit=N with the session
-- cookie of a signed-in operator (FQ_COOKIE, "fq_session=..."), and at the
-- end one JSON line on stdout: requests/s, latency percentiles in
-- microseconds, and every kind of error wrk counts (a status >= 400 is one).
wrk.method = "GET"
wrk.headers["Cookie"] = os.getenv("FQ_COOKIE")
wrk.headers["Accept"] = "application/json"

function done(summary, latency, requests)
    local seconds = summary.duration / 1e6
    local e = summary.errors
    io.write(string.format(
        '{"requests":%d,"seconds":%.3f,"rate":%.1f,"p50_us":%.1f,"p99_us":%.1f,"max_us":%.1f,' ..
        '"bytes_mean":%.1f,"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
        '"errors_status":%d,"errors_timeout":%d}\n',
        summary.requests, seconds, summary.requests / seconds,
        latency:percentile(50), latency:percentile(99), latency.max,
        summary.requests > 0 and summary.bytes / summary.requests or 0,
        e.connect, e.read, e.write, e.status, e.timeout))
end
