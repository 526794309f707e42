/* config.c - loads and validates the tenants file (DESIGN.md §3) and reads
 * the shared settings from the environment (§2).
 *
 * Every key is checked: unknown keys, wrong types and unresolvable secrets
 * are RS_ERR_CONFIG with a message naming the key path. Secrets are read from
 * the environment or from files and never appear in messages. This module
 * does no network I/O. */
#include "config.h"
#include "config_int.h"
#include "base.h"
#include "config_int.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_SIZE 256
#define SECRET_FILE_MAX (64 * 1024)
#define TENANT_NAME_MAX 64

static const char *const keys_top[] = {"tenants", "webhook_secret_env", "webhook_secret_file",
                                       NULL};
static const char *const keys_tenant[] = {"name",
                                          "registries",
                                          "azure",
                                          "policy",
                                          "base_repositories",
                                          "webhook_secret_env",
                                          "webhook_secret_file",
                                          NULL};
static const char *const keys_registry[] = {"url",  "auth", "repositories", "exclude", "platforms",
                                            "tags", "rate_limit", "full_listing_every",
                                            "allow_insecure_realm", NULL};
static const char *const keys_tags[] = {"include", "exclude", "newest", NULL};
static const char *const keys_auth_none[] = {"type", NULL};
static const char *const keys_auth_basic[] = {"type", "username", "password_env", "password_file",
                                              NULL};
static const char *const keys_auth_bearer[] = {"type", "token_env", "token_file", NULL};
static const char *const keys_azure[] = {"tenant_id",
                                         "client_id",
                                         "client_secret_env",
                                         "client_secret_file",
                                         "federated_token_file",
                                         "client_certificate_file",
                                         "client_certificate_password_env",
                                         "client_certificate_password_file",
                                         "acr_audience",
                                         "subscriptions",
                                         "authority",
                                         "resource_manager",
                                         "rate_limit",
                                         /* discovery (rs_tenant.discovered) */
                                         "discover",
                                         "repositories",
                                         "exclude",
                                         "platforms",
                                         "tags",
                                         "full_listing_every",
                                         NULL};
static const char *const keys_auth_azure[] = {"type",
                                              "tenant_id",
                                              "client_id",
                                              "client_secret_env",
                                              "client_secret_file",
                                              "federated_token_file",
                                              "client_certificate_file",
                                              "client_certificate_password_env",
                                              "client_certificate_password_file",
                                              "acr_audience",
                                              "authority",
                                              "resource_manager",
                                              NULL};

#define AZURE_DEFAULT_AUTHORITY "https://login.microsoftonline.com"
#define AZURE_DEFAULT_RESOURCE_MANAGER "https://management.azure.com"
#define AZURE_DEFAULT_ACR_AUDIENCE "https://containerregistry.azure.net"

/* ---- small helpers ------------------------------------------------------ */

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Builds a key path for messages; truncation only shortens a message. */
static void subpath(char *out, size_t out_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void subpath(char *out, size_t out_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, out_size, fmt, ap);
    va_end(ap);
}

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

static int check_keys(const json_t *obj, const char *path, const char *const *allowed, char *errstr,
                      size_t errstr_size)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++)
            if (!strcmp(allowed[i], key)) {
                ok = 1;
                break;
            }
        if (!ok)
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s%s%s: unknown key", path,
                           *path ? "." : "", key);
    }
    return 0;
}

/* Optional non-empty string at obj[key]; *out stays NULL when absent. */
static int get_string(const json_t *obj, const char *key, const char *path, int required,
                      char **out, char *errstr, size_t errstr_size)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v) {
        if (required)
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.%s: missing", path, key);
        return 0;
    }
    if (!json_is_string(v))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.%s: must be a string", path, key);
    if (json_string_length(v) == 0)
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.%s: must not be empty", path, key);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.%s: contains a NUL byte", path, key);
    *out = strdup(json_string_value(v));
    return *out ? 0 : RS_ERR_INTERNAL;
}

/* Optional array of non-empty strings (glob patterns). */
static int get_list(const json_t *obj, const char *key, const char *path, char ***out, size_t *n,
                    char *errstr, size_t errstr_size)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    *n = 0;
    if (!v)
        return 0;
    if (!json_is_array(v))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.%s: must be an array of strings",
                       path, key);
    size_t len = json_array_size(v);
    if (len == 0)
        return 0;
    char **l = calloc(len, sizeof *l);
    if (!l)
        return RS_ERR_INTERNAL;
    for (size_t i = 0; i < len; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e) || json_string_length(e) == 0 ||
            strlen(json_string_value(e)) != json_string_length(e)) {
            free_list(l, i);
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                           "%s.%s[%zu]: must be a non-empty string", path, key, i);
        }
        l[i] = strdup(json_string_value(e));
        if (!l[i]) {
            free_list(l, i);
            return RS_ERR_INTERNAL;
        }
    }
    *out = l;
    *n = len;
    return 0;
}

/* Reads a secret file (at most SECRET_FILE_MAX bytes) and trims trailing
 * newlines. The message names the file, never its content. */
