/* Who may call (auth.c): the bearer token of a read or a write. */
#ifndef GISD_AUTH_H
#define GISD_AUTH_H

#include "server.h"

/* The addresses that sent bad tokens lately; one per server. */
auth_table *auth_table_new(void);
void auth_table_free(auth_table *t);

/* 1 when the request may go on (r->who and r->admin then tell whose token it
 * carried, if one was needed); else 0 with the 401/429 answer in *ret. Every
 * route but the health check and the writes (which check their own token)
 * needs a token under --require-token-for-reads. */
int http_read_allowed(http_req *r, enum MHD_Result *ret);
/* The same for a write of layer l, which always needs a token whose scope
 * takes l, and HTTPS off loopback: 1 with the holder in who, or 0 with the
 * answer (401, 403, 429) in *ret. */
int http_write_allowed(http_req *r, const layer_def *l, char who[128], enum MHD_Result *ret);
/* The same for creating, dropping and adopting scenarios, which need
 * admin:scenarios (or admin). */
int http_scenario_admin_allowed(http_req *r, char who[128], enum MHD_Result *ret);
/* The same for issuing opinions, which needs issue:opinions (or admin). */
int http_opinion_issue_allowed(http_req *r, char who[128], enum MHD_Result *ret);

#endif
