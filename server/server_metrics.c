#include "server_metrics.h"

#include "fq_wire.h"
#include "lifecycle.h"
#include "taxonomy.h"

#include <string.h>

#define LABELS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void requests_by_status(fq_metrics *m, const char *endpoint, const uint64_t *by_status)
{
    for (int s = 0; s < FQ_REPLY_STATUSES; s++) {
        const char *name = fq_status_name((Fengqiao__V1__Status)s);
        if (strcmp(name, "unspecified") != 0)
            fq_metrics_sample(m, LABELS("endpoint", endpoint, "status", name),
                              (double)by_status[s]);
    }
}

static void store_metrics(fq_metrics *m, const fq_store_stats *w, const fq_store_stats *r)
{
    const fq_store_stats *both[2] = {w, r};
    const char *names[2] = {"writes", "reads"};
    fq_metrics_family(m, "fengqiao_store_connected", FQ_METRIC_GAUGE,
                      "1 while the store's PostgreSQL connection is up and set up (writes: "
                      "its directory loaded).");
    for (int i = 0; i < 2; i++)
        fq_metrics_sample(m, LABELS("store", names[i]), both[i]->connected);
    fq_metrics_family(m, "fengqiao_store_connections_total", FQ_METRIC_COUNTER,
                      "PostgreSQL connections made, the first included: more than one is a "
                      "reconnect.");
    for (int i = 0; i < 2; i++)
        fq_metrics_sample(m, LABELS("store", names[i]), (double)both[i]->reconnects);
    fq_metrics_family(m, "fengqiao_store_batch_size", FQ_METRIC_HISTOGRAM,
                      "Statements per transaction sent (group commit).");
    for (int i = 0; i < 2; i++)
        fq_metrics_histogram(m, LABELS("store", names[i]), &both[i]->batch_size);
    fq_metrics_family(m, "fengqiao_store_commit_seconds", FQ_METRIC_HISTOGRAM,
                      "From a batch's sending to its COMMIT's result (batches that committed).");
    for (int i = 0; i < 2; i++)
        fq_metrics_histogram(m, LABELS("store", names[i]), &both[i]->commit_seconds);
    static const char *const kinds[9] = {"",        "report", "rejected",    "reroute",
                                         "event",   "action", "read_outbox", "find_request",
                                         "prepared"};
    fq_metrics_family(m, "fengqiao_store_statements_total", FQ_METRIC_COUNTER,
                      "Statements committed, by kind (report: a report's row; rejected: an "
                      "audit row; prepared: any other prepared statement: on the reads store "
                      "the console's reads, on the writes store web sessions and the routing "
                      "status).");
    for (int i = 0; i < 2; i++)
        for (int k = 1; k < 9; k++)
            if (i == 0 || k == FQ_STORE_OP_READ)
                fq_metrics_sample(m, LABELS("store", names[i], "kind", kinds[k]),
                                  (double)both[i]->committed_by_kind[k]);
    fq_metrics_family(m, "fengqiao_store_operations_failed_total", FQ_METRIC_COUNTER,
                      "Operations not done: refused by PostgreSQL (rejected) or answered busy.");
    for (int i = 0; i < 2; i++) {
        fq_metrics_sample(m, LABELS("store", names[i], "reason", "rejected"),
                          (double)both[i]->ops_rejected);
        fq_metrics_sample(m, LABELS("store", names[i], "reason", "busy"),
                          (double)both[i]->ops_busy);
    }
    fq_metrics_family(m, "fengqiao_store_retries_total", FQ_METRIC_COUNTER,
                      "Operations sent again after their batch did not commit.");
    for (int i = 0; i < 2; i++)
        fq_metrics_sample(m, LABELS("store", names[i]), (double)both[i]->ops_retried);
    fq_metrics_value(m, "fengqiao_store_serial_operations_total", FQ_METRIC_COUNTER,
                     "Operations written one per transaction after their batch failed (a resend, "
                     "a bad row, a state not as planned: docs/write-path.md, serial mode).",
                     (double)both[0]->serial_ops);
    fq_metrics_family(
        m, "fengqiao_store_report_lookups_total", FQ_METRIC_COUNTER,
        "Lookups of stored reports: one statement for the reports that arrived in a "
        "loop turn, before they are planned, on the lookup connection or, while it "
        "is down, on the writes connection (docs/write-path.md, resends in a batch).");
    fq_metrics_sample(m, LABELS("via", "lookup_connection"), (double)both[0]->lookups_own);
    fq_metrics_sample(m, LABELS("via", "writes_connection"),
                      (double)(both[0]->lookups - both[0]->lookups_own));
    fq_metrics_value(m, "fengqiao_store_lookup_waits_total", FQ_METRIC_COUNTER,
                     "Times the next batch waited (up to 1 ms) for a lookup's answer on the "
                     "lookup connection, so as to take the reports it names.",
                     (double)both[0]->lookup_waits);
    fq_metrics_value(m, "fengqiao_store_resends_found_total", FQ_METRIC_COUNTER,
                     "Reports the lookup found stored (resends): answered from the stored row, "
                     "nothing written.",
                     (double)both[0]->resends_found);
    fq_metrics_family(m, "fengqiao_store_pending", FQ_METRIC_GAUGE,
                      "Operations waiting to be sent.");
    for (int i = 0; i < 2; i++)
        fq_metrics_sample(m, LABELS("store", names[i]), (double)both[i]->pending);
}

