/* paths.c — systemd's *_DIRECTORY variables. */
#include "paths.h"

#include <string.h>

char *spn_systemd_directory(const char *variable)
{
    const char *value = g_getenv(variable);
    if (value == NULL)
        return NULL;
    gsize length = strcspn(value, ":");
    return length > 0 ? g_strndup(value, length) : NULL;
}
