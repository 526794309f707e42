/* analyzers/dotnet.c - NuGet packages of a .NET application: its
 * <app>.deps.json, which the SDK writes beside the application's assemblies.
 *
 * The "libraries" object is keyed "Name/Version"; only entries whose "type"
 * is "package" are NuGet packages ("project" is the application's own code,
 * "reference" an assembly reference, "runtimepack" part of the runtime). An
 * entry whose key is not Name/Version is a malformed record. */
#include "analyzers/dotnet_int.h"
#include "analyzers/langpkg_int.h"
#include "base.h"

#include <string.h>

static int dotnet_wants(const char *path)
{
    const char *base = strrchr(path, '/');
    size_t n = base ? strlen(base + 1) : 0;
    return n > 10 && strcmp(base + 1 + n - 10, ".deps.json") == 0;
}

/* One library; returns 0 or RS_ERR_INTERNAL. */
static int library(const char *path, const char *key, const json_t *e, rs_analysis *out)
{
    const json_t *type = json_object_get(e, "type");
    if (!json_is_object(e) || !json_is_string(type)) {
        out->n_malformed++;
        return 0;
    }
    if (strcmp(json_string_value(type), "package") != 0)
        return 0;
    const char *slash = strchr(key, '/');
    char name[RS_LANGPKG_NAME_MAX + 1];
    size_t nn = slash ? (size_t)(slash - key) : 0;
    if (!slash || !rs_langpkg_token(key, nn, RS_LANGPKG_NAME_MAX) ||
        !rs_langpkg_token(slash + 1, strlen(slash + 1), RS_LANGPKG_VERSION_MAX) ||
        strchr(slash + 1, '/')) {
        out->n_malformed++;
        return 0;
    }
    memcpy(name, key, nn);
    name[nn] = '\0';
    return rs_langpkg_add_plain(out, "dotnet", "NuGet", "nuget", name, slash + 1, path, 0);
}

static int dotnet_parse(const char *path, const char *data, size_t len, rs_analysis *out,
                        char *errstr, size_t errsz)
{
    json_t *j = rs_langpkg_json_load(data, len);
    json_t *libs = json_object_get(j, "libraries");
    if (!json_is_object(libs)) {
        out->n_malformed++;
        json_decref(j);
        return 0;
    }
    const char *key;
    json_t *e;
    int rc = 0;
    json_object_foreach(libs, key, e)
    {
        if ((rc = library(path, key, e, out)))
            break;
    }
    json_decref(j);
    return rc ? rs_errf(errstr, errsz, rc, "out of memory parsing '%s'", path) : 0;
}

const rs_analyzer rs_analyzer_dotnet = {
    RS_ANALYZER_ID("dotnet", 1),
    .wants = dotnet_wants,
    .max_file_size = 16u * 1024 * 1024,
    .parse = dotnet_parse,
};
