/* checks.h - the configuration checks of an image: from the merged file
 * system (facts its entries raised, packages) and from the image config
 * (user, healthcheck, ports, history, secrets in Env, Labels and history).
 * Each finding has a stable id, a severity, evidence that holds no secret
 * value, and the CIS Docker Benchmark item where one exists:
 *
 *   root-user                    high    4.1   no USER, or user 0/root
 *   no-healthcheck               low     4.6   no HEALTHCHECK (or NONE)
 *   add-remote-url               medium  4.9   ADD of an http(s) URL in history
 *   secrets-in-config            high    4.10  a secret rule matched Env, Labels or history
 *   pipe-to-shell                medium  -     curl/wget ... | sh in history
 *   ssh-port-exposed             medium  -     ExposedPorts has 22
 *   sshd-installed               medium  -     openssh-server/openssh package or /usr/sbin/sshd
 *   setuid-setgid-files          low     4.8   every setuid/setgid regular file (no allow-list)
 *   world-writable-system-paths  medium  -     o+w in /etc /usr /bin /sbin /lib* (dirs: not sticky)
 *   package-manager-cache        low     -     apt archives and lists, apk, pip, npm caches
 */
#ifndef RS_CHECKS_H
#define RS_CHECKS_H

#include <stddef.h>

#include "inventory.h"

/* The facts of the merged view, gathered by the merge. Zero-initialise. */
typedef struct rs_checks_fs {
    struct rs_fs_fact {
        char *path;
        unsigned facts, mode;
    } *items;
    size_t n, cap;
} rs_checks_fs;

/* Adds the facts of one path. Returns 0 or RS_ERR_INTERNAL. */
int rs_checks_fs_add(rs_checks_fs *c, const char *path, unsigned facts, unsigned mode);
/* Adds the file-system findings of the gathered facts and of inv's packages
 * to inv->misconfigs. Returns 0 or RS_ERR_INTERNAL. */
int rs_checks_fs_finish(rs_checks_fs *c, rs_inventory *inv);
void rs_checks_fs_clear(rs_checks_fs *c);

/* Runs the image-config checks on config (len bytes of untrusted JSON) and
 * scans its Env, Labels and history for secrets (paths "config:Env",
 * "config:Labels", "config:history[N]"; a history entry's secret carries the
 * layer of that entry from inv->layers). Adds to inv->misconfigs and
 * inv->secrets, sorted. Returns 0, RS_ERR_INVALID (not a JSON object) or
 * RS_ERR_INTERNAL. */
int rs_checks_config(const char *config, size_t len, rs_inventory *inv, char *errstr,
                     size_t errstr_size);

#endif
