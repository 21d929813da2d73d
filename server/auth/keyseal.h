/* keyseal: node keys at rest. Each node's 32-byte key is stored in the
 * database sealed with XChaCha20-Poly1305 under the server key, with the node
 * id as associated data (a sealed key moved to another node's row does not
 * open). The server key lives in a file outside the database, so a database
 * dump alone reveals no node key. */
#ifndef FQ_KEYSEAL_H
#define FQ_KEYSEAL_H

#include <stddef.h>
#include <stdint.h>

#define FQ_SERVER_KEY_BYTES 32
#define FQ_SEALED_KEY_BYTES (24 + 32 + 16) /* nonce, key, tag */

/* Reads the server key file (exactly 64 hex characters and an optional
 * newline); refuses a file group or others may read (fq_keyfile.h). 0 or -1
 * with a message. */
int fq_server_key_load(const char *path, uint8_t key[FQ_SERVER_KEY_BYTES], char *err,
                       size_t err_len);

/* Creates a new random server key file with mode 0600; refuses to overwrite. */
int fq_server_key_create(const char *path, char *err, size_t err_len);

void fq_key_seal(const uint8_t server_key[FQ_SERVER_KEY_BYTES], const char *node_id,
                 const uint8_t node_key[32], uint8_t sealed[FQ_SEALED_KEY_BYTES]);

/* 0 when the sealed key opens for this node id. */
int fq_key_unseal(const uint8_t server_key[FQ_SERVER_KEY_BYTES], const char *node_id,
                  const uint8_t *sealed, size_t sealed_len, uint8_t node_key[32]);

#endif
