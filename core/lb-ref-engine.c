/* lb-ref-engine.c: the plain fp32 forward pass of every architecture
 * LbModel accepts (llama, qwen2, qwen3, gemma2, gemma3).
 *
 * One token at a time: x = embedding row * embd_scale, then per block
 *   x += post (Wo · attn (rope (qn (Wq · n)), rope (kn (Wk · n)), Wv · n))  n = rmsnorm (x)
 *   x += post (Wdown · (act (Wgate · n) * (Wup · n)))                      n = rmsnorm (x)
 * then logits = softcap (Wout · rmsnorm (x)). qn/kn (per-head norms) and
 * post (norms after each sub-block) are there when the model has those
 * tensors; attention soft-caps its scores and sliding layers see only the
 * last sliding_window positions. Weights are converted one row at a time
 * with their type's to_float kernel; the KV cache is float32. */
#include "lb-ref-engine.h"
#include "lb-ref-engine-private.h"

#include <math.h>
#include <string.h>

#include "lb-error.h"
#include "lb-half.h"

#define MAX_DEFAULT_CTX 4096
/* refuse caches beyond this many positions (and their allocation sizes) */
#define MAX_CTX (1u << 20)

struct _LbRefEngine {
  LbModel         *model;
  LbHParams        hp;
  guint            q_dim;     /* n_head * head_dim */
  guint            kv_dim;    /* n_head_kv * head_dim */
  guint            n_ctx;
  guint            n_past;

  float           *k_cache;   /* [n_layer][n_ctx][kv_dim] */
  float           *v_cache;

  /* scratch, allocated once */
  float           *x;         /* residual stream, n_embd */
  float           *xb;        /* normed input / attention output, max (n_embd, q_dim) */
  float           *xb2;       /* block output, n_embd */
  float           *q, *k, *v;
  float           *att;       /* n_ctx scores */
  float           *hb, *hb2;  /* n_ff */
  float           *row;       /* one converted weight row (widest ne[0]) */
  double          *inv_freq;  /* [n_layer][n_rot / 2]: scale * base^(-2i/n_rot) / rope_freqs[i] */
  gboolean         bf16_rope; /* inv_freq rounded to bfloat16 (emulation, see the private header) */
  float           *cos_t, *sin_t;

  LbLayerTapFunc   tap;
  gpointer         tap_data;
  LbMatmulTapFunc  matmul_tap;
  gpointer         matmul_tap_data;
};

/* ---- math helpers -------------------------------------------------------- */

float
lb_ref_dot (const float *a, const float *b, guint n)
{
  /* Eight float lanes over blocks of 32 (elementwise, so the compiler can
   * vectorize it), each block's sum added in double: close to a double
   * accumulation at a fraction of its cost. */
  const float *end = a + (n & ~31u);
  double sum = 0.0;

  for (; a < end; a += 32, b += 32)
    {
      float lane[8];

      for (gsize k = 0; k < 8; k++)
        lane[k] = a[k] * b[k];
      for (gsize j = 8; j < 32; j += 8)
        for (gsize k = 0; k < 8; k++)
          lane[k] += a[j + k] * b[j + k];
      sum += (double) (((lane[0] + lane[4]) + (lane[1] + lane[5]))
                       + ((lane[2] + lane[6]) + (lane[3] + lane[7])));
    }
  for (guint i = 0; i < (n & 31u); i++)
    sum += (double) a[i] * b[i];
  return (float) sum;
}

void
lb_ref_rmsnorm (float *out, const float *x, const float *w, guint n, float eps)
{
  double ss = 0.0;
  double scale;

  for (guint i = 0; i < n; i++)
    ss += (double) x[i] * x[i];
  scale = 1.0 / sqrt (ss / n + eps);
  for (guint i = 0; i < n; i++)
    out[i] = w[i] * (float) (x[i] * scale);
}

void
lb_ref_softmax (float *x, guint n)
{
  float max = -INFINITY;
  double sum = 0.0;

  for (guint i = 0; i < n; i++)
    if (x[i] > max)
      max = x[i];
  if (max == -INFINITY)
    {
      for (guint i = 0; i < n; i++)
        x[i] = 1.0f / (float) n;
      return;
    }
  for (guint i = 0; i < n; i++)
    {
      x[i] = expf (x[i] - max);
      sum += x[i];
    }
  for (guint i = 0; i < n; i++)
    x[i] = (float) (x[i] / sum);
}

