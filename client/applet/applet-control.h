/* applet-control.h — Play/Pause, Next and Previous in the applet's menu (README: control "from
 * the applet's menu"), greyed out with the reason when they cannot work.
 *
 * The items go in a section of their own at the top of the window's menu; the actions are the
 * window's (win.play-pause, win.next, win.previous). A command the daemon refuses as
 * NotSupported (no Premium, no control scope) turns the items off with the daemon's words until
 * the next sign-in, as the daemon itself does.
 */
#pragma once

#include <gtk/gtk.h>

#include "applet-client.h"

G_BEGIN_DECLS

typedef struct _SpnAppletControl SpnAppletControl;

/* Adds the actions to @actions and the section to the top of @menu (both borrowed, and must
 * outlive the control). */
SpnAppletControl *spn_applet_control_new(GActionMap *actions, GMenu *menu, SpnAppletClient *client);
void spn_applet_control_free(SpnAppletControl *control);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpnAppletControl, spn_applet_control_free)

/* Follows the client's daemon, snapshot and status: labels, enabled state and the reason. */
void spn_applet_control_update(SpnAppletControl *control);

/* For --test-control's "describe": one "menu LABEL<TAB>enabled|disabled" line per item. */
void spn_applet_control_describe(SpnAppletControl *control, GString *out);

G_END_DECLS
