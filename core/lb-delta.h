/* lb-delta.h: signed delta updates of GGUF models (issue 7).
 *
 * lb_delta_create() writes a package that turns one exact file (the base)
 * into another (the target); lb_delta_apply() checks the signature, the
 * payload, the installed version and the base before it reconstructs the
 * target into a staging file, checks the target hash and swaps it in,
 * keeping the previous file as MODEL.prev. The installed version lives in
 * the sidecar MODEL.lbversion. docs/delta-format.md has the details. */
#pragma once

#include <gio/gio.h>

#include "lb-delta-format.h"
#include "lb-progress.h"
#include "lb-sha256.h"
#include "lb-sign.h"

G_BEGIN_DECLS

#define LB_DELTA_DEFAULT_LEVEL 9

/* What lb_delta_create found and wrote. */
typedef struct {
  guint64 package_size;
  guint64 base_size;
  guint64 target_size;
  guint   n_tensors;        /* in the target */
  guint   n_unchanged;      /* copied from the base */
  guint   n_xor, n_sub, n_full;
  guint   n_added, n_removed;
  guint   n_meta_added, n_meta_changed, n_meta_removed;
} LbDeltaStats;

/* Streams both files tensor by tensor (bounded memory: a few MiB plus the
 * GGUF headers); spill files for the per-tensor choice are created beside
 * out_path. level: zstd level 1..19 (0: LB_DELTA_DEFAULT_LEVEL). Before
 * writing, the package is applied in memory-bounded form to the base and
 * the result's SHA-256 compared with the target's. */
gboolean lb_delta_create          (const char *old_path, const char *new_path, const char *out_path,
                                   LbSigningKey *key, guint64 version, int level,
                                   LbDeltaStats *stats, LbProgressFunc progress, gpointer progress_data,
                                   GCancellable *cancellable, GError **error);
/* The same on a worker thread (progress is called there). key is borrowed:
 * keep it alive until the callback has run. */
void     lb_delta_create_async    (const char *old_path, const char *new_path, const char *out_path,
                                   LbSigningKey *key, guint64 version, int level,
                                   LbProgressFunc progress, gpointer progress_data,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);
gboolean lb_delta_create_finish   (GAsyncResult *result, LbDeltaStats *stats, GError **error);
/* A standalone signed manifest (SHA-256, size and version of one file). */
gboolean lb_delta_write_manifest  (const char *model_path, const char *out_path, LbSigningKey *key,
                                   guint64 version, GCancellable *cancellable, GError **error);

typedef struct {
  guint64  version;            /* the package's */
  guint64  previous_version;   /* installed before, 0 when unknown */
  gboolean already_applied;    /* the model already was the package's target */
  char    *output_path;        /* where the target was written (owned) */
} LbDeltaApplyResult;

void     lb_delta_apply_result_clear (LbDeltaApplyResult *result);

/* out_path NULL (or equal to model_path): replace model_path atomically,
 * keeping the previous file as "<model_path>.prev". Otherwise write
 * out_path and leave model_path alone. On any failure the model file is
 * left byte-identical and result holds nothing to clear. */
gboolean lb_delta_apply           (const char *model_path, const char *package_path,
                                   const LbPublicKey *key, const char *out_path,
                                   gboolean allow_downgrade, LbDeltaApplyResult *result,
                                   LbProgressFunc progress, gpointer progress_data,
                                   GCancellable *cancellable, GError **error);
void     lb_delta_apply_async     (const char *model_path, const char *package_path,
                                   const LbPublicKey *key, const char *out_path,
                                   gboolean allow_downgrade,
                                   LbProgressFunc progress, gpointer progress_data,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);
/* result may be NULL; otherwise clear it with lb_delta_apply_result_clear */
gboolean lb_delta_apply_finish    (GAsyncResult *result, LbDeltaApplyResult *apply_result,
                                   GError **error);
/* Puts "<model_path>.prev" back in place (atomically) and restores the
 * version recorded for it. */
gboolean lb_delta_rollback        (const char *model_path, guint64 *version_out,
                                   GCancellable *cancellable, GError **error);
/* Checks model_path against a signed manifest, or against the target of a
 * signed package. LB_ERROR_NUMERIC is never used; a mismatch is
 * LB_ERROR_INVALID_FILE. */
gboolean lb_delta_verify_model    (const char *model_path, const char *manifest_path,
                                   const LbPublicKey *key, guint64 *version_out,
                                   GCancellable *cancellable, GError **error);

/* The installed version of model_path whose SHA-256 is model_sha (read from
 * "<model_path>.lbversion"); 0 when there is no sidecar or it describes
 * another file. FALSE only when the sidecar exists but cannot be read. */
gboolean lb_delta_get_installed_version (const char *model_path, const LbSha256 *model_sha,
                                         guint64 *version, GError **error);

/* ---- low level: the reconstruction itself --------------------------------- */

typedef gboolean (*LbDeltaSinkFunc) (const void *data, gsize n, gpointer user_data, GError **error);

/* Produces the target's bytes in order through sink. base must be the
 * manifest's base (base_len == base_size; its hash is the caller's job);
 * payload the package payload. Validates every decoded size. */
gboolean lb_delta_reconstruct     (const LbDeltaManifest *manifest,
                                   const guint8 *base, gsize base_len,
                                   const guint8 *payload, gsize payload_len,
                                   LbDeltaSinkFunc sink, gpointer sink_data,
                                   LbProgressFunc progress, gpointer progress_data,
                                   GCancellable *cancellable, GError **error);

G_END_DECLS
