/* analyzers/files.c - facts from tar entries' metadata, for the
 * configuration checks of the merged image (checks.h): setuid and setgid
 * files, world-writable entries in system paths, the OpenSSH server binary,
 * package manager caches left behind. Reads no bytes (the `entry` mode). */
#include "analyzers/files_int.h"

#include <string.h>

static int wants(const char *path)
{
    (void)path;
    return 1;
}

static int under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* /etc, /usr, /bin, /sbin and the /lib family: what only root should change */
static int system_path(const char *path)
{
    static const char *const dirs[] = {"/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32",
                                       "/lib64", "/libx32"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (under(path, dirs[i]))
            return 1;
    return 0;
}

/* A file a package manager leaves behind when its cache is not cleaned. */
static int pkg_cache(const char *path)
{
    const char *base = strrchr(path, '/') + 1;
    size_t n = strlen(base);
    if (strncmp(path, "/var/cache/apt/archives/", 24) == 0)
        return n > 4 && strcmp(base + n - 4, ".deb") == 0;
    if (strncmp(path, "/var/lib/apt/lists/", 19) == 0)
        return strcmp(base, "lock") != 0 && !under(path, "/var/lib/apt/lists/partial") &&
               !under(path, "/var/lib/apt/lists/auxfiles");
    return strncmp(path, "/var/cache/apk/", 15) == 0 || under(path, "/root/.cache/pip") ||
           under(path, "/root/.npm/_cacache");
}

static int entry(const char *path, const rs_entry_meta *m, rs_analysis *out)
{
    unsigned f = 0;
    if (m->type == RS_ENTRY_FILE) {
        f |= m->mode & 04000 ? RS_FACT_SETUID : 0;
        f |= m->mode & 02000 ? RS_FACT_SETGID : 0;
        f |= (m->mode & 02) && system_path(path) ? RS_FACT_WORLD_WRITABLE : 0;
        f |= !strcmp(path, "/usr/sbin/sshd") || !strcmp(path, "/sbin/sshd") ? RS_FACT_SSHD : 0;
        f |= pkg_cache(path) ? RS_FACT_PKG_CACHE : 0;
    } else if (m->type == RS_ENTRY_DIR) {
        f |= (m->mode & 02) && !(m->mode & 01000) && system_path(path) ? RS_FACT_WORLD_WRITABLE
                                                                       : 0;
    }
    out->facts = f;
    out->mode = m->mode & 07777;
    return 0;
}

const rs_analyzer rs_analyzer_files = {
    RS_ANALYZER_ID("files", 1),
    .wants = wants,
    .entry = entry,
};
