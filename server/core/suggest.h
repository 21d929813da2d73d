/* suggest: which categories a case's words point to (docs/front-desk.md,
 * "Category suggestions") — the taxonomy's keywords (topology "keywords")
 * counted in a title and a description. Pure: the categories come in as
 * values, the ranking goes out; the unit test runs it.
 *
 * A category scores, for every keyword found, the number of times it
 * occurs (title hits count twice: a title says what the matter is, a
 * description tells its story) times the keyword's length in characters (a
 * longer keyword is the more specific: 噪音扰民 says more than 噪音). Ties go
 * to the category given first. Case is ignored for ASCII letters. */
#ifndef FQ_SUGGEST_H
#define FQ_SUGGEST_H

#include <stddef.h>

typedef struct fq_suggest_category {
    const char *code;
    const char *const *keywords;
    size_t n_keywords;
} fq_suggest_category;

typedef struct fq_suggestion {
    size_t category; /* index into the categories given */
    unsigned score;
    unsigned hits; /* keyword occurrences, title and description */
} fq_suggestion;

/* Ranks `categories` against `title` and `description` (either may be
 * ""): up to `max` suggestions with a score above zero, best first, in
 * `out`. Returns how many. */
size_t fq_suggest_rank(const fq_suggest_category *categories, size_t n_categories,
                       const char *title, const char *description, fq_suggestion *out, size_t max);

#endif
