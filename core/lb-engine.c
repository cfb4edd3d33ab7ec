/* lb-engine.c: the fast forward pass (the same math as lb-ref-engine.c,
 * organised for speed).
 *
 * A pass takes up to n_batch tokens at once. Every step is either a loop
 * over the tokens of the batch (norms, rope, quantizing activations) or a
 * loop over output rows of a weight (lb_matmul_run), both spread over the
 * engine's thread pool; per block:
 *
 *   n = rmsnorm (x)                      tokens   (+ quantize n for wq/wk/wv)
 *   q, k, v = Wq n + bq, Wk n + bk, ...  rows     (one loop for the three)
 *   norm heads (q, k); rope; cache k, v  tokens
 *   a = attention (q, cache)             tokens × heads
 *   x += post (Wo a)                     rows     (after quantizing a)
 *   n = rmsnorm (x)                      tokens
 *   g, u = Wgate n, Wup n                rows
 *   h = act (g) * u                      tokens
 *   x += post (Wdown h)                  rows
 *
 * with the optional parts of the architectures LbModel describes (llama,
 * qwen2, qwen3, gemma2, gemma3): per-head q/k norms, norms after each
 * sub-block, GELU instead of SiLU, a scaled embedding, soft-capped scores
 * and logits, sliding-window layers and per-layer rope frequencies. The
 * model resolves them into LbHParams and LbLayerWeights; check_hparams ()
 * lists what this engine knows, and forward_block () applies it.
 *
 * Everything a pass writes lives in one memory pool laid out at creation
 * (see layout ()): nothing is allocated while evaluating. */
#include "lb-engine.h"

#include <math.h>
#include <string.h>

#include "lb-attention.h"
#include "lb-error.h"
#include "lb-matmul.h"
#include "lb-matmul-private.h"
#include "lb-mempool.h"
#include "lb-threadpool.h"

#define MAX_DEFAULT_CTX 4096
#define DEFAULT_BATCH 256
/* refuse caches beyond this many positions */
#define MAX_CTX (1u << 20)
#define MAX_BATCH 65536

/* a block's weights, with its small vectors widened to f32 once */
typedef struct {
  const LbLayerWeights *w;
  float                *attn_norm;
  float                *ffn_norm;
  float                *bq, *bk, *bv;        /* NULL when the model has none */
  float                *q_norm, *k_norm;     /* per-head norms, or NULL */
  float                *attn_post, *ffn_post; /* norms after the sub-blocks, or NULL */
  guint                 rope_set;            /* which rope frequency table */
} Layer;

struct _LbEngine {
  LbModel               *model;
  LbHParams              hp;
  LbEngineParams         params;        /* resolved */
  guint                  q_dim;         /* n_head * head_dim */
  guint                  kv_dim;        /* n_head_kv * head_dim */
  guint                  max_n_in;      /* widest weight row */
  guint                  n_past;
  const LbMatmulKernels *k;
  LbThreadPool          *threads;
  LbMemPool             *pool;
  LbEngineMemory         memory;

  /* constants */
  Layer                 *layers;        /* n_layer, g_new (bookkeeping) */
  float                 *output_norm;
  /* the distinct rope frequency tables of the layers (one, or two for
   * gemma3's local and global layers): [n_rope_sets][n_rot / 2] */
  guint                  n_rope_sets;
  double                *inv_freq;
  double                *layer_freq;    /* [n_layer][n_rot / 2] while building, g_new */

  LbKvCache              kv;

  /* activations, n_batch rows each */
  float                 *x;             /* residual stream, n_embd */
  LbMatmulInput          in_embd;       /* normed x: read by wq, wk, wv, gate, up, output */
  float                 *q;             /* q_dim */
  float                 *kk;            /* kv_dim */
  float                 *vv;            /* kv_dim */
  LbMatmulInput          in_attn;       /* attention output: read by wo */
  LbMatmulInput          in_ffn;        /* gate, then silu (gate) * up: read by down */
  float                 *up;            /* n_ff */
  float                 *branch;        /* n_embd: a sub-block's output before its post-norm */
  float                 *rope_cos;      /* [n_rope_sets][n_batch][n_rot / 2] */
  float                 *rope_sin;

  /* per-thread scratch */
  float                 *scores;        /* n_ctx per thread */
  LbMatmulScratch        mm_scratch;

  LbLayerTapFunc         tap;
  gpointer               tap_data;

  /* lb_engine_set_model (): every activation copy buffer made so far, by
   * input and format (CopyBuffer), and the pools of those the first layout
   * did not have; NULL until the first change of model */
  GArray                *copy_buffers;
  GPtrArray             *extra_pools;
  guint64                extra_bytes;
};

/* ---- validation ------------------------------------------------------------- */

/* the architectures this engine runs, and the shapes it relies on */
static gboolean
check_hparams (const LbHParams *hp, GError **error)
{
  /* A new architecture may bring a feature this engine does not apply:
   * refuse it until it is added here (and to forward_block ()). */
  switch (hp->arch)
    {
    case LB_ARCH_LLAMA:
    case LB_ARCH_QWEN2:
    case LB_ARCH_QWEN3:
    case LB_ARCH_GEMMA2:
    case LB_ARCH_GEMMA3:
      break;
    default:
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "the engine does not run %s models yet", lb_arch_to_string (hp->arch));
      return FALSE;
    }
  if (hp->ffn_act != LB_FFN_SILU && hp->ffn_act != LB_FFN_GELU_TANH)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "feed-forward activation %d is unknown to the engine", hp->ffn_act);
      return FALSE;
    }
  if (!(hp->embd_scale > 0.0f && isfinite (hp->embd_scale))
      || !(hp->attn_scale > 0.0f && isfinite (hp->attn_scale))
      || !(hp->attn_softcap >= 0.0f && isfinite (hp->attn_softcap))
      || !(hp->final_softcap >= 0.0f && isfinite (hp->final_softcap)))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "hyper-parameters out of range (embedding scale %g, attention scale %g, "
                   "soft-caps %g and %g)", (double) hp->embd_scale, (double) hp->attn_scale,
                   (double) hp->attn_softcap, (double) hp->final_softcap);
      return FALSE;
    }
  if (hp->n_vocab == 0 || hp->n_embd == 0 || hp->n_layer == 0 || hp->n_ff == 0
      || hp->n_head == 0 || hp->n_head_kv == 0 || hp->head_dim == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "hyper-parameters with a zero size (vocab %u, embedding %u, layers %u, "
                   "ffn %u, heads %u, kv heads %u, head dim %u)",
                   hp->n_vocab, hp->n_embd, hp->n_layer, hp->n_ff, hp->n_head,
                   hp->n_head_kv, hp->head_dim);
      return FALSE;
    }
  if (hp->n_head % hp->n_head_kv != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "attention head count %u is not a multiple of the KV head count %u",
                   hp->n_head, hp->n_head_kv);
      return FALSE;
    }
  if (hp->n_rot > hp->head_dim || hp->n_rot % 2 != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "rope dimension count %u must be even and at most the head dimension %u",
                   hp->n_rot, hp->head_dim);
      return FALSE;
    }
  if ((guint64) hp->n_head * hp->head_dim > G_MAXINT32 / 2 || hp->n_embd > G_MAXINT32 / 2
      || hp->n_ff > G_MAXINT32 / 2 || hp->n_vocab > G_MAXINT32 / 2
      || !(hp->rope_freq_base > 0.0f) || !(hp->norm_eps >= 0.0f))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "hyper-parameters out of range (heads × head dim %u × %u, embedding %u, "
                   "ffn %u, vocab %u, rope base %g, norm eps %g)",
                   hp->n_head, hp->head_dim, hp->n_embd, hp->n_ff, hp->n_vocab,
                   (double) hp->rope_freq_base, (double) hp->norm_eps);
      return FALSE;
    }
  return TRUE;
}

