/* lb-sha256.h: SHA-256 digests (GLib's GChecksum) of memory and files */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LB_SHA256_BYTES 32

typedef struct {
  guint8 bytes[LB_SHA256_BYTES];
} LbSha256;

void      lb_sha256_data      (const void *data, gsize n, LbSha256 *out);
/* Streams the file in fixed-size reads (bounded memory); size may be NULL. */
gboolean  lb_sha256_file      (const char *path, LbSha256 *out, guint64 *size,
                               GCancellable *cancellable, GError **error);
gboolean  lb_sha256_equal     (const LbSha256 *a, const LbSha256 *b);
/* 64 lowercase hex digits, newly allocated */
char     *lb_sha256_to_hex    (const LbSha256 *digest);
/* FALSE unless text is exactly 64 hex digits */
gboolean  lb_sha256_from_hex  (const char *text, LbSha256 *out);

/* Incremental hashing for writers that see their bytes once. */
typedef struct _LbSha256State LbSha256State;

LbSha256State *lb_sha256_state_new    (void);
void           lb_sha256_state_update (LbSha256State *state, const void *data, gsize n);
/* the digest so far (the state stays usable) */
void           lb_sha256_state_get    (LbSha256State *state, LbSha256 *out);
void           lb_sha256_state_free   (LbSha256State *state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbSha256State, lb_sha256_state_free)

G_END_DECLS
