/* web-server.h — spotnow-web's HTTP side: routes, caching headers, CORS and bounds
 * (doc/design.md section 9). Read-only: nothing here changes the daemon's state but viewer
 * presence. */
#pragma once

#include <libsoup/soup.h>

#include "web-bounds.h"
#include "web-config.h"
#include "web-daemon.h"

G_BEGIN_DECLS

/* Connections the kernel may queue before we accept them (capped by net.core.somaxconn). */
#define SPN_WEB_LISTEN_BACKLOG 4096

typedef struct _SpnWebServer SpnWebServer;

SpnWebServer *spn_web_server_new(const SpnWebConfig *config, SpnWebDaemon *daemon);
void spn_web_server_free(SpnWebServer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpnWebServer, spn_web_server_free)

gboolean spn_web_server_listen(SpnWebServer *self, GSocketAddress *address, GError **error);
/* A socket handed over by systemd's socket activation. */
gboolean spn_web_server_listen_socket(SpnWebServer *self, GSocket *socket, GError **error);

/* "http://127.0.0.1:8897/" and the like, for the log. */
char *spn_web_server_describe(SpnWebServer *self);

G_END_DECLS
