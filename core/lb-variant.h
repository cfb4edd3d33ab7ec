/* lb-variant.h: a base model plus in-memory overrides of some tensors.
 *
 * An LbVariant holds a base LbModel and, for some of its tensors, new bytes:
 * the tensor re-quantized to another type (from the base's weights, with
 * importance data when set), or data given by the caller (pruned weights, a
 * tensor borrowed from another model of the same shape). Editing one
 * tensor re-quantizes that tensor only.
 *
 * lb_variant_build_model() turns the current state into an ordinary
 * LbModel that every engine runs unchanged: unchanged tensors are views of
 * the base's bytes (the same pointers, no copy), overridden ones point into
 * the override buffers. The built model keeps the base and those buffers
 * alive, and later edits of the variant do not change it (a snapshot).
 *
 * A variant may be edited from several threads; each call is atomic. */
#pragma once

#include <gio/gio.h>

#include "lb-imatrix.h"
#include "lb-model.h"
#include "lb-progress.h"

G_BEGIN_DECLS

#define LB_TYPE_VARIANT (lb_variant_get_type ())
G_DECLARE_FINAL_TYPE (LbVariant, lb_variant, LB, VARIANT, GObject)

LbVariant  *lb_variant_new             (LbModel *base);
LbModel    *lb_variant_get_base        (LbVariant *self);
/* Importance data used by later re-quantizations (NULL: none). Entries
 * whose size does not match a tensor are an error when that tensor is
 * quantized (except token_embd.weight, quantized without, as llama.cpp does). */
void        lb_variant_set_imatrix     (LbVariant *self, LbImatrix *imatrix);
LbImatrix  *lb_variant_get_imatrix     (LbVariant *self);
/* Threads for quantizing rows; 0 (default): one per processor */
void        lb_variant_set_n_threads   (LbVariant *self, guint n_threads);

/* Re-quantizes one tensor of the base to type (its rows in parallel).
 * type equal to the base tensor's type drops the override (the tensor is a
 * view of the base again). Fails, leaving the variant as it was, when the
 * name is unknown, the type cannot be produced, a row length is not a
 * multiple of the type's block size (the message names tensor and type), a
 * weight is NaN/Inf, or on cancellation. */
gboolean    lb_variant_requantize_one  (LbVariant *self, const char *name, LbType type,
                                        GCancellable *cancellable, GError **error);
/* The same on a worker thread (for a GUI); callback runs in the thread-
 * default main context of the caller. */
void        lb_variant_requantize_async  (LbVariant *self, const char *name, LbType type,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean    lb_variant_requantize_finish (LbVariant *self, GAsyncResult *result,
                                          GError **error);
/* Many at once: overrides maps tensor name (char *) to a type
 * (GINT_TO_POINTER (LbType)). All or nothing: on error the variant is as
 * it was. progress may be NULL. */
gboolean    lb_variant_set_types       (LbVariant *self, GHashTable *overrides,
                                        LbProgressFunc progress, gpointer progress_data,
                                        GCancellable *cancellable, GError **error);
/* Uses data (exactly the tensor's size in type; a ref is taken) as the
 * tensor's bytes: pruned or otherwise edited weights. */
gboolean    lb_variant_set_tensor_data (LbVariant *self, const char *name, LbType type,
                                        GBytes *data, GError **error);
/* The tensor of that name in source (same shape, any type) becomes this
 * tensor, without a copy; source is kept alive by a ref. */
gboolean    lb_variant_take_tensor     (LbVariant *self, const char *name, LbModel *source,
                                        GError **error);
/* back to the base tensor; FALSE when it had no override */
gboolean    lb_variant_reset_tensor    (LbVariant *self, const char *name);
void        lb_variant_reset_all       (LbVariant *self);

/* The tensor's current type; LB_TYPE_COUNT when the base has no such tensor */
LbType      lb_variant_get_tensor_type (LbVariant *self, const char *name);
gboolean    lb_variant_is_overridden   (LbVariant *self, const char *name);
guint       lb_variant_get_n_overrides (LbVariant *self);
/* names of the overridden tensors, sorted; free with g_strfreev */
char      **lb_variant_list_overrides  (LbVariant *self);
/* Exact data bytes of one tensor (0 when unknown) and of all tensors as
 * the variant stands (what a GGUF holds besides header and padding). */
guint64     lb_variant_get_tensor_bytes (LbVariant *self, const char *name);
guint64     lb_variant_get_data_bytes  (LbVariant *self);

/* A snapshot of the variant as an LbModel (see above). */
LbModel    *lb_variant_build_model     (LbVariant *self, GError **error);

/* One-shot: base with overrides (name -> GINT_TO_POINTER (LbType), may be
 * NULL) quantized with imatrix (may be NULL) on n_threads (0: all). */
LbModel    *lb_variant_build           (LbModel *base, GHashTable *overrides, LbImatrix *imatrix,
                                        guint n_threads, LbProgressFunc progress,
                                        gpointer progress_data, GCancellable *cancellable,
                                        GError **error);

/* ---- helpers shared with the error analysis ------------------------------ */

/* Data bytes of tensor t stored as type; 0 when its rows do not fit the
 * type's blocks or the type is unknown. */
guint64     lb_tensor_bytes_as         (const LbTensor *t, LbType type);
/* Checks that t can be converted to type row by row (readable source,
 * producible type, rows that fit its blocks, data size); FALSE with an
 * error naming the tensor and the type. */
gboolean    lb_tensor_check_convertible (const LbTensor *t, LbType type, GError **error);
/* The importance of t's columns in imatrix (NULL when there is none or
 * imatrix is NULL): n_values is ne[0] or ne[0] times the matrices of a
 * 3-D tensor. FALSE + error when the entry has another size, except for
 * token_embd.weight, which then gets no importance. */
gboolean    lb_tensor_find_importance  (const LbTensor *t, LbImatrix *imatrix,
                                        const float **importance, gsize *n_values,
                                        GError **error);

G_END_DECLS
