/* gzip (RFC 1952) of a buffer through zlib, for HTTP Content-Encoding. */
#ifndef GISD_GZIP_H
#define GISD_GZIP_H

#include <stddef.h>

/* The gzip bytes of data, malloc'd for the caller (who frees them); NULL when
 * out of memory. */
unsigned char *gzip_new(const void *data, size_t len, size_t *out_len);

#endif
