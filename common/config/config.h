/* config.h - the tenants file (DESIGN.md §3) and the start-up both programs
 * share: flags, environment, logging, signals.
 *
 * The one public header of common/config. */
#ifndef RS_CONFIG_H
#define RS_CONFIG_H

#include <signal.h>
#include <stddef.h>

/* ---- config: the tenants file (DESIGN.md §3) and the shared settings (§2).
 *
 * Secrets are never in the file: `*_env` names an environment variable and
 * `*_file` a file; both are resolved at load time, and a missing one is a
 * configuration error naming the key. Unknown keys are errors too, so a typo
 * never silently disables a filter. */

typedef enum { RS_AUTH_NONE = 0, RS_AUTH_BASIC, RS_AUTH_BEARER, RS_AUTH_AZURE } rs_auth_type;

/* Azure identity: a tenant's "azure" block, or the fields of an auth of type
 * "azure" (which inherits every field it does not set from the tenant's block). */
typedef struct rs_azure_conf {
    char *tenant_id;
    char *client_id;
    /* exactly one credential kind is set (docs/azure.md, "Authentication"): */
    char *client_secret;        /* resolved from client_secret_env / client_secret_file */
    char *federated_token_file; /* AKS workload identity token file (re-read per token) */
    char *client_certificate_file;     /* PEM with the private key and the certificate */
    char *client_certificate_password; /* of the key: client_certificate_password_env/_file */
    char *acr_audience; /* resource of the Entra token ACR exchanges, default
                           https://containerregistry.azure.net (sovereign clouds, tests) */
    char **subscriptions;
    size_t n_subscriptions; /* globs; empty means ["*"] */
    char *authority;        /* default https://login.microsoftonline.com */
    char *resource_manager; /* default https://management.azure.com */
    int rate_per_second;    /* "rate_limit" of the tenant's block: the default of
                               discovered registries; 0: none */
} rs_azure_conf;

typedef struct rs_auth_conf {
    rs_auth_type type;
    char *username;      /* basic */
    char *password;      /* basic, resolved from password_env / password_file */
    char *token;         /* bearer, resolved from token_env / token_file */
    rs_azure_conf azure; /* azure: own fields merged over the tenant's "azure" block */
    /* the registry entry's "allow_insecure_realm": credentials may go to a plain-http
     * token realm on another host (refused by default) */
    int allow_insecure_realm;
} rs_auth_conf;

typedef struct rs_registry_conf {
    char *url;    /* "https://contoso.azurecr.io" or "http://127.0.0.1:5000", no trailing slash */
    char *host;   /* "contoso.azurecr.io", "127.0.0.1:5000": the name in reports and keys */
    int insecure; /* url is http:// */
    rs_auth_conf auth;
    char **repositories;
    size_t n_repositories; /* globs; empty means ["*"] */
    char **exclude;
    size_t n_exclude; /* repository globs */
    char **platforms;
    size_t n_platforms; /* "linux/amd64" globs; empty: all but windows */
    char **tags_include;
    size_t n_tags_include; /* empty means ["*"] */
    char **tags_exclude;
    size_t n_tags_exclude;
    int tags_newest;     /* 0: all */
    int rate_per_second; /* rate_limit.requests_per_second across the pool; 0: no limit */
    /* ACR's _tags listing stops at the newest time of the last pass; every
     * full_listing_every-th pass lists everything (1 to 100000; 24) */
    int full_listing_every;
} rs_registry_conf;

typedef struct rs_tenant {
    char *name;
    rs_registry_conf *registries;
    size_t n_registries;
    char *policy;         /* path of the policy file, NULL when none */
    /* globs over "repository" or "host/repository": the repositories whose
     * images are this tenant's base images (docs/contracts.md, base images) */
    char **base_repositories;
    size_t n_base_repositories;
    rs_azure_conf *azure; /* the tenant's "azure" block, NULL when none */
    /* registries found through Azure Resource Manager: with an azure block and
     * no registries listed, or "discover": true in the block */
    int discover;
    /* what a discovered registry is scanned with: the azure block's
     * repositories / exclude / platforms / tags / full_listing_every and an
     * auth of type azure with the block's identity; url and host NULL */
    rs_registry_conf discovered;
    /* `serve`'s shared secret for this tenant's webhooks (webhook_secret_env /
     * _file), NULL: the file's top-level one */
    char *webhook_secret;
} rs_tenant;

