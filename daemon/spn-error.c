/* spn-error.c — registers the error domain with GDBus so names survive the bus. */
#include "spn-error.h"

static const GDBusErrorEntry spn_error_entries[] = {
    {SPN_ERROR_SIGNED_OUT, "io.github.spotnow.Error.SignedOut"},
    {SPN_ERROR_RATE_LIMITED, "io.github.spotnow.Error.RateLimited"},
    {SPN_ERROR_UPSTREAM, "io.github.spotnow.Error.Upstream"},
    {SPN_ERROR_INVALID_ARGS, "io.github.spotnow.Error.InvalidArgs"},
    {SPN_ERROR_BUSY, "io.github.spotnow.Error.Busy"},
    {SPN_ERROR_NOT_SUPPORTED, "io.github.spotnow.Error.NotSupported"},
};

GQuark spn_error_quark(void)
{
    static gsize quark = 0;
    /* REVOKED, CORRUPT and CONFIG are internal; callers map them before they reach the bus. */
    g_dbus_error_register_error_domain("spn-error-quark", &quark, spn_error_entries,
                                       G_N_ELEMENTS(spn_error_entries));
    return (GQuark)quark;
}
