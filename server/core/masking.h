/* masking: a person's data as the front desk shows and looks it up
 * (docs/front-desk.md, "Personal data") — the masked forms lists show
 * (王*明, 138****5678, 3301**********1234), the normalised forms the keyed
 * lookup hashes are taken of, and the checks of a phone number and a
 * resident identity number (GB 11643: 18 characters, the last a check
 * character). Pure: no I/O, no keys; the unit test and the fuzzer run it. */
#ifndef FQ_MASKING_H
#define FQ_MASKING_H

#include <stddef.h>

/* Output buffers of these sizes always suffice. */
#define FQ_MASK_NAME_MAX 404 /* a name of up to 100 characters of up to 4 bytes */
#define FQ_MASK_PHONE_MAX 32
#define FQ_MASK_ID_MAX 24

/* A name (valid UTF-8): its first and last characters and one '*' per
 * character between (王小明 -> 王*明, 欧阳小明 -> 欧**明); two characters keep
 * the first (李四 -> 李*); one is '*'. "" stays "". */
void fq_mask_name(const char *name, char *out, size_t cap);

/* A phone number as given (digits, spaces, +-()): its digits, without a
 * leading 0086 / +86 country code. 0, or -1 (with nothing in out) when it
 * has other characters or not 5 to 20 digits. */
int fq_phone_normalize(const char *phone, char *out, size_t cap);
/* A normalised phone: the first three and the last four digits with four
 * '*' between (13812345678 -> 138****5678); shorter than 8 digits, the
 * last two after '****'. */
void fq_mask_phone(const char *digits, char *out, size_t cap);

/* An identity number as given: upper-cased, spaces dropped. 0, or -1 with a
 * reason in err when it is not 18 characters (17 digits and a digit or X)
 * or its check character is wrong. */
int fq_id_number_normalize(const char *id, char *out, size_t cap, char *err, size_t err_len);
/* A normalised identity number: the first four and last four characters,
 * '*' between (330106199001011234 -> 3301**********1234). */
void fq_mask_id_number(const char *id, char *out, size_t cap);

/* A name normalised for the lookup hash: spaces (ASCII and U+3000) dropped,
 * ASCII letters lower-cased. */
void fq_name_normalize(const char *name, char *out, size_t cap);

#endif
