/* Where gisd finds what it ships (layer definitions, styles, the viewer,
 * MapLibre) and its configuration file, wherever the binary was put. */
#ifndef GISD_PATHS_H
#define GISD_PATHS_H

#include <stddef.h>

/* The directory or file an asset lives at, written into buf (n bytes) or
 * returned as env's value: $env when set and not empty (the operator's
 * override wins); else PREFIX/share/gisd/<installed> when the binary is
 * PREFIX/bin/gisd and PREFIX/share/gisd exists (an installed gisd); else
 * <tree> under the directory above the binary (the source tree's gisd/gisd,
 * whose parent is the repository). Never NULL; the path may not exist
 * (callers say so, naming it). */
const char *paths_asset(const char *env, const char *installed, const char *tree, char *buf, size_t n);
/* The prefix gisd was installed under ("/usr", "/opt/gisd") into buf, or
 * NULL when the binary is not PREFIX/bin/gisd beside PREFIX/share/gisd. */
const char *paths_installed_prefix(char *buf, size_t n);
/* The configuration file an installed gisd reads by default: /etc/gisd/gisd.conf
 * for the prefix /usr, D/etc/gisd/gisd.conf for D/usr (a DESTDIR install),
 * PREFIX/etc/gisd/gisd.conf otherwise; NULL when gisd is not installed (a
 * source tree has no default file). Written into buf. */
const char *paths_default_config(char *buf, size_t n);

#endif
