/* lb-imatrix.h: importance data ("imatrix"): for each weight matrix, the
 * mean of the squared input activation of each of its columns over some
 * calibration text, as llama.cpp's llama-imatrix computes it.
 *
 * Files: llama.cpp's GGUF layout (tensors "<weight>.in_sum2", the sums of
 * squares, [n_cols, n_mat], and "<weight>.counts", [1, n_mat] token counts,
 * both F32, names sorted; keys general.type = "imatrix",
 * imatrix.datasets, imatrix.chunk_count, imatrix.chunk_size) is read and
 * written; its legacy .dat (int32 entry count; per entry int32 name
 * length, name, int32 ncall, int32 nval, nval float32 values already
 * divided by the count and multiplied by ncall; optional int32 chunk count,
 * int32 length + dataset name) is read. */
#pragma once

#include <gio/gio.h>

#include "lb-model.h"
#include "lb-progress.h"

G_BEGIN_DECLS

typedef struct _LbImatrix LbImatrix;

LbImatrix     *lb_imatrix_new            (void);
LbImatrix     *lb_imatrix_ref            (LbImatrix *imatrix);
void           lb_imatrix_unref          (LbImatrix *imatrix);

/* Either format, told apart by the GGUF magic. Every count, length and size
 * is validated (LB_ERROR_INVALID_FILE naming the entry and byte offset);
 * NaN/Inf or negative values are refused (LB_ERROR_NUMERIC). */
LbImatrix     *lb_imatrix_load           (const char *path, GError **error);
LbImatrix     *lb_imatrix_load_bytes     (GBytes *bytes, const char *source_name, GError **error);
/* GGUF layout, through a temporary file renamed when complete */
gboolean       lb_imatrix_save           (LbImatrix *imatrix, const char *path, GError **error);

/* the file it was loaded from or last saved to, or NULL */
const char    *lb_imatrix_get_path       (LbImatrix *imatrix);
gboolean       lb_imatrix_is_legacy      (LbImatrix *imatrix);
guint          lb_imatrix_get_n_entries  (LbImatrix *imatrix);
const char    *lb_imatrix_get_entry_name (LbImatrix *imatrix, guint i);   /* sorted */
/* Per-column importance of a weight: sum / count of each matrix, as
 * llama-quantize reads it (1 for a matrix that saw no tokens). n_values =
 * n_cols * n_mat. NULL when the weight has no entry. Owned by imatrix.
 * Safe to call from several threads at once (not while accumulating). */
const float   *lb_imatrix_get_importance (LbImatrix *imatrix, const char *weight_name,
                                          gsize *n_values);
/* tokens seen by the weight's first matrix; -1 when it has no entry */
gint64         lb_imatrix_get_count      (LbImatrix *imatrix, const char *weight_name);

/* Adds one input vector x (n values) of a weight (one token). Entries are
 * created on first use; FALSE + error when n differs from the entry's. */
gboolean       lb_imatrix_accumulate     (LbImatrix *imatrix, const char *weight_name,
                                          const float *x, gsize n, GError **error);

/* NULL-terminated; names read from files are made valid UTF-8 */
const char * const *lb_imatrix_get_datasets (LbImatrix *imatrix);
void           lb_imatrix_add_dataset    (LbImatrix *imatrix, const char *dataset);
guint32        lb_imatrix_get_chunk_count (LbImatrix *imatrix);
guint32        lb_imatrix_get_chunk_size (LbImatrix *imatrix);
void           lb_imatrix_set_chunks     (LbImatrix *imatrix, guint32 chunk_count,
                                          guint32 chunk_size);

/* Runs the model (reference engine) over text in chunks of n_ctx tokens
 * (the first of each replaced by BOS when the tokenizer adds one, as
 * llama-imatrix does), at most n_chunks of them (0: all), and collects the
 * input of every matrix multiplication by a block weight. dataset is
 * recorded in imatrix.datasets. Needs at least one full chunk. */
LbImatrix     *lb_imatrix_collect        (LbModel *model, const char *text, gssize len,
                                          const char *dataset, guint n_ctx, guint n_chunks,
                                          LbProgressFunc progress, gpointer progress_data,
                                          GCancellable *cancellable, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbImatrix, lb_imatrix_unref)

G_END_DECLS