float
lb_ref_silu (float x)
{
  return x / (1.0f + expf (-x));
}

float
lb_ref_gelu_tanh (float x)
{
  const double c = 0.79788456080286535588;   /* sqrt (2 / pi) */
  double xd = x;
  return (float) (0.5 * xd * (1.0 + tanh (c * (xd + 0.044715 * xd * xd * xd))));
}

float
lb_ref_softcap (float x, float cap)
{
  return cap > 0.0f ? cap * tanhf (x / cap) : x;
}

void
lb_ref_rope_inv_freq (double *inv_freq, guint n_rot, double base)
{
  for (guint i = 0; i < n_rot / 2; i++)
    inv_freq[i] = pow (base, -2.0 * i / n_rot);
}

void
lb_ref_rope_angles (float *cos_t, float *sin_t, const double *inv_freq, guint half, guint pos)
{
  for (guint i = 0; i < half; i++)
    {
      double theta = pos * inv_freq[i];
      cos_t[i] = (float) cos (theta);
      sin_t[i] = (float) sin (theta);
    }
}

void
lb_ref_rope_rotate (float *head, guint n_rot, const float *cos_t, const float *sin_t,
                    LbRopeType type)
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

void
lb_ref_matvec (const LbTensor *w, const float *x, float *y, float *row)
{
  const LbTypeTraits *traits = lb_type_get_traits (w->type);
  gint64 n_in = w->ne[0];
  gint64 n_out = w->ne[1];
  gsize row_bytes = lb_tensor_row_bytes (w);

  for (gint64 r = 0; r < n_out; r++)
    {
      traits->to_float (w->data + (gsize) r * row_bytes, row, n_in);
      y[r] = lb_ref_dot (row, x, (guint) n_in);
    }
}

/* ---- validation ---------------------------------------------------------- */

static gboolean
check_convertible (const LbTensor *t, GError **error)
{
  const LbTypeTraits *traits = lb_type_get_traits (t->type);

  if (traits == NULL || traits->to_float == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "tensor %s has type %s, which the reference engine cannot compute with "
                   "(no to_float kernel for it yet)",
                   t->name, lb_type_get_name (t->type));
      return FALSE;
    }
  return TRUE;
}

