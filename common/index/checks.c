/* checks.c - configuration checks (see checks.h for the list). Evidence is
 * built from paths, config field names and rule ids only: a URL in history
 * is shown by its host, a secret by its rule and place. */
#include "index.h"
#include "base.h"
#include "secrets/scanner_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EVIDENCE_MAX_PATHS 20

int rs_checks_fs_add(rs_checks_fs *c, const char *path, unsigned facts, unsigned mode)
{
    if (RS_GROW(c->items, c->n + 1, c->cap))
        return RS_ERR_INTERNAL;
    if (!(c->items[c->n].path = strdup(path)))
        return RS_ERR_INTERNAL;
    c->items[c->n].facts = facts;
    c->items[c->n].mode = mode;
    c->n++;
    return 0;
}

void rs_checks_fs_clear(rs_checks_fs *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->items[i].path);
    free(c->items);
    memset(c, 0, sizeof *c);
}

/* "N paths: /a (4755), /b (2755) and K more" of the facts with a bit of `mask`;
 * adds the finding when there is one. */
static int fs_finding(const rs_checks_fs *c, unsigned mask, const char *id, const char *sev,
                      const char *title, const char *cis, rs_inventory *inv)
{
    rs_buf b = RS_BUF_INIT;
    size_t n = 0, shown = 0;
    int bad = 0;
    for (size_t i = 0; i < c->n; i++)
        n += (c->items[i].facts & mask) != 0;
    if (!n)
        return 0;
    bad |= rs_buf_printf(&b, "%zu path%s:", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < c->n && !bad; i++) {
        if (!(c->items[i].facts & mask) || shown++ >= EVIDENCE_MAX_PATHS)
            continue;
        bad |= rs_buf_printf(&b, "%s %s (%04o)", shown > 1 ? "," : "", c->items[i].path,
                             c->items[i].mode);
    }
    if (!bad && n > EVIDENCE_MAX_PATHS)
        bad |= rs_buf_printf(&b, " and %zu more", n - EVIDENCE_MAX_PATHS);
    char *ev = bad ? NULL : rs_buf_steal(&b);
    int rc = ev ? rs_misconfigs_add(&inv->misconfigs, id, sev, title, ev, cis) : RS_ERR_INTERNAL;
    free(ev);
    rs_buf_free(&b);
    return rc;
}

/* sshd: the package or the binary. */
static int sshd_finding(const rs_checks_fs *c, rs_inventory *inv)
{
    char ev[512] = "";
    for (size_t i = 0; i < inv->n_pkgs && !ev[0]; i++) {
        const rs_pkg *p = &inv->pkgs[i];
        if (p->name && (!strcmp(p->name, "openssh-server") || !strcmp(p->name, "openssh")))
            snprintf(ev, sizeof ev, "package %s %s (%s)", p->name, p->version ? p->version : "",
                     p->type ? p->type : "");
    }
    for (size_t i = 0; i < c->n && !ev[0]; i++)
        if (c->items[i].facts & RS_FACT_SSHD)
            snprintf(ev, sizeof ev, "%s", c->items[i].path);
    if (!ev[0])
        return 0;
    return rs_misconfigs_add(&inv->misconfigs, "sshd-installed", "medium",
                             "An SSH server is installed in the image", ev, NULL);
}

int rs_checks_fs_finish(rs_checks_fs *c, rs_inventory *inv)
{
    if (fs_finding(c, RS_FACT_SETUID | RS_FACT_SETGID, "setuid-setgid-files", "low",
                   "Files with setuid or setgid permissions", "4.8", inv) ||
        fs_finding(c, RS_FACT_WORLD_WRITABLE, "world-writable-system-paths", "medium",
                   "World-writable files or directories in system paths", NULL, inv) ||
        fs_finding(c, RS_FACT_PKG_CACHE, "package-manager-cache", "low",
                   "Package manager caches left in the image", NULL, inv) ||
        sshd_finding(c, inv))
        return RS_ERR_INTERNAL;
    return 0;
}

/* ---- the image config ------------------------------------------------- */

/* 1 when USER names root: empty, "root", "0", or that with a group. */
static int root_user(const char *u)
{
    size_t n = strcspn(u, ":");
    return n == 0 || (n == 4 && !strncmp(u, "root", 4)) || (n == 1 && u[0] == '0');
}

static int check_user(const json_t *cfg, rs_inventory *inv)
{
    const char *u = json_string_value(json_object_get(cfg, "User"));
    if (u && !root_user(u))
        return 0;
    char ev[160];
    if (!u || !*u)
        snprintf(ev, sizeof ev, "config.User is not set: the container runs as root");
    else
        snprintf(ev, sizeof ev, "config.User is \"%.64s\"", u);
    return rs_misconfigs_add(&inv->misconfigs, "root-user", "high",
                             "The image runs as root (no USER or user 0)", ev, "4.1");
}

