/* press-notice.h — a press that cannot work, said where the person is (issue 13 A2.4): a panel
 * or GNOME's media controls offer play/pause (CanPlay stays true by design, so the player stays
 * listed), and the caller drops the MPRIS error. One desktop notification per reason per
 * session says why, instead of nothing. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _SpnPressNotice SpnPressNotice;

/* Notifications go to org.freedesktop.Notifications on @connection (the session bus). */
SpnPressNotice *spn_press_notice_new(GDBusConnection *connection);
void spn_press_notice_free(SpnPressNotice *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpnPressNotice, spn_press_notice_free)

/* A press failed with @error: the first time for its kind (no control, signed out, the quota,
 * Spotify failing) a notification names the reason; later ones of that kind say nothing. Fire
 * and forget: without a notification server nothing happens. */
void spn_press_notice_refused(SpnPressNotice *self, const GError *error);

G_END_DECLS
