/* policy: the pure parts of the reports upward (docs/upward.md) — which
 * incidents are reported (the rules), when a refused delivery is tried again
 * (the backoff), what is sent (the JSON document) and how it is signed. No
 * sockets, no SQL: the sender (sender.h) does the I/O around them. */
#ifndef FQ_UPWARD_POLICY_H
#define FQ_UPWARD_POLICY_H

#include <stddef.h>
#include <stdint.h>

#define FQ_UPWARD_MAX_RULE_WORDS 64
#define FQ_UPWARD_KEY_BYTES 32
#define FQ_UPWARD_WHY_MAX 160

/* Grades as the proto's Severity: 1 I (特别重大) … 4 IV (一般). */
typedef struct fq_upward_rules {
    unsigned grades; /* bit g set: grade g is reported */
    int ncategories;
    char *categories[FQ_UPWARD_MAX_RULE_WORDS]; /* category codes, exact */
    int nkeywords;
    char *keywords[FQ_UPWARD_MAX_RULE_WORDS]; /* found in the title or the description */
} fq_upward_rules;

/* Reads the three settings: `grades` a comma-separated list of I, II, III, IV
 * (or 1..4; "" none; NULL the default, I,II), `categories` and `keywords`
 * comma-separated lists (NULL or "": none; blanks around items dropped).
 * 0, or -1 with the reason in err (nothing kept). */
int fq_upward_rules_parse(fq_upward_rules *r, const char *grades, const char *categories,
                          const char *keywords, char *err, size_t errlen);
void fq_upward_rules_free(fq_upward_rules *r);

/* 1 when the incident is reported, with the first rule that says so in
 * `why` ("grade:II", "category:<code>", "keyword:<word>"), else 0. */
int fq_upward_match(const fq_upward_rules *r, int severity, const char *category, const char *title,
                    const char *description, char *why, size_t whylen);

/* The wait before attempt `failures` + 1, after `failures` refused or failed
 * attempts (>= 1): min_ms doubled per failure, at most max_ms, of which the
 * upper half is random ("equal jitter": never sooner than half the step, so a
 * receiver coming back is not hit by every sender at once). `random` is a
 * uniformly random number (randombytes_random in the sender, fixed in the
 * tests). */
uint64_t fq_upward_backoff_ms(unsigned failures, uint64_t min_ms, uint64_t max_ms, uint32_t random);

/* What is reported about one incident; texts UTF-8, "" when unknown. */
typedef struct fq_upward_incident {
    uint64_t id;
    int severity; /* 1..4 */
    const char *category, *category_name;
    const char *town, *town_name; /* the town (街道) it was placed in */
    const char *place_name;       /* the unit it was reported in */
    const char *address, *title, *description;
    int has_position;
    double lon, lat;
    int64_t occurred_ms; /* 0: unknown */
    int64_t recorded_ms;
    const char *state;
    const char *handler_name; /* who holds it now: a unit's or a worker's name */
    const char *rule;         /* why it is reported (fq_upward_match's why) */
} fq_upward_incident;

/* The JSON document of one delivery (docs/upward.md, "The document"),
 * malloc'd and NUL-terminated, its length in *len; NULL when out of memory. */
char *fq_upward_document(const fq_upward_incident *inc, const char *delivery_id, int attempt,
                         int64_t sent_ms, size_t *len);

/* The shared key: a file's text of 64 hexadecimal digits (blanks around
 * them allowed). 0, or -1 with the reason in err. */
int fq_upward_key_parse(const char *text, uint8_t key[FQ_UPWARD_KEY_BYTES], char *err,
                        size_t errlen);

/* The X-Fengqiao-Signature header's value: "sha256=" and the hex of
 * HMAC-SHA-256(key, body). `out` holds FQ_UPWARD_SIGNATURE_MAX bytes. */
#define FQ_UPWARD_SIGNATURE_MAX (7 + 64 + 1)
void fq_upward_sign(const uint8_t key[FQ_UPWARD_KEY_BYTES], const void *body, size_t len,
                    char out[FQ_UPWARD_SIGNATURE_MAX]);

/* A receiver as people name it: its URL's host (and port), without the
 * path, which may hold a token of the receiver's. Points into `url`; its
 * length in *len. */
const char *fq_upward_receiver_host(const char *url, size_t *len);

/* The grade's Roman numeral ("I".."IV"), "" outside 1..4. */
const char *fq_upward_grade_name(int severity);

#endif
