/* spn-text.h — text from elsewhere (Spotify, a state file, a D-Bus peer) made fit to show. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A copy that is valid UTF-8, with each control character made a space: a newline in a title
 * would break a panel's one-line output, an escape would drive a terminal, and state.ini cannot
 * keep a leading form feed (GKeyFile strips it on reading). */
char *spn_text_clean(const char *value);

/* The Levenshtein distance between two words, ignoring ASCII case: how far a typo ("stauts",
 * "client_id") is from a name we know. G_MAXUINT for words over 64 bytes: not a typo. */
guint spn_text_distance(const char *a, const char *b);

G_END_DECLS
