/* regscan-coordinator: argument parsing and the --interval loop only; the
 * pass itself is rs_coordinator_pass (coordinator/coordinator.c). */
#include "config.h"
#include "coordinator.h"
#include "base.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;

static void usage(FILE *f)
{
    fprintf(f, "usage: regscan-coordinator --config FILE [--tenant NAME]... [--rescan] [--dry-run]\n"
               "                           [--interval SECONDS] [--json] [--kafka-prop k=v]...\n"
               "                           [--requeue-after SECONDS]\n"
               "       regscan-coordinator vulndb update --source PATH_OR_URL... [--store DIR]\n"
               "       regscan-coordinator serve --config FILE [--listen ADDR:PORT]\n"
               "                           [--kafka-prop k=v]... [--requeue-after SECONDS]\n");
}

/* regscan-coordinator vulndb update --source PATH_OR_URL... [--store DIR] */
static int vulndb_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"source", required_argument, NULL, 's'},
        {"store", required_argument, NULL, 'd'},  {"cache", required_argument, NULL, 'C'},
        {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *config = getenv("REGSCAN_CONFIG");
    const char *store = getenv("REGSCAN_VULNDB_DIR"), *cache = getenv("REGSCAN_VULNDB_CACHE");
    const char *sources[256];
    size_t n = 0;
    int json = 0, c;
    if (argc < 2 || strcmp(argv[1], "update") != 0) {
        fprintf(stderr, "usage: regscan-coordinator vulndb update --source PATH_OR_URL... "
                        "[--store DIR] [--cache DIR] [--config FILE] [--json]\n");
        return 2;
    }
    argc--;
    argv++;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 's':
            if (n == 256) {
                fprintf(stderr, "regscan-coordinator: too many --source\n");
                return 2;
            }
            sources[n++] = optarg;
            break;
        case 'd': store = optarg; break;
        case 'C': cache = optarg; break;
        case 'j': json = 1; break;
        case 'h':
            printf("usage: regscan-coordinator vulndb update --source PATH_OR_URL... [--store DIR] "
                   "[--cache DIR] [--config FILE] [--json]\n");
            return 0;
        default: return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "regscan-coordinator: vulndb update: unexpected argument '%s'\n",
                argv[optind]);
        return 2;
    }
    char errstr[1024] = "";
    rs_config *cfg = NULL;
    int rc = rs_cli_load_config(config, NULL, 0, &cfg);
    if (rc)
        return rc;
    rs_vulndb_update_result res;
    rc = rs_vulndb_update(cfg, sources, n, store, cache, &res, errstr, sizeof errstr);
    rs_config_free(cfg);
    if (rc) {
        rs_log(RS_LOG_ERROR, "vulndb update: %s", errstr);
        return rc == RS_ERR_INVALID ? 2 : rs_err_exit_code(rc);
    }
    const rs_vulndb_stats *s = &res.stats;
    if (json) {
        json_t *j = json_pack("{s:I, s:s, s:s, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:I}",
                              "version", (json_int_t)res.version, "path", res.path, "sha256",
                              res.sha256, "records", (json_int_t)res.records, "skipped",
                              "invalid", (json_int_t)s->invalid, "withdrawn",
                              (json_int_t)s->withdrawn, "unknown_ecosystem",
                              (json_int_t)s->unknown_ecosystem, "unmatchable",
                              (json_int_t)s->unmatchable, "replaced", (json_int_t)s->replaced,
                              "unparseable_version", (json_int_t)s->unparseable, "files",
                              (json_int_t)s->files, "sources_from_cache",
                              (json_int_t)res.sources_from_cache);
        char *out = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        printf("%s\n", out ? out : "{}");
        free(out);
        json_decref(j);
    } else {
        printf("vulndb snapshot %lld: %zu records in '%s' (%s); skipped: %ld invalid, %ld "
               "withdrawn, %ld entries of unknown ecosystems; %ld kept with unparseable "
               "versions\n",
               (long long)res.version, res.records, res.path, res.sha256, s->invalid,
               s->withdrawn, s->unknown_ecosystem, s->unparseable);
    }
    return 0;
}

/* The address serve listens on: --listen, REGSCAN_LISTEN, else 127.0.0.1 and
 * REGSCAN_HTTP_PORT (8080 when unset). */
static const char *serve_listen(const char *flag, const rs_config *cfg, char *buf, size_t size)
{
    const char *env = getenv("REGSCAN_LISTEN");
    if (flag)
        return flag;
    if (env && *env)
        return env;
    snprintf(buf, size, "127.0.0.1:%d", cfg->settings.http_port ? cfg->settings.http_port : 8080);
    return buf;
}

/* Keeps one --kafka-prop (at most MAX_KAFKA_PROPS); 2 after saying why when full. */
#define MAX_KAFKA_PROPS 64
static int add_kafka_prop(const char **kprops, size_t *n, const char *kv)
{
    if (*n == MAX_KAFKA_PROPS) {
        fprintf(stderr, "regscan-coordinator: too many --kafka-prop\n");
        return 2;
    }
    kprops[(*n)++] = kv;
    return 0;
}

