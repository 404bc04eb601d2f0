/* file-util.h — files written whole and with exactly the mode asked for, whatever the umask.
 *
 * The system unit runs with UMask=0077, which keeps the state private by default but would also
 * make album art unreadable to the users it is for; and a mode "tightened" by path would follow
 * a symlink planted in its place. Both go through a descriptor here. */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* Replaces @path atomically: "<path>.XXXXXX" (the name g_file_set_contents() uses, so stale
 * temp files are recognised the same way) is created, given exactly @mode by fchmod() before a
 * byte is written, written, fsync()ed when @durable, and renamed over @path. A reader never sees
 * half a file or a moment of a wider mode. Errors: G_FILE_ERROR naming @path. */
gboolean spn_file_write_atomic(const char *path, const void *data, gsize length, mode_t mode,
                               gboolean durable, GError **error);

/* Gives the regular file @path exactly @mode through a descriptor opened with O_NOFOLLOW, so a
 * symlink at @path is refused rather than followed to whatever it names. *@changed (may be
 * NULL) tells whether the mode was different. Errors: G_FILE_ERROR naming @path (a symlink is
 * G_FILE_ERROR_LOOP, anything but a regular file G_FILE_ERROR_INVAL). */
gboolean spn_file_set_mode(const char *path, mode_t mode, gboolean *changed, GError **error);

G_END_DECLS
