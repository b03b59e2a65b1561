/* Digests gisd names things by: feature ETags, token hashes. */
#ifndef GISD_DIGEST_H
#define GISD_DIGEST_H

#include <stddef.h>

/* The SHA-256 of text's bytes (to its NUL) as 64 lowercase hex digits and a NUL. */
void digest_sha256_hex(const char *text, char out[65]);
/* The same of len bytes at data (a PDF, say). */
void digest_sha256_bytes_hex(const void *data, size_t len, char out[65]);

#endif
