/* paths.h — where systemd tells a service to keep its files. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The first directory of systemd's @variable (STATE_DIRECTORY, CACHE_DIRECTORY,
 * CONFIGURATION_DIRECTORY: colon-separated when a unit lists several), or NULL when unset or
 * empty. */
char *spn_systemd_directory(const char *variable);

G_END_DECLS
