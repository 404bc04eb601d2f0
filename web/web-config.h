/* web-config.h — spotnow-web's settings: the [web] group of the shared config.ini.
 *
 * The daemon reads the other groups and ignores this one (unknown groups are a debug message);
 * here it is the other way round. See doc/design.md section 9 for each key. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SPN_WEB_DEFAULT_LISTEN "127.0.0.1:8897"
#define SPN_WEB_DEFAULT_MAX_STREAMS 1000
/* max-streams above this is refused: each stream holds a socket and a few KiB. */
#define SPN_WEB_MAX_STREAMS_LIMIT 100000

typedef struct {
    char *path;         /* the file read, for messages; NULL for defaults */
    char *listen;       /* ADDR:PORT */
    char *allow_origin; /* "" = no CORS header */
    guint max_streams;
    gboolean show_last_played;
} SpnWebConfig;

SpnWebConfig *spn_web_config_new_defaults(void);
void spn_web_config_free(SpnWebConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpnWebConfig, spn_web_config_free)

/* Load [web] from @path over the defaults. A missing file is not an error. A bad value is an
 * error naming the file, group and key (G_KEY_FILE_ERROR_INVALID_VALUE). */
SpnWebConfig *spn_web_config_load(const char *path, GError **error);

/* The default config.ini: $XDG_CONFIG_HOME/spotnow/config.ini, or for the system bus the
 * first of $CONFIGURATION_DIRECTORY, else /etc/spotnow/config.ini (the daemon's, so one file
 * configures both). */
char *spn_web_config_default_path(gboolean system_bus);

/* Parse "ADDR:PORT" ("127.0.0.1:8897", "[::1]:8897", "0.0.0.0:80"; port 0 = any) into a
 * socket address. ADDR must be an IP literal: a host name would resolve differently over time. */
GSocketAddress *spn_web_parse_listen(const char *listen, GError **error);

G_END_DECLS
