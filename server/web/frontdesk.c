/* frontdesk: the front desk's API (frontdesk.h, docs/front-desk.md). */
#include "frontdesk.h"

#include "api.h"
#include "frontdeskreq.h"
#include "keyseal.h"
#include "log.h"
#include "masking.h"
#include "pgarray.h"
#include "requestid.h"
#include "statements.h"
#include "suggest.h"

#include <ctype.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST(x) FENGQIAO__V1__STATUS__STATUS_##x
#define HISTORY_DAYS_DEFAULT 90
#define HISTORY_DAYS_MAX 3650
#define SUGGEST_MAX 5
#define SEALED_MAX (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + FQ_MASK_NAME_MAX)

/* Sub-keys of the personal-data key (crypto_kdf): one seals, one hashes. The
 * personal-data key is kept in sealed_keys sealed under the server key (the
 * associated data names it), so a database dump alone opens and links
 * nothing, and a rotation of the server key re-seals it without touching a
 * person's row (migration 0027). */
#define KDF_CONTEXT "fqperson"
#define KEY_AD_ID "sealed_keys/frontdesk"
enum { KDF_SEAL = 1, KDF_HASH = 2 };

typedef enum key_state { KEY_NONE, KEY_LOADING, KEY_READY } key_state;

/* A request waiting for the personal-data key (read once, at the first need). */
typedef void (*keyed_fn)(fq_frontdesk *fd, fq_web_req *r);
typedef struct waiter {
    keyed_fn run;
    fq_web_req *r;
    struct waiter *next;
} waiter;

struct fq_frontdesk {
    fq_intake *intake;
    fq_dispatch *dispatch;
    fq_store *store;
    fq_store *read_store;
    uint8_t server_key[FQ_SERVER_KEY_BYTES];
    key_state keys;
    fq_store_op key_op;
    uint8_t key_candidate[FQ_SEALED_KEY_BYTES]; /* a new key, sealed: kept if none is yet */
    waiter *waiting;
    uint8_t seal_key[crypto_secretbox_KEYBYTES];
    uint8_t hash_key[crypto_generichash_KEYBYTES];
};

/* ---- sealing and hashing ---- */

typedef struct sealed {
    uint8_t bytes[SEALED_MAX];
    size_t len;
} sealed;

static void seal(const fq_frontdesk *fd, const char *text, sealed *out)
{
    size_t n = strlen(text);
    randombytes_buf(out->bytes, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(out->bytes + crypto_secretbox_NONCEBYTES, (const uint8_t *)text, n,
                          out->bytes, fd->seal_key);
    out->len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
}

/* 0 and the text in out (NUL-terminated), or -1. */
static int unseal(const fq_frontdesk *fd, const uint8_t *in, size_t len, char *out, size_t cap)
{
    size_t overhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
    if (len < overhead || len - overhead + 1 > cap)
        return -1;
    if (crypto_secretbox_open_easy((uint8_t *)out, in + crypto_secretbox_NONCEBYTES,
                                   len - crypto_secretbox_NONCEBYTES, in, fd->seal_key) != 0)
        return -1;
    out[len - overhead] = '\0';
    return 0;
}

/* Keyed BLAKE2b-256 of "<kind>:<normalised value>": the kind keeps a phone
 * from matching an identity number of the same digits. */
static void lookup_hash(const fq_frontdesk *fd, const char *kind, const char *value,
                        uint8_t out[32])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, fd->hash_key, sizeof fd->hash_key, 32);
    crypto_generichash_update(&st, (const uint8_t *)kind, strlen(kind));
    crypto_generichash_update(&st, (const uint8_t *)":", 1);
    crypto_generichash_update(&st, (const uint8_t *)value, strlen(value));
    crypto_generichash_final(&st, out, 32);
}

/* ---- the personal-data key ---- */

/* FQ_SQL_FD_KEY (sql/fd_key.sql) on fd's key op: `candidate` (sealed) kept
 * unless the table holds a key; binary results (the sealed bytes), which
 * key_loaded reads. */
static void key_bind(fq_frontdesk *fd)
{
    memset(&fd->key_op, 0, sizeof fd->key_op);
    fd->key_op.kind = FQ_STORE_OP_READ;
    fd->key_op.statement = FQ_SQL_FD_KEY_NAME;
    fd->key_op.nparams = FQ_SQL_FD_KEY_NPARAMS;
    fd->key_op.values[0] = (const char *)fd->key_candidate;
    fd->key_op.lengths[0] = sizeof fd->key_candidate;
    fd->key_op.formats[0] = 1;
    fd->key_op.result_format = 1;
}