/* t must be [n_in, n_out] (n_out 1 for a vector), convertible, with its bytes present */
static gboolean
check_tensor (const LbTensor *t, const char *role, gint64 n_in, gint64 n_out, GError **error)
{
  gsize row_bytes;

  if (t == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "the model has no %s tensor", role);
      return FALSE;
    }
  if (!check_convertible (t, error))
    return FALSE;
  if (t->ne[0] != n_in || t->ne[1] != n_out || t->ne[2] != 1 || t->ne[3] != 1)
    {
      g_autofree char *shape = lb_tensor_shape_string (t);
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "tensor %s has shape %s but the hyper-parameters need [%" G_GINT64_FORMAT
                   ", %" G_GINT64_FORMAT "]",
                   t->name, shape, n_in, n_out);
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
check_hparams (const LbHParams *hp, GError **error)
{
  if (hp->ffn_act != LB_FFN_SILU && hp->ffn_act != LB_FFN_GELU_TANH)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "feed-forward activation %d is unknown to the reference engine", hp->ffn_act);
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
  if ((guint64) hp->n_head * hp->head_dim > G_MAXINT32 || hp->n_embd > G_MAXINT32
      || hp->n_ff > G_MAXINT32 || !(hp->rope_freq_base > 0.0f) || !(hp->norm_eps >= 0.0f))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "hyper-parameters out of range (heads × head dim %u × %u, embedding %u, "
                   "ffn %u, rope base %g, norm eps %g)",
                   hp->n_head, hp->head_dim, hp->n_embd, hp->n_ff,
                   (double) hp->rope_freq_base, (double) hp->norm_eps);
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

  if (!check_tensor (lb_model_get_token_embd (model), "token embedding", n_embd, hp->n_vocab, error)
      || !check_tensor (lb_model_get_output_norm (model), "output norm", n_embd, 1, error)
      || !check_tensor (lb_model_get_output (model), "output", n_embd, hp->n_vocab, error))
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
      if (!check_tensor (l->attn_norm, "attention norm", n_embd, 1, error)
          || !check_tensor (l->wq, "attention q", n_embd, q_dim, error)
          || !check_tensor (l->wk, "attention k", n_embd, kv_dim, error)
          || !check_tensor (l->wv, "attention v", n_embd, kv_dim, error)
          || !check_tensor (l->wo, "attention output", q_dim, n_embd, error)
          || (l->bq && !check_tensor (l->bq, "q bias", q_dim, 1, error))
          || (l->bk && !check_tensor (l->bk, "k bias", kv_dim, 1, error))
          || (l->bv && !check_tensor (l->bv, "v bias", kv_dim, 1, error))
          || !check_tensor (l->ffn_norm, "ffn norm", n_embd, 1, error)
          || !check_tensor (l->ffn_gate, "ffn gate", n_embd, hp->n_ff, error)
          || !check_tensor (l->ffn_up, "ffn up", n_embd, hp->n_ff, error)
          || !check_tensor (l->ffn_down, "ffn down", hp->n_ff, n_embd, error)
          || (l->attn_q_norm && !check_tensor (l->attn_q_norm, "q norm", hp->head_dim, 1, error))
          || (l->attn_k_norm && !check_tensor (l->attn_k_norm, "k norm", hp->head_dim, 1, error))
          || (l->attn_post_norm
              && !check_tensor (l->attn_post_norm, "post-attention norm", n_embd, 1, error))
          || (l->ffn_post_norm && !check_tensor (l->ffn_post_norm, "post-ffn norm", n_embd, 1, error))
          || (l->rope_freqs && !check_tensor (l->rope_freqs, "rope frequency factors",
                                              hp->n_rot / 2, 1, error)))
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

/* ---- engine -------------------------------------------------------------- */

/* a 1-row tensor (norm weight, bias) converted into the scratch row */
static const float *
vector_row (LbRefEngine *e, const LbTensor *t)
{
  lb_type_get_traits (t->type)->to_float (t->data, e->row, t->ne[0]);
  return e->row;
}

/* Each layer's rope frequencies: its own base and linear scale, divided by
 * rope_freqs when the model has them (llama3 scaling). */
static gboolean
layer_frequencies (LbRefEngine *e, GError **error)
{
  const LbHParams *hp = &e->hp;
  guint half = hp->n_rot / 2;

  for (guint il = 0; il < hp->n_layer; il++)
    {
      const LbLayerWeights *l = lb_model_get_layer (e->model, il);
      double *f = e->inv_freq + (gsize) il * half;

      lb_ref_rope_inv_freq (f, hp->n_rot, l->rope_freq_base);
      if (l->rope_freqs != NULL)
        {
          const float *div = vector_row (e, l->rope_freqs);
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
        {
          f[i] *= l->rope_freq_scale;
          if (e->bf16_rope)
            f[i] = lb_bf16_to_fp32 (lb_fp32_to_bf16 ((float) f[i]));
        }
    }
  return TRUE;
}


LbRefEngine *
lb_ref_engine_new (LbModel *model, guint n_ctx, GError **error)
{
  LbRefEngine *e;
  const LbHParams *hp;
  guint64 cache_floats;
  guint max_in;

  g_return_val_if_fail (LB_IS_MODEL (model), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  hp = lb_model_get_hparams (model);
  if (!check_hparams (hp, error) || !check_weights (model, hp, error))
    return NULL;

  if (n_ctx == 0)
    n_ctx = hp->n_ctx_train > 0 ? MIN (hp->n_ctx_train, MAX_DEFAULT_CTX) : MAX_DEFAULT_CTX;
  if (n_ctx > MAX_CTX)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "context length %u is too large for the reference engine (at most %u)",
                   n_ctx, MAX_CTX);
      return NULL;
    }

  e = g_new0 (LbRefEngine, 1);
  e->model = g_object_ref (model);
  e->hp = *hp;
  e->q_dim = hp->n_head * hp->head_dim;
  e->kv_dim = hp->n_head_kv * hp->head_dim;
  e->n_ctx = n_ctx;

  cache_floats = (guint64) hp->n_layer * n_ctx * e->kv_dim;
  if (cache_floats > G_MAXSIZE / sizeof (float)
      || (e->k_cache = g_try_malloc0 (cache_floats * sizeof (float))) == NULL
      || (e->v_cache = g_try_malloc0 (cache_floats * sizeof (float))) == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "cannot allocate a KV cache of %u positions (%" G_GUINT64_FORMAT
                   " MiB); use a shorter context",
                   n_ctx, cache_floats * 2 * sizeof (float) >> 20);
      lb_ref_engine_free (e);
      return NULL;
    }

  max_in = MAX (MAX (hp->n_embd, e->q_dim), hp->n_ff);
  e->x = g_new0 (float, hp->n_embd);
  e->xb = g_new0 (float, MAX (hp->n_embd, e->q_dim));
  e->xb2 = g_new0 (float, hp->n_embd);
  e->q = g_new0 (float, e->q_dim);
  e->k = g_new0 (float, e->kv_dim);
  e->v = g_new0 (float, e->kv_dim);
  e->att = g_new0 (float, n_ctx);
  e->hb = g_new0 (float, hp->n_ff);
  e->hb2 = g_new0 (float, hp->n_ff);
  e->row = g_new0 (float, max_in);
  e->inv_freq = g_new0 (double, (gsize) hp->n_layer * (hp->n_rot / 2) + 1);
  e->cos_t = g_new0 (float, hp->n_rot / 2 + 1);
  e->sin_t = g_new0 (float, hp->n_rot / 2 + 1);
  if (!layer_frequencies (e, error))
    {
      lb_ref_engine_free (e);
      return NULL;
    }
  return e;
}