static int check_healthcheck(const json_t *cfg, rs_inventory *inv)
{
    json_t *hc = json_object_get(cfg, "Healthcheck");
    json_t *test = json_object_get(hc, "Test");
    const char *first = json_string_value(json_array_get(test, 0));
    if (json_is_array(test) && json_array_size(test) > 0 && first && strcmp(first, "NONE"))
        return 0;
    return rs_misconfigs_add(&inv->misconfigs, "no-healthcheck", "low",
                             "No HEALTHCHECK in the image",
                             hc ? "config.Healthcheck.Test is NONE or empty"
                                : "config.Healthcheck is not set",
                             "4.6");
}

static int check_ports(const json_t *cfg, rs_inventory *inv)
{
    json_t *ports = json_object_get(cfg, "ExposedPorts");
    if (!json_object_get(ports, "22/tcp") && !json_object_get(ports, "22"))
        return 0;
    return rs_misconfigs_add(&inv->misconfigs, "ssh-port-exposed", "medium",
                             "Port 22 (SSH) is exposed", "config.ExposedPorts has 22/tcp", NULL);
}

/* The host of the first http(s) URL an ADD of `s` fetches into hostbuf, or 0. */
static int add_remote(const char *s, char *host, size_t host_size)
{
    for (const char *p = s; (p = strstr(p, "ADD ")); p += 4) {
        if (p != s && p[-1] != ' ' && p[-1] != '\t')
            continue;
        const char *t = p + 4;
        for (;;) { /* blanks and --flags (--chown=, --checksum=) before the source */
            t += strspn(t, " \t");
            if (t[0] != '-' || t[1] != '-')
                break;
            t += strcspn(t, " \t");
        }
        size_t skip = !strncasecmp(t, "https://", 8) ? 8 : !strncasecmp(t, "http://", 7) ? 7 : 0;
        if (!skip)
            continue;
        size_t n = strcspn(t + skip, "/ \t?#@");
        if (t[skip + n] == '@') /* user info: never shown */
            t += strcspn(t + skip, "@") + 1, n = strcspn(t + skip, "/ \t?#");
        snprintf(host, host_size, "%.*s", (int)(n < 128 ? n : 128), t + skip);
        return 1;
    }
    return 0;
}

static int shell_word(const char *t)
{
    static const char *const shells[] = {"sh", "bash", "zsh", "dash", "ash", "ksh"};
    if (!strncmp(t, "sudo ", 5))
        t += 5;
    if (!strncmp(t, "/usr/bin/", 9))
        t += 9;
    else if (!strncmp(t, "/bin/", 5))
        t += 5;
    for (size_t i = 0; i < sizeof shells / sizeof shells[0]; i++) {
        size_t n = strlen(shells[i]);
        if (!strncmp(t, shells[i], n) && (t[n] == '\0' || t[n] == ' ' || t[n] == ';' ||
                                          t[n] == '\t' || t[n] == ')' || t[n] == '-'))
            return 1;
    }
    return 0;
}

/* 1 when `s` downloads with curl or wget and pipes it into a shell. */
static int pipe_to_shell(const char *s)
{
    const char *dl = strstr(s, "curl ");
    const char *w = strstr(s, "wget ");
    if (!dl || (w && w < dl))
        dl = w;
    for (const char *p = dl; p && (p = strchr(p, '|')); p++) {
        if (p[1] == '|' || p[-1] == '|')
            continue;
        const char *t = p + 1;
        while (*t == ' ' || *t == '\t')
            t++;
        if (shell_word(t))
            return 1;
    }
    return 0;
}

struct config_scan {
    rs_inventory *inv;
    rs_buf where; /* "config:Env line 2: aws-access-key-id, ..." for the misconfiguration */
    size_t n;
};

/* Scans `text` as the config field `path`; its findings go to the
 * inventory with `layer` (may be NULL) and are named in cs->where. */
