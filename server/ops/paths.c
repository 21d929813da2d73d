#include "paths.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* FQ_BIN_TO_DATA: the data folder seen from the binaries' folder ("../share"
 * for the GNU layout), computed by CMake from the install directories.
 * FQ_SOURCE_DIR, FQ_BUILD_DIR: the trees this copy was built from. */
static const struct {
    const char *installed; /* under the data folder */
    const char *tree_root; /* FQ_SOURCE_DIR or FQ_BUILD_DIR */
    const char *in_tree;
} places[] = {
    [FQ_FILES_MIGRATIONS] = {"fengqiao/migrations", FQ_SOURCE_DIR, "migrations"},
    [FQ_FILES_WEB] = {"fengqiao/web", FQ_BUILD_DIR, "web"},
    [FQ_FILES_LOCALE] = {"locale", FQ_BUILD_DIR, "locale"},
};

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fq_files_dir_for(const char *exe, fq_files which, char *out, size_t out_len)
{
    const char *slash = strrchr(exe, '/');
    int folder_len = slash != NULL ? (int)(slash - exe) : 0;
    int n = snprintf(out, out_len, "%.*s/%s/%s", folder_len, exe, FQ_BIN_TO_DATA,
                     places[which].installed);
    if (n < 0 || (size_t)n >= out_len)
        return -1;
    if (is_dir(out))
        return 0;
    size_t b = strlen(FQ_BUILD_DIR);
    if (strncmp(exe, FQ_BUILD_DIR, b) == 0 && exe[b] == '/') {
        char tree[PATH_MAX];
        n = snprintf(tree, sizeof tree, "%s/%s", places[which].tree_root, places[which].in_tree);
        if (n > 0 && (size_t)n < sizeof tree && is_dir(tree)) {
            if ((size_t)n >= out_len)
                return -1;
            memcpy(out, tree, (size_t)n + 1);
        }
    }
    return 0;
}

const char *fq_files_dir(fq_files which)
{
    static char dirs[sizeof places / sizeof places[0]][PATH_MAX];
    if (dirs[which][0] != '\0')
        return dirs[which];
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) /* no /proc: the conventional place */
        snprintf(exe, sizeof exe, "/usr/bin/fengqiao");
    else
        exe[n] = '\0';
    if (fq_files_dir_for(exe, which, dirs[which], sizeof dirs[which]) != 0)
        snprintf(dirs[which], sizeof dirs[which], "/usr/share/%s", places[which].installed);
    return dirs[which];
}