static void key_loaded(fq_store_op *op, int status, const char *message)
{
    fq_frontdesk *fd = (fq_frontdesk *)((char *)op - offsetof(fq_frontdesk, key_op));
    const PGresult *res = op->result;
    uint8_t key[32];
    int ok = 0;
    const char *why = message && message[0] ? message : "the database is away";
    if (status == FQ_OK && res != NULL && PQntuples(res) == 1) {
        /* key_bind asked for binary: the sealed bytes as they are. */
        const unsigned char *blob = (const unsigned char *)PQgetvalue(res, 0, 0);
        size_t len = (size_t)PQgetlength(res, 0, 0);
        ok = fq_key_unseal(fd->server_key, KEY_AD_ID, blob, len, key) == 0;
        if (!ok) {
            why = "the personal-data key does not open with this server key";
            fq_log(FQ_LOG_ERROR, "frontdesk",
                   "the personal-data key (sealed_keys 'frontdesk') does not open with the server "
                   "key: is it the key the database was sealed under?");
        }
    }
    if (ok) {
        crypto_kdf_derive_from_key(fd->seal_key, sizeof fd->seal_key, KDF_SEAL, KDF_CONTEXT, key);
        crypto_kdf_derive_from_key(fd->hash_key, sizeof fd->hash_key, KDF_HASH, KDF_CONTEXT, key);
        sodium_memzero(key, sizeof key);
    }
    fd->keys = ok ? KEY_READY : KEY_NONE;
    waiter *w = fd->waiting;
    fd->waiting = NULL;
    while (w != NULL) {
        waiter *next = w->next;
        if (ok)
            w->run(fd, w->r);
        else
            fq_web_respond_error(w->r, 503, "busy", why, 2);
        free(w);
        w = next;
    }
}

/* Runs `fn` once the personal-data key is at hand: now, or when it is read
 * (made and stored the first time). */
static void with_keys(fq_frontdesk *fd, fq_web_req *r, keyed_fn fn)
{
    if (fd->keys == KEY_READY) {
        fn(fd, r);
        return;
    }
    waiter *w = malloc(sizeof *w);
    if (w == NULL) {
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        return;
    }
    w->run = fn;
    w->r = r;
    w->next = fd->waiting;
    fd->waiting = w;
    if (fd->keys == KEY_LOADING)
        return;
    fd->keys = KEY_LOADING;
    uint8_t key[32];
    crypto_kdf_keygen(key);
    fq_key_seal(fd->server_key, KEY_AD_ID, key, fd->key_candidate);
    sodium_memzero(key, sizeof key);
    key_bind(fd);
    fd->key_op.done = key_loaded;
    fq_store_submit(fd->store, &fd->key_op);
}

/* ---- roles ---- */

static int is_role(const fq_web_session *s, fq_web_role a, fq_web_role b)
{
    return s->role == a || s->role == b;
}

static int refuse_role(fq_web_req *r, const char *why)
{
    fq_web_respond_error(r, 403, "role", why, 0);
    return -1;
}

/* ---- POST /api/v1/frontdesk/cases ---- */

typedef struct register_req {
    fq_store_op op;
    fq_frontdesk *fd;
    fq_web_req *r;
    int duplicate;
    uint64_t incident_id;
    char incident_text[24], matter_text[4];
    char account[48];
    fq_frontdesk_person person;
    sealed name_sealed, phone_sealed, id_sealed;
    uint8_t name_hash[32], phone_hash[32], id_hash[32];
} register_req;

static void register_free(register_req *q)
{
    sodium_memzero(&q->person, sizeof q->person);
    free(q);
}

