/* ecosystem.c - the table of ecosystem backends (model.h). */
#include "model.h"

#include <string.h>

static const rs_ecosystem *const registry[] = {
    &rs_ecosystem_debian,
    &rs_ecosystem_alpine,
    &rs_ecosystem_rpm,
    NULL,
};

const rs_ecosystem *const *rs_ecosystems_all(void)
{
    return registry;
}

const rs_ecosystem *rs_ecosystem_for_type(const char *type)
{
    for (size_t i = 0; type && registry[i]; i++)
        if (strcmp(registry[i]->pkg_type, type) == 0)
            return registry[i];
    return NULL;
}

const rs_ecosystem *rs_ecosystem_for_os(const rs_os *os)
{
    for (size_t i = 0; os && os->found && registry[i]; i++)
        if (registry[i]->owns_os && registry[i]->owns_os(os))
            return registry[i];
    return NULL;
}

void rs_ecosystem_os_source(const rs_os *os, char *out, size_t out_size)
{
    if (!out_size)
        return;
    out[0] = '\0';
    const rs_ecosystem *e = rs_ecosystem_for_os(os);
    if (e && e->osv_ecosystem && os->version_id[0])
        e->osv_ecosystem(os, out, out_size);
}

size_t rs_ecosystem_digits(const char *s)
{
    size_t i = 0;
    while (s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}
