/* paths: where fengqiao's programs find their own files (the schema
 * migrations, the web console's page, the message catalogs). Always relative
 * to the running binary (/proc/self/exe), never a path compiled in for one
 * machine: an installed tree (/usr, /opt/fengqiao, a package unpacked into a
 * scratch root) works wherever it is, and a binary run from its build tree
 * uses the build and source trees' copies. */
#ifndef FQ_PATHS_H
#define FQ_PATHS_H

#include <stddef.h>

typedef enum fq_files {
    FQ_FILES_MIGRATIONS, /* share/fengqiao/migrations; the source tree's migrations/ */
    FQ_FILES_WEB,        /* share/fengqiao/web; the build tree's web/ */
    FQ_FILES_LOCALE,     /* share/locale; the build tree's locale/ */
} fq_files;

/* The folder of `which` for the binary at `exe` (an absolute path): the
 * installed place next to it (<exe's folder>/../share/…) when that folder
 * exists, else the build tree's when `exe` lies in the build tree, else the
 * installed place anyway (so that a message names where it looked). 0, or -1
 * when `out` is too small. */
int fq_files_dir_for(const char *exe, fq_files which, char *out, size_t out_len);

/* The same for this process's binary; a static string, computed once per
 * kind. */
const char *fq_files_dir(fq_files which);

#endif