static void party_done(fq_store_op *op, int status, const char *message)
{
    (void)message;
    register_req *q = (register_req *)op;
    const PGresult *res = op->result;
    json_object *placed = status == FQ_OK && res != NULL && PQntuples(res) == 1
                              ? json_tokener_parse(PQgetvalue(res, 0, 1))
                              : NULL;
    if (placed == NULL) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "the case is stored (incident %" PRIu64
                 ") but not yet its person; retry with the same request_id",
                 q->incident_id);
        fq_web_respond_err(q->r, FQ_EBUSY, msg);
        register_free(q);
        return;
    }
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "incident_id", json_object_new_int64((int64_t)q->incident_id));
    json_object_object_add(doc, "party_id",
                           json_object_new_int64(strtoll(PQgetvalue(res, 0, 0), NULL, 10)));
    json_object_object_add(doc, "duplicate", json_object_new_boolean(q->duplicate));
    json_object_object_add(doc, "placed", placed);
    json_object *person = json_object_new_object();
    json_object_object_add(person, "name", json_object_new_string(q->person.name_masked));
    json_object_object_add(person, "phone", json_object_new_string(q->person.phone_masked));
    json_object_object_add(person, "id_number", json_object_new_string(q->person.id_masked));
    json_object_object_add(doc, "person", person);
    fq_web_respond_json(q->r, 200, doc);
    register_free(q);
}

static void bind_bytes(fq_store_op *op, int i, const void *bytes, size_t len)
{
    op->values[i] = bytes;
    op->lengths[i] = (int)len;
    op->formats[i] = 1;
}

/* FQ_SQL_FD_PARTY_ADD (sql/fd_party_add.sql) on q's op: q's person (masked,
 * sealed and hashed; a phone or id number not given: NULL) of incident
 * `incident_id`, registered by q's account. party_done reads the row (party
 * id, where the case went). */
static void party_add_bind(register_req *q, uint64_t incident_id)
{
    fq_store_op *op = &q->op;
    snprintf(q->incident_text, sizeof q->incident_text, "%" PRIu64, incident_id);
    memset(op->values, 0, sizeof op->values);
    memset(op->lengths, 0, sizeof op->lengths);
    memset(op->formats, 0, sizeof op->formats);
    op->kind = FQ_STORE_OP_READ;
    op->statement = FQ_SQL_FD_PARTY_ADD_NAME;
    op->nparams = FQ_SQL_FD_PARTY_ADD_NPARAMS;
    op->values[0] = q->incident_text;
    op->values[1] = q->matter_text;
    op->values[2] = q->person.name_masked;
    bind_bytes(op, 3, q->name_sealed.bytes, q->name_sealed.len);
    bind_bytes(op, 4, q->name_hash, 32);
    op->values[5] = q->person.phone_masked;
    if (q->person.phone[0] != '\0') {
        bind_bytes(op, 6, q->phone_sealed.bytes, q->phone_sealed.len);
        bind_bytes(op, 7, q->phone_hash, 32);
    }
    op->values[8] = q->person.id_masked;
    if (q->person.id_number[0] != '\0') {
        bind_bytes(op, 9, q->id_sealed.bytes, q->id_sealed.len);
        bind_bytes(op, 10, q->id_hash, 32);
    }
    op->values[11] = q->account;
}

static void on_registered(void *user, const Fengqiao__V1__Reply *reply)
{
    register_req *q = user;
    if (reply == NULL) {
        fq_web_respond_err(q->r, FQ_EBUSY, "the server could not answer now; retry");
    } else if (reply->status != ST(OK)) {
        fq_api_respond_refusal(q->r, reply);
    } else if (reply->result_case != FENGQIAO__V1__REPLY__RESULT_INCIDENT) {
        fq_web_respond_err(q->r, FQ_EBUSY, "the server answered another kind (a bug)");
    } else {
        /* The incident is committed: now its person, then the answer. */
        q->incident_id = reply->incident->incident_id;
        q->duplicate = reply->incident->duplicate;
        fq_store_op *op = &q->op;
        party_add_bind(q, q->incident_id);
        op->done = party_done;
        fq_store_submit(q->fd->store, op);
        return;
    }
    register_free(q);
}