static int read_secret_file(const char *file, const char *path, const char *key, char **out,
                            char *errstr, size_t errstr_size)
{
    FILE *f = fopen(file, "rb");
    if (!f)
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.%s: cannot read '%s': %s", path, key,
                       file, strerror(errno));
    char *data = malloc(SECRET_FILE_MAX + 1);
    if (!data) {
        fclose(f);
        return RS_ERR_INTERNAL;
    }
    size_t n = fread(data, 1, SECRET_FILE_MAX + 1, f);
    int rerr = ferror(f);
    fclose(f);
    int rc = 0;
    if (rerr) {
        rc =
            rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.%s: cannot read '%s'", path, key, file);
        goto out;
    }
    if (n > SECRET_FILE_MAX) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.%s: file '%s' is larger than %d bytes",
                     path, key, file, SECRET_FILE_MAX);
        goto out;
    }
    while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r'))
        n--;
    data[n] = '\0';
    if (n == 0 || memchr(data, '\0', n)) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.%s: file '%s' is empty or binary",
                     path, key, file);
        goto out;
    }
    *out = data;
    data = NULL;
out:
    free(data);
    return rc;
}

/* Resolves `<base>_env` / `<base>_file` of obj into *out (NULL when neither
 * is given and !required). */
static int get_secret(const json_t *obj, const char *base, const char *path, int required,
                      char **out, char *errstr, size_t errstr_size)
{
    char kenv[64], kfile[64];
    snprintf(kenv, sizeof kenv, "%s_env", base);
    snprintf(kfile, sizeof kfile, "%s_file", base);
    char *name = NULL, *file = NULL;
    int rc = get_string(obj, kenv, path, 0, &name, errstr, errstr_size);
    if (!rc)
        rc = get_string(obj, kfile, path, 0, &file, errstr, errstr_size);
    if (rc)
        goto out;
    *out = NULL;
    if (name && file) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s: give only one of %s and %s", path,
                     kenv, kfile);
    } else if (name) {
        const char *v = getenv(name);
        if (!v || !*v)
            rc = rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.%s: variable '%s' is not set",
                         path, kenv, name);
        else if (!(*out = strdup(v)))
            rc = RS_ERR_INTERNAL;
    } else if (file) {
        rc = read_secret_file(file, path, kfile, out, errstr, errstr_size);
    } else if (required) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s: %s or %s is required", path, kenv,
                     kfile);
    }
out:
    free(name);
    free(file);
    return rc;
}

/* Checks "http(s)://host[:port][/]" and fills url (normalised, no trailing
 * slash), host (lowercase host[:port]) and insecure. */
static int parse_url(const char *url, const char *path, rs_registry_conf *r, char *errstr,
                     size_t errstr_size)
{
    const char *rest;
    if (!strncmp(url, "https://", 8)) {
        rest = url + 8;
        r->insecure = 0;
    } else if (!strncmp(url, "http://", 7)) {
        rest = url + 7;
        r->insecure = 1;
    } else {
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "%s.url: must start with http:// or https://", path);
    }
    size_t hlen = strcspn(rest, "/?#");
    const char *tail = rest + hlen;
    if (*tail && strcmp(tail, "/"))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "%s.url: must be a scheme and a host, without path or query", path);
    if (hlen == 0 || hlen > 255)
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.url: bad host", path);
    if (memchr(rest, '@', hlen))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "%s.url: credentials do not belong in the url, use auth", path);
    /* host: name or IPv4, or [IPv6]; optional :port */
    size_t i = 0;
    if (rest[0] == '[') {
        while (i < hlen && rest[i] != ']')
            i++;
        if (i == hlen || i == 1)
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.url: bad host", path);
        for (size_t k = 1; k < i; k++)
            if (!isxdigit((unsigned char)rest[k]) && rest[k] != ':' && rest[k] != '.')
                return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.url: bad host", path);
        i++;
    } else {
        while (i < hlen && rest[i] != ':') {
            unsigned char c = (unsigned char)rest[i];
            if (!isalnum(c) && c != '-' && c != '.')
                return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.url: bad host", path);
            i++;
        }
        if (i == 0)
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.url: bad host", path);
    }
    if (i < hlen) {
        if (rest[i] != ':' || i + 1 == hlen || hlen - i - 1 > 5)
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.url: bad port", path);
        long port = 0;
        for (size_t k = i + 1; k < hlen; k++) {
            if (!isdigit((unsigned char)rest[k]))
                return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.url: bad port", path);
            port = port * 10 + (rest[k] - '0');
        }
        if (port < 1 || port > 65535)
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.url: bad port", path);
    }
    r->host = strndup(rest, hlen);
    r->url = strndup(url, (size_t)(tail - url));
    if (!r->host || !r->url)
        return RS_ERR_INTERNAL;
    for (char *p = r->host; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    /* the scheme is already lowercase; the host part of url follows host */
    memcpy(r->url + (size_t)(rest - url), r->host, hlen);
    return 0;
}

