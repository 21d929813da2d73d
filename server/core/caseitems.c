#include "caseitems.h"

#include "lifecycle.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void fq_items_format_time(char *buf, size_t len, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The most specific unit the incident was placed in. */
int32_t fq_items_territory(const fq_decision *dec)
{
    return dec->grid >= 0      ? dec->grid
           : dec->village >= 0 ? dec->village
           : dec->town >= 0    ? dec->town
                               : dec->district;
}

const char *fq_items_handler_id(const fq_roster *roster, int32_t h)
{
    return h >= 0 ? fq_roster_handler_id(roster, h) : "";
}

const char *fq_items_worker_id(const fq_roster *roster, int32_t w)
{
    return w >= 0 ? fq_roster_worker_id(roster, w) : "";
}

size_t fq_items_co_array(const fq_roster *roster, const fq_decision *dec,
                         uint8_t out[FQ_ITEMS_CO_ARRAY_BYTES])
{
    const char *ids[FQ_ROUTE_MAX_CO];
    int n = dec->n_co < FQ_ROUTE_MAX_CO ? dec->n_co : FQ_ROUTE_MAX_CO;
    for (int i = 0; i < n; i++)
        ids[i] = fq_items_handler_id(roster, dec->co[i]);
    size_t len = fq_pgarray_texts(out, FQ_ITEMS_CO_ARRAY_BYTES, ids, n);
    /* Every id is at most FQ_ID_MAX_LEN bytes (fq_roster_add_handler):
     * this cannot fail, and co-handlers must never be dropped unseen. */
    assert(len > 0);
    return len;
}

/* The boxes of whoever holds the assignment: the worker, or the lead unit,
 * and the co-handling units. The first is the one who acts on it. */
int fq_items_holder_boxes(const fq_world *w, const fq_decision *dec, char out[][FQ_BOX_MAX],
                          int max)
{
    int n = 0;
    if (dec->status != FQ_ROUTE_ASSIGNED)
        return 0;
    if (dec->worker >= 0)
        snprintf(out[n++], FQ_BOX_MAX, "w:%s", fq_items_worker_id(w->roster, dec->worker));
    else if (dec->lead >= 0)
        snprintf(out[n++], FQ_BOX_MAX, "h:%s", fq_items_handler_id(w->roster, dec->lead));
    for (int i = 0; i < dec->n_co && n < max; i++)
        if (dec->co[i] >= 0)
            snprintf(out[n++], FQ_BOX_MAX, "h:%s", fq_items_handler_id(w->roster, dec->co[i]));
    return n;
}

/* The feeds that follow an incident: its town's (the town platforms and
 * town operators read it) and its district's (the command center). */
void fq_items_follow(fq_outbox_set *set, const fq_world *w, int32_t unit,
                     const Fengqiao__V1__OutboxItem *item, int complete)
{
    const fq_org *org = w->org;
    char box[FQ_BOX_MAX];
    for (int32_t u = unit; u >= 0; u = fq_org_parent(org, u)) {
        fq_unit_kind kind = fq_org_kind(org, u);
        if (kind != FQ_UNIT_TOWN && kind != FQ_UNIT_DISTRICT)
            continue;
        snprintf(box, sizeof box, "u:%s", fq_org_id(org, u));
        fq_outbox_add_feed(set, kind == FQ_UNIT_TOWN ? FQ_FEED_TOWN : FQ_FEED_DISTRICT, box, item,
                           complete);
    }
}

/* One of the server's own events, with its stored reason. */
fq_item_event fq_items_server_event(const char *kind, const char *reason_code, const char *reason)
{
    return (fq_item_event){.kind = kind,
                           .note = "",
                           .actor_name = "",
                           .actor = "",
                           .reason_code = reason_code,
                           .reason = reason,
                           .state = "assigned",
                           .assignment = "assigned"};
}

/* An event a node's person caused, with what they wrote and the reason the
 * history stores for it. */
fq_item_event fq_items_node_event(const char *kind, const fq_node *actor, const char *note,
                                  const char *reason_code, const char *reason)
{
    return (fq_item_event){.kind = kind,
                           .note = note,
                           .actor_name = actor->name != NULL ? actor->name : "",
                           .actor = actor->id,
                           .reason_code = reason_code,
                           .reason = reason,
                           .state = "assigned",
                           .assignment = "assigned"};
}

/* The assignment's state while the incident is open, by name. */
const char *fq_items_assignment_name(const fq_case *c)
{
    return fq_assignment_state_name(c->assignment ? (fq_assignment_state)c->assignment
                                                  : FQ_ASSIGNMENT_ASSIGNED);
}