static void handle_register(fq_frontdesk *fd, fq_web_req *r)
{
    const fq_web_session *s = fq_web_req_session(r);
    if (s->role != FQ_WEB_RECEPTIONIST) {
        refuse_role(r, "only a receptionist registers cases at the front desk");
        return;
    }
    size_t len = 0;
    const uint8_t *body = fq_web_req_body(r, &len);
    fq_frontdesk_case *c = malloc(sizeof *c);
    register_req *q = calloc(1, sizeof *q);
    if (c == NULL || q == NULL) {
        free(c);
        free(q);
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        return;
    }
    char err[200];
    if (fq_frontdeskreq_decode(body ? (const char *)body : "", len, c, err, sizeof err) != 0) {
        fq_web_respond_err(r, FQ_EINVALID, err);
        sodium_memzero(c, sizeof *c);
        free(c);
        free(q);
        return;
    }
    q->fd = fd;
    q->r = r;
    q->person = c->person;
    snprintf(q->account, sizeof q->account, "%s", s->account);
    snprintf(q->matter_text, sizeof q->matter_text, "%d", (int)c->report.matter);
    seal(fd, q->person.name, &q->name_sealed);
    lookup_hash(fd, "name", q->person.name_key, q->name_hash);
    if (q->person.phone[0] != '\0') {
        seal(fd, q->person.phone, &q->phone_sealed);
        lookup_hash(fd, "phone", q->person.phone, q->phone_hash);
    }
    if (q->person.id_number[0] != '\0') {
        seal(fd, q->person.id_number, &q->id_sealed);
        lookup_hash(fd, "id", q->person.id_number, q->id_hash);
    }
    uint64_t mid = fq_request_message_id(s->node_id, c->request_id);
    /* Sealed into a frame before it returns; the answer may come first. */
    if (fq_intake_submit(fd->intake, s->node_id, mid, &c->report, on_registered, q) != 0) {
        fq_web_respond_err(r, FQ_EBUSY, "the case could not be sent; retry");
        register_free(q);
    }
    sodium_memzero(c, sizeof *c);
    free(c);
}

/* ---- reads: one json text in one row ---- */

typedef enum read_kind { R_HISTORY, R_PERSON, R_SUGGEST, R_ADDRESSES } read_kind;

typedef struct fd_read {
    fq_store_op op;
    fq_frontdesk *fd;
    fq_web_req *r;
    read_kind kind;
    char jurisdiction[72];
    char a[4 * 100 + 1], b[65], c[65], d[65];
    char title[4 * 200 + 1];
    char *text; /* R_SUGGEST: the words ranked (malloc'ed) */
    int days;
} fd_read;

static void read_free(fd_read *q)
{
    free(q->text);
    free(q);
}

static void answer_suggest(fd_read *q, json_object *cats)
{
    size_t n = json_object_is_type(cats, json_type_array) ? json_object_array_length(cats) : 0;
    fq_suggest_category *list = calloc(n ? n : 1, sizeof *list);
    const char **kw = NULL;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *k = NULL;
        json_object_object_get_ex(json_object_array_get_idx(cats, i), "keywords", &k);
        total += json_object_is_type(k, json_type_array) ? json_object_array_length(k) : 0;
    }
    kw = calloc(total ? total : 1, sizeof *kw);
    fq_suggestion best[SUGGEST_MAX];
    if (list == NULL || kw == NULL) {
        free(list);
        free(kw);
        fq_web_respond_err(q->r, FQ_EBUSY, "out of memory");
        return;
    }
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *c = json_object_array_get_idx(cats, i), *k = NULL, *code = NULL;
        json_object_object_get_ex(c, "code", &code);
        json_object_object_get_ex(c, "keywords", &k);
        list[i].code = json_object_get_string(code);
        list[i].keywords = kw + at;
        size_t m = json_object_is_type(k, json_type_array) ? json_object_array_length(k) : 0;
        for (size_t j = 0; j < m; j++)
            kw[at++] = json_object_get_string(json_object_array_get_idx(k, j));
        list[i].n_keywords = m;
    }
    size_t found = fq_suggest_rank(list, n, q->title, q->text ? q->text : "", best, SUGGEST_MAX);
    json_object *doc = json_object_new_object(), *arr = json_object_new_array();
    for (size_t i = 0; i < found; i++) {
        json_object *c = json_object_array_get_idx(cats, best[i].category), *name = NULL;
        json_object_object_get_ex(c, "name", &name);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "code", json_object_new_string(list[best[i].category].code));
        json_object_object_add(o, "name", json_object_get(name));
        json_object_object_add(o, "score", json_object_new_int((int)best[i].score));
        json_object_object_add(o, "hits", json_object_new_int((int)best[i].hits));
        json_object_array_add(arr, o);
    }
    json_object_object_add(doc, "suggestions", arr);
    fq_web_respond_json(q->r, 200, doc);
    free(list);
    free(kw);
}

