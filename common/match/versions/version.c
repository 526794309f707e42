/* version.c - the registry of version schemes and the ecosystem → scheme map. */
#include "match.h"
#include "base.h"

#include <stdlib.h>
#include <string.h>

static const rs_version_scheme *const all[] = {&rs_version_dpkg,   &rs_version_apk,
                                               &rs_version_rpm,    &rs_version_pep440,
                                               &rs_version_semver, &rs_version_go,
                                               &rs_version_maven,  &rs_version_rubygems,
                                               &rs_version_nuget,  NULL};

const rs_version_scheme *const *rs_version_schemes_all(void)
{
    return all;
}

const rs_version_scheme *rs_version_scheme_find(const char *name)
{
    for (size_t i = 0; name && all[i]; i++)
        if (!strcmp(all[i]->name, name))
            return all[i];
    return NULL;
}

/* "Debian" matches "Debian" and "Debian:12", not "Debianish". */
static int eco_is(const char *ecosystem, const char *base)
{
    size_t n = strlen(base);
    return !strncmp(ecosystem, base, n) && (ecosystem[n] == '\0' || ecosystem[n] == ':');
}

const rs_version_scheme *rs_version_scheme_for_ecosystem(const char *e)
{
    if (!e)
        return NULL;
    if (eco_is(e, "Debian") || eco_is(e, "Ubuntu"))
        return &rs_version_dpkg;
    if (eco_is(e, "Alpine"))
        return &rs_version_apk;
    if (eco_is(e, "Red Hat") || eco_is(e, "Rocky Linux") || eco_is(e, "AlmaLinux") ||
        eco_is(e, "SUSE") || eco_is(e, "openSUSE") || eco_is(e, "Mageia") || eco_is(e, "openEuler") ||
        eco_is(e, "Azure Linux"))
        return &rs_version_rpm;
    if (eco_is(e, "PyPI"))
        return &rs_version_pep440;
    if (eco_is(e, "npm") || eco_is(e, "crates.io") || eco_is(e, "Packagist"))
        return &rs_version_semver;
    if (eco_is(e, "Go"))
        return &rs_version_go;
    if (eco_is(e, "Maven"))
        return &rs_version_maven;
    if (eco_is(e, "RubyGems"))
        return &rs_version_rubygems;
    if (eco_is(e, "NuGet"))
        return &rs_version_nuget;
    return NULL;
}

/* One string to sort with what its comparison needs: no file-static state,
 * since job threads sort concurrently. */
struct sort_item {
    const char *v;
    const rs_version_scheme *s;
    int ok; /* the scheme parses v */
};

/* A total order: parsed versions first, by the scheme then by strcmp; the
 * rest by strcmp. Falling back to strcmp for a pair the scheme cannot compare
 * would not be transitive ("1.10.0" < "1.2.x" < "1.9.0" < "1.10.0"). */
static int sort_item_cmp(const void *a, const void *b)
{
    const struct sort_item *x = a, *y = b;
    if (x->ok != y->ok)
        return x->ok ? -1 : 1;
    int c = 0;
    /* a scheme that accepts both strings compares them (version.h); c stays
     * 0 should one break that promise, and strcmp decides */
    if (x->ok && x->s->compare(x->v, y->v, &c) == 0 && c != 0)
        return c < 0 ? -1 : 1;
    return strcmp(x->v, y->v);
}

int rs_version_sort(const rs_version_scheme *s, char **v, size_t n)
{
    if (n < 2)
        return 0;
    struct sort_item *items = calloc(n, sizeof *items);
    if (!items)
        return RS_ERR_INTERNAL;
    for (size_t i = 0; i < n; i++) {
        items[i].v = v[i];
        items[i].s = s;
        items[i].ok = s && s->valid(v[i]);
    }
    qsort(items, n, sizeof *items, sort_item_cmp);
    for (size_t i = 0; i < n; i++)
        v[i] = (char *)items[i].v;
    free(items);
    return 0;
}