/* regscan-coordinator serve --config FILE [--listen ADDR:PORT] ... */
static int serve_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"listen", required_argument, NULL, 'l'},
        {"kafka-prop", required_argument, NULL, 'k'},
        {"requeue-after", required_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *config = getenv("REGSCAN_CONFIG"), *listen = NULL;
    const char *rq = getenv("REGSCAN_REQUEUE_AFTER"), *kprops[MAX_KAFKA_PROPS];
    size_t n_kprops = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'l': listen = optarg; break;
        case 'q': rq = optarg; break;
        case 'k':
            if (add_kafka_prop(kprops, &n_kprops, optarg))
                return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    rs_serve_opts o = {.stop = &stop_flag};
    char *end = NULL;
    if (rq && *rq && ((o.requeue_after_s = strtol(rq, &end, 10)) < 1 || *end)) {
        fprintf(stderr, "regscan-coordinator: --requeue-after: '%s' is not a positive number\n",
                rq);
        return 2;
    }
    if (optind != argc || !config) {
        fprintf(stderr, "regscan-coordinator: serve: %s\n",
                config ? "unexpected argument" : "--config FILE (or REGSCAN_CONFIG) is required");
        return 2;
    }
    rs_config *cfg = NULL;
    char errstr[1024] = "", buf[64];
    int rc = rs_cli_load_config(config, kprops, n_kprops, &cfg);
    if (rc)
        return rc;
    o.listen = serve_listen(listen, cfg, buf, sizeof buf);
    rs_cli_on_stop(&stop_flag);
    rc = rs_coordinator_serve(cfg, &o, errstr, sizeof errstr);
    if (rc)
        rs_log(RS_LOG_ERROR, "%s", errstr);
    rs_config_free(cfg);
    return rc ? rs_err_exit_code(rc) : 0;
}

int main(int argc, char **argv)
{
    if (rs_cli_log_init("regscan-coordinator"))
        return 2;
    if (argc > 1 && !strcmp(argv[1], "vulndb"))
        return vulndb_main(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "serve"))
        return serve_main(argc - 1, argv + 1);
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"tenant", required_argument, NULL, 't'},
        {"rescan", no_argument, NULL, 'r'},
        {"dry-run", no_argument, NULL, 'd'},
        {"interval", required_argument, NULL, 'i'},
        {"json", no_argument, NULL, 'j'},
        {"kafka-prop", required_argument, NULL, 'k'},
        {"requeue-after", required_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *config = getenv("REGSCAN_CONFIG");
    char *tenants[64];
    const char *kprops[MAX_KAFKA_PROPS];
    size_t n_kprops = 0;
    rs_coord_opts o = {.tenants = tenants, .dry_out = stdout};
    long interval = 0;
    int json = 0, c;
    const char *iv = getenv("REGSCAN_INTERVAL");
    const char *rq = getenv("REGSCAN_REQUEUE_AFTER");
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 't':
            if (o.n_tenants == 64) {
                fprintf(stderr, "regscan-coordinator: too many --tenant\n");
                return 2;
            }
            tenants[o.n_tenants++] = optarg;
            break;
        case 'r': o.rescan = 1; break;
        case 'd': o.dry_run = 1; break;
        case 'i': iv = optarg; break;
        case 'j': json = 1; break;
        case 'q': rq = optarg; break;
        case 'k':
            if (add_kafka_prop(kprops, &n_kprops, optarg))
                return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !config) {
        fprintf(stderr, "regscan-coordinator: %s\n",
                config ? "unexpected argument" : "--config FILE (or REGSCAN_CONFIG) is required");
        usage(stderr);
        return 2;
    }
    if (iv && *iv) {
        char *end = NULL;
        interval = strtol(iv, &end, 10);
        if (*end || interval < 1) {
            fprintf(stderr, "regscan-coordinator: --interval: '%s' is not a positive number of "
                            "seconds\n", iv);
            return 2;
        }
    }
    if (rq && *rq) {
        char *end = NULL;
        o.requeue_after_s = strtol(rq, &end, 10);
        if (*end || o.requeue_after_s < 1) {
            fprintf(stderr, "regscan-coordinator: --requeue-after: '%s' is not a positive number "
                            "of seconds\n", rq);
            return 2;
        }
    }
    char errstr[1024] = "";
    rs_config *cfg = NULL;
    int rc = rs_cli_load_config(config, kprops, n_kprops, &cfg);
    if (rc)
        return rc;
    for (size_t i = 0; i < o.n_tenants; i++) {
        if (!rs_config_tenant(cfg, tenants[i])) {
            rs_log(RS_LOG_ERROR, "--tenant: unknown tenant '%s'", tenants[i]);
            rs_config_free(cfg);
            return 2;
        }
    }
    rs_cli_on_stop(&stop_flag);

    int exit_code = 0;
    do {
        rs_coord_stats st;
        rc = rs_coordinator_pass(cfg, &o, &st, errstr, sizeof errstr);
        if (rc)
            rs_log(RS_LOG_ERROR, "%s", errstr);
        char line[2048];
        rs_coord_stats_line(&st, line, sizeof line);
        if (json) {
            json_t *j = rs_coord_stats_json(&st);
            char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
            printf("%s\n", s ? s : "{}");
            free(s);
            json_decref(j);
        } else {
            printf("%s\n", line);
        }
        fflush(stdout);
        exit_code = rs_err_exit_code(rc);
        for (long s = 0; interval && s < interval && !stop_flag; s++)
            sleep(1);
    } while (interval && !stop_flag);
    rs_config_free(cfg);
    return exit_code;
}
