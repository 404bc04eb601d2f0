/* spn-error.h — the error domain shared by the daemon and its clients.
 *
 * Every code maps to one D-Bus error name under io.github.spotnow.Error., so a GError raised
 * anywhere in the daemon reaches a D-Bus caller with a stable name and a readable message.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SPN_ERROR (spn_error_quark())

typedef enum {
    SPN_ERROR_SIGNED_OUT,    /* io.github.spotnow.Error.SignedOut */
    SPN_ERROR_RATE_LIMITED,  /* io.github.spotnow.Error.RateLimited */
    SPN_ERROR_UPSTREAM,      /* io.github.spotnow.Error.Upstream */
    SPN_ERROR_INVALID_ARGS,  /* io.github.spotnow.Error.InvalidArgs */
    SPN_ERROR_BUSY,          /* io.github.spotnow.Error.Busy */
    SPN_ERROR_NOT_SUPPORTED, /* io.github.spotnow.Error.NotSupported */
    SPN_ERROR_REVOKED,       /* Spotify said invalid_grant; internal, answered as SignedOut */
    SPN_ERROR_CORRUPT,       /* a file we own could not be parsed (never sent over D-Bus) */
    SPN_ERROR_CONFIG,        /* a bad config value; the message names file, group and key */
} SpnError;

GQuark spn_error_quark(void);

G_END_DECLS
