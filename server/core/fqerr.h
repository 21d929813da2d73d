/* fqerr: the server's one error convention. A function that can fail
 * returns 0 (FQ_OK) or a negative fq_err; a sentence for people, when there
 * is one, goes into the caller's buffer (errbuf.h). Every module reports
 * with these codes, so that what a peer sees is decided in one place:
 * fq_err_status for a protobuf reply, fq_err_http for the web's answers.
 *
 * FQ_EINVALID is -1 so that fq_errf's -1 is an invalid input. */
#ifndef FQ_FQERR_H
#define FQ_FQERR_H

#include "fengqiao.pb-c.h"

typedef enum fq_err {
    FQ_OK = 0,
    FQ_EINVALID = -1,          /* malformed, or a field out of range */
    FQ_EFORBIDDEN = -2,        /* not allowed to this sender, role or holder */
    FQ_EOUTSIDE = -3,          /* the place lies outside the jurisdiction */
    FQ_ESTATE = -4,            /* not allowed in the current state */
    FQ_ENOTFOUND = -5,         /* no such thing (resource, open incident, place) */
    FQ_EBUSY = -6,             /* not done now (overload, another write on it): retry */
    FQ_EUNAVAILABLE = -7,      /* not ready (no routing state, store away): retry */
    FQ_ETOOLARGE = -8,         /* over a size or count cap */
    FQ_ENOTIMAGE = -9,         /* not a JPEG or PNG, or one that does not decode */
    FQ_EWRONGTYPE = -10,       /* a real image, but not of the type named */
    FQ_EMISMATCH = -11,        /* the bytes are not those their references name */
    FQ_EREJECTED = -12,        /* PostgreSQL refused the statement */
    FQ_EINTERNAL = -13,        /* failed for no reason of the request's own */
    FQ_ENOMEM = -14,           /* out of memory */
    FQ_ECONFLICT = -15,        /* an id already used for something different */
    FQ_EEXIST = -16,           /* already there */
    FQ_EUNAUTHENTICATED = -17, /* unknown or revoked sender, or a seal that does not verify */
    FQ_EUNSUPPORTED = -18,     /* a version or kind this server does not know */
    FQ_ESTALE = -19,           /* a clock outside the accepted skew */
    FQ_ESOCKET = -20,          /* a socket could not be made or set up */
    FQ_EBIND = -21,            /* an address could not be bound (in use, bad URL) */
    FQ_ENOPHOTO = -22,         /* the category's rule concludes only with a photo of the work */
} fq_err;

/* The number of codes: every fq_err is in (-FQ_ERRS, 0]. */
#define FQ_ERRS 23

/* A short sentence for logs and messages; "unknown error" for a value that
 * is no fq_err. */
const char *fq_strerror(int err);

/* The protobuf reply's status for an error: the one mapping every endpoint
 * answers with. */
Fengqiao__V1__Status fq_err_status(int err);

/* A store operation's outcome (store.h: FQ_OK, FQ_EREJECTED, FQ_EBUSY,
 * FQ_EINTERNAL) as the error its peer is answered with. A refusal by the
 * database is `rejected_is`: FQ_EINVALID when the statement's values are
 * the request's (a read's filters, a mediation step naming a committee that
 * does not exist), FQ_EINTERNAL when the server made them (a write it
 * decided). Anything not done is FQ_EBUSY: retry. */
fq_err fq_err_of_store(int status, fq_err rejected_is);

/* The error a reply's status stands for (FQ_OK for STATUS_OK), so that the
 * web answers a node's reply through fq_err_http like its own errors. */
fq_err fq_err_of_status(Fengqiao__V1__Status status);

/* The HTTP status of an error and the API's error code ("invalid",
 * "too_large", ...; "" for FQ_OK): docs/http-api.md. */
int fq_err_http(int err, const char **code);

/* The API's error code alone (the web's "error"). */
const char *fq_err_code(int err);

/* Reply.error_code for an error: its code where the reply's status does not
 * say what a client should do (a photo that is no image, too large, not the
 * bytes named, or missing: docs/protocol.md), '' for every other error. */
const char *fq_err_reply_code(int err);

/* The error a Reply.error_code names (the first with that code), or FQ_OK
 * for "" and a code of no error: the web answers it as the node meant. */
fq_err fq_err_of_code(const char *code);

#endif
