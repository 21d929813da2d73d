/* test_reply_budget: the byte budget that keeps every reply under the frame
 * limit (server/endpoints/reply.h). A list filled against the budget, with
 * the longest cursor and every field of the wrapping at its largest, seals
 * into a frame of at most FQ_MAX_FRAME_BYTES; one row with every stored
 * field at its maximum always fits a page (docs/console.md, "Paging"). */
#include "reply.h"
#include "validate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* n copies of a 4-byte character (U+20000): the most bytes a field of n
 * characters can take. */
static char *longest(size_t n)
{
    char *s = malloc(4 * n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + 4 * i, "\xf0\xa0\x80\x80", 4);
    s[4 * n] = '\0';
    return s;
}

static char *ascii(size_t n, char c)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void test_field_bytes(void **state)
{
    (void)state;
    assert_int_equal(fq_reply_field_bytes(0), 3);
    assert_int_equal(fq_reply_field_bytes(127), 2 + 1 + 127);
    assert_int_equal(fq_reply_field_bytes(128), 2 + 2 + 128);
    assert_int_equal(fq_reply_field_bytes(16383), 2 + 2 + 16383);
    assert_int_equal(fq_reply_field_bytes(16384), 2 + 3 + 16384);
}

static void test_budget_stops_at_the_limit(void **state)
{
    (void)state;
    fq_reply_budget b = {0};
    size_t item = 1000, cost = fq_reply_field_bytes(item), n = 0;
    while (fq_reply_budget_take(&b, item))
        n++;
    assert_int_equal(n, FQ_REPLY_BUDGET_BYTES / cost);
    assert_true(b.used <= FQ_REPLY_BUDGET_BYTES);
    assert_true(b.used + cost > FQ_REPLY_BUDGET_BYTES);
    /* Nothing counted for what did not fit. */
    size_t used = b.used;
    assert_false(fq_reply_budget_take(&b, item));
    assert_int_equal(b.used, used);
}

/* An incident summary with every field as long as it can be stored. */
static void longest_summary(Fengqiao__V1__IncidentSummary *s, char **co)
{
    fengqiao__v1__incident_summary__init(s);
    s->incident_id = UINT64_MAX >> 1;
    s->category = ascii(FQ_CATEGORY_MAX_LEN, 'c');
    s->severity = FENGQIAO__V1__SEVERITY__SEVERITY_IV;
    s->risk = FENGQIAO__V1__RISK__RISK_HIGH;
    s->title = longest(FQ_TITLE_MAX_CHARS);
    s->address = longest(FQ_ADDRESS_MAX_CHARS);
    s->territory = ascii(FQ_ID_MAX_LEN, 't');
    s->town = ascii(FQ_ID_MAX_LEN, 'w');
    s->tier = FENGQIAO__V1__TIER__TIER_DISTRICT;
    s->line = FENGQIAO__V1__LINE__LINE_SERVICES;
    s->lead_unit = ascii(FQ_ID_MAX_LEN, 'l');
    s->worker = ascii(FQ_ID_MAX_LEN, 'k');
    for (int i = 0; i < 4; i++)
        co[i] = ascii(FQ_ID_MAX_LEN, (char)('0' + i));
    s->co_units = co;
    s->n_co_units = 4;
    s->state = "extension_requested";
    s->assignment = "extension_requested";
    s->recorded_at_ms = s->acknowledge_due_ms = s->conclude_due_ms = INT64_MAX;
    s->supervision_due_ms = INT64_MAX;
    s->overdue = 1;
    s->escalations = UINT32_MAX;
    s->reporter_node = ascii(FQ_ID_MAX_LEN, 'r');
}

static void free_summary(Fengqiao__V1__IncidentSummary *s)
{
    free(s->category);
    free(s->title);
    free(s->address);
    free(s->territory);
    free(s->town);
    free(s->lead_unit);
    free(s->worker);
    for (size_t i = 0; i < s->n_co_units; i++)
        free(s->co_units[i]);
    free(s->reporter_node);
}

static size_t sealed_size(Fengqiao__V1__ConsoleResult *result)
{
    Fengqiao__V1__Reply reply = FENGQIAO__V1__REPLY__INIT;
    reply.status = FENGQIAO__V1__STATUS__STATUS_OK;
    reply.message = "";
    reply.message_id = UINT64_MAX >> 1;
    reply.server_time_ms = INT64_MAX;
    reply.retry_after_ms = UINT32_MAX;
    reply.result_case = FENGQIAO__V1__REPLY__RESULT_CONSOLE;
    reply.console = result;
    uint8_t key[FQ_KEY_BYTES] = {1};
    uint8_t *frame;
    size_t len;
    assert_int_equal(fq_wire_seal_reply(key, &reply, &frame, &len), FQ_WIRE_OK);
    free(frame);
    return len;
}