static void azure_clear(rs_azure_conf *a)
{
    free(a->tenant_id);
    free(a->client_id);
    free(a->client_secret);
    free(a->federated_token_file);
    free(a->client_certificate_file);
    free(a->client_certificate_password);
    free(a->acr_audience);
    free_list(a->subscriptions, a->n_subscriptions);
    free(a->authority);
    free(a->resource_manager);
    memset(a, 0, sizeof *a);
}

static int endpoint_check(const char *v, const char *path, const char *key, char *errstr,
                          size_t errstr_size)
{
    if (v && strncmp(v, "https://", 8) && strncmp(v, "http://", 7))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "%s.%s: must start with http:// or https://", path, key);
    return 0;
}

/* The certificate credential and the ACR audience of an azure block. */
static int parse_azure_auth_keys(const json_t *o, const char *path, rs_azure_conf *a,
                                 char *errstr, size_t errstr_size)
{
    int rc = get_string(o, "client_certificate_file", path, 0, &a->client_certificate_file,
                        errstr, errstr_size);
    if (!rc)
        rc = get_secret(o, "client_certificate_password", path, 0,
                        &a->client_certificate_password, errstr, errstr_size);
    if (!rc && a->client_certificate_password && !a->client_certificate_file)
        rc = rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                     "%s: client_certificate_password_* without client_certificate_file", path);
    if (!rc)
        rc = get_string(o, "acr_audience", path, 0, &a->acr_audience, errstr, errstr_size);
    if (!rc)
        rc = endpoint_check(a->acr_audience, path, "acr_audience", errstr, errstr_size);
    return rc;
}

/* Parses the fields of an azure block (tenant level, with subscriptions) or
 * of an auth of type azure (without). Absent fields stay NULL. */
static int parse_azure(const json_t *o, const char *path, int with_subscriptions, rs_azure_conf *a,
                       char *errstr, size_t errstr_size)
{
    int rc =
        check_keys(o, path, with_subscriptions ? keys_azure : keys_auth_azure, errstr, errstr_size);
    if (!rc)
        rc = get_string(o, "tenant_id", path, 0, &a->tenant_id, errstr, errstr_size);
    if (!rc)
        rc = get_string(o, "client_id", path, 0, &a->client_id, errstr, errstr_size);
    if (!rc)
        rc = get_secret(o, "client_secret", path, 0, &a->client_secret, errstr, errstr_size);
    if (!rc)
        rc = get_string(o, "federated_token_file", path, 0, &a->federated_token_file, errstr,
                        errstr_size);
    if (!rc)
        rc = parse_azure_auth_keys(o, path, a, errstr, errstr_size);
    if (!rc && with_subscriptions)
        rc = get_list(o, "subscriptions", path, &a->subscriptions, &a->n_subscriptions, errstr,
                      errstr_size);
    if (!rc && with_subscriptions)
        rc = rs_config_int_rate_limit(o, path, &a->rate_per_second, errstr, errstr_size);
    if (!rc)
        rc = get_string(o, "authority", path, 0, &a->authority, errstr, errstr_size);
    if (!rc)
        rc = endpoint_check(a->authority, path, "authority", errstr, errstr_size);
    if (!rc)
        rc = get_string(o, "resource_manager", path, 0, &a->resource_manager, errstr, errstr_size);
    if (!rc)
        rc = endpoint_check(a->resource_manager, path, "resource_manager", errstr, errstr_size);
    return rc;
}

static int fill_default(char **field, const char *inherited, const char *dflt)
{
    if (*field)
        return 0;
    const char *v = inherited ? inherited : dflt;
    if (!v)
        return 0;
    *field = strdup(v);
    return *field ? 0 : RS_ERR_INTERNAL;
}

static int n_credentials(const rs_azure_conf *a)
{
    return !!a->client_secret + !!a->client_certificate_file + !!a->federated_token_file;
}

/* Copies the tenant's credential (one kind, as checked) into an auth that has none. */
static int inherit_credential(rs_azure_conf *a, const rs_azure_conf *t)
{
    if (!t || n_credentials(a))
        return 0;
    int rc = fill_default(&a->client_secret, t->client_secret, NULL);
    if (!rc)
        rc = fill_default(&a->client_certificate_file, t->client_certificate_file, NULL);
    if (!rc)
        rc = fill_default(&a->client_certificate_password, t->client_certificate_password, NULL);
    if (!rc)
        rc = fill_default(&a->federated_token_file, t->federated_token_file, NULL);
    return rc;
}

/* AKS workload identity as the Azure SDKs read it: the environment fills what
 * the file (and the tenant's block) leave unset; the token file only when no
 * credential is configured at all. */