/* t must be [n_in, n_out] with its bytes present; a matrix (matrix TRUE)
 * needs a matmul kernel for its type, a vector a to_float kernel */
static gboolean
check_tensor (const LbTensor *t, const char *role, gint64 n_in, gint64 n_out, gboolean matrix,
              GError **error)
{
  const LbTypeTraits *tr;
  gsize row_bytes;

  if (t == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "the model has no %s tensor", role);
      return FALSE;
    }
  tr = lb_type_get_traits (t->type);
  if (tr == NULL || tr->to_float == NULL || (matrix && !lb_matmul_supports_type (t->type)))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "tensor %s has type %s, which the engine cannot compute with yet",
                   t->name, lb_type_get_name (t->type));
      return FALSE;
    }
  if (t->ne[0] != n_in || t->ne[1] != n_out || t->ne[2] != 1 || t->ne[3] != 1)
    {
      g_autofree char *shape = lb_tensor_shape_string (t);
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "tensor %s has shape %s but the hyper-parameters need [%" G_GINT64_FORMAT
                   ", %" G_GINT64_FORMAT "]", t->name, shape, n_in, n_out);
      return FALSE;
    }
  row_bytes = lb_tensor_row_bytes (t);
  if (row_bytes == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "tensor %s: row length %" G_GINT64_FORMAT " is not a multiple of the %s "
                   "block size", t->name, n_in, lb_type_get_name (t->type));
      return FALSE;
    }
  if (t->data == NULL || (guint64) n_out > t->n_bytes / row_bytes)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "tensor %s: %" G_GSIZE_FORMAT " bytes of data, but %" G_GINT64_FORMAT
                   " rows of %" G_GSIZE_FORMAT " bytes are needed",
                   t->name, t->data ? t->n_bytes : 0, n_out, row_bytes);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_weights (LbModel *model, const LbHParams *hp, GError **error)
{
  gint64 n_embd = hp->n_embd;
  gint64 q_dim = (gint64) hp->n_head * hp->head_dim;
  gint64 kv_dim = (gint64) hp->n_head_kv * hp->head_dim;

  /* the embedding is only read row by row (to_float), but when tied it is
   * also the output matrix */
  if (!check_tensor (lb_model_get_token_embd (model), "token embedding", n_embd, hp->n_vocab,
                     FALSE, error)
      || !check_tensor (lb_model_get_output_norm (model), "output norm", n_embd, 1, FALSE, error)
      || !check_tensor (lb_model_get_output (model), "output", n_embd, hp->n_vocab, TRUE, error))
    return FALSE;

  for (guint il = 0; il < hp->n_layer; il++)
    {
      const LbLayerWeights *l = lb_model_get_layer (model, il);

      if (l == NULL)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "the model has no weights for block %u of %u", il, hp->n_layer);
          return FALSE;
        }
      if (!check_tensor (l->attn_norm, "attention norm", n_embd, 1, FALSE, error)
          || !check_tensor (l->wq, "attention q", n_embd, q_dim, TRUE, error)
          || !check_tensor (l->wk, "attention k", n_embd, kv_dim, TRUE, error)
          || !check_tensor (l->wv, "attention v", n_embd, kv_dim, TRUE, error)
          || !check_tensor (l->wo, "attention output", q_dim, n_embd, TRUE, error)
          || (l->bq && !check_tensor (l->bq, "q bias", q_dim, 1, FALSE, error))
          || (l->bk && !check_tensor (l->bk, "k bias", kv_dim, 1, FALSE, error))
          || (l->bv && !check_tensor (l->bv, "v bias", kv_dim, 1, FALSE, error))
          || !check_tensor (l->ffn_norm, "ffn norm", n_embd, 1, FALSE, error)
          || !check_tensor (l->ffn_gate, "ffn gate", n_embd, hp->n_ff, TRUE, error)
          || !check_tensor (l->ffn_up, "ffn up", n_embd, hp->n_ff, TRUE, error)
          || !check_tensor (l->ffn_down, "ffn down", hp->n_ff, n_embd, TRUE, error)
          || (l->attn_q_norm && !check_tensor (l->attn_q_norm, "q norm", hp->head_dim, 1, FALSE,
                                               error))
          || (l->attn_k_norm && !check_tensor (l->attn_k_norm, "k norm", hp->head_dim, 1, FALSE,
                                               error))
          || (l->attn_post_norm && !check_tensor (l->attn_post_norm, "post-attention norm",
                                                  n_embd, 1, FALSE, error))
          || (l->ffn_post_norm && !check_tensor (l->ffn_post_norm, "post-ffn norm", n_embd, 1,
                                                 FALSE, error))
          || (l->rope_freqs && !check_tensor (l->rope_freqs, "rope frequency factors",
                                              hp->n_rot / 2, 1, FALSE, error)))
        return FALSE;
      if (!(l->rope_freq_base > 0.0f && isfinite (l->rope_freq_base))
          || !(l->rope_freq_scale > 0.0f && isfinite (l->rope_freq_scale)))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "block %u: rope base %g and scale %g must be positive", il,
                       (double) l->rope_freq_base, (double) l->rope_freq_scale);
          return FALSE;
        }
    }
  return TRUE;
}

/* Each layer's rope frequencies, as the reference computes them: its own
 * base^(-2i / n_rot) in double, divided by rope_freqs[i] when the model has
 * them (llama3 scaling), times its linear scale. Layers with the same
 * table share it: e->layers[il].rope_set. */