/* What a routing decision was made by: a rule, the built-in principle,
 * climbing past a tier nobody could take, or an operator's choice. */
const char *fq_items_decision_reason(const fq_decision *dec)
{
    return dec->overridden    ? FQ_REASON_OPERATOR
           : dec->climbed     ? FQ_REASON_CLIMBED
           : dec->rule_source ? FQ_REASON_RULE
                              : FQ_REASON_PRINCIPLE;
}

/* What every item about this incident says; title and address only a
 * report has at hand (the terminal endpoint adds them from the database
 * for the other items). The names are the snapshot's (docs/terminals.md,
 * "Names"); the holder is the one after the event. */
void fq_items_for(const fq_world *w, const fq_route_request *req, const fq_decision *dec,
                  const fq_item_event *ev, fq_item_buf *b)
{
    fengqiao__v1__outbox_item__init(&b->it);
    b->text[0] = '\0';
    b->it.text = b->text;
    b->it.event_kind = (char *)ev->kind;
    b->it.note = (char *)ev->note;
    b->it.actor_name = (char *)ev->actor_name;
    b->it.actor = (char *)ev->actor;
    b->it.reason_code = (char *)ev->reason_code;
    b->it.reason = (char *)ev->reason;
    b->it.state = (char *)ev->state;
    b->it.assignment = (char *)ev->assignment;
    b->it.merged_into = ev->merged_into;
    if (ev->reporter != NULL) {
        b->it.reporter_node = (char *)ev->reporter->id;
        b->it.reporter_node_name = (char *)(ev->reporter->name ? ev->reporter->name : "");
        b->it.external_ref = (char *)ev->external_ref;
    }
    if (req->category >= 0) {
        b->it.category = (char *)fq_taxonomy_code(w->taxonomy, req->category);
        b->it.category_name = (char *)fq_taxonomy_name(w->taxonomy, req->category);
    }
    b->it.severity = (Fengqiao__V1__Severity)req->severity;
    int32_t t = fq_items_territory(dec);
    if (t >= 0) {
        b->it.territory = (char *)fq_org_id(w->org, t);
        b->it.territory_name = (char *)fq_org_name(w->org, t);
    }
    if (req->has_location) {
        fengqiao__v1__geo_point__init(&b->point);
        b->point.lon = req->lon;
        b->point.lat = req->lat;
        b->it.location = &b->point;
    }
    if (dec->status == FQ_ROUTE_ASSIGNED) {
        b->it.acknowledge_due_ms = dec->ack_due_ms;
        b->it.conclude_due_ms = dec->conclude_due_ms;
        b->it.working_time = dec->working_time;
        if (dec->lead >= 0) {
            b->it.holder_unit = (char *)fq_items_handler_id(w->roster, dec->lead);
            b->it.holder_unit_name = (char *)fq_roster_handler_name(w->roster, dec->lead);
        }
        if (dec->worker >= 0) {
            b->it.holder_worker = (char *)fq_items_worker_id(w->roster, dec->worker);
            b->it.holder_worker_name = (char *)fq_roster_worker_name(w->roster, dec->worker);
        }
        b->it.tier = (Fengqiao__V1__Tier)dec->tier;
        b->it.line = (Fengqiao__V1__Line)(dec->line + 1); /* the wire's 0 is "unspecified" */
        for (int i = 0; i < dec->n_co; i++) {
            b->co[i] = (char *)fq_items_handler_id(w->roster, dec->co[i]);
            b->co_names[i] = (char *)fq_roster_handler_name(w->roster, dec->co[i]);
        }
        b->it.n_co_units = b->it.n_co_unit_names = dec->n_co;
        b->it.co_units = b->co;
        b->it.co_unit_names = b->co_names;
        if (ev->decided) {
            b->it.rule_set = w->rule_set;
            b->it.rule = dec->rule_source;
        }
    }
}

int fq_items_in_boxes(char boxes[][FQ_BOX_MAX], int n, const char *box)
{
    for (int i = 0; i < n; i++)
        if (strcmp(boxes[i], box) == 0)
            return 1;
    return 0;
}

/* A routing decision (new, or replacing `before`): the new holders get the
 * assignment, the former ones a cancellation, the town's feed an update. */