/* Reports upward (docs/upward.md), with --upward-url only. */
static void upward_metrics(fq_metrics *m, const fq_upward *u)
{
    fq_upward_stats st;
    fq_upward_stats_get(u, &st);
    fq_metrics_value(m, "fengqiao_upward_deliveries_total", FQ_METRIC_COUNTER,
                     "Deliveries made for incidents the rules report upward, one per receiver.",
                     (double)st.deliveries_made);
    fq_metrics_family(m, "fengqiao_upward_attempts_total", FQ_METRIC_COUNTER,
                      "Attempts of reports upward recorded, by outcome: accepted (2xx), refused "
                      "(another status), unreachable (no answer).");
    fq_metrics_sample(m, LABELS("outcome", "accepted"), (double)st.attempts[FQ_UPWARD_ACCEPTED]);
    fq_metrics_sample(m, LABELS("outcome", "refused"), (double)st.attempts[FQ_UPWARD_REFUSED]);
    fq_metrics_sample(m, LABELS("outcome", "unreachable"),
                      (double)st.attempts[FQ_UPWARD_UNREACHABLE]);
    fq_metrics_value(m, "fengqiao_upward_acknowledged_total", FQ_METRIC_COUNTER,
                     "Deliveries acknowledged by their receiver (the first 2xx).",
                     (double)st.acknowledged);
    fq_metrics_value(m, "fengqiao_upward_posting", FQ_METRIC_GAUGE,
                     "Reports upward being posted now.", (double)st.posting);
}

