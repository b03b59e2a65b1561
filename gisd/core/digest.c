/* GLib's SHA-256: already linked through GDAL and Pango, and a checksum of a
 * string is all gisd needs of it. */
#include "digest.h"

#include <glib.h>
#include <stdio.h>

void digest_sha256_hex(const char *text, char out[65])
{
    gchar *h = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
    snprintf(out, 65, "%s", h);
    g_free(h);
}

void digest_sha256_bytes_hex(const void *data, size_t len, char out[65])
{
    gchar *h = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
    snprintf(out, 65, "%s", h);
    g_free(h);
}