static gboolean
rope_tables (LbEngine *e, GError **error)
{
  const LbHParams *hp = &e->hp;
  guint half = hp->n_rot / 2;
  g_autofree float *div = g_new (float, half + 1);

  e->layer_freq = g_new0 (double, (gsize) hp->n_layer * half + 1);
  e->n_rope_sets = 0;
  for (guint il = 0; il < hp->n_layer; il++)
    {
      const LbLayerWeights *l = e->layers[il].w;
      double *f = e->layer_freq + (gsize) il * half;
      guint set;

      for (guint i = 0; i < half; i++)
        f[i] = pow (l->rope_freq_base, -2.0 * i / hp->n_rot);
      if (l->rope_freqs != NULL)
        {
          lb_type_get_traits (l->rope_freqs->type)->to_float (l->rope_freqs->data, div, half);
          for (guint i = 0; i < half; i++)
            {
              if (!(div[i] > 0.0f && isfinite (div[i])))
                {
                  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                               "tensor %s: frequency factor %u is %g; positive factors needed",
                               l->rope_freqs->name, i, (double) div[i]);
                  return FALSE;
                }
              f[i] /= div[i];
            }
        }
      for (guint i = 0; i < half; i++)
        f[i] *= l->rope_freq_scale;

      /* the first layer with the same table, or a new set */
      e->layers[il].rope_set = e->n_rope_sets;
      for (guint j = 0; j < il; j++)
        if (memcmp (e->layer_freq + (gsize) j * half, f, half * sizeof (double)) == 0)
          {
            e->layers[il].rope_set = e->layers[j].rope_set;
            break;
          }
      set = e->layers[il].rope_set;
      if (set == e->n_rope_sets)
        e->n_rope_sets++;
    }
  return TRUE;
}

static gboolean
resolve_params (LbEngine *e, const LbEngineParams *in, GError **error)
{
  LbEngineParams p = LB_ENGINE_PARAMS_INIT;

  if (in != NULL)
    p = *in;
  if (p.n_ctx == 0)
    p.n_ctx = e->hp.n_ctx_train > 0 ? MIN (e->hp.n_ctx_train, MAX_DEFAULT_CTX) : MAX_DEFAULT_CTX;
  if (p.n_ctx > MAX_CTX)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "context length %u is too large (at most %u)", p.n_ctx, MAX_CTX);
      return FALSE;
    }
  if (p.n_batch == 0)
    p.n_batch = DEFAULT_BATCH;
  if (p.n_batch > MAX_BATCH)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "batch size %u is too large (at most %u)", p.n_batch, MAX_BATCH);
      return FALSE;
    }
  p.n_batch = MIN (p.n_batch, p.n_ctx);
  if (!lb_kv_cache_check_type (p.kv_type, e->hp.head_dim, error))
    return FALSE;
  e->params = p;
  return TRUE;
}

/* ---- memory layout -------------------------------------------------------------- */

static gboolean
alloc_floats (LbMemPool *pool, const char *what, guint64 n, float **out, GError **error)
{
  gpointer p;

  if (n > G_MAXSIZE / sizeof (float))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "%s would need %" G_GUINT64_FORMAT " floats; use a smaller batch or context",
                   what, n);
      return FALSE;
    }
  if (!lb_mem_pool_alloc (pool, what, n * sizeof (float), &p, error))
    return FALSE;
  *out = p;
  return TRUE;
}

/* Places every buffer in pool; run once on a counting pool to size it, then
 * on the real one. Fills e->memory with the split. */
static gboolean
layout (LbEngine *e, LbMemPool *pool, GError **error)
{
  const LbHParams *hp = &e->hp;
  guint nb = e->params.n_batch;
  guint n_threads = lb_thread_pool_get_n_threads (e->threads);
  guint half = hp->n_rot / 2;
  g_autoptr (GPtrArray) embd_readers = g_ptr_array_new ();
  g_autoptr (GPtrArray) attn_readers = g_ptr_array_new ();
  g_autoptr (GPtrArray) ffn_readers = g_ptr_array_new ();
  gboolean has_post = FALSE;
  gsize mark;

  /* constants */
  for (guint il = 0; il < hp->n_layer; il++)
    {
      Layer *l = &e->layers[il];

      if (!alloc_floats (pool, "norm weights", hp->n_embd, &l->attn_norm, error)
          || !alloc_floats (pool, "norm weights", hp->n_embd, &l->ffn_norm, error)
          || (l->w->bq && !alloc_floats (pool, "biases", e->q_dim, &l->bq, error))
          || (l->w->bk && !alloc_floats (pool, "biases", e->kv_dim, &l->bk, error))
          || (l->w->bv && !alloc_floats (pool, "biases", e->kv_dim, &l->bv, error))
          || (l->w->attn_q_norm && !alloc_floats (pool, "norm weights", hp->head_dim,
                                                  &l->q_norm, error))
          || (l->w->attn_k_norm && !alloc_floats (pool, "norm weights", hp->head_dim,
                                                  &l->k_norm, error))
          || (l->w->attn_post_norm && !alloc_floats (pool, "norm weights", hp->n_embd,
                                                     &l->attn_post, error))
          || (l->w->ffn_post_norm && !alloc_floats (pool, "norm weights", hp->n_embd,
                                                    &l->ffn_post, error)))
        return FALSE;
      has_post |= l->w->attn_post_norm != NULL || l->w->ffn_post_norm != NULL;
      g_ptr_array_add (embd_readers, (gpointer) l->w->wq);
      g_ptr_array_add (embd_readers, (gpointer) l->w->wk);
      g_ptr_array_add (embd_readers, (gpointer) l->w->wv);
      g_ptr_array_add (embd_readers, (gpointer) l->w->ffn_gate);
      g_ptr_array_add (embd_readers, (gpointer) l->w->ffn_up);
      g_ptr_array_add (attn_readers, (gpointer) l->w->wo);
      g_ptr_array_add (ffn_readers, (gpointer) l->w->ffn_down);
    }
  g_ptr_array_add (embd_readers, (gpointer) lb_model_get_output (e->model));
  if (!alloc_floats (pool, "norm weights", hp->n_embd, &e->output_norm, error))
    return FALSE;
  {
    gpointer p;
    if (!lb_mem_pool_alloc (pool, "rope frequencies",
                            ((gsize) e->n_rope_sets * half + 1) * sizeof (double), &p, error))
      return FALSE;
    e->inv_freq = p;
  }
  e->memory.constants = lb_mem_pool_get_used (pool);

  if (!lb_kv_cache_init (&e->kv, e->params.kv_type, hp->n_layer, e->params.n_ctx,
                         hp->n_head_kv, hp->head_dim, pool, error))
    return FALSE;
  /* exactly the keys and values; alignment padding counts in the total only */
  e->memory.kv_cache = 2ull * hp->n_layer * e->params.n_ctx * e->kv.row_bytes;

  mark = lb_mem_pool_get_used (pool);
  if (!alloc_floats (pool, "residual stream", (guint64) nb * hp->n_embd, &e->x, error)
      || !lb_matmul_input_init (&e->in_embd, hp->n_embd, nb,
                                (const LbTensor *const *) embd_readers->pdata, embd_readers->len,
                                pool, "normed activations", error)
      || !alloc_floats (pool, "queries", (guint64) nb * e->q_dim, &e->q, error)
      || !alloc_floats (pool, "keys", (guint64) nb * e->kv_dim, &e->kk, error)
      || !alloc_floats (pool, "values", (guint64) nb * e->kv_dim, &e->vv, error)
      || !lb_matmul_input_init (&e->in_attn, e->q_dim, nb,
                                (const LbTensor *const *) attn_readers->pdata, attn_readers->len,
                                pool, "attention output", error)
      || !lb_matmul_input_init (&e->in_ffn, hp->n_ff, nb,
                                (const LbTensor *const *) ffn_readers->pdata, ffn_readers->len,
                                pool, "feed-forward activations", error)
      || !alloc_floats (pool, "feed-forward up", (guint64) nb * hp->n_ff, &e->up, error)
      || (has_post && !alloc_floats (pool, "sub-block output", (guint64) nb * hp->n_embd,
                                     &e->branch, error))
      || !alloc_floats (pool, "rope angles", (guint64) e->n_rope_sets * nb * MAX (half, 1),
                        &e->rope_cos, error)
      || !alloc_floats (pool, "rope angles", (guint64) e->n_rope_sets * nb * MAX (half, 1),
                        &e->rope_sin, error))
    return FALSE;
  e->memory.activations = lb_mem_pool_get_used (pool) - mark;

  mark = lb_mem_pool_get_used (pool);
  e->mm_scratch.floats_per_thread = lb_matmul_scratch_floats (e->max_n_in);
  if (!alloc_floats (pool, "attention scores", (guint64) n_threads * e->params.n_ctx,
                     &e->scores, error)
      || !alloc_floats (pool, "weight tiles", (guint64) n_threads * e->mm_scratch.floats_per_thread,
                        &e->mm_scratch.data, error))
    return FALSE;
  e->memory.scratch = lb_mem_pool_get_used (pool) - mark;
  e->memory.total = lb_mem_pool_get_used (pool);
  return TRUE;
}