static const char *env_set(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int azure_from_env(rs_azure_conf *a)
{
    int rc = fill_default(&a->tenant_id, env_set("AZURE_TENANT_ID"), NULL);
    if (!rc)
        rc = fill_default(&a->client_id, env_set("AZURE_CLIENT_ID"), NULL);
    if (!rc && !n_credentials(a))
        rc = fill_default(&a->federated_token_file, env_set("AZURE_FEDERATED_TOKEN_FILE"), NULL);
    const char *host = env_set("AZURE_AUTHORITY_HOST");
    if (!rc && !a->authority && host) {
        if (!(a->authority = strdup(host)))
            return RS_ERR_INTERNAL;
        size_t n = strlen(a->authority);
        while (n > 0 && a->authority[n - 1] == '/')
            a->authority[--n] = '\0';
    }
    return rc;
}

static int azure_check(const rs_azure_conf *a, const char *path, char *errstr, size_t errstr_size)
{
    if (n_credentials(a) > 1)
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "%s: give only one credential: client_secret_env/_file, "
                       "client_certificate_file or federated_token_file",
                       path);
    if (!n_credentials(a))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "%s: no credential: give client_secret_env/_file, client_certificate_file "
                       "or federated_token_file (or AZURE_FEDERATED_TOKEN_FILE)",
                       path);
    if (!a->tenant_id || !*a->tenant_id)
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "%s.tenant_id: required (or AZURE_TENANT_ID)", path);
    if (!a->client_id || !*a->client_id)
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "%s.client_id: required (or AZURE_CLIENT_ID)", path);
    return endpoint_check(a->authority, path, "authority (AZURE_AUTHORITY_HOST)", errstr,
                          errstr_size);
}

/* Completes `a` from the tenant's block `t` (may be NULL), the environment and
 * the defaults, then checks that exactly one credential kind results. */
static int azure_complete(rs_azure_conf *a, const rs_azure_conf *t, const char *path,
                          char *errstr, size_t errstr_size)
{
    int rc = inherit_credential(a, t);
    if (!rc)
        rc = fill_default(&a->tenant_id, t ? t->tenant_id : NULL, NULL);
    if (!rc)
        rc = fill_default(&a->client_id, t ? t->client_id : NULL, NULL);
    if (!rc)
        rc = fill_default(&a->authority, t ? t->authority : NULL, NULL);
    if (!rc)
        rc = azure_from_env(a);
    if (!rc)
        rc = fill_default(&a->authority, NULL, AZURE_DEFAULT_AUTHORITY);
    if (!rc)
        rc = fill_default(&a->resource_manager, t ? t->resource_manager : NULL,
                          AZURE_DEFAULT_RESOURCE_MANAGER);
    if (!rc)
        rc = fill_default(&a->acr_audience, t ? t->acr_audience : NULL,
                          AZURE_DEFAULT_ACR_AUDIENCE);
    if (rc)
        return rc;
    return azure_check(a, path, errstr, errstr_size);
}

int rs_config_azure_env(rs_azure_conf *out, char *errstr, size_t errstr_size)
{
    memset(out, 0, sizeof *out);
    const char *secret = env_set("AZURE_CLIENT_SECRET");
    const char *cert = secret ? NULL : env_set("AZURE_CLIENT_CERTIFICATE_PATH");
    const char *pw = cert ? env_set("AZURE_CLIENT_CERTIFICATE_PASSWORD") : NULL;
    int rc = fill_default(&out->client_secret, secret, NULL);
    if (!rc)
        rc = fill_default(&out->client_certificate_file, cert, NULL);
    if (!rc)
        rc = fill_default(&out->client_certificate_password, pw, NULL);
    if (!rc)
        rc = azure_complete(out, NULL, "environment", errstr, errstr_size);
    if (rc == RS_ERR_CONFIG) {
        const char *why = !n_credentials(out)
                              ? "no identity in the environment: set AZURE_TENANT_ID, "
                                "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, "
                                "AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE"
                          : !out->tenant_id ? "AZURE_TENANT_ID is not set"
                          : !out->client_id ? "AZURE_CLIENT_ID is not set"
                                            : "AZURE_AUTHORITY_HOST is not an http(s) url";
        rs_errf(errstr, errstr_size, rc, "--azure: %s", why);
    }
    if (rc)
        azure_clear(out);
    return rc;
}

void rs_config_azure_clear(rs_azure_conf *a)
{
    azure_clear(a);
}

static int parse_auth(const json_t *o, const char *path, const rs_azure_conf *tenant_azure,
                      rs_auth_conf *a, char *errstr, size_t errstr_size)
{
    if (!json_is_object(o))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s: must be an object", path);
    char *type = NULL;
    int rc = get_string(o, "type", path, 1, &type, errstr, errstr_size);
    if (rc)
        return rc;
    if (!strcmp(type, "none")) {
        a->type = RS_AUTH_NONE;
        rc = check_keys(o, path, keys_auth_none, errstr, errstr_size);
    } else if (!strcmp(type, "basic")) {
        a->type = RS_AUTH_BASIC;
        rc = check_keys(o, path, keys_auth_basic, errstr, errstr_size);
        if (!rc)
            rc = get_string(o, "username", path, 1, &a->username, errstr, errstr_size);
        if (!rc)
            rc = get_secret(o, "password", path, 1, &a->password, errstr, errstr_size);
    } else if (!strcmp(type, "bearer")) {
        a->type = RS_AUTH_BEARER;
        rc = check_keys(o, path, keys_auth_bearer, errstr, errstr_size);
        if (!rc)
            rc = get_secret(o, "token", path, 1, &a->token, errstr, errstr_size);
    } else if (!strcmp(type, "azure")) {
        a->type = RS_AUTH_AZURE;
        rc = parse_azure(o, path, 0, &a->azure, errstr, errstr_size);
        if (!rc)
            rc = azure_complete(&a->azure, tenant_azure, path, errstr, errstr_size);
    } else {
        rc = rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                     "%s.type: unknown auth type '%s' (none, basic, bearer or azure)", path, type);
    }
    free(type);
    return rc;
}