typedef struct rs_settings {
    char *kafka_brokers; /* REGSCAN_KAFKA_BROKERS, 127.0.0.1:9092 */
    char **kafka_props;  /* "k=v" from REGSCAN_KAFKA_PROPERTIES_FILE, then
                          * REGSCAN_KAFKA_PROPERTIES, then --kafka-prop (later wins) */
    size_t n_kafka_props;
    size_t cap_kafka_props;       /* RS_GROW's capacity of kafka_props */
    char *redis_url;              /* REGSCAN_REDIS_URL */
    char *cache_redis_url;        /* REGSCAN_CACHE_REDIS_URL, defaults to redis_url */
    char *redis_prefix;           /* REGSCAN_REDIS_PREFIX, "regscan:" */
    char *topic_requests, *topic_batch, *topic_findings, *topic_inventory, *topic_dead_letter;
    char *group;                  /* REGSCAN_GROUP, "regscan-workers" */
    char *log_format, *log_level; /* REGSCAN_LOG, REGSCAN_LOG_LEVEL */
    int http_port;                /* REGSCAN_HTTP_PORT, 0 = off */
} rs_settings;

typedef struct rs_config {
    rs_tenant *tenants;
    size_t n_tenants;
    rs_settings settings;
    char *webhook_secret; /* top-level webhook_secret_env / _file: every tenant's default */
} rs_config;

/* Loads and validates the tenants file at `path` and fills the settings from
 * the environment (flags are applied afterwards by the caller with
 * rs_config_set). Returns 0, or RS_ERR_CONFIG with errstr naming the key
 * ("tenants[0].registries[1].auth.password_env: variable 'X' is not set"). */
int rs_config_load(const char *path, rs_config **out, char *errstr, size_t errstr_size);
/* The Azure identity of the environment, as azure-identity's EnvironmentCredential
 * and WorkloadIdentityCredential read it (scan mode has no tenants file):
 * AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_AUTHORITY_HOST and, first found,
 * AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH (+ _PASSWORD) or
 * AZURE_FEDERATED_TOKEN_FILE. Returns 0 or RS_ERR_CONFIG naming the variable;
 * free with rs_config_azure_clear. */
int rs_config_azure_env(rs_azure_conf *out, char *errstr, size_t errstr_size);
void rs_config_azure_clear(rs_azure_conf *a);

/* Settings from the environment only, for scan mode (no tenants file). */
int rs_config_defaults(rs_config **out, char *errstr, size_t errstr_size);
void rs_config_free(rs_config *c);

/* Replaces a string setting (strdup); returns 0 or RS_ERR_INTERNAL. */
int rs_config_set(char **field, const char *value);
int rs_config_add_kafka_prop(rs_config *c, const char *kv, char *errstr, size_t errstr_size);

const rs_tenant *rs_config_tenant(const rs_config *c, const char *name);
/* The registry of `tenant` whose host is `host`, or NULL. */
const rs_registry_conf *rs_config_registry(const rs_tenant *t, const char *host);

/* Shell-style glob with '*' and '?' ('*' crosses '/'). Returns 1 on match. */
int rs_glob_match(const char *pattern, const char *s);
/* Returns 1 when `s` matches one of `patterns` (an empty list gives `dflt`). */
int rs_glob_any(char *const *patterns, size_t n, const char *s, int dflt);

/* Returns 1 when repository `repository` of registry `host` is one of the
 * tenant's base repositories: a base_repositories glob matches "repository"
 * or "host/repository" (t may be NULL: 0). */
int rs_config_is_base_repository(const rs_tenant *t, const char *host, const char *repository);

/* The largest rate_limit.requests_per_second accepted. */
#define RS_RATE_LIMIT_MAX 100000

/* ACR's read operations per minute for a SKU name ("Basic" 1,000, "Standard"
 * 3,000, "Premium" 10,000; any case), 0 for an unknown SKU. Discovery uses it
 * for a registry that has no rate_limit of its own (docs/azure.md). */
int rs_acr_sku_rate_per_minute(const char *sku);
/* The same as a rate_limit.requests_per_second: per minute / 60, rounded down;
 * 0 for an unknown SKU. */
int rs_acr_sku_rate_per_second(const char *sku);

/* Replaces "{tenant}" in a topic name; *out is malloc'd. */
int rs_topic_for_tenant(const char *topic, const char *tenant, char **out);

/* ---- cli: what both programs do before their own work: logging from the
 * environment, the tenants file with --kafka-prop applied, and a stop flag
 * set by SIGTERM / SIGINT. Kept here so coordinator/main.c and
 * worker/main.c hold only their own options. */

/* Sets up logging from REGSCAN_LOG / REGSCAN_LOG_LEVEL; prints why and
 * returns 2 when they are wrong, else 0. */
int rs_cli_log_init(const char *program);

/* Loads the tenants file (NULL or "": settings from the environment only)
 * and applies `n` --kafka-prop values. Logs the error and returns the
 * process exit code (0 with *out set). */
int rs_cli_load_config(const char *path, const char *const *kafka_props, size_t n, rs_config **out);

/* SIGTERM and SIGINT set *flag; SIGPIPE is ignored. */
void rs_cli_on_stop(volatile sig_atomic_t *flag);

#endif
