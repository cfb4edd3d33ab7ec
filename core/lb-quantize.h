/* lb-quantize.h: the streaming quantizer: a model and a plan (lb-recipe.h)
 * to a GGUF file, one tensor at a time. */
#pragma once

#include "lb-gguf.h"
#include "lb-imatrix.h"
#include "lb-progress.h"
#include "lb-recipe.h"

G_BEGIN_DECLS

/* The output metadata, as llama-quantize writes it: the model's keys (split
 * keys dropped), then general.quantization_version = 2 and
 * general.file_type moved to the end, then, with importance data,
 * quantize.imatrix.file, .dataset (first dataset), .entries_count and
 * .chunks_count (when known). */
LbMeta   *lb_quantize_build_meta      (LbQuantPlan *plan, LbImatrix *imatrix);

/* The exact size of the file lb_quantize_model writes for this plan. */
guint64   lb_quantize_get_file_size   (LbQuantPlan *plan, LbImatrix *imatrix);

/* Writes the plan's model quantized to out_path. Each tensor is read from
 * the (mapped) model a chunk of rows at a time, converted to float, checked
 * (NaN/Inf is an LB_ERROR_NUMERIC error naming the tensor, row and column),
 * and quantized with the importance of its columns from imatrix (NULL for
 * none; it must be given exactly when the plan was resolved with importance
 * data, since rule conditions depend on it); rows are split over n_threads
 * (0: as many as the machine has). Resident memory stays a few MiB
 * whatever the model's size: the pages of the mapping a chunk was read from
 * are released after it (on Linux, MADV_PAGEOUT: nothing is lost, touched
 * again they come back from the file). The file appears only when complete;
 * cancelling or any error leaves nothing at out_path. */
gboolean  lb_quantize_model           (LbModel *model, LbQuantPlan *plan, LbImatrix *imatrix,
                                       const char *out_path, guint n_threads,
                                       LbProgressFunc progress, gpointer user_data,
                                       GCancellable *cancellable, GError **error);

G_END_DECLS