static void registry_clear(rs_registry_conf *r)
{
    free(r->url);
    free(r->host);
    free(r->auth.username);
    free(r->auth.password);
    free(r->auth.token);
    azure_clear(&r->auth.azure);
    free_list(r->repositories, r->n_repositories);
    free_list(r->exclude, r->n_exclude);
    free_list(r->platforms, r->n_platforms);
    free_list(r->tags_include, r->n_tags_include);
    free_list(r->tags_exclude, r->n_tags_exclude);
    memset(r, 0, sizeof *r);
}

/* The selection keys of a registry entry (also read from the azure block for
 * discovered registries): repositories, exclude, platforms, tags, rate_limit
 * and full_listing_every. */
static int parse_filters(const json_t *o, const char *path, rs_registry_conf *r, char *errstr,
                         size_t errstr_size)
{
    char sub[PATH_SIZE];
    int rc;
    if ((rc = get_list(o, "repositories", path, &r->repositories, &r->n_repositories, errstr,
                       errstr_size)) ||
        (rc = get_list(o, "exclude", path, &r->exclude, &r->n_exclude, errstr, errstr_size)) ||
        (rc = get_list(o, "platforms", path, &r->platforms, &r->n_platforms, errstr, errstr_size)) ||
        (rc = rs_config_int_rate_limit(o, path, &r->rate_per_second, errstr, errstr_size)))
        return rc;
    json_t *tags = json_object_get(o, "tags");
    if (tags) {
        subpath(sub, sizeof sub, "%s.tags", path);
        if (!json_is_object(tags))
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s: must be an object", sub);
        if ((rc = check_keys(tags, sub, keys_tags, errstr, errstr_size)) ||
            (rc = get_list(tags, "include", sub, &r->tags_include, &r->n_tags_include, errstr,
                           errstr_size)) ||
            (rc = get_list(tags, "exclude", sub, &r->tags_exclude, &r->n_tags_exclude, errstr,
                           errstr_size)))
            return rc;
        json_t *newest = json_object_get(tags, "newest");
        if (newest) {
            if (!json_is_integer(newest) || json_integer_value(newest) < 0 ||
                json_integer_value(newest) > 1000000)
                return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                               "%s.newest: must be an integer from 0 to 1000000", sub);
            r->tags_newest = (int)json_integer_value(newest);
        }
    }
    r->full_listing_every = 24;
    json_t *every = json_object_get(o, "full_listing_every");
    if (every && (!json_is_integer(every) || json_integer_value(every) < 1 ||
                  json_integer_value(every) > 100000))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "%s.full_listing_every: must be an integer from 1 to 100000", path);
    if (every)
        r->full_listing_every = (int)json_integer_value(every);
    return 0;
}

/* "allow_insecure_realm": true lets credentials go to a plain-http token realm on
 * another host than the registry's (DESIGN.md §7; docs/contracts.md). */
static int parse_insecure_realm(const json_t *o, const char *path, rs_registry_conf *r,
                                char *errstr, size_t errstr_size)
{
    json_t *v = json_object_get(o, "allow_insecure_realm");
    if (v && !json_is_boolean(v))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "%s.allow_insecure_realm: must be true or false", path);
    r->auth.allow_insecure_realm = v && json_is_true(v);
    return 0;
}

static int parse_registry(const json_t *o, const char *path, const rs_azure_conf *tenant_azure,
                          rs_registry_conf *r, char *errstr, size_t errstr_size)
{
    char sub[PATH_SIZE];
    char *url = NULL;
    if (!json_is_object(o))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s: must be an object", path);
    int rc = check_keys(o, path, keys_registry, errstr, errstr_size);
    if (!rc)
        rc = get_string(o, "url", path, 1, &url, errstr, errstr_size);
    if (!rc)
        rc = parse_url(url, path, r, errstr, errstr_size);
    if (rc)
        goto out;
    json_t *auth = json_object_get(o, "auth");
    if (auth) {
        subpath(sub, sizeof sub, "%s.auth", path);
        if ((rc = parse_auth(auth, sub, tenant_azure, &r->auth, errstr, errstr_size)))
            goto out;
    } else {
        r->auth.type = RS_AUTH_NONE;
    }
    if ((rc = parse_insecure_realm(o, path, r, errstr, errstr_size)))
        goto out;
    rc = parse_filters(o, path, r, errstr, errstr_size);
out:
    free(url);
    return rc;
}

/* The azure block's discovery keys: "discover" and the selection of the
 * registries found (t->discovered, scanned with the block's identity). */
