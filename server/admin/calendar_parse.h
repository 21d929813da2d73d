/* calendar_parse: a district's working calendar file (docs/calendar.md,
 * schema fengqiao.calendar.v1) read and checked alone, into the calendar it
 * describes and the dated exceptions fengqiao-admin calendar import stores.
 * No database: the calendar fuzzer (tests/fuzz/fuzz_calendar.c) runs this very
 * parser on arbitrary text. */
#ifndef FQ_CALENDAR_PARSE_H
#define FQ_CALENDAR_PARSE_H

#include "calendar.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#define CALENDAR_SCHEMA "fengqiao.calendar.v1"
/* A file is small: a year has a few dozen exceptions. */
#define CALENDAR_FILE_MAX_BYTES (1u << 20)
#define CALENDAR_MAX_YEARS 100
#define CALENDAR_NAME_MAX_BYTES 120
#define CALENDAR_SOURCE_MAX_BYTES 2000

typedef struct cal_day_rec {
    int year, month, day;
    int working;      /* 1: a make-up working day; 0: a holiday */
    const char *name; /* borrowed from the document */
} cal_day_rec;

typedef struct cal_year_rec {
    int year;
    const char *source; /* borrowed; "" when the file gives none */
} cal_year_rec;

typedef struct cal_file {
    json_object *root; /* owns every borrowed string */
    const char *district;
    /* The file's settings, its years covered and their exceptions applied. */
    fq_calendar calendar;
    cal_year_rec years[CALENDAR_MAX_YEARS];
    size_t n_years;
    cal_day_rec *days; /* sorted by date, one per date */
    size_t n_days;
} cal_file;

/* Parses and checks `len` bytes. 0, or -1 with a sentence naming the first
 * error's place (JSON path or line and column) in err; f is then empty. On
 * 0 the caller frees f with cal_file_free. */
int cal_file_parse(const char *text, size_t len, cal_file *f, char *err, size_t err_len);
void cal_file_free(cal_file *f);

/* "HH:MM" (00:00 to 24:00) <-> minutes; the parse is strict. */
int cal_parse_hhmm(const char *text, uint16_t *minutes);
void cal_format_hhmm(uint16_t minutes, char out[6]);
/* "+08:00", "-03:30", "+00:00" <-> seconds. */
int cal_parse_offset(const char *text, int32_t *seconds);
void cal_format_offset(int32_t seconds, char out[8]);

#endif