static int scan_field(struct config_scan *cs, const char *text, size_t len, const char *path,
                      const char *layer)
{
    rs_secrets *l = &cs->inv->secrets;
    size_t first = l->n;
    if (rs_secrets_scan_buf(text, len, RS_SECRETS_AUTO, path, l))
        return RS_ERR_INTERNAL;
    for (size_t i = first; i < l->n; i++) {
        if (layer && !(l->items[i].layer = strdup(layer)))
            return RS_ERR_INTERNAL;
        if (cs->n++ < EVIDENCE_MAX_PATHS &&
            rs_buf_printf(&cs->where, "%s%s line %zu: %s", cs->n > 1 ? ", " : "", path,
                          l->items[i].line, l->items[i].rule))
            return RS_ERR_INTERNAL;
    }
    return 0;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends the string `v` (any bytes but NUL) and a newline. */
static int put_line(rs_buf *b, const char *prefix, const json_t *v)
{
    const char *s = json_string_value(v);
    return (prefix && (rs_buf_puts(b, prefix) || rs_buf_puts(b, "="))) ||
           (s && rs_buf_append(b, s, strlen(s))) || rs_buf_puts(b, "\n");
}

/* Labels as "key=value" lines, in key order. */
static int labels_text(const json_t *labels, rs_buf *b)
{
    size_t n = 0;
    const char *key;
    json_t *v;
    const char **keys = calloc(json_object_size(labels) + 1, sizeof *keys);
    if (!keys)
        return RS_ERR_INTERNAL;
    json_object_foreach((json_t *)labels, key, v)
    {
        keys[n++] = key;
    }
    qsort(keys, n, sizeof *keys, cmp_key);
    int bad = 0;
    for (size_t k = 0; k < n && !bad; k++)
        bad = put_line(b, keys[k], json_object_get(labels, keys[k]));
    free(keys);
    return bad ? RS_ERR_INTERNAL : 0;
}

/* Env as lines (line N is Env[N-1]), Labels as "key=value" lines. */
static int scan_env_labels(struct config_scan *cs, const json_t *cfg)
{
    rs_buf b = RS_BUF_INIT;
    json_t *env = json_object_get(cfg, "Env"), *v;
    json_t *labels = json_object_get(cfg, "Labels");
    size_t i;
    int bad = 0;
    json_array_foreach(env, i, v)
    {
        bad = bad || put_line(&b, NULL, v);
    }
    bad = bad || (b.len && scan_field(cs, b.data, b.len, "config:Env", NULL));
    rs_buf_reset(&b);
    if (!bad && json_is_object(labels))
        bad = labels_text(labels, &b) || (b.len && scan_field(cs, b.data, b.len,
                                                               "config:Labels", NULL));
    rs_buf_free(&b);
    return bad ? RS_ERR_INTERNAL : 0;
}

/* History: ADD of remote URLs, downloads piped into a shell, secrets in
 * created_by. Entry i's layer is the one of the non-empty entries so far. */
static int check_history(struct config_scan *cs, const json_t *history)
{
    rs_inventory *inv = cs->inv;
    size_t i, layer = 0;
    json_t *h;
    json_array_foreach(history, i, h)
    {
        const char *cb = json_string_value(json_object_get(h, "created_by"));
        int empty = json_is_true(json_object_get(h, "empty_layer"));
        const char *digest = !empty && layer < inv->n_layers ? inv->layers[layer] : NULL;
        layer += !empty;
        if (!cb)
            continue;
        char path[48], host[160], ev[256];
        snprintf(path, sizeof path, "config:history[%zu]", i);
        if (add_remote(cb, host, sizeof host)) {
            snprintf(ev, sizeof ev, "%s: ADD of a remote URL on host %s", path, host);
            if (rs_misconfigs_add(&inv->misconfigs, "add-remote-url", "medium",
                                  "ADD fetches a remote URL (use COPY, or a verified download)",
                                  ev, "4.9"))
                return RS_ERR_INTERNAL;
        }
        if (pipe_to_shell(cb)) {
            snprintf(ev, sizeof ev, "%s: a download piped into a shell", path);
            if (rs_misconfigs_add(&inv->misconfigs, "pipe-to-shell", "medium",
                                  "curl or wget output piped into a shell", ev, NULL))
                return RS_ERR_INTERNAL;
        }
        if (scan_field(cs, cb, strlen(cb), path, digest))
            return RS_ERR_INTERNAL;
    }
    return 0;
}

int rs_checks_config(const char *config, size_t len, rs_inventory *inv, char *errstr,
                     size_t errsz)
{
    json_error_t jerr;
    json_t *c = json_loadb(config, len, 0, &jerr);
    if (!json_is_object(c)) {
        json_decref(c);
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid image config: not an object");
    }
    json_t *cfg = json_object_get(c, "config");
    struct config_scan cs = {inv, RS_BUF_INIT, 0};
    int rc = check_user(cfg, inv) || check_healthcheck(cfg, inv) || check_ports(cfg, inv) ||
             scan_env_labels(&cs, cfg) || check_history(&cs, json_object_get(c, "history"));
    if (!rc && cs.n) {
        if (cs.n > EVIDENCE_MAX_PATHS)
            rc = rs_buf_printf(&cs.where, " and %zu more", cs.n - EVIDENCE_MAX_PATHS);
        rc = rc || rs_misconfigs_add(&inv->misconfigs, "secrets-in-config", "high",
                                     "Secrets in the image config (ENV, LABEL or a build step)",
                                     cs.where.data, "4.10");
    }
    rs_buf_free(&cs.where);
    json_decref(c);
    rs_secrets_sort(&inv->secrets);
    rs_misconfigs_sort(&inv->misconfigs);
    return rc ? rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory checking the config") : 0;
}