static void
widen_vector (const LbTensor *t, float *dst)
{
  lb_type_get_traits (t->type)->to_float (t->data, dst, t->ne[0]);
}

static void
fill_constants (LbEngine *e)
{
  const LbHParams *hp = &e->hp;
  guint half = hp->n_rot / 2;

  for (guint il = 0; il < hp->n_layer; il++)
    {
      Layer *l = &e->layers[il];

      widen_vector (l->w->attn_norm, l->attn_norm);
      widen_vector (l->w->ffn_norm, l->ffn_norm);
      if (l->bq)
        widen_vector (l->w->bq, l->bq);
      if (l->bk)
        widen_vector (l->w->bk, l->bk);
      if (l->bv)
        widen_vector (l->w->bv, l->bv);
      if (l->q_norm)
        widen_vector (l->w->attn_q_norm, l->q_norm);
      if (l->k_norm)
        widen_vector (l->w->attn_k_norm, l->k_norm);
      if (l->attn_post)
        widen_vector (l->w->attn_post_norm, l->attn_post);
      if (l->ffn_post)
        widen_vector (l->w->ffn_post_norm, l->ffn_post);
      memcpy (e->inv_freq + (gsize) l->rope_set * half, e->layer_freq + (gsize) il * half,
              half * sizeof (double));
    }
  widen_vector (lb_model_get_output_norm (e->model), e->output_norm);
}

/* ---- life cycle --------------------------------------------------------------- */

void
lb_engine_params_init (LbEngineParams *params)
{
  LbEngineParams p = LB_ENGINE_PARAMS_INIT;

  g_return_if_fail (params != NULL);
  *params = p;
}

