/* cli.c - the start-up both programs share (see cli.h). */
#include "config.h"
#include "base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rs_cli_log_init(const char *program)
{
    if (rs_log_init(program, getenv("REGSCAN_LOG"), getenv("REGSCAN_LOG_LEVEL")) == 0)
        return 0;
    fprintf(stderr,
            "%s: REGSCAN_LOG must be text or json and REGSCAN_LOG_LEVEL debug, info, "
            "warn or error\n",
            program);
    return 2;
}

int rs_cli_load_config(const char *path, const char *const *kafka_props, size_t n, rs_config **out)
{
    char errstr[1024] = "";
    rs_config *cfg = NULL;
    int rc = path && *path ? rs_config_load(path, &cfg, errstr, sizeof errstr)
                           : rs_config_defaults(&cfg, errstr, sizeof errstr);
    if (rc) {
        rs_log(RS_LOG_ERROR, "%s", errstr);
        return rs_err_exit_code(rc);
    }
    for (size_t i = 0; i < n; i++) {
        if ((rc = rs_config_add_kafka_prop(cfg, kafka_props[i], errstr, sizeof errstr))) {
            rs_log(RS_LOG_ERROR, "%s", errstr);
            rs_config_free(cfg);
            return 2;
        }
    }
    *out = cfg;
    return 0;
}

static volatile sig_atomic_t *stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    if (stop_flag)
        *stop_flag = 1;
}

void rs_cli_on_stop(volatile sig_atomic_t *flag)
{
    stop_flag = flag;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int rs_cli_limit(const char *program, const char *flag_value, const char *flag, const char *env,
                 uint64_t *value)
{
    const char *v = flag_value ? flag_value : getenv(env);
    if (!v || !*v)
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (*end || v[0] < '0' || v[0] > '9' || errno == ERANGE) {
        fprintf(stderr, "%s: %s: '%s' is not a number (0 for no limit)\n", program,
                flag_value ? flag : env, v);
        return 2;
    }
    *value = (uint64_t)n;
    return 0;
}
