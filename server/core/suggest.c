#include "suggest.h"

#include <ctype.h>
#include <string.h>

/* Occurrences of `needle` in `hay`, not overlapping, ASCII case ignored. */
static unsigned count_in(const char *hay, const char *needle)
{
    size_t n = strlen(needle), h = strlen(hay);
    unsigned count = 0;
    if (n == 0)
        return 0;
    for (size_t i = 0; i + n <= h;) {
        size_t k = 0;
        while (k < n && tolower((unsigned char)hay[i + k]) == tolower((unsigned char)needle[k]))
            k++;
        if (k == n) {
            count++;
            i += n;
        } else {
            i++;
        }
    }
    return count;
}

static unsigned utf8_chars(const char *s)
{
    unsigned n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

size_t fq_suggest_rank(const fq_suggest_category *categories, size_t n_categories,
                       const char *title, const char *description, fq_suggestion *out, size_t max)
{
    size_t n = 0;
    for (size_t c = 0; c < n_categories; c++) {
        unsigned score = 0, hits = 0;
        for (size_t k = 0; k < categories[c].n_keywords; k++) {
            const char *kw = categories[c].keywords[k];
            unsigned in_title = count_in(title, kw), in_text = count_in(description, kw);
            hits += in_title + in_text;
            score += (2 * in_title + in_text) * utf8_chars(kw);
        }
        if (score == 0)
            continue;
        /* Insertion into the best `max` so far; equal scores keep the
         * order given (a later category goes after). */
        size_t at = n;
        while (at > 0 && out[at - 1].score < score)
            at--;
        if (at >= max)
            continue;
        size_t last = n < max ? n : max - 1;
        memmove(out + at + 1, out + at, (last - at) * sizeof *out);
        out[at] = (fq_suggestion){.category = c, .score = score, .hits = hits};
        if (n < max)
            n++;
    }
    return n;
}