LbEngine *
lb_engine_new (LbModel *model, const LbEngineParams *params, GError **error)
{
  g_autoptr (LbEngine) e = NULL;
  g_autoptr (LbMemPool) counting = NULL;
  const LbHParams *hp;

  g_return_val_if_fail (LB_IS_MODEL (model), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  hp = lb_model_get_hparams (model);
  if (!check_hparams (hp, error) || !check_weights (model, hp, error))
    return NULL;

  e = g_new0 (LbEngine, 1);
  e->model = g_object_ref (model);
  e->hp = *hp;
  e->q_dim = hp->n_head * hp->head_dim;
  e->kv_dim = hp->n_head_kv * hp->head_dim;
  e->max_n_in = MAX (MAX (hp->n_embd, e->q_dim), hp->n_ff);
  e->k = lb_matmul_kernels ();
  if (!resolve_params (e, params, error))
    return NULL;

  e->threads = lb_thread_pool_new (e->params.n_threads, error);
  if (e->threads == NULL)
    return NULL;
  e->params.n_threads = lb_thread_pool_get_n_threads (e->threads);

  e->layers = g_new0 (Layer, hp->n_layer);
  for (guint il = 0; il < hp->n_layer; il++)
    e->layers[il].w = lb_model_get_layer (model, il);
  if (!rope_tables (e, error))
    return NULL;

  /* size the pool by laying it out once without memory, then for real */
  counting = lb_mem_pool_new_counting ();
  if (!layout (e, counting, error))
    return NULL;
  e->pool = lb_mem_pool_new (lb_mem_pool_get_size (counting), error);
  if (e->pool == NULL || !layout (e, e->pool, error))
    return NULL;
  /* the same code placed the same sizes: the pool is exactly full */
  g_assert (lb_mem_pool_get_used (e->pool) == lb_mem_pool_get_size (e->pool));
  fill_constants (e);
  g_clear_pointer (&e->layer_freq, g_free);
  return g_steal_pointer (&e);
}

void
lb_engine_free (LbEngine *engine)
{
  if (engine == NULL)
    return;
  lb_thread_pool_free (engine->threads);
  lb_mem_pool_free (engine->pool);
  if (engine->copy_buffers)
    g_array_unref (engine->copy_buffers);
  if (engine->extra_pools)
    g_ptr_array_unref (engine->extra_pools);
  g_free (engine->layers);
  g_free (engine->layer_freq);
  g_clear_object (&engine->model);
  g_free (engine);
}

LbModel *
lb_engine_get_model (LbEngine *engine)
{
  g_return_val_if_fail (engine != NULL, NULL);
  return engine->model;
}

/* ---- changing the model ----------------------------------------------------------- */

/* What the KV cache and the memory layout depend on must be the same. */
static gboolean
check_same_shape (LbEngine *e, LbModel *model, GError **error)
{
  const LbHParams *have = &e->hp;
  const LbHParams *hp = lb_model_get_hparams (model);
  const struct {
    const char *what;
    guint32     want, got;
  } dims[] = {
    { "embedding length", have->n_embd, hp->n_embd },
    { "block count", have->n_layer, hp->n_layer },
    { "feed-forward length", have->n_ff, hp->n_ff },
    { "attention head count", have->n_head, hp->n_head },
    { "KV head count", have->n_head_kv, hp->n_head_kv },
    { "head dimension", have->head_dim, hp->head_dim },
    { "rope dimension count", have->n_rot, hp->n_rot },
    { "vocabulary size", have->n_vocab, hp->n_vocab },
  };

  if (hp->arch != have->arch)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "cannot run %s in this engine: it is a %s model and the engine runs a %s "
                   "model (%s)", lb_model_get_name (model), lb_arch_to_string (hp->arch),
                   lb_arch_to_string (have->arch), lb_model_get_name (e->model));
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (dims); i++)
    if (dims[i].want != dims[i].got)
      {
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                     "cannot run %s in this engine: its %s is %u but the engine's model (%s) "
                     "has %u; only a model of the same shape can take over the KV cache",
                     lb_model_get_name (model), dims[i].what, dims[i].got,
                     lb_model_get_name (e->model), dims[i].want);
        return FALSE;
      }
  /* LbHParams is all 4-byte fields: no padding to compare */
  if (memcmp (hp, have, sizeof *hp) != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "cannot run %s in this engine: its rope, norm, attention or context "
                   "settings differ from those of the engine's model (%s)",
                   lb_model_get_name (model), lb_model_get_name (e->model));
      return FALSE;
    }
  for (guint il = 0; il < hp->n_layer; il++)
    {
      const LbLayerWeights *a = e->layers[il].w;
      const LbLayerWeights *b = lb_model_get_layer (model, il);

      if ((a->bq == NULL) != (b->bq == NULL) || (a->bk == NULL) != (b->bk == NULL)
          || (a->bv == NULL) != (b->bv == NULL)
          || (a->attn_q_norm == NULL) != (b->attn_q_norm == NULL)
          || (a->attn_k_norm == NULL) != (b->attn_k_norm == NULL)
          || (a->attn_post_norm == NULL) != (b->attn_post_norm == NULL)
          || (a->ffn_post_norm == NULL) != (b->ffn_post_norm == NULL)
          || a->sliding != b->sliding)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "cannot run %s in this engine: block %u has other biases, norms or "
                       "attention window than in the engine's model (%s)",
                       lb_model_get_name (model), il, lb_model_get_name (e->model));
          return FALSE;
        }
    }
  return TRUE;
}

/* The cached keys were rotated with e's rope tables: next's must be the same. */
static gboolean
check_same_rope (LbEngine *e, LbEngine *next, LbModel *model, GError **error)
{
  guint half = e->hp.n_rot / 2;
  gboolean same = next->n_rope_sets == e->n_rope_sets;

  for (guint il = 0; same && il < e->hp.n_layer; il++)
    same = next->layers[il].rope_set == e->layers[il].rope_set
           && memcmp (next->layer_freq + (gsize) il * half,
                      e->inv_freq + (gsize) e->layers[il].rope_set * half,
                      half * sizeof (double)) == 0;
  if (!same)
    g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                 "cannot run %s in this engine: its rope frequencies differ from those of the "
                 "engine's model (%s), so the cached keys would not match",
                 lb_model_get_name (model), lb_model_get_name (e->model));
  return same;
}

/* An activation copy buffer: n_batch rows of one input site in one format. */
typedef struct {
  guint   site;        /* index in input_sites () */
  LbType  type;
  gsize   row_bytes;
  guint8 *data;
} CopyBuffer;

#define N_SITES 3

static void
input_sites (LbEngine *e, LbMatmulInput *sites[N_SITES])
{
  sites[0] = &e->in_embd;
  sites[1] = &e->in_attn;
  sites[2] = &e->in_ffn;
}

static const CopyBuffer *
find_copy_buffer (LbEngine *e, guint site, LbType type)
{
  for (guint i = 0; i < e->copy_buffers->len; i++)
    {
      const CopyBuffer *b = &g_array_index (e->copy_buffers, CopyBuffer, i);
      if (b->site == site && b->type == type)
        return b;
    }
  return NULL;
}

