/* version.c - the registry of version schemes and the ecosystem → scheme map. */
#include "version.h"

#include <string.h>

static const rs_version_scheme *const all[] = {
    &rs_version_dpkg,  &rs_version_apk,   &rs_version_rpm,      &rs_version_pep440, &rs_version_semver,
    &rs_version_go,    &rs_version_maven, &rs_version_rubygems, &rs_version_nuget,  NULL};

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
        eco_is(e, "SUSE") || eco_is(e, "openSUSE") || eco_is(e, "Mageia") || eco_is(e, "openEuler"))
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
