/* file-util.c — atomic writes and mode changes through descriptors. */
#define G_LOG_DOMAIN "spotnow-files"

#include "file-util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAIL(error, saved_errno, format, path)                                                  \
    (g_set_error((error), G_FILE_ERROR, g_file_error_from_errno(saved_errno), (format), (path), \
                 g_strerror(saved_errno)),                                                      \
     FALSE)

static gboolean write_all(int fd, const char *data, gsize length)
{
    while (length > 0) {
        ssize_t written = write(fd, data, length);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return FALSE;
        data += written;
        length -= (gsize)written;
    }
    return TRUE;
}

gboolean spn_file_write_atomic(const char *path, const void *data, gsize length, mode_t mode,
                               gboolean durable, GError **error)
{
    g_return_val_if_fail(path != NULL, FALSE);
    g_return_val_if_fail(data != NULL || length == 0, FALSE);

    g_autofree char *temp = g_strconcat(path, ".XXXXXX", NULL);
    int fd = g_mkstemp_full(temp, O_WRONLY | O_CLOEXEC, (int)mode);
    if (fd < 0) {
        int saved_errno = errno;
        return FAIL(error, saved_errno, _("cannot create a temporary file next to %s: %s"), path);
    }
    /* The umask has had its say on the creation mode: fchmod() gives exactly @mode, wider
     * (album art others read) or narrower, before any content is there to leak. */
    gboolean ok =
        fchmod(fd, mode) == 0 && write_all(fd, data, length) && (!durable || fsync(fd) == 0);
    int saved_errno = errno;
    if (close(fd) != 0 && ok) {
        ok = FALSE;
        saved_errno = errno;
    }
    if (ok && g_rename(temp, path) != 0) {
        ok = FALSE;
        saved_errno = errno;
    }
    if (!ok) {
        g_unlink(temp);
        return FAIL(error, saved_errno, _("cannot write %s: %s"), path);
    }
    return TRUE;
}

gboolean spn_file_set_mode(const char *path, mode_t mode, gboolean *changed, GError **error)
{
    g_return_val_if_fail(path != NULL, FALSE);

    if (changed != NULL)
        *changed = FALSE;
    /* O_NOFOLLOW: a symlink put where the file was is refused, never followed to, say, a file
     * of the service user's elsewhere. O_NONBLOCK: a FIFO there must not hang the daemon. */
    int fd = g_open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
    if (fd < 0) {
        int saved_errno = errno;
        return FAIL(error, saved_errno, _("cannot open %s: %s"), path);
    }
    struct stat st;
    gboolean ok = TRUE;
    int saved_errno = 0;
    if (fstat(fd, &st) != 0) {
        ok = FALSE;
        saved_errno = errno;
    } else if (!S_ISREG(st.st_mode)) {
        ok = FALSE;
        saved_errno = EINVAL;
    } else if ((st.st_mode & 07777) != mode) {
        if (fchmod(fd, mode) != 0) {
            ok = FALSE;
            saved_errno = errno;
        } else if (changed != NULL) {
            *changed = TRUE;
        }
    }
    close(fd);
    if (!ok && saved_errno == EINVAL) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, _("%s is not a regular file"), path);
        return FALSE;
    }
    return ok ? TRUE : FAIL(error, saved_errno, _("cannot change the mode of %s: %s"), path);
}