static void read_done(fq_store_op *op, int status, const char *message)
{
    fd_read *q = (fd_read *)op;
    const PGresult *res = op->result;
    if (status != FQ_OK || res == NULL) {
        fq_web_respond_store_failed(q->r, message);
        read_free(q);
        return;
    }
    if (PQntuples(res) != 1) {
        fq_web_respond_err(q->r, FQ_EFORBIDDEN, "no such person in this account's jurisdiction");
        read_free(q);
        return;
    }
    json_object *body = json_tokener_parse(PQgetvalue(res, 0, 0));
    if (body == NULL) {
        fq_web_respond_err(q->r, FQ_EBUSY, "out of memory");
        read_free(q);
        return;
    }
    json_object *doc = NULL;
    switch (q->kind) {
    case R_HISTORY:
        doc = json_object_new_object();
        json_object_object_add(doc, "days", json_object_new_int(q->days));
        json_object_object_add(doc, "cases", body);
        break;
    case R_ADDRESSES:
        doc = json_object_new_object();
        json_object_object_add(doc, "addresses", body);
        break;
    case R_PERSON:
        doc = body;
        break;
    case R_SUGGEST:
        answer_suggest(q, body);
        json_object_put(body);
        read_free(q);
        return;
    }
    fq_web_respond_json(q->r, 200, doc);
    read_free(q);
}

/* The reads' binders, one per statement (sql/fd_*.sql), each on q's op;
 * read_done reads the one row (a JSON document). */

static void read_bind(fd_read *q, const char *statement, int nparams)
{
    q->op.kind = FQ_STORE_OP_READ;
    q->op.statement = statement;
    q->op.nparams = nparams;
}

/* The cases of a person or phone inside `within` (hex hashes of the phone,
 * the id number and the name; "" when not asked), open or of the last
 * `days`. */
static void history_bind(fd_read *q, const char *within, const char *phone_hex, const char *id_hex,
                         const char *name_hex, int days)
{
    snprintf(q->jurisdiction, sizeof q->jurisdiction, "%s", within);
    snprintf(q->b, sizeof q->b, "%s", phone_hex);
    snprintf(q->c, sizeof q->c, "%s", id_hex);
    snprintf(q->d, sizeof q->d, "%s", name_hex);
    snprintf(q->a, sizeof q->a, "%d", days);
    read_bind(q, FQ_SQL_FD_HISTORY_NAME, FQ_SQL_FD_HISTORY_NPARAMS);
    q->op.values[0] = q->jurisdiction;
    q->op.values[1] = q->b;
    q->op.values[2] = q->c;
    q->op.values[3] = q->d;
    q->op.values[4] = q->a;
}

/* The categories with their keywords. */
static void categories_bind(fd_read *q)
{
    read_bind(q, FQ_SQL_FD_CATEGORIES_NAME, FQ_SQL_FD_CATEGORIES_NPARAMS);
}

/* Addresses inside `within` containing `text`. */
static void addresses_bind(fd_read *q, const char *text, const char *within)
{
    snprintf(q->a, sizeof q->a, "%s", text);
    snprintf(q->jurisdiction, sizeof q->jurisdiction, "%s", within);
    read_bind(q, FQ_SQL_FD_ADDRESSES_NAME, FQ_SQL_FD_ADDRESSES_NPARAMS);
    q->op.values[0] = q->a;
    q->op.values[1] = q->jurisdiction;
}

/* Person `id` masked, if inside `within`. */
static void person_bind(fd_read *q, uint64_t id, const char *within)
{
    snprintf(q->a, sizeof q->a, "%" PRIu64, id);
    snprintf(q->jurisdiction, sizeof q->jurisdiction, "%s", within);
    read_bind(q, FQ_SQL_FD_PERSON_NAME, FQ_SQL_FD_PERSON_NPARAMS);
    q->op.values[0] = q->a;
    q->op.values[1] = q->jurisdiction;
}

static fd_read *read_new(fq_frontdesk *fd, fq_web_req *r, read_kind kind)
{
    fd_read *q = calloc(1, sizeof *q);
    if (q == NULL) {
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        return NULL;
    }
    q->fd = fd;
    q->r = r;
    q->kind = kind;
    q->op.done = read_done;
    return q;
}