gboolean
lb_engine_set_model (LbEngine *engine, LbModel *model, GError **error)
{
  LbEngine *e = engine;
  LbEngine next;
  LbMatmulInput *have[N_SITES], *want[N_SITES];
  g_autoptr (LbMemPool) counting = NULL;
  g_autoptr (LbMemPool) missing = NULL;
  g_autoptr (LbMemPool) extra = NULL;
  gsize extra_size;
  LbModel *old;

  g_return_val_if_fail (engine != NULL, FALSE);
  g_return_val_if_fail (LB_IS_MODEL (model), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (model == e->model)
    return TRUE;
  if (!check_same_shape (e, model, error) || !check_weights (model, &e->hp, error))
    return FALSE;

  /* The engine as it would be on model, laid out on a counting pool: the
   * layout depends on the weights only through the activation formats they
   * read (the copies of the three inputs); the rest stays where it is. */
  next = *e;
  next.model = model;
  next.layer_freq = NULL;
  next.layers = g_new0 (Layer, e->hp.n_layer);
  for (guint il = 0; il < e->hp.n_layer; il++)
    next.layers[il].w = lb_model_get_layer (model, il);
  counting = lb_mem_pool_new_counting ();
  if (!rope_tables (&next, error) || !check_same_rope (e, &next, model, error)
      || !layout (&next, counting, error))
    goto fail;

  /* the copy buffers made so far, then room for the formats never needed */
  if (e->copy_buffers == NULL)
    {
      e->copy_buffers = g_array_new (FALSE, FALSE, sizeof (CopyBuffer));
      e->extra_pools = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_mem_pool_free);
      input_sites (e, have);
      for (guint site = 0; site < N_SITES; site++)
        for (guint c = 0; c < have[site]->n_copies; c++)
          {
            CopyBuffer b = { site, have[site]->copies[c].type, have[site]->copies[c].row_bytes,
                             have[site]->copies[c].data };
            g_array_append_val (e->copy_buffers, b);
          }
    }
  input_sites (e, have);
  input_sites (&next, want);
  missing = lb_mem_pool_new_counting ();
  for (guint site = 0; site < N_SITES; site++)
    for (guint c = 0; c < want[site]->n_copies; c++)
      {
        gpointer p;
        if (find_copy_buffer (e, site, want[site]->copies[c].type) == NULL
            && !lb_mem_pool_alloc (missing, "activation formats",
                                   want[site]->copies[c].row_bytes * want[site]->n_rows, &p,
                                   error))
          goto fail;
      }
  extra_size = lb_mem_pool_get_size (missing);
  if (extra_size > 0)
    {
      extra = lb_mem_pool_new (extra_size, error);
      if (extra == NULL)
        goto fail;
      for (guint site = 0; site < N_SITES; site++)
        for (guint c = 0; c < want[site]->n_copies; c++)
          {
            CopyBuffer b = { site, want[site]->copies[c].type, want[site]->copies[c].row_bytes,
                             NULL };
            gpointer p;

            if (find_copy_buffer (e, site, b.type) != NULL)
              continue;
            /* sized above: cannot fail */
            if (!lb_mem_pool_alloc (extra, "activation formats", b.row_bytes * want[site]->n_rows,
                                    &p, error))
              goto fail;
            b.data = p;
            g_array_append_val (e->copy_buffers, b);
          }
    }

  /* nothing can fail from here: point the inputs at their formats' buffers */
  for (guint site = 0; site < N_SITES; site++)
    {
      have[site]->n_copies = want[site]->n_copies;
      for (guint c = 0; c < want[site]->n_copies; c++)
        {
          const CopyBuffer *b = find_copy_buffer (e, site, want[site]->copies[c].type);

          g_assert (b != NULL && b->row_bytes == want[site]->copies[c].row_bytes);
          have[site]->copies[c].type = b->type;
          have[site]->copies[c].row_bytes = b->row_bytes;
          have[site]->copies[c].data = b->data;
        }
    }
  if (extra != NULL)
    {
      g_ptr_array_add (e->extra_pools, g_steal_pointer (&extra));
      e->extra_bytes += extra_size;
      e->memory.activations += extra_size;
      e->memory.total += extra_size;
    }
  for (guint il = 0; il < e->hp.n_layer; il++)
    e->layers[il].w = next.layers[il].w;
  g_free (next.layers);
  e->layer_freq = next.layer_freq;
  old = e->model;
  e->model = g_object_ref (model);
  fill_constants (e);
  g_clear_pointer (&e->layer_freq, g_free);
  g_object_unref (old);
  return TRUE;

fail:
  g_free (next.layers);
  g_free (next.layer_freq);
  return FALSE;
}

void
lb_engine_get_params (LbEngine *engine, LbEngineParams *params)
{
  g_return_if_fail (engine != NULL && params != NULL);
  *params = engine->params;
}

guint
lb_engine_get_n_ctx (LbEngine *engine)
{
  g_return_val_if_fail (engine != NULL, 0);
  return engine->params.n_ctx;
}

guint
lb_engine_get_n_past (LbEngine *engine)
{
  g_return_val_if_fail (engine != NULL, 0);
  return engine->n_past;
}

gboolean
lb_engine_set_n_past (LbEngine *engine, guint n_past, GError **error)
{
  g_return_val_if_fail (engine != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (n_past > engine->n_past)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "cannot move the cache forward to %u positions: only %u are filled",
                   n_past, engine->n_past);
      return FALSE;
    }
  engine->n_past = n_past;
  return TRUE;
}

void
lb_engine_reset (LbEngine *engine)
{
  g_return_if_fail (engine != NULL);
  engine->n_past = 0;
}

gsize
lb_engine_get_memory_bytes (LbEngine *engine)
{
  g_return_val_if_fail (engine != NULL, 0);
  return lb_mem_pool_get_size (engine->pool) + engine->extra_bytes;
}

void
lb_engine_get_memory (LbEngine *engine, LbEngineMemory *memory)
{
  g_return_if_fail (engine != NULL && memory != NULL);
  *memory = engine->memory;
}

void
lb_engine_set_tap (LbEngine *engine, LbLayerTapFunc tap, gpointer user_data)
{
  g_return_if_fail (engine != NULL);
  engine->tap = tap;
  engine->tap_data = user_data;
}

/* ---- per-token steps ------------------------------------------------------------ */

/* one pass: a batch of n tokens at positions pos0 .. pos0 + n - 1 */
typedef struct {
  LbEngine     *e;
  const gint32 *tokens;
  guint         n;
  guint         pos0;
  guint         il;           /* the block being computed */
  guint         first_out;    /* the first row whose logits are wanted */
  float        *logits;       /* where they go */
} Pass;

/* out = x / sqrt (mean (x^2) + eps) * w, as the reference computes it */
static void
rmsnorm (float *out, const float *x, const float *w, guint n, float eps)
{
  double ss = 0.0;
  double scale;

  for (guint i = 0; i < n; i++)
    ss += (double) x[i] * x[i];
  scale = 1.0 / sqrt (ss / n + eps);
  for (guint i = 0; i < n; i++)
    out[i] = w[i] * (float) (x[i] * scale);
}

static void
rope_rotate (float *head, guint n_rot, const float *cos_t, const float *sin_t, LbRopeType type)
{
  guint half = n_rot / 2;

  for (guint i = 0; i < half; i++)
    {
      guint a = type == LB_ROPE_NEOX ? i : 2 * i;
      guint b = type == LB_ROPE_NEOX ? i + half : 2 * i + 1;
      float x0 = head[a];
      float x1 = head[b];

      head[a] = x0 * cos_t[i] - x1 * sin_t[i];
      head[b] = x0 * sin_t[i] + x1 * cos_t[i];
    }
}

/* embedding rows and rope angles */
static void
step_embed (gsize begin, gsize end, guint thread, gpointer data)
{
  const Pass *p = data;
  LbEngine *e = p->e;
  const LbTensor *embd = lb_model_get_token_embd (e->model);
  const LbTypeTraits *tr = lb_type_get_traits (embd->type);
  gsize row_bytes = lb_tensor_row_bytes (embd);
  guint half = e->hp.n_rot / 2;

  for (gsize t = begin; t < end; t++)
    {
      guint pos = p->pos0 + (guint) t;
      float *x = e->x + t * e->hp.n_embd;

      tr->to_float (embd->data + (gsize) p->tokens[t] * row_bytes, x, e->hp.n_embd);
      if (e->hp.embd_scale != 1.0f)
        for (guint i = 0; i < e->hp.n_embd; i++)
          x[i] *= e->hp.embd_scale;
      for (guint set = 0; set < e->n_rope_sets; set++)
        {
          const double *f = e->inv_freq + (gsize) set * half;
          gsize row = ((gsize) set * e->params.n_batch + t) * half;

          for (guint i = 0; i < half; i++)
            {
              double theta = pos * f[i];
              e->rope_cos[row + i] = (float) cos (theta);
              e->rope_sin[row + i] = (float) sin (theta);
            }
        }
    }
}

