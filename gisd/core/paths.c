/* paths: the installed prefix first, the source tree second; GISD_* above both. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

/* The directory holding the running binary into buf, or -1. */
static int exe_dir(char *buf, size_t n)
{
    ssize_t len = readlink("/proc/self/exe", buf, n - 1);
    if (len <= 0 || (size_t)len >= n - 1)
        return -1;
    buf[len] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *paths_installed_prefix(char *buf, size_t n)
{
    char dir[PATH_MAX];
    if (exe_dir(dir, sizeof dir) != 0)
        return NULL;
    size_t len = strlen(dir);
    if (len < 4 || strcmp(dir + len - 4, "/bin") != 0)
        return NULL;
    dir[len - 4] = '\0';
    char share[PATH_MAX + 16];
    snprintf(share, sizeof share, "%s/share/gisd", dir);
    if (!is_dir(share) || (size_t)snprintf(buf, n, "%s", dir[0] ? dir : "/") >= n)
        return NULL;
    return buf;
}

const char *paths_asset(const char *env, const char *installed, const char *tree, char *buf, size_t n)
{
    const char *value = env ? getenv(env) : NULL;
    if (value && *value)
        return value;
    char prefix[PATH_MAX];
    if (paths_installed_prefix(prefix, sizeof prefix)) {
        snprintf(buf, n, "%s/share/gisd/%s", prefix, installed);
        return buf;
    }
    char dir[PATH_MAX];
    if (exe_dir(dir, sizeof dir) != 0) {
        snprintf(buf, n, "%s", tree);
        return buf;
    }
    /* the tree's root: the parent of the binary's directory (gisd/gisd) */
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    snprintf(buf, n, "%s/%s", dir[0] ? dir : "", tree);
    return buf;
}

const char *paths_default_config(char *buf, size_t n)
{
    char prefix[PATH_MAX];
    if (!paths_installed_prefix(prefix, sizeof prefix))
        return NULL;
    size_t len = strlen(prefix);
    /* FHS: /usr's configuration lives in /etc, and a DESTDIR's in DESTDIR/etc */
    if (len >= 4 && strcmp(prefix + len - 4, "/usr") == 0)
        prefix[len - 4] = '\0';
    snprintf(buf, n, "%s/etc/gisd/gisd.conf", prefix);
    return buf;
}