void
lb_ref_engine_free (LbRefEngine *engine)
{
  if (engine == NULL)
    return;
  g_clear_object (&engine->model);
  g_free (engine->k_cache);
  g_free (engine->v_cache);
  g_free (engine->x);
  g_free (engine->xb);
  g_free (engine->xb2);
  g_free (engine->q);
  g_free (engine->k);
  g_free (engine->v);
  g_free (engine->att);
  g_free (engine->hb);
  g_free (engine->hb2);
  g_free (engine->row);
  g_free (engine->inv_freq);
  g_free (engine->cos_t);
  g_free (engine->sin_t);
  g_free (engine);
}

guint
lb_ref_engine_get_n_ctx (LbRefEngine *engine)
{
  g_return_val_if_fail (engine != NULL, 0);
  return engine->n_ctx;
}

guint
lb_ref_engine_get_n_past (LbRefEngine *engine)
{
  g_return_val_if_fail (engine != NULL, 0);
  return engine->n_past;
}

void
lb_ref_engine_reset (LbRefEngine *engine)
{
  g_return_if_fail (engine != NULL);
  engine->n_past = 0;
}

void
lb_ref_engine_set_bf16_rope_freqs (LbRefEngine *engine, gboolean bf16)
{
  g_return_if_fail (engine != NULL);
  engine->bf16_rope = bf16;
  /* the factors were validated when the engine was made */
  if (!layer_frequencies (engine, NULL))
    g_return_if_reached ();
}

void
lb_ref_engine_set_tap (LbRefEngine *engine, LbLayerTapFunc tap, gpointer user_data)
{
  g_return_if_fail (engine != NULL);
  engine->tap = tap;
  engine->tap_data = user_data;
}

void
lb_ref_engine_set_matmul_tap (LbRefEngine *engine, LbMatmulTapFunc tap, gpointer user_data)
{
  g_return_if_fail (engine != NULL);
  engine->matmul_tap = tap;
  engine->matmul_tap_data = user_data;
}

/* y = W x, shown to the matmul tap first */
static void
matvec (LbRefEngine *e, const LbTensor *w, const float *x, float *y)
{
  if (e->matmul_tap)
    e->matmul_tap (w, x, e->matmul_tap_data);
  lb_ref_matvec (w, x, y, e->row);
}

static void
add_bias (LbRefEngine *e, float *y, const LbTensor *bias)
{
  const float *b;
  guint n;

  if (bias == NULL)
    return;
  n = (guint) bias->ne[0];
  b = vector_row (e, bias);
  for (guint i = 0; i < n; i++)
    y[i] += b[i];
}