static int parse_discovery(const json_t *az, const char *path, rs_tenant *t, char *errstr,
                           size_t errstr_size)
{
    json_t *d = json_object_get(az, "discover");
    if (d && !json_is_boolean(d))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.discover: must be true or false",
                       path);
    t->discover = d && json_is_true(d);
    t->discovered.auth.type = RS_AUTH_AZURE;
    int rc = azure_complete(&t->discovered.auth.azure, t->azure, path, errstr, errstr_size);
    if (!rc)
        rc = parse_filters(az, path, &t->discovered, errstr, errstr_size);
    return rc;
}

static int tenant_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > TENANT_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '-' && c != '_' && c != '.')
            return 0;
    }
    return 1;
}

static void tenant_clear(rs_tenant *t)
{
    free(t->name);
    for (size_t i = 0; i < t->n_registries; i++)
        registry_clear(&t->registries[i]);
    free(t->registries);
    free(t->policy);
    free(t->webhook_secret);
    free_list(t->base_repositories, t->n_base_repositories);
    registry_clear(&t->discovered);
    if (t->azure) {
        azure_clear(t->azure);
        free(t->azure);
    }
    memset(t, 0, sizeof *t);
}

static int parse_tenant(const json_t *o, const char *path, rs_tenant *t, char *errstr,
                        size_t errstr_size)
{
    char sub[PATH_SIZE];
    if (!json_is_object(o))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s: must be an object", path);
    int rc = check_keys(o, path, keys_tenant, errstr, errstr_size);
    if (!rc)
        rc = get_string(o, "name", path, 1, &t->name, errstr, errstr_size);
    if (rc)
        return rc;
    if (!tenant_name_ok(t->name))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "%s.name: '%s' must be 1 to %d characters of A-Z a-z 0-9 . _ -", path,
                       t->name, TENANT_NAME_MAX);
    if ((rc = get_string(o, "policy", path, 0, &t->policy, errstr, errstr_size)) ||
        (rc = get_secret(o, "webhook_secret", path, 0, &t->webhook_secret, errstr, errstr_size)) ||
        (rc = get_list(o, "base_repositories", path, &t->base_repositories,
                       &t->n_base_repositories, errstr, errstr_size)))
        return rc;
    json_t *az = json_object_get(o, "azure");
    if (az) {
        subpath(sub, sizeof sub, "%s.azure", path);
        if (!json_is_object(az))
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s: must be an object", sub);
        if (!(t->azure = calloc(1, sizeof *t->azure)))
            return RS_ERR_INTERNAL;
        if ((rc = parse_azure(az, sub, 1, t->azure, errstr, errstr_size)) ||
            (rc = azure_complete(t->azure, NULL, sub, errstr, errstr_size)) ||
            (rc = parse_discovery(az, sub, t, errstr, errstr_size)))
            return rc;
    }
    json_t *regs = json_object_get(o, "registries");
    if (t->azure && (!regs || json_array_size(regs) == 0))
        t->discover = 1;
    if (regs && !json_is_array(regs))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "%s.registries: must be an array", path);
    size_t n = regs ? json_array_size(regs) : 0;
    if (n == 0 && !t->azure)
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "%s.registries: no registries and no azure discovery", path);
    if (n) {
        if (!(t->registries = calloc(n, sizeof *t->registries)))
            return RS_ERR_INTERNAL;
    }
    for (size_t i = 0; i < n; i++) {
        subpath(sub, sizeof sub, "%s.registries[%zu]", path, i);
        t->n_registries = i + 1;
        if ((rc = parse_registry(json_array_get(regs, i), sub, t->azure, &t->registries[i], errstr,
                                 errstr_size)))
            return rc;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(t->registries[k].host, t->registries[i].host))
                return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                               "%s.url: registry '%s' is listed twice", sub, t->registries[i].host);
    }
    return 0;
}

/* ---- settings ----------------------------------------------------------- */

static int env_string(char **field, const char *name, const char *dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        v = dflt;
    free(*field);
    *field = xstrdup(v);
    return (v && !*field) ? RS_ERR_INTERNAL : 0;
}

static void settings_clear(rs_settings *s)
{
    free(s->kafka_brokers);
    free_list(s->kafka_props, s->n_kafka_props);
    free(s->redis_url);
    free(s->cache_redis_url);
    free(s->redis_prefix);
    free(s->topic_requests);
    free(s->topic_batch);
    free(s->topic_findings);
    free(s->topic_inventory);
    free(s->topic_dead_letter);
    free(s->group);
    free(s->log_format);
    free(s->log_level);
    memset(s, 0, sizeof *s);
}

int rs_settings_add_prop(rs_settings *s, const char *kv, size_t len, const char *what,
                         char *errstr, size_t errstr_size)
{
    const char *eq = memchr(kv, '=', len);
    if (!eq || eq == kv)
        /* the text is not quoted: it may be a piece of a password */
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "%s: kafka property %zu is not k=v (a ',' in a value is written '\\,')",
                       what, s->n_kafka_props + 1);
    if (RS_GROW(s->kafka_props, s->n_kafka_props + 1, s->cap_kafka_props) ||
        !(s->kafka_props[s->n_kafka_props] = strndup(kv, len)))
        return RS_ERR_INTERNAL;
    s->n_kafka_props++;
    return 0;
}

