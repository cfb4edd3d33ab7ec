/* lb-ref-engine.h: the plain fp32 reference forward pass with a KV cache.
 * Weights of any type with a to_float kernel are read row by row straight
 * from their blocks; nothing is dequantized as a whole. It is the oracle
 * every faster or quantized path is tested against: clarity over speed. */
#pragma once

#include "lb-model.h"

G_BEGIN_DECLS

typedef struct _LbRefEngine LbRefEngine;

/* Called after each block with the hidden state (n_embd floats) of the
 * token at pos; for analysis taps. */
typedef void (*LbLayerTapFunc) (guint layer, guint pos, const float *hidden, guint n_embd,
                                gpointer user_data);

/* Called before each matrix-vector product with the weight and its input
 * (weight->ne[0] floats); for activation statistics (importance data). */
typedef void (*LbMatmulTapFunc) (const LbTensor *weight, const float *input, gpointer user_data);

/* n_ctx: KV cache length; 0 means the model's training context (capped at 4096). */
LbRefEngine *lb_ref_engine_new      (LbModel *model, guint n_ctx, GError **error);
void         lb_ref_engine_free     (LbRefEngine *engine);
guint        lb_ref_engine_get_n_ctx  (LbRefEngine *engine);
guint        lb_ref_engine_get_n_past (LbRefEngine *engine);
/* forget the cache (start a new sequence) */
void         lb_ref_engine_reset    (LbRefEngine *engine);
void         lb_ref_engine_set_tap  (LbRefEngine *engine, LbLayerTapFunc tap, gpointer user_data);
void         lb_ref_engine_set_matmul_tap (LbRefEngine *engine, LbMatmulTapFunc tap,
                                           gpointer user_data);

/* Feeds one token at position n_past and writes n_vocab logits (logits may be
 * NULL to skip the output projection). Fails when the cache is full or the
 * id is out of range. */
gboolean     lb_ref_engine_eval     (LbRefEngine *engine, gint32 token, float *logits,
                                     GError **error);
/* Feeds n tokens; logits (n * n_vocab floats, row-major) may be NULL, or
 * last_logits (n_vocab) receives only the last position's. */
gboolean     lb_ref_engine_eval_batch (LbRefEngine *engine, const gint32 *tokens, guint n,
                                       float *logits, float *last_logits, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbRefEngine, lb_ref_engine_free)

G_END_DECLS
