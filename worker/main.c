/* regscan-worker: argument parsing and signal handling only; the run loop is
 * rs_worker_run (worker/run.c), the embedded mode rs_embedded_scan. */
#include "index.h"
#include "scan.h"
#include "config.h"
#include "scan.h"
#include "image.h"
#include "worker.h"
#include "base.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop_flag;

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: regscan-worker --config FILE [--concurrency N] [--exit-when-idle SECONDS]\n"
        "                      [--layer-parallelism N] [--instance-id ID] [--kafka-prop k=v]...\n"
        "                      [--vulndb PATH] [--outage-budget SECONDS] [--drain-timeout "
        "SECONDS]\n"
        "                      [--lease-ttl SECONDS]\n"
        "       regscan-worker scan IMAGE_REF [--format table|json] [--platform OS/ARCH]\n"
        "                      [--vulndb PATH] [--policy FILE]\n"
        "                      [--username USER --password-env VAR | --azure]\n"
        "                      [--insecure-registry HOST]...\n"
        "                      [--limit-archive-bytes N] [--limit-archive-ratio N]\n"
        "                      [--limit-archive-entries N] [--limit-archive-json-bytes N]\n"
        "IMAGE_REF: registry/repository:tag, registry/repository@sha256:..., "
        "oci-layout:DIR[:TAG],\n"
        "           docker-archive:FILE\n");
}

/* An integer option: flag value, else the environment variable, else dflt. */
static int int_opt(const char *flag_value, const char *env, int dflt, const char *name, int *out)
{
    const char *v = flag_value ? flag_value : getenv(env);
    if (!v || !*v) {
        *out = dflt;
        return 0;
    }
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (*end || n < 0 || n > 1000000) {
        fprintf(stderr, "regscan-worker: invalid value '%s' for %s\n", v, name);
        return -1;
    }
    *out = (int)n;
    return 0;
}

/* The index limits and sandbox settings of both modes (REGSCAN_LIMIT_*,
 * --limit-*, taken out of argv); NULL after saying what is wrong. */
static const rs_scan_opts *scan_settings(int *argc, char **argv)
{
    static rs_scan_opts so;
    char err[256];
    rs_scan_opts_default(&so);
    if (rs_scan_opts_settings(&so, argc, argv, err, sizeof err)) {
        fprintf(stderr, "regscan-worker: %s\n", err);
        return NULL;
    }
    return &so;
}

/* The docker-archive limits (image.h) of `regscan-worker scan`, flag else
 * REGSCAN_LIMIT_ARCHIVE_* else the default; vals[i] is the flag's value of
 * limit i (NULL: not given) in the order below. Returns 0 or 2. */
static int archive_limits(const char *const vals[4], rs_docker_limits *l)
{
    static const char *const flags[4] = {"--limit-archive-bytes", "--limit-archive-ratio",
                                         "--limit-archive-entries",
                                         "--limit-archive-json-bytes"};
    static const char *const envs[4] = {
        "REGSCAN_LIMIT_ARCHIVE_BYTES", "REGSCAN_LIMIT_ARCHIVE_RATIO",
        "REGSCAN_LIMIT_ARCHIVE_ENTRIES", "REGSCAN_LIMIT_ARCHIVE_JSON_BYTES"};
    *l = (rs_docker_limits)RS_DOCKER_LIMITS_DEFAULT;
    uint64_t ratio = (uint64_t)l->max_ratio;
    uint64_t *dst[4] = {&l->max_bytes, &ratio, &l->max_entries, &l->max_json_bytes};
    for (int i = 0; i < 4; i++)
        if (rs_cli_limit("regscan-worker", vals[i], flags[i], envs[i], dst[i]))
            return 2;
    l->max_ratio = (double)ratio;
    return 0;
}

static int scan_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"platform", required_argument, NULL, 'p'},
        {"username", required_argument, NULL, 'u'},
        {"password-env", required_argument, NULL, 'P'},
        {"insecure-registry", required_argument, NULL, 'i'},
        {"layer-parallelism", required_argument, NULL, 'l'},
        {"vulndb", required_argument, NULL, 'v'},
        {"policy", required_argument, NULL, 'o'},
        {"azure", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {"limit-archive-bytes", required_argument, NULL, 0x100},
        {"limit-archive-ratio", required_argument, NULL, 0x101},
        {"limit-archive-entries", required_argument, NULL, 0x102},
        {"limit-archive-json-bytes", required_argument, NULL, 0x103},
        {NULL, 0, NULL, 0}};
    rs_embedded_opts o = {0};
    if (!(o.scan = scan_settings(&argc, argv)))
        return 2;
    const char *archive_vals[4] = {NULL, NULL, NULL, NULL};
    rs_docker_limits alim;
    char *insecure[32];
    const char *lp = NULL, *password_env = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': o.format = optarg; break;
        case 'p': o.platform = optarg; break;
        case 'u': o.username = optarg; break;
        case 'P': password_env = optarg; break;
        case 'i':
            if (o.n_insecure == 32) {
                fprintf(stderr, "regscan-worker: too many --insecure-registry\n");
                return 2;
            }
            insecure[o.n_insecure++] = optarg;
            break;
        case 'l': lp = optarg; break;
        case 'v': o.vulndb_path = optarg; break;
        case 'o': o.policy_path = optarg; break;
        case 'a': o.azure = 1; break;
        case 'h': usage(stdout); return 0;
        case 0x100: case 0x101: case 0x102: case 0x103: archive_vals[c - 0x100] = optarg; break;
        default: usage(stderr); return 2;
        }
    }
    if (archive_limits(archive_vals, &alim))
        return 2;
    o.archive_limits = &alim;
    if (optind + 1 != argc || (o.azure && (o.username || password_env))) {
        usage(stderr);
        return 2;
    }
    o.insecure_registries = insecure;
    if (!o.vulndb_path && getenv("REGSCAN_VULNDB") && *getenv("REGSCAN_VULNDB"))
        o.vulndb_path = getenv("REGSCAN_VULNDB");
    if (o.format && strcmp(o.format, "table") && strcmp(o.format, "json")) {
        fprintf(stderr, "regscan-worker: --format: unknown format '%s' (table, json)\n", o.format);
        return 2;
    }
    if (password_env) {
        o.password = getenv(password_env);
        if (!o.password) {
            fprintf(stderr, "regscan-worker: --password-env: variable '%s' is not set\n",
                    password_env);
            return 2;
        }
    }
    if (int_opt(lp, "REGSCAN_LAYER_PARALLELISM", 4, "--layer-parallelism", &o.layer_parallelism))
        return 2;
    return rs_embedded_scan(argv[optind], &o, stdout);
}