/* GET /api/v1/frontdesk/history?phone=&id_number=&name=&days= */
static void handle_history(fq_frontdesk *fd, fq_web_req *r)
{
    const fq_web_session *s = fq_web_req_session(r);
    if (!is_role(s, FQ_WEB_RECEPTIONIST, FQ_WEB_SUPERVISOR)) {
        refuse_role(r, "the front desk's history is for receptionists and supervisors");
        return;
    }
    const char *phone = fq_web_req_query(r, "phone"), *id = fq_web_req_query(r, "id_number");
    const char *name = fq_web_req_query(r, "name"), *days = fq_web_req_query(r, "days");
    fd_read *q = read_new(fd, r, R_HISTORY);
    if (q == NULL)
        return;
    uint8_t h[32];
    char norm[FQ_MASK_NAME_MAX], err[160];
    char phone_hex[65] = "", id_hex[65] = "", name_hex[65] = "";
    q->days = HISTORY_DAYS_DEFAULT;
    if (days != NULL && days[0] != '\0') {
        char *end = NULL;
        long d = strtol(days, &end, 10);
        if (!isdigit((unsigned char)days[0]) || *end != '\0' || d < 1 || d > HISTORY_DAYS_MAX) {
            fq_web_respond_err(r, FQ_EINVALID, "days must be a whole number from 1 to 3650");
            read_free(q);
            return;
        }
        q->days = (int)d;
    }
    if (phone != NULL && phone[0] != '\0') {
        if (fq_phone_normalize(phone, norm, sizeof norm) != 0) {
            fq_web_respond_err(r, FQ_EINVALID,
                               "phone must be 5 to 20 digits (spaces and +-() allowed)");
            read_free(q);
            return;
        }
        lookup_hash(fd, "phone", norm, h);
        sodium_bin2hex(phone_hex, sizeof phone_hex, h, 32);
    }
    if (id != NULL && id[0] != '\0') {
        if (fq_id_number_normalize(id, norm, sizeof norm, err, sizeof err) != 0) {
            fq_web_respond_err(r, FQ_EINVALID, err);
            read_free(q);
            return;
        }
        lookup_hash(fd, "id", norm, h);
        sodium_bin2hex(id_hex, sizeof id_hex, h, 32);
    }
    if (name != NULL && name[0] != '\0' && strlen(name) <= 4 * 100) {
        fq_name_normalize(name, norm, sizeof norm);
        if (norm[0] != '\0') {
            lookup_hash(fd, "name", norm, h);
            sodium_bin2hex(name_hex, sizeof name_hex, h, 32);
        }
    }
    if (phone_hex[0] == '\0' && id_hex[0] == '\0' && name_hex[0] == '\0') {
        fq_web_respond_err(r, FQ_EINVALID, "give phone, id_number or name");
        read_free(q);
        return;
    }
    history_bind(q, s->jurisdiction, phone_hex, id_hex, name_hex, q->days);
    fq_store_submit(fd->read_store, &q->op);
}

/* GET /api/v1/frontdesk/suggest?title=&text= */
static void handle_suggest(fq_frontdesk *fd, fq_web_req *r)
{
    const char *title = fq_web_req_query(r, "title"), *text = fq_web_req_query(r, "text");
    if ((title == NULL || title[0] == '\0') && (text == NULL || text[0] == '\0')) {
        fq_web_respond_err(r, FQ_EINVALID, "give title or text");
        return;
    }
    if ((title != NULL && strlen(title) > 4 * 200) || (text != NULL && strlen(text) > 4 * 4000)) {
        fq_web_respond_err(r, FQ_EINVALID, "title is at most 200 characters, text at most 4000");
        return;
    }
    fd_read *q = read_new(fd, r, R_SUGGEST);
    if (q == NULL)
        return;
    categories_bind(q);
    snprintf(q->title, sizeof q->title, "%s", title ? title : "");
    q->text = strdup(text ? text : "");
    if (q->text == NULL) {
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        read_free(q);
        return;
    }
    fq_store_submit(fd->read_store, &q->op);
}

/* GET /api/v1/frontdesk/addresses?q= */
static void handle_addresses(fq_frontdesk *fd, fq_web_req *r)
{
    const char *text = fq_web_req_query(r, "q");
    if (text == NULL || text[0] == '\0' || strlen(text) > 4 * 100) {
        fq_web_respond_err(r, FQ_EINVALID, "q is 1 to 100 characters of an address");
        return;
    }
    fd_read *q = read_new(fd, r, R_ADDRESSES);
    if (q == NULL)
        return;
    addresses_bind(q, text, fq_web_req_session(r)->jurisdiction);
    fq_store_submit(fd->read_store, &q->op);
}

