/* err.c - status code names and exit codes. */
#include "base.h"

#include <stdarg.h>
#include <stdio.h>

const char *rs_err_code(int err)
{
    switch (err) {
    case RS_OK:
        return "OK";
    case RS_ERR_CONFIG:
        return "CONFIG";
    case RS_ERR_UNREACHABLE:
        return "UNREACHABLE";
    case RS_ERR_UNAUTHORIZED:
        return "UNAUTHORIZED";
    case RS_ERR_MANIFEST_UNKNOWN:
        return "MANIFEST_UNKNOWN";
    case RS_ERR_BLOB_UNKNOWN:
        return "BLOB_UNKNOWN";
    case RS_ERR_DIGEST_MISMATCH:
        return "DIGEST_MISMATCH";
    case RS_ERR_LIMIT_EXCEEDED:
        return "LIMIT_EXCEEDED";
    case RS_ERR_UNSUPPORTED:
        return "UNSUPPORTED";
    case RS_ERR_INVALID:
        return "INVALID";
    case RS_ERR_TOOMANYREQUESTS:
        return "TOOMANYREQUESTS";
    case RS_ERR_ANALYZER_CRASHED:
        return "ANALYZER_CRASHED";
    case RS_ERR_CANCELLED:
        return "CANCELLED";
    case RS_ERR_STORE:
        return "STORE_UNREACHABLE";
    case RS_ERR_BROKER:
        return "BROKER_UNREACHABLE";
    default:
        return "INTERNAL";
    }
}

int rs_err_exit_code(int err)
{
    switch (err) {
    case RS_OK:
        return 0;
    case RS_ERR_CONFIG:
        return 2;
    case RS_ERR_UNREACHABLE:
    case RS_ERR_STORE:
    case RS_ERR_BROKER:
    case RS_ERR_UNAUTHORIZED:
    case RS_ERR_TOOMANYREQUESTS:
    case RS_ERR_MANIFEST_UNKNOWN:
    case RS_ERR_BLOB_UNKNOWN:
        return 3;
    case RS_ERR_DIGEST_MISMATCH:
    case RS_ERR_LIMIT_EXCEEDED:
    case RS_ERR_UNSUPPORTED:
    case RS_ERR_INVALID:
    case RS_ERR_ANALYZER_CRASHED:
        return 4;
    default:
        return 3;
    }
}

int rs_err_is_infra(int err)
{
    return err == RS_ERR_STORE || err == RS_ERR_BROKER;
}

int rs_errf(char *errstr, size_t errstr_size, int err, const char *fmt, ...)
{
    if (errstr && errstr_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
    }
    return err;
}