int main(int argc, char **argv)
{
    if (rs_cli_log_init("regscan-worker"))
        return 2;
    rs_sandbox_opts sandbox; /* REGSCAN_SANDBOX*: a bad setting or no child stops the start */
    char sberr[256];
    if (rs_sandbox_opts_env(&sandbox, sberr, sizeof sberr) ||
        rs_sandbox_check(&sandbox, sberr, sizeof sberr)) {
        fprintf(stderr, "regscan-worker: %s\n", sberr);
        return 2;
    }
    if (argc > 1 && !strcmp(argv[1], "scan"))
        return scan_main(argc - 1, argv + 1);

    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"concurrency", required_argument, NULL, 'n'},
                                             {"exit-when-idle", required_argument, NULL, 'e'},
                                             {"layer-parallelism", required_argument, NULL, 'l'},
                                             {"instance-id", required_argument, NULL, 'I'},
                                             {"kafka-prop", required_argument, NULL, 'k'},
                                             {"vulndb", required_argument, NULL, 'v'},
                                             {"outage-budget", required_argument, NULL, 'B'},
                                             {"drain-timeout", required_argument, NULL, 'D'},
                                             {"lease-ttl", required_argument, NULL, 'L'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *config = getenv("REGSCAN_CONFIG");
    const char *conc = NULL, *idle = NULL, *lp = NULL, *budget = NULL, *drain = NULL, *lease = NULL;
    const char *kprops[64];
    size_t n_kprops = 0;
    rs_worker_opts o;
    rs_worker_opts_default(&o);
    if (!(o.scan = scan_settings(&argc, argv)))
        return 2;
    int lease_s = 0;
    o.instance_id = getenv("REGSCAN_INSTANCE_ID");
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'n': conc = optarg; break;
        case 'e': idle = optarg; break;
        case 'l': lp = optarg; break;
        case 'I': o.instance_id = optarg; break;
        case 'k':
            if (n_kprops == 64) {
                fprintf(stderr, "regscan-worker: too many --kafka-prop\n");
                return 2;
            }
            kprops[n_kprops++] = optarg;
            break;
        case 'v': o.vulndb_path = optarg; break;
        case 'B':
            budget = optarg;
            break;
        case 'D':
            drain = optarg;
            break;
        case 'L':
            lease = optarg;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!o.vulndb_path && getenv("REGSCAN_VULNDB") && *getenv("REGSCAN_VULNDB"))
        o.vulndb_path = getenv("REGSCAN_VULNDB");
    if (optind != argc || !config) {
        fprintf(stderr, "regscan-worker: %s\n",
                config ? "unexpected argument" : "--config FILE (or REGSCAN_CONFIG) is required");
        usage(stderr);
        return 2;
    }
    if (int_opt(conc, "REGSCAN_CONCURRENCY", o.concurrency, "--concurrency", &o.concurrency) ||
        int_opt(idle, "REGSCAN_EXIT_WHEN_IDLE", 0, "--exit-when-idle", &o.exit_when_idle_s) ||
        int_opt(lp, "REGSCAN_LAYER_PARALLELISM", o.layer_parallelism, "--layer-parallelism",
                &o.layer_parallelism) ||
        int_opt(budget, "REGSCAN_OUTAGE_BUDGET", o.outage_budget_s, "--outage-budget",
                &o.outage_budget_s) ||
        int_opt(drain, "REGSCAN_DRAIN_TIMEOUT", o.drain_timeout_s, "--drain-timeout",
                &o.drain_timeout_s) ||
        int_opt(lease, "REGSCAN_LEASE_TTL", o.lease_ttl_ms / 1000, "--lease-ttl", &lease_s))
        return 2;
    if (lease_s < 3) {
        fprintf(stderr, "regscan-worker: --lease-ttl must be 3 seconds or more\n");
        return 2;
    }
    o.lease_ttl_ms = lease_s * 1000;
    if (o.concurrency < 1)
        o.concurrency = 1;

    char errstr[1024] = "";
    rs_config *cfg = NULL;
    int rc = rs_cli_load_config(config, kprops, n_kprops, &cfg);
    if (rc)
        return rc;
    rs_cli_on_stop(&stop_flag);

    /* the version in `done` is a hash: the log says what it was made of */
    rs_log(RS_LOG_INFO, "analyzer version %s (%s)", rs_analyzers_version(), rs_analyzers_list());
    rc = rs_worker_run(cfg, &o, &stop_flag, errstr, sizeof errstr);
    if (rc)
        rs_log(RS_LOG_ERROR, "%s", errstr);
    rs_config_free(cfg);
    return rs_err_exit_code(rc);
}