/* ---- GET /api/v1/frontdesk/persons/ID[?reveal=1] ---- */

typedef struct reveal_req {
    fq_store_op op;
    fq_frontdesk *fd;
    fq_web_req *r;
    char id[24], jurisdiction[72], account[48], role[16], remote[64];
} reveal_req;

/* FQ_SQL_FD_REVEAL (sql/fd_reveal.sql) on q's op: person `id` whole, if
 * inside `within`, the look written (account, role, remote) by the same
 * statement. Binary results, which reveal_done reads: party id (int8),
 * incident (int8), the sealed name, phone, id number (bytea; NULL: none),
 * the masked three (text), matter (int2). */
static void reveal_bind(reveal_req *q, uint64_t id, const char *within, const char *account,
                        const char *role, const char *remote)
{
    snprintf(q->id, sizeof q->id, "%" PRIu64, id);
    snprintf(q->jurisdiction, sizeof q->jurisdiction, "%s", within);
    snprintf(q->account, sizeof q->account, "%s", account);
    snprintf(q->role, sizeof q->role, "%s", role);
    snprintf(q->remote, sizeof q->remote, "%s", remote);
    q->op.kind = FQ_STORE_OP_READ;
    q->op.statement = FQ_SQL_FD_REVEAL_NAME;
    q->op.nparams = FQ_SQL_FD_REVEAL_NPARAMS;
    q->op.values[0] = q->id;
    q->op.values[1] = q->jurisdiction;
    q->op.values[2] = q->account;
    q->op.values[3] = q->role;
    q->op.values[4] = q->remote;
    q->op.result_format = 1;
}

/* An integer column of the binary row 0 (int2, int4 or int8); 0 when NULL
 * or of another size. */
static int64_t binary_int(const PGresult *res, int col)
{
    const uint8_t *p = (const uint8_t *)PQgetvalue(res, 0, col);
    switch (PQgetisnull(res, 0, col) ? 0 : PQgetlength(res, 0, col)) {
    case 2:
        return fq_pg_get_int2(p);
    case 4:
        return fq_pg_get_int4(p);
    case 8:
        return fq_pg_get_int8(p);
    }
    return 0;
}

/* Column `col` (bytea, binary) opened into a json string; "" when NULL. */
static json_object *opened(const fq_frontdesk *fd, const PGresult *res, int col, int *ok)
{
    if (PQgetisnull(res, 0, col))
        return json_object_new_string("");
    const unsigned char *bytes = (const unsigned char *)PQgetvalue(res, 0, col);
    size_t len = (size_t)PQgetlength(res, 0, col);
    char text[FQ_MASK_NAME_MAX];
    int good = unseal(fd, bytes, len, text, sizeof text) == 0;
    if (!good) {
        *ok = 0;
        return json_object_new_string("");
    }
    json_object *s = json_object_new_string(text);
    sodium_memzero(text, sizeof text);
    return s;
}

static void reveal_done(fq_store_op *op, int status, const char *message)
{
    reveal_req *q = (reveal_req *)op;
    const PGresult *res = op->result;
    if (status != FQ_OK || res == NULL) {
        fq_web_respond_store_failed(q->r, message);
    } else if (PQntuples(res) != 1) {
        fq_web_respond_err(q->r, FQ_EFORBIDDEN, "no such person in this account's jurisdiction");
    } else {
        int ok = 1;
        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "id", json_object_new_int64(binary_int(res, 0)));
        json_object_object_add(doc, "incident_id", json_object_new_int64(binary_int(res, 1)));
        json_object_object_add(doc, "name", opened(q->fd, res, 2, &ok));
        json_object_object_add(doc, "phone", opened(q->fd, res, 3, &ok));
        json_object_object_add(doc, "id_number", opened(q->fd, res, 4, &ok));
        json_object_object_add(doc, "matter", json_object_new_int((int)binary_int(res, 8)));
        json_object_object_add(doc, "masked", json_object_new_boolean(0));
        if (ok) {
            fq_web_respond_json(q->r, 200, doc);
        } else {
            json_object_put(doc);
            /* Sealed under another personal-data key (a sealed_keys row
             * restored from elsewhere): say so, not garbage. The look was
             * made and stays audited. */
            fq_web_respond_error(q->r, 503, "sealed",
                                 "this person's data does not open with the personal-data key", 0);
        }
    }
    free(q);
}

