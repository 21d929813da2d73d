/* duration: the one way durations are written, everywhere: time limits in
 * topology files and fengqiao-admin's options, the console's and the
 * terminal's typed commands ("+2h", "1d12h"). One or more <number><unit>
 * groups, units w, d, h, m, s in that order, each at most once ("30m",
 * "7d", "1h30m", "1w"). */
#ifndef FQ_DURATION_H
#define FQ_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Largest duration: what a PostgreSQL integer holds, about 68 years. */
#define FQ_DURATION_MAX 2147483647u

/* Parses strictly: no spaces, signs, fractions, leading zeros, upper case or
 * missing units. A zero duration ("0s", "0m") only when allow_zero. 0, or -1
 * with a message in err. */
int fq_duration_parse(const char *text, int allow_zero, uint32_t *seconds, char *err,
                      size_t err_len);

/* The shortest form: 5400 -> "1h30m", 0 -> "0s". */
void fq_duration_format(uint32_t seconds, char *out, size_t out_len);

#endif
