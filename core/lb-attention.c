/* lb-attention.c: KV cache storage and single-head causal attention.
 *
 * Scores are computed eight cached positions at a time (the positions are
 * rows kv_dim apart) and reduced together, so the keys stream once per query
 * head; the weighted sum of values keeps a head's outputs in registers while
 * it walks the positions. */
#include "lb-attention.h"

#include <math.h>
#include <string.h>

#include "lb-error.h"
#include "lb-quant-blocks.h"

gboolean
lb_kv_cache_check_type (LbType type, guint head_dim, GError **error)
{
  switch (type)
    {
    case LB_TYPE_F32:
    case LB_TYPE_F16:
      return TRUE;
    case LB_TYPE_Q8_0:
      if (head_dim % LB_QK == 0)
        return TRUE;
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "a Q8_0 KV cache needs a head size that is a multiple of %d, but this "
                   "model's is %u; use an F16 or F32 cache", LB_QK, head_dim);
      return FALSE;
    default:
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "KV cache type %s is not supported; use F16, F32 or Q8_0",
                   lb_type_get_name (type));
      return FALSE;
    }
}

gboolean
lb_kv_cache_init (LbKvCache *cache, LbType type, guint n_layer, guint n_ctx, guint n_head_kv,
                  guint head_dim, LbMemPool *pool, GError **error)
{
  guint64 bytes;
  gpointer k, v;

  if (!lb_kv_cache_check_type (type, head_dim, error))
    return FALSE;

  memset (cache, 0, sizeof *cache);
  cache->type = type;
  cache->n_layer = n_layer;
  cache->n_ctx = n_ctx;
  cache->kv_dim = n_head_kv * head_dim;
  cache->head_dim = head_dim;
  cache->row_bytes = lb_type_row_size (type, cache->kv_dim);

  bytes = (guint64) n_layer * n_ctx * cache->row_bytes;
  if (cache->row_bytes == 0 || bytes > G_MAXSIZE / 4)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "a KV cache of %u positions × %u layers is too large; use a shorter context",
                   n_ctx, n_layer);
      return FALSE;
    }
  if (!lb_mem_pool_alloc (pool, "KV cache keys", bytes, &k, error)
      || !lb_mem_pool_alloc (pool, "KV cache values", bytes, &v, error))
    return FALSE;
  cache->k = k;
  cache->v = v;
  return TRUE;
}

static inline gsize
row_offset (const LbKvCache *cache, guint il, guint pos)
{
  return ((gsize) il * cache->n_ctx + pos) * cache->row_bytes;
}

static void
store_row (const LbKvCache *cache, const LbMatmulKernels *k, const float *src, guint8 *dst)
{
  switch (cache->type)
    {
    case LB_TYPE_F32:
      memcpy (dst, src, cache->kv_dim * sizeof (float));
      break;
    case LB_TYPE_F16:
      k->f32_to_f16 (src, (guint16 *) dst, cache->kv_dim);
      break;
    case LB_TYPE_Q8_0:
      lb_type_get_traits (LB_TYPE_Q8_0)->from_float (src, dst, cache->kv_dim, NULL);
      break;
    default:
      g_assert_not_reached ();
    }
}

void
lb_kv_cache_store (const LbKvCache *cache, const LbMatmulKernels *k, guint il, guint pos,
                   const float *keys, const float *values)
{
  g_return_if_fail (il < cache->n_layer && pos < cache->n_ctx);

  store_row (cache, k, keys, cache->k + row_offset (cache, il, pos));
  store_row (cache, k, values, cache->v + row_offset (cache, il, pos));
}

/* scores[p] = scale (q · key p) for p < n_kv; returns their maximum */
static float
key_scores (const LbKvCache *cache, const LbMatmulKernels *k, const guint8 *keys,
            const float *q, guint n_kv, float scale, float *scores)
{
  guint hd = cache->head_dim;
  float max = -INFINITY;

  switch (cache->type)
    {
    case LB_TYPE_F32:
      return k->scores_f32 (n_kv, hd, (const float *) keys, cache->kv_dim, q, scale, scores);
    case LB_TYPE_F16:
      return k->scores_f16 (n_kv, hd, (const guint16 *) keys, cache->kv_dim, q, scale, scores);
    case LB_TYPE_Q8_0:
      for (guint p = 0; p < n_kv; p++)
        {
          scores[p] = k->dot_q8_0 (hd, keys + p * cache->row_bytes, q) * scale;
          max = MAX (max, scores[p]);
        }
      return max;
    default:
      g_assert_not_reached ();
    }
}

void
lb_attention_head (const LbKvCache *cache, const LbMatmulKernels *k, guint il, guint kv_head,
                   const float *q, guint first, guint end, float scale, float softcap,
                   float *scores, float *out)
{
  guint hd = cache->head_dim;
  guint n = end - first;
  /* this head's slice of the first position's row */
  gsize head_off = lb_type_row_size (cache->type, (gint64) kv_head * hd);
  const guint8 *keys = cache->k + row_offset (cache, il, first) + head_off;
  const guint8 *values = cache->v + row_offset (cache, il, first) + head_off;
  float max, inv_sum;

  g_return_if_fail (first < end && end <= cache->n_ctx);

  max = key_scores (cache, k, keys, q, n, scale, scores);
  if (softcap > 0.0f)
    {
      /* tanh is increasing: the capped maximum is the cap of the maximum */
      for (guint p = 0; p < n; p++)
        scores[p] = softcap * tanhf (scores[p] / softcap);
      max = softcap * tanhf (max / softcap);
    }
  /* the maximum's own term is exp (0) = 1, so the sum is at least 1 */
  inv_sum = 1.0f / k->exp_sum (scores, n, max);

  switch (cache->type)
    {
    case LB_TYPE_F32:
      k->wsum_f32 (n, scores, (const float *) values, cache->kv_dim, hd, out);
      break;
    case LB_TYPE_F16:
      k->wsum_f16 (n, scores, (const guint16 *) values, cache->kv_dim, hd, out);
      break;
    case LB_TYPE_Q8_0:
      k->wsum_q8_0 (n, scores, values, cache->kv_dim / LB_QK, hd, out);
      break;
    default:
      g_assert_not_reached ();
    }
  for (guint i = 0; i < hd; i++)
    out[i] *= inv_sum;
}
