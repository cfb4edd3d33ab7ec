/* lb-layer-error.h: layer-wise output error of a candidate model (a
 * quantized file, a variant) against its reference.
 *
 * Both run in lockstep in the reference engine over the same tokens; after
 * each block the candidate's hidden state y is compared with the
 * reference's x at every position:
 *   cosine      mean over positions of x.y / (|x| |y|); min_cosine the least
 *   rel_mse     sum |x - y|^2 / sum |x|^2 over all positions
 *   snr_db      10 log10 (1 / rel_mse)   (+inf when equal)
 *   max_abs     largest |x_i - y_i|
 *
 * With split set, the attention and MLP contributions of block L are
 * measured apart: the reference runs again with only block L's attention
 * tensors (attn_norm, q/k/v/output and their biases and norms) taken from
 * the candidate, and once with only its MLP tensors (ffn_norm, gate, up,
 * down, ffn_post_norm). attn_rel_mse / mlp_rel_mse are the relative MSE of
 * block L's output in those runs (the error each part adds on its own),
 * attn_final_rel_mse / mlp_final_rel_mse the same at the last block (what
 * remains of it at the model's output). This costs two extra runs per
 * block; without split these fields are NaN. The error of the token
 * embedding is in every block's figure but in neither part. (The
 * reference engine's taps give only each block's output, so the parts are
 * told apart by these runs rather than by reading the two residual
 * additions of one run.)
 *
 * Text is cut into chunks of n_ctx tokens, each starting with BOS when the
 * tokenizer adds one (the engines are reset between chunks). */
#pragma once

#include <gio/gio.h>

#include "lb-model.h"
#include "lb-progress.h"

G_BEGIN_DECLS

typedef struct {
  guint    n_ctx;     /* tokens per chunk, BOS included; 0: 128 */
  guint    n_chunks;  /* at most this many chunks; 0: all */
  gboolean split;     /* attention vs MLP runs */
} LbLayerErrorParams;

#define LB_LAYER_ERROR_PARAMS_INIT { 0, 0, FALSE }

typedef struct {
  guint  layer;
  double cosine;
  double min_cosine;
  double rel_mse;
  double snr_db;
  double max_abs;
  double attn_rel_mse;
  double mlp_rel_mse;
  double attn_final_rel_mse;
  double mlp_final_rel_mse;
} LbLayerError;

typedef struct {
  guint         n_layers;
  LbLayerError *layers;
  guint         n_tokens;   /* positions compared (per run) */
  guint         n_chunks;
} LbLayerErrorReport;

void     lb_layer_error_report_free (LbLayerErrorReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbLayerErrorReport, lb_layer_error_report_free)

/* tokens: n ids without BOS (chunks add it). The models must have the same
 * architecture, block count, width and vocabulary; the split also needs
 * the same tensor names and shapes. */
LbLayerErrorReport *lb_layer_error_compute      (LbModel *reference, LbModel *candidate,
                                                 const gint32 *tokens, gsize n_tokens,
                                                 const LbLayerErrorParams *params,
                                                 LbProgressFunc progress, gpointer progress_data,
                                                 GCancellable *cancellable, GError **error);
/* The same over a text, tokenized by the reference's tokenizer (with
 * n_chunks set, only a prefix long enough for them). */
LbLayerErrorReport *lb_layer_error_compute_text (LbModel *reference, LbModel *candidate,
                                                 const char *text, gssize len,
                                                 const LbLayerErrorParams *params,
                                                 LbProgressFunc progress, gpointer progress_data,
                                                 GCancellable *cancellable, GError **error);

G_END_DECLS