void fq_items_routing(fq_outbox_set *set, const fq_world *w, const fq_route_request *req,
                      const fq_decision *now, const fq_decision *before, const char *why,
                      const Fengqiao__V1__ReportIncident *report, const fq_item_event *ev)
{
    char nb[FQ_ROUTE_MAX_CO + 1][FQ_BOX_MAX], ob[FQ_ROUTE_MAX_CO + 1][FQ_BOX_MAX];
    int nn = fq_items_holder_boxes(w, now, nb, FQ_ROUTE_MAX_CO + 1);
    int no = before ? fq_items_holder_boxes(w, before, ob, FQ_ROUTE_MAX_CO + 1) : 0;
    fq_item_buf b;
    fq_items_for(w, req, now, ev, &b);
    int complete = report != NULL;
    if (report != NULL) {
        b.it.title = report->title;
        b.it.address = report->address;
    }
    for (int i = 0; i < nn; i++) {
        int kept = fq_items_in_boxes(ob, no, nb[i]);
        snprintf(b.text, sizeof b.text, "%s%s: %s", kept ? "updated" : "assigned to you",
                 i > 0 ? " (co-handling)" : "", why);
        fq_outbox_add(set, nb[i],
                      kept ? FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE
                           : FENGQIAO__V1__ITEM_KIND__ITEM_ASSIGNMENT,
                      &b.it, complete);
    }
    for (int i = 0; i < no; i++) {
        if (fq_items_in_boxes(nb, nn, ob[i]))
            continue;
        snprintf(b.text, sizeof b.text, "moved on to another handler: %s", why);
        fq_outbox_add(set, ob[i], FENGQIAO__V1__ITEM_KIND__ITEM_CANCELLATION, &b.it, complete);
    }
    snprintf(b.text, sizeof b.text, "%s", why);
    fq_items_follow(set, w, fq_items_territory(now), &b.it, complete);
    if (before)
        fq_items_follow(set, w, fq_items_territory(before), &b.it, complete);
}

/* Something happened to an assignment that does not move it: the holders
 * (all but `except`) get `kind`, the town's and district's feeds an update
 * if `follow`. */
void fq_items_notice_due(fq_outbox_set *set, const fq_world *w, const fq_case *c,
                         Fengqiao__V1__ItemKind kind, const char *text, const char *except,
                         int follow, int64_t supervision_due_ms, const fq_item_event *ev)
{
    char hb[FQ_ROUTE_MAX_CO + 1][FQ_BOX_MAX];
    int nh = fq_items_holder_boxes(w, &c->decision, hb, FQ_ROUTE_MAX_CO + 1);
    fq_item_buf b;
    fq_items_for(w, &c->request, &c->decision, ev, &b);
    b.it.supervision_due_ms = supervision_due_ms;
    b.it.suspended_at_ms = c->suspended_ms;
    if (fq_case_acknowledged(c))
        b.it.acknowledge_due_ms = 0; /* spent: a terminal would show it as still to come */
    snprintf(b.text, sizeof b.text, "%s", text);
    for (int i = 0; i < nh; i++)
        if (except == NULL || strcmp(hb[i], except) != 0)
            fq_outbox_add(set, hb[i], kind, &b.it, 0);
    if (follow)
        fq_items_follow(set, w, fq_items_territory(&c->decision), &b.it, 0);
}

/* The same, with the case's own open supervision order (if any). */
void fq_items_notice(fq_outbox_set *set, const fq_world *w, const fq_case *c,
                     Fengqiao__V1__ItemKind kind, const char *text, const char *except, int follow,
                     const fq_item_event *ev)
{
    fq_items_notice_due(set, w, c, kind, text, except, follow, c->supervision_ms, ev);
}

/* A suspension or its end (`ev`: `suspended` or `resumed`, the operator's
 * reason as its note): every holder and the feeds get an update with the
 * time it was suspended at, or, on resumption, 0 and the limits as moved. */
void fq_items_suspension(fq_outbox_set *set, const fq_world *w, const fq_case *c,
                         const fq_decision *limits, int64_t supervision_due_ms,
                         int64_t suspended_ms, const fq_item_event *ev, const char *text)
{
    char hb[FQ_ROUTE_MAX_CO + 1][FQ_BOX_MAX];
    int nh = fq_items_holder_boxes(w, &c->decision, hb, FQ_ROUTE_MAX_CO + 1);
    fq_item_buf b;
    fq_items_for(w, &c->request, limits, ev, &b);
    b.it.supervision_due_ms = supervision_due_ms;
    b.it.suspended_at_ms = suspended_ms;
    if (fq_case_acknowledged(c))
        b.it.acknowledge_due_ms = 0;
    snprintf(b.text, sizeof b.text, "%s", text);
    for (int i = 0; i < nh; i++)
        fq_outbox_add(set, hb[i], FENGQIAO__V1__ITEM_KIND__ITEM_UPDATE, &b.it, 0);
    fq_items_follow(set, w, fq_items_territory(&c->decision), &b.it, 0);
}
