#include "fq_keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_KEY_BYTES 64

int fq_key_file_read(const char *path, uint8_t *key, size_t key_len, char *err, size_t err_len)
{
    if (key_len > MAX_KEY_BYTES) {
        snprintf(err, err_len, "key of %zu bytes is too long", key_len);
        errno = EINVAL;
        return -1;
    }
    /* O_NONBLOCK: a FIFO given by mistake must not hang the open. */
    int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int saved = errno;
        snprintf(err, err_len, "cannot open key file %s: %s", path, strerror(saved));
        errno = saved;
        return -1;
    }
    /* fstat on the open descriptor: the mode checked is the mode of the file read. */
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(err, err_len, "key file %s is not a regular file", path);
        errno = EINVAL;
        return -1;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        close(fd);
        snprintf(err, err_len,
                 "key file %s has mode %04o: group or others may read it; run: chmod 600 %s "
                 "(and replace the key if others could have copied it)",
                 path, (unsigned)(st.st_mode & 07777), path);
        errno = EACCES;
        return -1;
    }
    /* One byte more than a valid file can hold, to see trailing junk. */
    char hex[2 * MAX_KEY_BYTES + 4];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, hex + n, sizeof hex - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n == sizeof hex - 1)
            break;
    }
    close(fd);
    hex[n] = '\0';
    if (n > 0 && hex[n - 1] == '\n')
        hex[--n] = '\0';
    if (n > 0 && hex[n - 1] == '\r')
        hex[--n] = '\0';
    size_t bin_len = 0;
    int rv = 0;
    if (n != 2 * key_len || sodium_hex2bin(key, key_len, hex, n, NULL, &bin_len, NULL) != 0 ||
        bin_len != key_len) {
        snprintf(err, err_len, "key file %s must hold exactly %zu hex characters", path,
                 2 * key_len);
        errno = EINVAL;
        rv = -1;
    }
    sodium_memzero(hex, sizeof hex);
    return rv;
}

int fq_key_file_create(const char *path, const uint8_t *key, size_t key_len, char *err,
                       size_t err_len)
{
    if (key_len > MAX_KEY_BYTES) {
        snprintf(err, err_len, "key of %zu bytes is too long", key_len);
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, err_len, "cannot create key file %s: %s%s", path, strerror(errno),
                 errno == EEXIST ? " (refusing to overwrite a key)" : "");
        return -1;
    }
    /* A umask only takes bits away: the file is at most 0600 from its first moment. */
    char hex[2 * MAX_KEY_BYTES + 2];
    sodium_bin2hex(hex, sizeof hex, key, key_len);
    hex[2 * key_len] = '\n';
    size_t len = 2 * key_len + 1;
    errno = EIO; /* a short write sets no errno */
    int ok = write(fd, hex, len) == (ssize_t)len && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        saved = errno;
    }
    sodium_memzero(hex, sizeof hex);
    if (!ok) {
        unlink(path);
        snprintf(err, err_len, "cannot write key file %s: %s", path, strerror(saved));
        return -1;
    }
    return 0;
}
