#include "fqerr.h"

#include <string.h>

#define ST(x) FENGQIAO__V1__STATUS__STATUS_##x

/* One row per code, indexed by -err: what people read, what a protobuf
 * reply says, what the web answers, and whether the code goes in a reply
 * beside its status (docs/protocol.md, Reply.error_code: only where the
 * status alone does not say what to do). */
static const struct {
    const char *text;
    Fengqiao__V1__Status status;
    int http;
    const char *code;
    int in_reply;
} table[FQ_ERRS] = {
    [-FQ_OK] = {"ok", ST(OK), 200, "", 0},
    [-FQ_EINVALID] = {"invalid request", ST(INVALID), 400, "invalid", 0},
    [-FQ_EFORBIDDEN] = {"not allowed", ST(FORBIDDEN), 403, "forbidden", 0},
    [-FQ_EOUTSIDE] = {"outside the jurisdiction", ST(FORBIDDEN), 403, "forbidden", 0},
    /* The reply statuses have no "not found": what the protocol asks for
     * by id is an open incident, and one that is not open is a state. */
    [-FQ_ESTATE] = {"not allowed in this state", ST(WRONG_STATE), 409, "wrong_state", 0},
    [-FQ_ENOTFOUND] = {"not found", ST(WRONG_STATE), 404, "not_found", 0},
    [-FQ_EBUSY] = {"busy; retry", ST(BUSY), 503, "busy", 0},
    [-FQ_EUNAVAILABLE] = {"not ready; retry", ST(BUSY), 503, "busy", 0},
    [-FQ_ETOOLARGE] = {"too large", ST(INVALID), 413, "too_large", 1},
    [-FQ_ENOTIMAGE] = {"not an image", ST(INVALID), 415, "not_an_image", 1},
    [-FQ_EWRONGTYPE] = {"not an image of the type named", ST(INVALID), 400, "photo_mismatch", 1},
    [-FQ_EMISMATCH] = {"not the bytes named", ST(INVALID), 400, "photo_mismatch", 1},
    [-FQ_EREJECTED] = {"refused by the database", ST(INVALID), 400, "invalid", 0},
    [-FQ_EINTERNAL] = {"internal error", ST(INTERNAL), 503, "busy", 0},
    [-FQ_ENOMEM] = {"out of memory", ST(BUSY), 503, "busy", 0},
    [-FQ_ECONFLICT] = {"already used for something different", ST(CONFLICT), 409, "conflict", 0},
    [-FQ_EEXIST] = {"already exists", ST(CONFLICT), 409, "conflict", 0},
    [-FQ_EUNAUTHENTICATED] = {"not authenticated", ST(UNAUTHENTICATED), 401, "unauthenticated", 0},
    [-FQ_EUNSUPPORTED] = {"not supported", ST(UNSUPPORTED), 400, "invalid", 0},
    [-FQ_ESTALE] = {"clock outside the accepted skew", ST(STALE), 503, "busy", 0},
    [-FQ_ESOCKET] = {"socket failed", ST(INTERNAL), 503, "busy", 0},
    [-FQ_EBIND] = {"address could not be bound", ST(INTERNAL), 503, "busy", 0},
    [-FQ_ENOPHOTO] = {"a photo of the work is required", ST(INVALID), 400, "photo_required", 1},
};

static int known(int err)
{
    return err <= 0 && err > -FQ_ERRS && table[-err].text != 0;
}

const char *fq_strerror(int err)
{
    return known(err) ? table[-err].text : "unknown error";
}

Fengqiao__V1__Status fq_err_status(int err)
{
    return known(err) ? table[-err].status : ST(INTERNAL);
}

fq_err fq_err_of_store(int status, fq_err rejected_is)
{
    if (status == FQ_OK)
        return FQ_OK;
    return status == FQ_EREJECTED ? rejected_is : FQ_EBUSY;
}

fq_err fq_err_of_status(Fengqiao__V1__Status status)
{
    switch (status) {
    case ST(OK):
        return FQ_OK;
    case ST(INVALID):
        return FQ_EINVALID;
    case ST(UNAUTHENTICATED):
        return FQ_EUNAUTHENTICATED;
    case ST(FORBIDDEN):
        return FQ_EFORBIDDEN;
    case ST(BUSY):
        return FQ_EBUSY;
    case ST(UNSUPPORTED):
        return FQ_EUNSUPPORTED;
    case ST(STALE):
        return FQ_ESTALE;
    case ST(CONFLICT):
        return FQ_ECONFLICT;
    case ST(WRONG_STATE):
        return FQ_ESTATE;
    default: /* INTERNAL, UNSPECIFIED, a value from a newer peer */
        return FQ_EINTERNAL;
    }
}

int fq_err_http(int err, const char **code)
{
    if (!known(err))
        err = FQ_EINTERNAL;
    *code = table[-err].code;
    return table[-err].http;
}

fq_err fq_err_of_code(const char *code)
{
    if (code == NULL || code[0] == '\0')
        return FQ_OK;
    for (int e = -1; e > -FQ_ERRS; e--)
        if (strcmp(table[-e].code, code) == 0)
            return (fq_err)e;
    return FQ_OK;
}

const char *fq_err_reply_code(int err)
{
    return known(err) && table[-err].in_reply ? table[-err].code : "";
}

const char *fq_err_code(int err)
{
    const char *code;
    fq_err_http(err, &code);
    return code;
}