static void
attention (LbRefEngine *e, guint il, guint pos, gboolean sliding)
{
  const LbHParams *hp = &e->hp;
  guint hd = hp->head_dim;
  guint group = hp->n_head / hp->n_head_kv;
  float scale = hp->attn_scale;
  /* a sliding layer sees the last sliding_window positions, itself included */
  guint first = sliding && hp->sliding_window > 0 && pos >= hp->sliding_window
                ? pos + 1 - hp->sliding_window : 0;
  const float *kc = e->k_cache + (gsize) il * e->n_ctx * e->kv_dim;
  const float *vc = e->v_cache + (gsize) il * e->n_ctx * e->kv_dim;

  for (guint h = 0; h < hp->n_head; h++)
    {
      const float *qh = e->q + (gsize) h * hd;
      gsize kv_off = (gsize) (h / group) * hd;
      float *out = e->xb + (gsize) h * hd;

      /* causal: positions first..pos only */
      for (guint t = first; t <= pos; t++)
        e->att[t] = lb_ref_softcap (lb_ref_dot (qh, kc + (gsize) t * e->kv_dim + kv_off, hd) * scale,
                                    hp->attn_softcap);
      lb_ref_softmax (e->att + first, pos + 1 - first);

      memset (out, 0, hd * sizeof (float));
      for (guint t = first; t <= pos; t++)
        {
          const float *vt = vc + (gsize) t * e->kv_dim + kv_off;
          float a = e->att[t];
          for (guint i = 0; i < hd; i++)
            out[i] += a * vt[i];
        }
    }
}

/* RMSNorm of each of n_heads heads of x, in place, with the [head_dim] weight t */
static void
norm_heads (LbRefEngine *e, float *x, guint n_heads, const LbTensor *t)
{
  const float *w;

  if (t == NULL)
    return;
  w = vector_row (e, t);
  for (guint h = 0; h < n_heads; h++)
    lb_ref_rmsnorm (x + (gsize) h * e->hp.head_dim, x + (gsize) h * e->hp.head_dim, w,
                    e->hp.head_dim, e->hp.norm_eps);
}

/* x += y, through the post-norm when the architecture has one */
static void
add_residual (LbRefEngine *e, float *y, const LbTensor *post_norm)
{
  if (post_norm != NULL)
    lb_ref_rmsnorm (y, y, vector_row (e, post_norm), e->hp.n_embd, e->hp.norm_eps);
  for (guint i = 0; i < e->hp.n_embd; i++)
    e->x[i] += y[i];
}

static void
forward_block (LbRefEngine *e, guint il, guint pos)
{
  const LbHParams *hp = &e->hp;
  const LbLayerWeights *l = lb_model_get_layer (e->model, il);
  gsize cache_off = ((gsize) il * e->n_ctx + pos) * e->kv_dim;
  guint half = hp->n_rot / 2;

  /* attention */
  lb_ref_rmsnorm (e->xb, e->x, vector_row (e, l->attn_norm), hp->n_embd, hp->norm_eps);
  matvec (e, l->wq, e->xb, e->q);
  matvec (e, l->wk, e->xb, e->k);
  matvec (e, l->wv, e->xb, e->v);
  add_bias (e, e->q, l->bq);
  add_bias (e, e->k, l->bk);
  add_bias (e, e->v, l->bv);
  norm_heads (e, e->q, hp->n_head, l->attn_q_norm);
  norm_heads (e, e->k, hp->n_head_kv, l->attn_k_norm);
  lb_ref_rope_angles (e->cos_t, e->sin_t, e->inv_freq + (gsize) il * half, half, pos);
  for (guint h = 0; h < hp->n_head; h++)
    lb_ref_rope_rotate (e->q + (gsize) h * hp->head_dim, hp->n_rot, e->cos_t, e->sin_t,
                        hp->rope_type);
  for (guint h = 0; h < hp->n_head_kv; h++)
    lb_ref_rope_rotate (e->k + (gsize) h * hp->head_dim, hp->n_rot, e->cos_t, e->sin_t,
                        hp->rope_type);
  memcpy (e->k_cache + cache_off, e->k, e->kv_dim * sizeof (float));
  memcpy (e->v_cache + cache_off, e->v, e->kv_dim * sizeof (float));
  attention (e, il, pos, l->sliding);
  matvec (e, l->wo, e->xb, e->xb2);
  add_residual (e, e->xb2, l->attn_post_norm);

  /* gated feed-forward */
  lb_ref_rmsnorm (e->xb, e->x, vector_row (e, l->ffn_norm), hp->n_embd, hp->norm_eps);
  matvec (e, l->ffn_gate, e->xb, e->hb);
  matvec (e, l->ffn_up, e->xb, e->hb2);
  for (guint i = 0; i < hp->n_ff; i++)
    e->hb[i] = (hp->ffn_act == LB_FFN_GELU_TANH ? lb_ref_gelu_tanh (e->hb[i])
                                                : lb_ref_silu (e->hb[i])) * e->hb2[i];
  matvec (e, l->ffn_down, e->hb, e->xb2);
  add_residual (e, e->xb2, l->ffn_post_norm);
}

