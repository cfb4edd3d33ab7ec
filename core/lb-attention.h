/* lb-attention.h: the KV cache and causal grouped-query attention over it
 * (one query head at a time), for the fast engine. Internal to liblowbit. */
#pragma once

#include "lb-matmul-private.h"
#include "lb-mempool.h"
#include "lb-type.h"

G_BEGIN_DECLS

/* Keys and values of every layer and position. A position's keys (and its
 * values) for one layer are one row of kv_dim = n_head_kv × head_dim values
 * in the cache type: F32, F16, or Q8_0 blocks (then head_dim must be a
 * multiple of 32, so no block straddles two heads). */
typedef struct {
  LbType   type;
  guint    n_layer;
  guint    n_ctx;
  guint    kv_dim;
  guint    head_dim;
  gsize    row_bytes;
  guint8  *k;          /* [n_layer][n_ctx] rows */
  guint8  *v;
} LbKvCache;

/* FALSE with an error a user can act on when the cache cannot use type. */
gboolean lb_kv_cache_check_type (LbType type, guint head_dim, GError **error);
/* Lays the cache out in pool (which may be counting). */
gboolean lb_kv_cache_init  (LbKvCache *cache, LbType type, guint n_layer, guint n_ctx,
                            guint n_head_kv, guint head_dim, LbMemPool *pool, GError **error);
/* Stores the keys and values (kv_dim floats each) of position pos in layer il. */
void     lb_kv_cache_store (const LbKvCache *cache, const LbMatmulKernels *k, guint il,
                            guint pos, const float *keys, const float *values);

/* Attention of one query head q (head_dim floats) of layer il over the
 * positions first .. end - 1 of KV head kv_head: softmax (scale q·k) in
 * f32, the scores soft-capped (cap tanh (s / cap)) first when softcap > 0,
 * then the weighted sum of the values into out (head_dim floats). scores
 * is scratch for end - first floats. */
void     lb_attention_head (const LbKvCache *cache, const LbMatmulKernels *k, guint il,
                            guint kv_head, const float *q, guint first, guint end, float scale,
                            float softcap, float *scores, float *out);

G_END_DECLS
