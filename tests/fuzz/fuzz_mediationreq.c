/* fuzz_mediationreq: a console command's JSON body with its mediation part
 * (docs/mediation.md) through fq_mediationreq_decode, the decoder that faces
 * browsers. Oracles beyond "no crash, no sanitizer report, no leak":
 *  - a refusal has a terminated, non-empty message;
 *  - an accepted one has every string of its mediation set (never NULL) and
 *    within its bounds, at most 20 parties, 30 mediators and attendees and 4
 *    photos whose refs name their decoded bytes;
 *  - its ConsoleCommand packs and unpacks to the same mediation. */
#include "fuzz_check.h"
#include "mediationreq.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fq_mediation_cmd cmd;
    char err[200];
    memset(err, 'x', sizeof err);
    if (fq_mediationreq_decode((const char *)data, size, &cmd, err, sizeof err) != FQ_OK) {
        FQ_FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
        FQ_FUZZ_CHECK(err[0] != '\0');
        return 0;
    }
    const Fengqiao__V1__ConsoleCommand *c = &cmd.cmd.command;
    const Fengqiao__V1__Mediation *m = c->mediation;
    if (m != NULL) {
        FQ_FUZZ_CHECK(m == &cmd.mediation);
        FQ_FUZZ_CHECK(m->committee != NULL && strlen(m->committee) <= 64);
        FQ_FUZZ_CHECK(m->place != NULL && m->agreement != NULL);
        FQ_FUZZ_CHECK(m->n_parties <= FQ_MEDIATIONREQ_MAX_PARTIES);
        for (size_t i = 0; i < m->n_parties; i++)
            FQ_FUZZ_CHECK(m->parties[i]->name != NULL && m->parties[i]->role != NULL &&
                          m->parties[i]->phone != NULL && strlen(m->parties[i]->phone) <= 64);
        FQ_FUZZ_CHECK(m->n_mediators <= FQ_MEDIATIONREQ_MAX_NAMES &&
                      m->n_attendees <= FQ_MEDIATIONREQ_MAX_NAMES);
        FQ_FUZZ_CHECK(m->n_photos == cmd.photos.n && m->n_photos <= FQ_FIELD_MAX_PHOTOS);
        for (size_t i = 0; i < m->n_photos; i++) {
            uint8_t sha[32];
            crypto_hash_sha256(sha, cmd.photos.photo[i].bytes, cmd.photos.photo[i].len);
            FQ_FUZZ_CHECK(m->photos[i]->sha256.len == 32 &&
                          memcmp(m->photos[i]->sha256.data, sha, 32) == 0);
            FQ_FUZZ_CHECK(m->photos[i]->size == cmd.photos.photo[i].len);
        }
    } else {
        FQ_FUZZ_CHECK(cmd.photos.n == 0);
    }
    Fengqiao__V1__ConsoleCommand *back = fq_fuzz_repack(&c->base);
    FQ_FUZZ_CHECK(back->kind == c->kind && (back->mediation != NULL) == (m != NULL));
    if (m != NULL)
        FQ_FUZZ_CHECK(back->mediation->n_parties == m->n_parties &&
                      back->mediation->n_photos == m->n_photos &&
                      strcmp(back->mediation->agreement, m->agreement) == 0);
    fengqiao__v1__console_command__free_unpacked(back, NULL);
    fq_fieldreq_photos_free(&cmd.photos);
    return 0;
}
