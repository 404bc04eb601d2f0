/* credentials.c — OAuth credentials in memory, wiped when let go. */
#define G_LOG_DOMAIN "spotnow-credentials"

#include "credentials.h"

#include <string.h>

SpnCredentials *spn_credentials_new(void)
{
    return g_new0(SpnCredentials, 1);
}

SpnCredentials *spn_credentials_copy(const SpnCredentials *credentials)
{
    g_return_val_if_fail(credentials != NULL, NULL);

    SpnCredentials *copy = g_new0(SpnCredentials, 1);
    copy->access_token = g_strdup(credentials->access_token);
    copy->refresh_token = g_strdup(credentials->refresh_token);
    copy->expires_at = credentials->expires_at;
    copy->scope = g_strdup(credentials->scope);
    copy->revoked = credentials->revoked;
    return copy;
}

/* Through a volatile pointer so the compiler cannot drop the stores as dead before g_free: a
 * freed token would otherwise linger in the heap for a core dump or a later allocation to see. */
static void wipe_and_free(char *secret)
{
    if (secret == NULL)
        return;
    volatile char *p = secret;
    for (gsize i = 0, n = strlen(secret); i < n; i++)
        p[i] = '\0';
    g_free(secret);
}

void spn_credentials_free(SpnCredentials *credentials)
{
    if (credentials == NULL)
        return;
    wipe_and_free(credentials->access_token);
    wipe_and_free(credentials->refresh_token);
    g_free(credentials->scope);
    g_free(credentials);
}

gboolean spn_credentials_has_scope(const SpnCredentials *credentials, const char *scope)
{
    if (credentials == NULL || credentials->scope == NULL || scope == NULL || *scope == '\0')
        return FALSE;

    g_auto(GStrv) granted = g_strsplit(credentials->scope, " ", -1);
    return g_strv_contains((const char *const *)granted, scope);
}