static void
step_attn_norm (gsize begin, gsize end, guint thread, gpointer data)
{
  const Pass *p = data;
  LbEngine *e = p->e;
  guint d = e->hp.n_embd;

  for (gsize t = begin; t < end; t++)
    {
      rmsnorm (e->in_embd.f32 + t * d, e->x + t * d, e->layers[p->il].attn_norm, d,
               e->hp.norm_eps);
      lb_matmul_input_prepare_row (&e->in_embd, (guint) t);
    }
}

static void
add_bias (float *y, const float *b, guint n)
{
  if (b != NULL)
    for (guint i = 0; i < n; i++)
      y[i] += b[i];
}

/* RMSNorm of each of n_heads heads of x, in place, when w is not NULL */
static void
norm_heads (float *x, guint n_heads, const float *w, guint head_dim, float eps)
{
  if (w != NULL)
    for (guint h = 0; h < n_heads; h++)
      rmsnorm (x + (gsize) h * head_dim, x + (gsize) h * head_dim, w, head_dim, eps);
}

/* biases, per-head norms, rope, and the new keys and values into the cache */
static void
step_qkv_post (gsize begin, gsize end, guint thread, gpointer data)
{
  const Pass *p = data;
  LbEngine *e = p->e;
  const LbHParams *hp = &e->hp;
  const Layer *l = &e->layers[p->il];
  guint half = hp->n_rot / 2;

  for (gsize t = begin; t < end; t++)
    {
      float *q = e->q + t * e->q_dim;
      float *k = e->kk + t * e->kv_dim;
      float *v = e->vv + t * e->kv_dim;
      gsize row = ((gsize) l->rope_set * e->params.n_batch + t) * half;
      const float *c = e->rope_cos + row;
      const float *s = e->rope_sin + row;

      add_bias (q, l->bq, e->q_dim);
      add_bias (k, l->bk, e->kv_dim);
      add_bias (v, l->bv, e->kv_dim);
      norm_heads (q, hp->n_head, l->q_norm, hp->head_dim, hp->norm_eps);
      norm_heads (k, hp->n_head_kv, l->k_norm, hp->head_dim, hp->norm_eps);
      for (guint h = 0; h < hp->n_head; h++)
        rope_rotate (q + h * hp->head_dim, hp->n_rot, c, s, hp->rope_type);
      for (guint h = 0; h < hp->n_head_kv; h++)
        rope_rotate (k + h * hp->head_dim, hp->n_rot, c, s, hp->rope_type);
      lb_kv_cache_store (&e->kv, e->k, p->il, p->pos0 + (guint) t, k, v);
    }
}

/* items are (token, head) pairs: t * n_head + h */
static void
step_attention (gsize begin, gsize end, guint thread, gpointer data)
{
  const Pass *p = data;
  LbEngine *e = p->e;
  const LbHParams *hp = &e->hp;
  guint group = hp->n_head / hp->n_head_kv;
  float *scores = e->scores + (gsize) thread * e->params.n_ctx;
  gboolean sliding = e->layers[p->il].w->sliding && hp->sliding_window > 0;

  for (gsize item = begin; item < end; item++)
    {
      guint t = (guint) (item / hp->n_head);
      guint h = (guint) (item % hp->n_head);
      gsize off = (gsize) h * hp->head_dim;
      guint pos = p->pos0 + t;
      /* causal: token t sees the cache up to its own position; a sliding
       * layer only the last sliding_window positions of it */
      guint first = sliding && pos >= hp->sliding_window ? pos + 1 - hp->sliding_window : 0;

      lb_attention_head (&e->kv, e->k, p->il, h / group, e->q + (gsize) t * e->q_dim + off,
                         first, pos + 1, hp->attn_scale, hp->attn_softcap, scores,
                         e->in_attn.f32 + (gsize) t * e->q_dim + off);
    }
}

static void
step_prepare_attn (gsize begin, gsize end, guint thread, gpointer data)
{
  const Pass *p = data;

  for (gsize t = begin; t < end; t++)
    lb_matmul_input_prepare_row (&p->e->in_attn, (guint) t);
}

static void
step_ffn_norm (gsize begin, gsize end, guint thread, gpointer data)
{
  const Pass *p = data;
  LbEngine *e = p->e;
  guint d = e->hp.n_embd;

  for (gsize t = begin; t < end; t++)
    {
      rmsnorm (e->in_embd.f32 + t * d, e->x + t * d, e->layers[p->il].ffn_norm, d,
               e->hp.norm_eps);
      lb_matmul_input_prepare_row (&e->in_embd, (guint) t);
    }
}

/* the gated activation: SiLU (SwiGLU) or GELU (GeGLU) of the gate times up */
static void
step_glu (gsize begin, gsize end, guint thread, gpointer data)
{
  const Pass *p = data;
  LbEngine *e = p->e;
  guint f = e->hp.n_ff;

  for (gsize t = begin; t < end; t++)
    {
      float *g = e->in_ffn.f32 + t * f;

      if (e->hp.ffn_act == LB_FFN_GELU_TANH)
        e->k->gelu_mul (f, g, e->up + t * f, g);
      else
        e->k->silu_mul (f, g, e->up + t * f, g);
      lb_matmul_input_prepare_row (&e->in_ffn, (guint) t);
    }
}

/* x += post_norm (branch): the sub-block output went to branch because
 * the architecture normalizes it before the residual add */
static void
step_add_post (const Pass *p, gsize begin, gsize end, const float *w)
{
  LbEngine *e = p->e;
  guint d = e->hp.n_embd;

  for (gsize t = begin; t < end; t++)
    {
      float *b = e->branch + t * d;
      float *x = e->x + t * d;

      rmsnorm (b, b, w, d, e->hp.norm_eps);
      for (guint i = 0; i < d; i++)
        x[i] += b[i];
    }
}

static void
step_attn_post (gsize begin, gsize end, guint thread, gpointer data)
{
  const Pass *p = data;
  step_add_post (p, begin, end, p->e->layers[p->il].attn_post);
}

static void
step_ffn_post (gsize begin, gsize end, guint thread, gpointer data)
{
  const Pass *p = data;
  step_add_post (p, begin, end, p->e->layers[p->il].ffn_post);
}

