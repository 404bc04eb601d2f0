/* spn-protocol.h — the names every part of spotnow shares (doc/design.md sections 1-3): the
 * bus name, object path and interface, the MPRIS name, and the snapshot's and status's keys. */
#pragma once

#define SPN_BUS_NAME "io.github.spotnow.NowPlaying1"
#define SPN_OBJECT_PATH "/io/github/spotnow/NowPlaying1"
#define SPN_INTERFACE "io.github.spotnow.NowPlaying1"
#define SPN_ERROR_PREFIX "io.github.spotnow.Error."
#define SPN_MPRIS_BUS_NAME "org.mpris.MediaPlayer2.spotnow"
#define SPN_MPRIS_OBJECT_PATH "/org/mpris/MediaPlayer2"

/* Snapshot keys (doc/design.md section 2), shared with the CLI's JSON, the state file and the
 * web frontend. */
#define SPN_KEY_IS_PLAYING "isPlaying"
#define SPN_KEY_TRACK_NAME "trackName"
#define SPN_KEY_ARTIST_NAME "artistName"
#define SPN_KEY_ALBUM_NAME "albumName"
#define SPN_KEY_ALBUM_ART "albumArt"
#define SPN_KEY_ALBUM_ART_FILE "albumArtFile"
#define SPN_KEY_TRACK_URL "trackUrl"
#define SPN_KEY_TRACK_ID "trackId"
#define SPN_KEY_ITEM_TYPE "itemType"
#define SPN_KEY_PROGRESS_MS "progressMs"
#define SPN_KEY_DURATION_MS "durationMs"
#define SPN_KEY_FETCHED_AT "fetchedAt"

/* GetStatus keys (doc/design.md section 3) that clients act on. */
#define SPN_STATUS_AUTH_STATE "authState"
#define SPN_STATUS_LAST_ERROR "lastError"
#define SPN_STATUS_PRESENCE_TTL_MS "presenceTtlMs"
#define SPN_STATUS_BUDGET_REQUESTS "budgetRequests"
#define SPN_STATUS_REQUESTS_IN_WINDOW "requestsInWindow"
#define SPN_STATUS_QUOTA_EXCEEDED_UNTIL "quotaExceededUntil"
#define SPN_STATUS_SOURCE "source"