/* A board page filled to the budget, with the longest cursor, fits a frame. */
static void test_full_board_page_fits_a_frame(void **state)
{
    (void)state;
    Fengqiao__V1__IncidentSummary s;
    char *co[4];
    longest_summary(&s, co);
    size_t one = fengqiao__v1__incident_summary__get_packed_size(&s);
    Fengqiao__V1__IncidentSummary *list[2000];
    fq_reply_budget b = {0};
    size_t n = 0;
    while (n < 2000 && fq_reply_budget_take(&b, one))
        list[n++] = &s;
    assert_true(n > 10);
    Fengqiao__V1__ConsoleResult result = FENGQIAO__V1__CONSOLE_RESULT__INIT;
    result.incidents = list;
    result.n_incidents = n;
    result.more = 1;
    result.cursor = ascii(FQ_REPLY_CURSOR_MAX - 1, '9');
    size_t frame = sealed_size(&result);
    assert_true(frame <= FQ_MAX_FRAME_BYTES);
    /* The page is full: one more row would have passed the budget. */
    assert_true(b.used + fq_reply_field_bytes(one) > FQ_REPLY_BUDGET_BYTES);
    free(result.cursor);
    free_summary(&s);
}

/* The first page of a timeline: the longest summary and description and one
 * event with the longest reason fit, with room to spare. */
static void test_longest_incident_fits_one_page(void **state)
{
    (void)state;
    Fengqiao__V1__IncidentSummary s;
    Fengqiao__V1__IncidentSummary *one = &s;
    char *co[4];
    longest_summary(&s, co);
    Fengqiao__V1__TimelineEvent ev = FENGQIAO__V1__TIMELINE_EVENT__INIT;
    Fengqiao__V1__TimelineEvent *evs = &ev;
    ev.seq = UINT64_MAX >> 1;
    ev.kind = "supervision_replied";
    ev.actor = ascii(FQ_ID_MAX_LEN, 'a');
    ev.at_ms = INT64_MAX;
    ev.reason = longest(FQ_NOTE_MAX_CHARS);
    char *description = longest(FQ_DESCRIPTION_MAX_CHARS);
    fq_reply_budget b = {0};
    assert_true(fq_reply_budget_take(&b, fengqiao__v1__incident_summary__get_packed_size(&s)));
    assert_true(fq_reply_budget_take(&b, strlen(description)));
    assert_true(fq_reply_budget_take(&b, fengqiao__v1__timeline_event__get_packed_size(&ev)));
    Fengqiao__V1__ConsoleResult result = FENGQIAO__V1__CONSOLE_RESULT__INIT;
    result.incidents = &one;
    result.n_incidents = 1;
    result.description = description;
    result.timeline = &evs;
    result.n_timeline = 1;
    result.more = 1;
    result.cursor = ascii(FQ_REPLY_CURSOR_MAX - 1, '9');
    assert_true(sealed_size(&result) <= FQ_MAX_FRAME_BYTES);
    free(result.cursor);
    free(description);
    free(ev.reason);
    free(ev.actor);
    free_summary(&s);
}

/* A sync item with every field at its maximum fits alone, and 64 of them
 * would not fit one frame: the budget, not the 64-item cap, decides. */
static void test_longest_outbox_item(void **state)
{
    (void)state;
    Fengqiao__V1__GeoPoint at = FENGQIAO__V1__GEO_POINT__INIT;
    at.lon = -179.999999;
    at.lat = -89.999999;
    Fengqiao__V1__OutboxItem it = FENGQIAO__V1__OUTBOX_ITEM__INIT;
    it.seq = UINT64_MAX >> 1;
    it.kind = FENGQIAO__V1__ITEM_KIND__ITEM_SUPERVISION;
    it.incident_id = UINT64_MAX >> 1;
    it.text = ascii(511, 'x'); /* dispatch.c composes it in 512 bytes */
    it.category = ascii(FQ_CATEGORY_MAX_LEN, 'c');
    it.severity = FENGQIAO__V1__SEVERITY__SEVERITY_IV;
    it.title = longest(FQ_TITLE_MAX_CHARS);
    it.address = longest(FQ_ADDRESS_MAX_CHARS);
    it.territory = ascii(FQ_ID_MAX_LEN, 't');
    it.location = &at;
    it.acknowledge_due_ms = it.conclude_due_ms = it.at_ms = it.supervision_due_ms = INT64_MAX;
    size_t one = fengqiao__v1__outbox_item__get_packed_size(&it);
    fq_reply_budget b = {0};
    assert_true(fq_reply_budget_take(&b, one));
    assert_true(64 * fq_reply_field_bytes(one) > FQ_MAX_FRAME_BYTES);
    free(it.text);
    free(it.category);
    free(it.title);
    free(it.address);
    free(it.territory);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_bytes),
        cmocka_unit_test(test_budget_stops_at_the_limit),
        cmocka_unit_test(test_full_board_page_fits_a_frame),
        cmocka_unit_test(test_longest_incident_fits_one_page),
        cmocka_unit_test(test_longest_outbox_item),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