static void handle_person(fq_frontdesk *fd, fq_web_req *r)
{
    const fq_web_session *s = fq_web_req_session(r);
    const char *id = fq_web_req_path(r) + strlen("/api/v1/frontdesk/persons/");
    const char *reveal = fq_web_req_query(r, "reveal");
    char *end = NULL;
    unsigned long long x = strtoull(id, &end, 10);
    if (!isdigit((unsigned char)id[0]) || *end != '\0' || x == 0 || x > INT64_MAX) {
        fq_web_respond_err(r, FQ_EINVALID, "the person id must be a number");
        return;
    }
    if (reveal == NULL || strcmp(reveal, "1") != 0) {
        fd_read *q = read_new(fd, r, R_PERSON);
        if (q == NULL)
            return;
        person_bind(q, x, s->jurisdiction);
        fq_store_submit(fd->read_store, &q->op);
        return;
    }
    if (!is_role(s, FQ_WEB_RECEPTIONIST, FQ_WEB_SUPERVISOR)) {
        refuse_role(r, "a person's full data is shown to receptionists and supervisors only");
        return;
    }
    reveal_req *q = calloc(1, sizeof *q);
    if (q == NULL) {
        fq_web_respond_err(r, FQ_EBUSY, "out of memory");
        return;
    }
    q->fd = fd;
    q->r = r;
    reveal_bind(q, x, s->jurisdiction, s->account,
                s->role == FQ_WEB_SUPERVISOR ? "supervisor" : "receptionist", fq_web_req_remote(r));
    q->op.done = reveal_done;
    /* On the writes store: the audit row is committed before the answer. */
    fq_store_submit(fd->store, &q->op);
}

/* ---- routing ---- */

void fq_frontdesk_handle(void *user, fq_web_req *r)
{
    fq_frontdesk *fd = user;
    const char *method = fq_web_req_method(r), *path = fq_web_req_path(r);
    static const char prefix[] = "/api/v1/frontdesk/";
    int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    const fq_web_session *s = fq_web_req_session(r);
    if (strncmp(path, prefix, sizeof prefix - 1) != 0) {
        fq_web_respond_err(r, FQ_ENOTFOUND, "no such path");
        return;
    }
    if (s->role == FQ_WEB_WORKER) {
        refuse_role(r, "the front desk is the web console's");
        return;
    }
    const char *rest = path + sizeof prefix - 1;
    if (post && strcmp(rest, "cases") == 0)
        with_keys(fd, r, handle_register);
    else if (get && strcmp(rest, "history") == 0)
        with_keys(fd, r, handle_history);
    else if (get && strcmp(rest, "suggest") == 0)
        handle_suggest(fd, r);
    else if (get && strcmp(rest, "addresses") == 0)
        handle_addresses(fd, r);
    else if (get && strncmp(rest, "persons/", 8) == 0)
        with_keys(fd, r, handle_person);
    else
        fq_web_respond_err(r, FQ_ENOTFOUND, "no such path");
}

fq_frontdesk *fq_frontdesk_new(fq_intake *intake, fq_dispatch *dispatch, fq_store *store,
                               fq_store *read_store, const uint8_t server_key[32])
{
    fq_frontdesk *fd = calloc(1, sizeof *fd);
    if (fd == NULL)
        return NULL;
    fd->intake = intake;
    fd->dispatch = dispatch;
    fd->store = store;
    fd->read_store = read_store;
    _Static_assert(crypto_kdf_KEYBYTES == 32, "the personal-data key is a kdf key");
    memcpy(fd->server_key, server_key, sizeof fd->server_key);
    fd->keys = KEY_NONE;
    return fd;
}

void fq_frontdesk_free(fq_frontdesk *fd)
{
    if (fd == NULL)
        return;
    sodium_memzero(fd->server_key, sizeof fd->server_key);
    sodium_memzero(fd->seal_key, sizeof fd->seal_key);
    sodium_memzero(fd->hash_key, sizeof fd->hash_key);
    free(fd);
}
