/* Key files: a node's key (or the server key) as hex characters and a
 * newline, readable by its owner only. Created with O_EXCL and mode 0600 so
 * a key never exists, even for a moment, at the shell's umask; a file that
 * group or others may read or write is refused when loaded, with the chmod
 * that fixes it, because a key others could have copied is no secret. */
#ifndef FQ_KEYFILE_H
#define FQ_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

/* Reads exactly 2 * key_len hex characters (an optional newline, CRLF too)
 * from `path` into key. Refuses what is not a regular file and a file with
 * any group or other permission. 0, or -1 with a message in err (errno is
 * ENOENT when the file does not exist, for callers where a key is optional). */
int fq_key_file_read(const char *path, uint8_t *key, size_t key_len, char *err, size_t err_len);

/* Creates `path` (O_EXCL, mode 0600 whatever the umask) holding the key's hex
 * and a newline, synced to disk. Refuses an existing file; on a failed write
 * the file is removed. 0, or -1 with a message in err. */
int fq_key_file_create(const char *path, const uint8_t *key, size_t key_len, char *err,
                       size_t err_len);

#endif