static gboolean
check_room (LbRefEngine *e, const gint32 *tokens, guint n, GError **error)
{
  for (guint i = 0; i < n; i++)
    if (tokens[i] < 0 || (guint32) tokens[i] >= e->hp.n_vocab)
      {
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                     "token id %d is out of range: the vocabulary has %u tokens",
                     tokens[i], e->hp.n_vocab);
        return FALSE;
      }
  if (n > e->n_ctx - e->n_past)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "the KV cache is full: %u of %u positions used, %u more requested; "
                   "reset the engine or use a longer context",
                   e->n_past, e->n_ctx, n);
      return FALSE;
    }
  return TRUE;
}

/* one validated token */
static void
forward (LbRefEngine *e, gint32 token, float *logits)
{
  const LbHParams *hp = &e->hp;
  const LbTensor *embd = lb_model_get_token_embd (e->model);
  guint pos = e->n_past;

  lb_type_get_traits (embd->type)->to_float (embd->data + (gsize) token * lb_tensor_row_bytes (embd),
                                             e->x, hp->n_embd);
  if (hp->embd_scale != 1.0f)
    for (guint i = 0; i < hp->n_embd; i++)
      e->x[i] *= hp->embd_scale;

  for (guint il = 0; il < hp->n_layer; il++)
    {
      forward_block (e, il, pos);
      if (e->tap)
        e->tap (il, pos, e->x, hp->n_embd, e->tap_data);
    }
  e->n_past++;

  if (logits != NULL)
    {
      lb_ref_rmsnorm (e->xb, e->x, vector_row (e, lb_model_get_output_norm (e->model)),
                      hp->n_embd, hp->norm_eps);
      matvec (e, lb_model_get_output (e->model), e->xb, logits);
      if (hp->final_softcap > 0.0f)
        for (guint i = 0; i < hp->n_vocab; i++)
          logits[i] = lb_ref_softcap (logits[i], hp->final_softcap);
    }
}

gboolean
lb_ref_engine_eval (LbRefEngine *engine, gint32 token, float *logits, GError **error)
{
  g_return_val_if_fail (engine != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_room (engine, &token, 1, error))
    return FALSE;
  forward (engine, token, logits);
  return TRUE;
}

gboolean
lb_ref_engine_eval_batch (LbRefEngine *engine, const gint32 *tokens, guint n, float *logits,
                          float *last_logits, GError **error)
{
  guint n_vocab;

  g_return_val_if_fail (engine != NULL, FALSE);
  g_return_val_if_fail (tokens != NULL || n == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* all or nothing: check every id and the room first */
  if (!check_room (engine, tokens, n, error))
    return FALSE;

  n_vocab = engine->hp.n_vocab;
  for (guint i = 0; i < n; i++)
    {
      float *out = logits ? logits + (gsize) i * n_vocab : NULL;
      gboolean last = i + 1 == n;

      if (out == NULL && last)
        out = last_logits;
      forward (engine, tokens[i], out);
      if (last && last_logits != NULL && out != last_logits)
        memcpy (last_logits, out, n_vocab * sizeof (float));
    }
  return TRUE;
}