void fq_server_metrics_write(const fq_server_metrics_sources *src, fq_metrics *m)
{
    fq_metrics_family(m, "fengqiao_build_info", FQ_METRIC_GAUGE,
                      "Always 1; the version of this fengqiaod in its label.");
    fq_metrics_sample(m, LABELS("version", FQ_VERSION), 1);
    fq_metrics_value(m, "fengqiao_process_start_time_seconds", FQ_METRIC_GAUGE,
                     "When this fengqiaod started, Unix time.", (double)src->started_ms / 1000);
    const fq_readiness r = src->readiness;
    fq_metrics_value(m, "fengqiao_ready", FQ_METRIC_GAUGE,
                     "1 while ready (database, routing, serving lock, not a standby, not "
                     "draining).",
                     fq_readiness_ready(&r));
    fq_metrics_family(m, "fengqiao_readiness_condition", FQ_METRIC_GAUGE,
                      "1 while the condition of readiness holds.");
    fq_metrics_sample(m, LABELS("condition", "database"), r.database);
    fq_metrics_sample(m, LABELS("condition", "routing"), r.routing);
    fq_metrics_sample(m, LABELS("condition", "guard"), r.guard);
    fq_metrics_sample(m, LABELS("condition", "not_standby"), !r.standby);
    fq_metrics_sample(m, LABELS("condition", "not_draining"), !r.draining);

    const fq_intake_stats *is = fq_intake_get_stats(src->intake);
    const fq_terminals_stats *ts = fq_terminals_get_stats(src->terminals);
    fq_metrics_family(m, "fengqiao_requests_total", FQ_METRIC_COUNTER,
                      "nanomsg requests answered, by endpoint (intake: reports; terminals: "
                      "syncs and actions; console: queries and commands) and reply status.");
    requests_by_status(m, "intake", is->by_status);
    requests_by_status(m, "terminals", ts->terminal_by_status);
    requests_by_status(m, "console", ts->console_by_status);
    fq_metrics_family(m, "fengqiao_intake_reports_total", FQ_METRIC_COUNTER,
                      "Reports answered ok, by outcome: a new incident (accepted), an earlier "
                      "outcome repeated (duplicate; coalesced: while the first was in flight).");
    fq_metrics_sample(m, LABELS("outcome", "accepted"), (double)is->accepted);
    fq_metrics_sample(m, LABELS("outcome", "duplicate"), (double)is->duplicates);
    fq_metrics_sample(m, LABELS("outcome", "coalesced"), (double)is->coalesced);
    fq_metrics_value(m, "fengqiao_intake_over_budget_total", FQ_METRIC_COUNTER,
                     "Reports answered busy because waiting reports held --max-pending-kib.",
                     (double)is->over_budget);
    fq_metrics_value(m, "fengqiao_intake_pending_bytes", FQ_METRIC_GAUGE,
                     "Memory held by reports waiting for the database.", (double)is->pending_bytes);
    fq_metrics_family(m, "fengqiao_audit_rows_total", FQ_METRIC_COUNTER,
                      "Audit rows of refused requests: written, or dropped (over --audit-rate, "
                      "or the store was busy).");
    fq_metrics_sample(m, LABELS("endpoint", "intake", "result", "written"),
                      (double)is->audit_written);
    fq_metrics_sample(m, LABELS("endpoint", "intake", "result", "dropped"),
                      (double)is->audit_dropped);
    fq_metrics_sample(m, LABELS("endpoint", "terminals", "result", "written"),
                      (double)ts->audit_written);
    fq_metrics_sample(m, LABELS("endpoint", "terminals", "result", "dropped"),
                      (double)ts->audit_dropped);

    store_metrics(m, fq_store_get_stats(src->store), fq_store_get_stats(src->read_store));
    const fq_search_lists_stats *sl = fq_search_lists_get_stats(src->search_lists);
    fq_metrics_family(m, "fengqiao_store_search_list_cleans_total", FQ_METRIC_COUNTER,
                      "The search indexes' pending lists moved into the indexes on the reads "
                      "connection, off the writer (docs/write-path.md), by result.");
    fq_metrics_sample(m, LABELS("result", "ok"), (double)sl->cleans);
    fq_metrics_sample(m, LABELS("result", "failed"), (double)sl->failures);
    fq_metrics_value(m, "fengqiao_store_search_list_pages_total", FQ_METRIC_COUNTER,
                     "Pending-list pages those cleans moved.", (double)sl->pages);
    fq_metrics_value(m, "fengqiao_directory_loads_total", FQ_METRIC_COUNTER,
                     "Directory and routing state loads read from the database.",
                     (double)fq_store_get_stats(src->store)->directory_loads);
    fq_metrics_value(m, "fengqiao_routing_reload_failures_total", FQ_METRIC_COUNTER,
                     "Loads of the directory or routing state that did not take (the server "
                     "kept the previous one, or has none).",
                     (double)src->reload_failures);
    fq_metrics_value(m, "fengqiao_routing_last_reload_success_timestamp_seconds", FQ_METRIC_GAUGE,
                     "When a load last took, Unix time (0: never).",
                     (double)src->last_reload_ok_ms / 1000);
    fq_metrics_value(m, "fengqiao_serving_lock_refusals_total", FQ_METRIC_COUNTER,
                     "Claims of the serving lock refused because another server held it.",
                     (double)src->guard_refusals);
    fq_metrics_value(m, "fengqiao_standby_catch_ups_total", FQ_METRIC_COUNTER,
                     "A standby's refreshes and its take-over's catch-up taken in.",
                     (double)src->catch_ups);
    fq_metrics_value(m, "fengqiao_standby_caught_up_incidents_total", FQ_METRIC_COUNTER,
                     "Incidents re-read by them.", (double)src->caught_up);
    fq_metrics_value(m, "fengqiao_takeover_seconds", FQ_METRIC_GAUGE,
                     "The last take-over: serving lock taken to caught up, bound and ready "
                     "(0: none).",
                     src->takeover_s);
    fq_metrics_value(m, "fengqiao_takeover_incidents", FQ_METRIC_GAUGE,
                     "Incidents the last take-over's catch-up re-read.",
                     (double)src->takeover_incidents);

    const fq_dispatch_stats *ds = fq_dispatch_get_stats(src->dispatch);
    fq_dispatch_open_counts oc;
    fq_dispatch_count_open(src->dispatch, &oc);
    fq_metrics_family(m, "fengqiao_incidents_open", FQ_METRIC_GAUGE,
                      "Open incidents by tier and assignment state.");
    for (int tier = 0; tier < 4; tier++)
        for (int st = FQ_ASSIGNMENT_ASSIGNED; st <= FQ_ASSIGNMENT_CANCELLED; st++) {
            if (oc.by_tier_state[tier][st] == 0 && (tier == 0 || st > FQ_ASSIGNMENT_CONCLUDED))
                continue; /* rare combinations only when they occur */
            fq_metrics_sample(m,
                              LABELS("tier", tier ? fq_tier_name((fq_tier)tier) : "none", "state",
                                     fq_assignment_state_name((fq_assignment_state)st)),
                              (double)oc.by_tier_state[tier][st]);
        }
    fq_metrics_value(m, "fengqiao_incidents_suspended", FQ_METRIC_GAUGE,
                     "Open incidents suspended (their clocks stand still).", (double)oc.suspended);
    fq_metrics_value(m, "fengqiao_deadlines_pending", FQ_METRIC_GAUGE,
                     "Time limits scheduled (acknowledge, conclude, supervision).",
                     (double)ds->pending_deadlines);
    fq_metrics_family(m, "fengqiao_incidents_routed_total", FQ_METRIC_COUNTER,
                      "New incidents routed, by the tier they went to.");
    for (int tier = 1; tier < 4; tier++)
        fq_metrics_sample(m, LABELS("tier", fq_tier_name((fq_tier)tier)), (double)ds->routed[tier]);
    fq_metrics_family(m, "fengqiao_dispatch_events_total", FQ_METRIC_COUNTER,
                      "Routing and time-limit events: reports merged into an open incident, "
                      "unplaced, unroutable; warnings, escalations, breaches at the top tier, "
                      "assignments moved off silent terminals.");
    fq_metrics_sample(m, LABELS("event", "merged"), (double)ds->merged);
    fq_metrics_sample(m, LABELS("event", "unplaced"), (double)ds->unplaced);
    fq_metrics_sample(m, LABELS("event", "unroutable"), (double)ds->unroutable);
    fq_metrics_sample(m, LABELS("event", "warning"), (double)ds->warnings);
    fq_metrics_sample(m, LABELS("event", "escalation"), (double)ds->escalations);
    fq_metrics_sample(m, LABELS("event", "breach_at_top"), (double)ds->breaches_at_top);
    fq_metrics_sample(m, LABELS("event", "moved_absent"), (double)ds->moved_absent);

    fq_metrics_value(m, "fengqiao_terminal_syncs_held", FQ_METRIC_GAUGE,
                     "Terminals' syncs held open now (long poll): terminals connected.",
                     (double)ts->held);
    fq_metrics_value(m, "fengqiao_workers_present", FQ_METRIC_GAUGE,
                     "Workers on duty: their terminal was heard within --presence-timeout.",
                     (double)ts->present);
    fq_metrics_value(m, "fengqiao_consoles_recent", FQ_METRIC_GAUGE,
                     "Console nodes heard over nanomsg within --presence-timeout (browsers: "
                     "fengqiao_web_event_streams).",
                     (double)ts->consoles_recent);
    fq_metrics_value(m, "fengqiao_feed_items_sent_total", FQ_METRIC_COUNTER,
                     "Outbox items sent to terminals and town systems.", (double)ts->items_sent);
    fq_metrics_family(m, "fengqiao_feed_lag_items", FQ_METRIC_GAUGE,
                      "Per outbox a terminal follows: its newest item's sequence less the last "
                      "its terminal acknowledged; the largest (max) and the total (sum).");
    fq_metrics_sample(m, LABELS("stat", "max"), (double)ts->lag_max);
    fq_metrics_sample(m, LABELS("stat", "sum"), (double)ts->lag_sum);
    fq_metrics_value(m, "fengqiao_feeds_behind", FQ_METRIC_GAUGE,
                     "Outboxes whose terminal has not acknowledged the newest item.",
                     (double)ts->feeds_behind);
    if (src->upward != NULL)
        upward_metrics(m, src->upward);
}