/* "k=v,k=v"; a comma inside a value is written "\,". */
static int parse_props(rs_settings *s, const char *list, char *errstr, size_t errstr_size)
{
    size_t n = strlen(list);
    char *cur = malloc(n + 1);
    if (!cur)
        return RS_ERR_INTERNAL;
    size_t len = 0;
    int rc = 0;
    for (size_t i = 0; i <= n && !rc; i++) {
        if (i < n && list[i] == '\\' && i + 1 < n && list[i + 1] == ',') {
            cur[len++] = ',';
            i++;
        } else if (i == n || list[i] == ',') {
            size_t b = 0, e = len;
            while (b < e && isspace((unsigned char)cur[b]))
                b++;
            while (e > b && isspace((unsigned char)cur[e - 1]))
                e--;
            if (e > b)
                rc = rs_settings_add_prop(s, cur + b, e - b, "REGSCAN_KAFKA_PROPERTIES", errstr,
                                          errstr_size);
            len = 0;
        } else {
            cur[len++] = list[i];
        }
    }
    free(cur);
    return rc;
}

static int settings_from_env(rs_settings *s, char *errstr, size_t errstr_size)
{
    int rc = 0;
    if ((rc = env_string(&s->kafka_brokers, "REGSCAN_KAFKA_BROKERS", "127.0.0.1:9092")) ||
        (rc = env_string(&s->redis_url, "REGSCAN_REDIS_URL", "redis://127.0.0.1:6379/0")) ||
        (rc = env_string(&s->cache_redis_url, "REGSCAN_CACHE_REDIS_URL", s->redis_url)) ||
        (rc = env_string(&s->redis_prefix, "REGSCAN_REDIS_PREFIX", "regscan:")) ||
        (rc = env_string(&s->topic_requests, "REGSCAN_TOPIC_REQUESTS", "regscan.scan-requests")) ||
        (rc = env_string(&s->topic_batch, "REGSCAN_TOPIC_BATCH", "regscan.scan-requests.batch")) ||
        (rc = env_string(&s->topic_findings, "REGSCAN_TOPIC_FINDINGS", "regscan.findings")) ||
        (rc = env_string(&s->topic_inventory, "REGSCAN_TOPIC_INVENTORY", "regscan.inventory")) ||
        (rc = env_string(&s->topic_dead_letter, "REGSCAN_TOPIC_DEAD_LETTER",
                         "regscan.dead-letter")) ||
        (rc = env_string(&s->group, "REGSCAN_GROUP", "regscan-workers")) ||
        (rc = env_string(&s->log_format, "REGSCAN_LOG", NULL)) ||
        (rc = env_string(&s->log_level, "REGSCAN_LOG_LEVEL", "info")))
        return rc;
    /* an explicitly empty prefix is allowed (a dedicated Redis database) */
    const char *pfx = getenv("REGSCAN_REDIS_PREFIX");
    if (pfx && !*pfx && (rc = rs_config_set(&s->redis_prefix, "")))
        return rc;
    if (s->log_format && strcmp(s->log_format, "json") && strcmp(s->log_format, "text"))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "REGSCAN_LOG: '%s' is neither json nor text", s->log_format);
    static const char *const levels[] = {"debug", "info", "warn", "warning", "error", NULL};
    int lv_ok = 0;
    for (size_t i = 0; levels[i]; i++)
        lv_ok |= !strcmp(levels[i], s->log_level);
    if (!lv_ok)
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "REGSCAN_LOG_LEVEL: '%s' is not debug, info, warn or error", s->log_level);
    /* the file first: the list and --kafka-prop, set after it, win */
    const char *pfile = getenv("REGSCAN_KAFKA_PROPERTIES_FILE");
    if (pfile && *pfile && (rc = rs_kafkaprops_read_file(s, pfile, errstr, errstr_size)))
        return rc;
    const char *props = getenv("REGSCAN_KAFKA_PROPERTIES");
    if (props && (rc = parse_props(s, props, errstr, errstr_size)))
        return rc;
    const char *port = getenv("REGSCAN_HTTP_PORT");
    s->http_port = 0;
    if (port && *port) {
        char *end = NULL;
        errno = 0;
        long p = strtol(port, &end, 10);
        if (errno || *end || p < 0 || p > 65535)
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                           "REGSCAN_HTTP_PORT: '%s' is not a port number", port);
        s->http_port = (int)p;
    }
    return 0;
}

/* ---- public ------------------------------------------------------------- */

/* Hands c over to *out, or with rc set frees it (RS_ERR_INTERNAL is out of
 * memory: the message says so) and returns rc. */
static int config_finish(rs_config *c, int rc, rs_config **out, char *errstr, size_t errstr_size)
{
    if (rc) {
        if (rc == RS_ERR_INTERNAL)
            rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "out of memory");
        rs_config_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int rs_config_defaults(rs_config **out, char *errstr, size_t errstr_size)
{
    *out = NULL;
    rs_config *c = calloc(1, sizeof *c);
    if (!c)
        return rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "out of memory");
    int rc = settings_from_env(&c->settings, errstr, errstr_size);
    return config_finish(c, rc, out, errstr, errstr_size);
}

