/* credentials.h — the OAuth credentials as the daemon holds them in memory. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    char *access_token;  /* may be NULL: refresh before use */
    char *refresh_token; /* NULL = signed out */
    gint64 expires_at;   /* Unix ms at which access_token stops working; 0 = unknown */
    char *scope;         /* space-separated, as granted; may be NULL */
    gboolean revoked;    /* Spotify answered invalid_grant: sign in again */
} SpnCredentials;

SpnCredentials *spn_credentials_new(void);
SpnCredentials *spn_credentials_copy(const SpnCredentials *credentials);
void spn_credentials_free(SpnCredentials *credentials);
/* Overwrites token strings with zeros before freeing them. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpnCredentials, spn_credentials_free)

/* Whether the scope string (space-separated) grants @scope. */
gboolean spn_credentials_has_scope(const SpnCredentials *credentials, const char *scope);

G_END_DECLS
