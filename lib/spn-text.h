/* spn-text.h — text from elsewhere (Spotify, a state file, a D-Bus peer) made fit to show. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A copy that is valid UTF-8, with each control character made a space: a newline in a title
 * would break a panel's one-line output, an escape would drive a terminal, and state.ini cannot
 * keep a leading form feed (GKeyFile strips it on reading). */
char *spn_text_clean(const char *value);

G_END_DECLS
