#include "gzip.h"
#include "xalloc.h"

#include <stdlib.h>
#include <zlib.h>

unsigned char *gzip_new(const void *data, size_t len, size_t *out_len)
{
    z_stream zs = {0};
    /* 15 + 16: a gzip wrapper rather than zlib's own. */
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&zs, (uLong)len) + 32;
    unsigned char *out = xmalloc(cap);
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    int rc = deflate(&zs, Z_FINISH);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}
