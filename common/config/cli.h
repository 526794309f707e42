/* cli.h - what both programs do before their own work: logging from the
 * environment, the tenants file with --kafka-prop applied, and a stop flag
 * set by SIGTERM / SIGINT. Kept here so coordinator/main.c and
 * worker/main.c hold only their own options. */
#ifndef RS_CLI_H
#define RS_CLI_H

#include <signal.h>
#include <stddef.h>

#include "config.h"

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