/* logits = cap tanh (logits / cap), rows [begin, end) of p->logits */
static void
step_final_softcap (gsize begin, gsize end, guint thread, gpointer data)
{
  const Pass *p = data;
  guint nv = p->e->hp.n_vocab;
  float cap = p->e->hp.final_softcap;

  for (gsize t = begin; t < end; t++)
    for (guint i = 0; i < nv; i++)
      p->logits[t * nv + i] = cap * tanhf (p->logits[t * nv + i] / cap);
}

/* the final norm, only for the rows [begin, end) whose logits are wanted */
static void
step_output_norm (gsize begin, gsize end, guint thread, gpointer data)
{
  const Pass *p = data;
  LbEngine *e = p->e;
  guint d = e->hp.n_embd;

  for (gsize i = begin; i < end; i++)
    {
      gsize t = p->first_out + i;
      rmsnorm (e->in_embd.f32 + t * d, e->x + t * d, e->output_norm, d, e->hp.norm_eps);
      lb_matmul_input_prepare_row (&e->in_embd, (guint) t);
    }
}

/* a loop over the n tokens of a pass, in chunks worth handing to a thread */
static void
over_tokens (Pass *p, gsize n, LbParallelFunc func)
{
  guint n_threads = lb_thread_pool_get_n_threads (p->e->threads);
  gsize grain = MAX (1, n / (4 * n_threads));

  lb_thread_pool_run (p->e->threads, n, grain, func, p);
}

static void
matmul (LbEngine *e, const LbMatmulInput *in, guint n, const LbMatmulJob *jobs, guint n_jobs)
{
  lb_matmul_run (e->threads, in, 0, n, jobs, n_jobs, &e->mm_scratch);
}

/* ---- the pass ------------------------------------------------------------------- */

static void
forward_block (LbEngine *e, Pass *p)
{
  const LbHParams *hp = &e->hp;
  const Layer *l = &e->layers[p->il];
  const LbLayerWeights *w = l->w;
  guint n = p->n;

  /* attention */
  over_tokens (p, n, step_attn_norm);
  {
    LbMatmulJob jobs[] = {
      { w->wq, e->q, e->q_dim, FALSE },
      { w->wk, e->kk, e->kv_dim, FALSE },
      { w->wv, e->vv, e->kv_dim, FALSE },
    };
    matmul (e, &e->in_embd, n, jobs, G_N_ELEMENTS (jobs));
  }
  over_tokens (p, n, step_qkv_post);
  {
    gsize items = (gsize) n * hp->n_head;
    guint n_threads = lb_thread_pool_get_n_threads (e->threads);
    lb_thread_pool_run (e->threads, items, MAX (1, items / (8 * n_threads)), step_attention, p);
  }
  over_tokens (p, n, step_prepare_attn);
  if (l->attn_post == NULL)
    {
      LbMatmulJob job = { w->wo, e->x, hp->n_embd, TRUE };
      matmul (e, &e->in_attn, n, &job, 1);
    }
  else
    {
      LbMatmulJob job = { w->wo, e->branch, hp->n_embd, FALSE };
      matmul (e, &e->in_attn, n, &job, 1);
      over_tokens (p, n, step_attn_post);
    }

  /* gated feed-forward */
  over_tokens (p, n, step_ffn_norm);
  {
    LbMatmulJob jobs[] = {
      { w->ffn_gate, e->in_ffn.f32, hp->n_ff, FALSE },
      { w->ffn_up, e->up, hp->n_ff, FALSE },
    };
    matmul (e, &e->in_embd, n, jobs, G_N_ELEMENTS (jobs));
  }
  over_tokens (p, n, step_glu);
  if (l->ffn_post == NULL)
    {
      LbMatmulJob job = { w->ffn_down, e->x, hp->n_embd, TRUE };
      matmul (e, &e->in_ffn, n, &job, 1);
    }
  else
    {
      LbMatmulJob job = { w->ffn_down, e->branch, hp->n_embd, FALSE };
      matmul (e, &e->in_ffn, n, &job, 1);
      over_tokens (p, n, step_ffn_post);
    }
}

/* one pass of n <= n_batch validated tokens */
static void
forward (LbEngine *e, const gint32 *tokens, guint n, float *logits, float *last_logits)
{
  const LbHParams *hp = &e->hp;
  Pass p = { e, tokens, n, e->n_past, 0, 0, NULL };

  over_tokens (&p, n, step_embed);
  for (guint il = 0; il < hp->n_layer; il++)
    {
      p.il = il;
      forward_block (e, &p);
      if (e->tap)
        for (guint t = 0; t < n; t++)
          e->tap (il, p.pos0 + t, e->x + (gsize) t * hp->n_embd, hp->n_embd, e->tap_data);
    }
  e->n_past += n;

  if (logits != NULL || last_logits != NULL)
    {
      /* all rows, or just the last */
      guint first = logits != NULL ? 0 : n - 1;
      guint rows = n - first;
      LbMatmulJob job = { lb_model_get_output (e->model), logits ? logits : last_logits,
                          hp->n_vocab, FALSE };

      p.first_out = first;
      p.logits = job.y;
      over_tokens (&p, rows, step_output_norm);
      lb_matmul_run (e->threads, &e->in_embd, first, rows, &job, 1, &e->mm_scratch);
      if (hp->final_softcap > 0.0f)
        over_tokens (&p, rows, step_final_softcap);
      if (logits != NULL && last_logits != NULL)
        memcpy (last_logits, logits + (gsize) (n - 1) * hp->n_vocab, hp->n_vocab * sizeof (float));
    }
}

gboolean
lb_engine_eval (LbEngine *engine, const gint32 *tokens, guint n, float *logits,
                float *last_logits, GError **error)
{
  LbEngine *e = engine;
  guint n_vocab;

  g_return_val_if_fail (engine != NULL, FALSE);
  g_return_val_if_fail (tokens != NULL || n == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  n_vocab = e->hp.n_vocab;
  /* all or nothing: check every id and the room first */
  for (guint i = 0; i < n; i++)
    if (tokens[i] < 0 || (guint32) tokens[i] >= n_vocab)
      {
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                     "token id %d (at %u of the %u given) is out of range: the vocabulary "
                     "has %u tokens", tokens[i], i, n, n_vocab);
        return FALSE;
      }
  if (n > e->params.n_ctx - e->n_past)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "the KV cache is full: %u of %u positions used, %u more requested; "
                   "reset the engine or use a longer context",
                   e->n_past, e->params.n_ctx, n);
      return FALSE;
    }

  for (guint done = 0; done < n;)
    {
      guint chunk = MIN (e->params.n_batch, n - done);
      gboolean last = done + chunk == n;

      forward (e, tokens + done, chunk, logits ? logits + (gsize) done * n_vocab : NULL,
               last ? last_logits : NULL);
      done += chunk;
    }
  return TRUE;
}