int rs_config_load(const char *path, rs_config **out, char *errstr, size_t errstr_size)
{
    *out = NULL;
    rs_config *c = NULL;
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    int rc = 0;
    if (!root) {
        if (jerr.line <= 0)
            rc = rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "cannot read '%s': %s", path,
                         jerr.text);
        else
            rc = rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "'%s' line %d column %d: %s", path,
                         jerr.line, jerr.column, jerr.text);
        goto out;
    }
    if ((rc = rs_config_defaults(&c, errstr, errstr_size)))
        goto out;
    if (!json_is_object(root)) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "'%s': must be a JSON object", path);
        goto out;
    }
    if ((rc = check_keys(root, "", keys_top, errstr, errstr_size)))
        goto out;
    if ((rc = get_secret(root, "webhook_secret", "", 0, &c->webhook_secret, errstr,
                         errstr_size)))
        goto out;
    json_t *tenants = json_object_get(root, "tenants");
    if (!json_is_array(tenants) || json_array_size(tenants) == 0) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "tenants: must be a non-empty array");
        goto out;
    }
    size_t n = json_array_size(tenants);
    if (!(c->tenants = calloc(n, sizeof *c->tenants))) {
        rc = RS_ERR_INTERNAL;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char tp[PATH_SIZE];
        subpath(tp, sizeof tp, "tenants[%zu]", i);
        c->n_tenants = i + 1;
        if ((rc =
                 parse_tenant(json_array_get(tenants, i), tp, &c->tenants[i], errstr, errstr_size)))
            goto out;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(c->tenants[k].name, c->tenants[i].name)) {
                rc = rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                             "%s.name: duplicate tenant name '%s'", tp, c->tenants[i].name);
                goto out;
            }
    }
out:
    json_decref(root);
    return config_finish(c, rc, out, errstr, errstr_size);
}

void rs_config_free(rs_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_tenants; i++)
        tenant_clear(&c->tenants[i]);
    free(c->tenants);
    free(c->webhook_secret);
    settings_clear(&c->settings);
    free(c);
}

int rs_config_set(char **field, const char *value)
{
    char *v = xstrdup(value);
    if (value && !v)
        return RS_ERR_INTERNAL;
    free(*field);
    *field = v;
    return 0;
}

int rs_config_add_kafka_prop(rs_config *c, const char *kv, char *errstr, size_t errstr_size)
{
    return rs_settings_add_prop(&c->settings, kv, strlen(kv), "--kafka-prop", errstr,
                                errstr_size);
}

const rs_tenant *rs_config_tenant(const rs_config *c, const char *name)
{
    for (size_t i = 0; i < c->n_tenants; i++)
        if (!strcmp(c->tenants[i].name, name))
            return &c->tenants[i];
    return NULL;
}

const rs_registry_conf *rs_config_registry(const rs_tenant *t, const char *host)
{
    for (size_t i = 0; i < t->n_registries; i++)
        if (!strcasecmp(t->registries[i].host, host))
            return &t->registries[i];
    return NULL;
}

int rs_glob_match(const char *p, const char *s)
{
    /* iterative matcher: on mismatch, resume after the last '*' */
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = ++p;
            resume = s;
        } else if (*p == '?' || *p == *s) {
            p++;
            s++;
        } else if (star) {
            p = star;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

int rs_glob_any(char *const *patterns, size_t n, const char *s, int dflt)
{
    if (n == 0)
        return dflt;
    for (size_t i = 0; i < n; i++)
        if (rs_glob_match(patterns[i], s))
            return 1;
    return 0;
}

int rs_config_is_base_repository(const rs_tenant *t, const char *host, const char *repository)
{
    if (!t || !t->n_base_repositories || !host || !repository)
        return 0;
    char full[1024];
    int n = snprintf(full, sizeof full, "%s/%s", host, repository);
    int fits = n > 0 && (size_t)n < sizeof full;
    for (size_t i = 0; i < t->n_base_repositories; i++)
        if (rs_glob_match(t->base_repositories[i], repository) ||
            (fits && rs_glob_match(t->base_repositories[i], full)))
            return 1;
    return 0;
}

int rs_topic_for_tenant(const char *topic, const char *tenant, char **out)
{
    static const char ph[] = "{tenant}";
    const size_t phl = sizeof ph - 1;
    size_t count = 0;
    for (const char *p = strstr(topic, ph); p; p = strstr(p + phl, ph))
        count++;
    size_t tl = strlen(tenant), len = strlen(topic);
    size_t total = len - count * phl + count * tl;
    char *r = malloc(total + 1);
    if (!r)
        return RS_ERR_INTERNAL;
    char *w = r;
    const char *p = topic;
    for (const char *q = strstr(p, ph); q; q = strstr(p, ph)) {
        memcpy(w, p, (size_t)(q - p));
        w += q - p;
        memcpy(w, tenant, tl);
        w += tl;
        p = q + phl;
    }
    size_t rest = strlen(p);
    memcpy(w, p, rest);
    w[rest] = '\0';
    *out = r;
    return 0;
}
