/* lb-convert.h: lossless export of any loaded model to GGUF */
#pragma once

#include "lb-model.h"
#include "lb-progress.h"

G_BEGIN_DECLS

typedef enum {
  LB_CONVERT_AUTO,  /* keep each tensor's own type (lossless) */
  LB_CONVERT_F32,
  LB_CONVERT_F16,
  LB_CONVERT_BF16,
} LbConvertType;

/* "auto", "f32", "f16", "bf16" */
gboolean lb_convert_type_from_string (const char *s, LbConvertType *out);

/* Writes model to path as GGUF, streaming one tensor at a time (rows are
 * converted through a scratch row; the model is never copied whole).
 * As llama.cpp's converter does, only matrices take the requested float
 * type; 1-D tensors (norms, biases) stay F32. general.file_type follows.
 * The file appears only when complete (temporary file, fsync, rename);
 * cancelling or an error leaves nothing behind. */
gboolean lb_model_export_gguf (LbModel *model, const char *path, LbConvertType type,
                               LbProgressFunc progress, gpointer progress_data,
                               GCancellable *cancellable, GError **error);

G_END_DECLS
