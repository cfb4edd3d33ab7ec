/* lb-matmul.c: batched weight × activation products over a thread pool.
 *
 * Block-format weights are dotted with activation rows quantized once per
 * batch, by a tile kernel of lb-matmul-quant-avx2.c or -neon.c (several rows × tokens
 * per call, so a weight block is unpacked once for four tokens) where the
 * type has one, by the type's vec_dot otherwise. Float weights (F32, F16,
 * BF16) keep the activations in f32: a single token streams the weight
 * rows straight from the mapped file through the row kernels; a batch
 * widens four weight rows at a time into per-thread scratch and runs the
 * 4 × 3 tile kernel over every token, so each weight is converted once per
 * batch, not per token. */
#include "lb-matmul.h"
#include "lb-matmul-private.h"

#include <math.h>
#include <stdlib.h>
#ifdef LB_MATMUL_HAVE_AVX2_BUILD
#include <cpuid.h>
#endif
#include <string.h>

#include "lb-error.h"
#include "lb-half.h"
#include "lb-quant-blocks.h"

#define MAX_JOBS 4
/* below this many multiply-adds a chunk is not worth handing to a thread */
#define MIN_CHUNK_WORK 16384

/* ---- scalar kernels (same order as the AVX2 ones, unfused) -------------- */

static inline float
f32_at (const float *p)
{
  float v;
  memcpy (&v, p, sizeof v);
  return v;
}

static inline float
f16_at (const guint16 *p)
{
  guint16 h;
  memcpy (&h, p, sizeof h);
  return lb_fp16_to_fp32 (GUINT16_FROM_LE (h));
}

static inline float
bf16_at (const guint16 *p)
{
  guint16 h;
  memcpy (&h, p, sizeof h);
  return lb_bf16_to_fp32 (GUINT16_FROM_LE (h));
}

static inline float
lanes_sum (const float l[8])
{
  return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
}

#define DEFINE_SCALAR_DOT(name, T, AT)                                  \
  static float                                                          \
  name (gint64 n, const T *w, const float *x)                           \
  {                                                                     \
    float l[8] = { 0 };                                                 \
    gint64 n8 = n & ~(gint64) 7;                                        \
    float s;                                                            \
                                                                        \
    for (gint64 i = 0; i < n8; i += 8)                                  \
      for (int j = 0; j < 8; j++)                                       \
        l[j] += AT (w + i + j) * x[i + j];                              \
    s = lanes_sum (l);                                                  \
    for (gint64 i = n8; i < n; i++)                                     \
      s += AT (w + i) * x[i];                                           \
    return s;                                                           \
  }

DEFINE_SCALAR_DOT (dot_f32, float, f32_at)
DEFINE_SCALAR_DOT (dot_f16, guint16, f16_at)
DEFINE_SCALAR_DOT (dot_bf16, guint16, bf16_at)

static void
scalar_f32_tile (gint64 n, const float *w, gsize ldw, guint nr, const float *x, gsize ldx,
                 guint nt, float *out, gsize ldo)
{
  for (guint t = 0; t < nt; t++)
    for (guint r = 0; r < nr; r++)
      out[t * ldo + r] = dot_f32 (n, w + r * ldw, x + t * ldx);
}

static void
scalar_f32_rows (gint64 n, const float *w, gsize ldw, guint nr, const float *x, float *out)
{
  for (guint r = 0; r < nr; r++)
    out[r] = dot_f32 (n, w + r * ldw, x);
}

static void
scalar_f16_rows (gint64 n, const guint16 *w, gsize ldw, guint nr, const float *x, float *out)
{
  for (guint r = 0; r < nr; r++)
    out[r] = dot_f16 (n, w + r * ldw, x);
}

static void
scalar_bf16_rows (gint64 n, const guint16 *w, gsize ldw, guint nr, const float *x, float *out)
{
  for (guint r = 0; r < nr; r++)
    out[r] = dot_bf16 (n, w + r * ldw, x);
}

static void
scalar_f16_to_f32 (const guint16 *src, float *dst, gint64 n)
{
  for (gint64 i = 0; i < n; i++)
    dst[i] = f16_at (src + i);
}

static void
scalar_bf16_to_f32 (const guint16 *src, float *dst, gint64 n)
{
  for (gint64 i = 0; i < n; i++)
    dst[i] = bf16_at (src + i);
}

static void
scalar_f32_to_f16 (const float *src, guint16 *dst, gint64 n)
{
  for (gint64 i = 0; i < n; i++)
    {
      guint16 h = GUINT16_TO_LE (lb_fp32_to_fp16 (src[i]));
      memcpy (dst + i, &h, sizeof h);
    }
}

static void
scalar_silu_mul (gint64 n, const float *g, const float *u, float *out)
{
  for (gint64 i = 0; i < n; i++)
    out[i] = g[i] / (1.0f + expf (-g[i])) * u[i];
}

static void
scalar_gelu_mul (gint64 n, const float *g, const float *u, float *out)
{
  for (gint64 i = 0; i < n; i++)
    {
      double x = g[i];
      out[i] = (float) (0.5 * x * (1.0 + tanh (0.79788456080286535588 * (x + 0.044715 * x * x * x))))
               * u[i];
    }
}

static float
scalar_exp_sum (float *x, gint64 n, float max)
{
  float s = 0.0f;

  for (gint64 i = 0; i < n; i++)
    {
      x[i] = expf (x[i] - max);
      s += x[i];
    }
  return s;
}

#define DEFINE_SCALAR_WSUM(name, T, AT)                                              \
  static void                                                                       \
  name (guint n_rows, const float *a, const T *v, gsize ldv, gint64 hd, float *out) \
  {                                                                                 \
    for (gint64 i = 0; i < hd; i++)                                                 \
      out[i] = 0.0f;                                                                \
    for (guint p = 0; p < n_rows; p++)                                              \
      for (gint64 i = 0; i < hd; i++)                                               \
        out[i] += a[p] * AT (v + p * ldv + i);                                      \
  }

DEFINE_SCALAR_WSUM (scalar_wsum_f32, float, f32_at)
DEFINE_SCALAR_WSUM (scalar_wsum_f16, guint16, f16_at)

static void
scalar_wsum_q8_0 (guint n_rows, const float *a, const void *vv, gsize ldv, gint64 hd,
                  float *out)
{
  const LbBlockQ8_0 *v = vv;

  for (gint64 i = 0; i < hd; i++)
    out[i] = 0.0f;
  for (guint p = 0; p < n_rows; p++)
    for (gint64 b = 0; b < hd / LB_QK; b++)
      {
        const LbBlockQ8_0 *blk = v + p * ldv + b;
        float ad = a[p] * f16_at (&blk->d);
        for (int j = 0; j < LB_QK; j++)
          out[b * LB_QK + j] += ad * blk->qs[j];
      }
}

#define DEFINE_SCALAR_SCORES(name, T, DOT)                                            \
  static float                                                                        \
  name (guint n_kv, gint64 hd, const T *keys, gsize ldk, const float *q, float scale, \
        float *scores)                                                                \
  {                                                                                   \
    float max = -INFINITY;                                                            \
                                                                                      \
    for (guint p = 0; p < n_kv; p++)                                                  \
      {                                                                               \
        scores[p] = DOT (hd, keys + p * ldk, q) * scale;                              \
        max = MAX (max, scores[p]);                                                   \
      }                                                                               \
    return max;                                                                       \
  }

DEFINE_SCALAR_SCORES (scalar_scores_f32, float, dot_f32)
DEFINE_SCALAR_SCORES (scalar_scores_f16, guint16, dot_f16)

static float
scalar_dot_q8_0 (gint64 n, const void *kv, const float *q)
{
  const LbBlockQ8_0 *k = kv;
  float l[8] = { 0 };

  for (gint64 b = 0; b < n / LB_QK; b++, q += LB_QK)
    {
      float d = f16_at (&k[b].d);
      float s[8];

      for (int j = 0; j < 8; j++)
        s[j] = k[b].qs[j] * q[j];
      for (int i = 8; i < LB_QK; i += 8)
        for (int j = 0; j < 8; j++)
          s[j] += k[b].qs[i + j] * q[i + j];
      for (int j = 0; j < 8; j++)
        l[j] += d * s[j];
    }
  return lanes_sum (l);
}

static const LbMatmulKernels scalar_kernels = {
  .f32_tile = scalar_f32_tile,
  .f32_rows = scalar_f32_rows,
  .f16_rows = scalar_f16_rows,
  .bf16_rows = scalar_bf16_rows,
  .f16_to_f32 = scalar_f16_to_f32,
  .bf16_to_f32 = scalar_bf16_to_f32,
  .f32_to_f16 = scalar_f32_to_f16,
  .silu_mul = scalar_silu_mul,
  .gelu_mul = scalar_gelu_mul,
  .exp_sum = scalar_exp_sum,
  .wsum_f32 = scalar_wsum_f32,
  .wsum_f16 = scalar_wsum_f16,
  .wsum_q8_0 = scalar_wsum_q8_0,
  .scores_f32 = scalar_scores_f32,
  .scores_f16 = scalar_scores_f16,
  .dot_q8_0 = scalar_dot_q8_0,
};

/* ---- kernel selection ----------------------------------------------------- */

const LbMatmulKernels *
lb_matmul_kernels_scalar (void)
{
  return &scalar_kernels;
}

const LbMatmulKernels *
lb_matmul_kernels_avx2 (void)
{
#ifdef LB_MATMUL_HAVE_AVX2_BUILD
  unsigned int eax, ebx, ecx, edx;

  /* F16C through cpuid: clang 14's __builtin_cpu_supports does not know it */
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma")
      && __get_cpuid (1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0)
    return &lb_matmul_avx2_kernels;
#endif
  return NULL;
}

#ifdef LB_MATMUL_HAVE_NEON_BUILD
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#endif

const LbMatmulKernels *
lb_matmul_kernels_neon (void)
{
#ifdef LB_MATMUL_HAVE_NEON_BUILD
  return &lb_matmul_neon_kernels;
#else
  return NULL;
#endif
}

const LbMatmulKernels *
lb_matmul_kernels_neon_dotprod (void)
{
#ifdef LB_MATMUL_HAVE_NEON_BUILD
  if (getauxval (AT_HWCAP) & HWCAP_ASIMDDP)
    return &lb_matmul_neon_dp_kernels;
#endif
  return NULL;
}

const LbMatmulKernels *
lb_matmul_kernels (void)
{
  /* chosen once; immutable afterwards, so safe from any thread */
  static gsize chosen;

  if (g_once_init_enter (&chosen))
    {
      const char *no_simd = g_getenv ("LB_NO_SIMD");
      const LbMatmulKernels *k = lb_matmul_kernels_avx2 ();

#ifdef LB_MATMUL_HAVE_NEON_BUILD
      {
        const char *no_dp = g_getenv ("LB_NO_DOTPROD");
        k = lb_matmul_kernels_neon_dotprod ();
        if (k == NULL || (no_dp && atoi (no_dp) != 0))
          k = lb_matmul_kernels_neon ();
      }
#endif
      if (k == NULL || (no_simd && atoi (no_simd) != 0))
        k = &scalar_kernels;
      g_once_init_leave (&chosen, (gsize) k);
    }
  return (const LbMatmulKernels *) chosen;
}

/* ---- inputs ----------------------------------------------------------------- */

static gboolean
is_float_type (LbType t)
{
  return t == LB_TYPE_F32 || t == LB_TYPE_F16 || t == LB_TYPE_BF16;
}

gboolean
lb_matmul_supports_type (LbType t)
{
  const LbTypeTraits *tr = lb_type_get_traits (t);
  const LbTypeTraits *vt;

  if (is_float_type (t))
    return TRUE;
  if (tr == NULL || tr->vec_dot == NULL)
    return FALSE;
  vt = lb_type_get_traits (tr->vec_dot_type);
  return vt != NULL && vt->from_float != NULL;
}

gsize
lb_matmul_scratch_floats (guint max_n_in)
{
  /* a widened tile of weight rows, and one tile of outputs */
  return (gsize) LB_MM_TILE_ROWS * max_n_in + LB_MM_TILE_ROWS * LB_MM_TILE_TOKENS;
}

gboolean
lb_matmul_input_init (LbMatmulInput *in, guint n_in, guint n_rows,
                      const LbTensor *const *weights, guint n_weights,
                      LbMemPool *pool, const char *what, GError **error)
{
  gpointer p;

  memset (in, 0, sizeof *in);
  in->n_in = n_in;
  in->n_rows = n_rows;
  if (!lb_mem_pool_alloc (pool, what, (gsize) n_rows * n_in * sizeof (float), &p, error))
    return FALSE;
  in->f32 = p;

  for (guint i = 0; i < n_weights; i++)
    {
      const LbTypeTraits *tr;
      LbType vt;
      guint c;

      g_return_val_if_fail (weights[i]->ne[0] == n_in, FALSE);
      g_return_val_if_fail (lb_matmul_supports_type (weights[i]->type), FALSE);
      if (is_float_type (weights[i]->type))
        continue;
      tr = lb_type_get_traits (weights[i]->type);
      vt = tr->vec_dot_type;
      for (c = 0; c < in->n_copies; c++)
        if (in->copies[c].type == vt)
          break;
      if (c < in->n_copies)
        continue;
      if (in->n_copies == LB_MATMUL_MAX_COPIES)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                       "%s: the weights reading it need more than %u activation formats",
                       what, LB_MATMUL_MAX_COPIES);
          return FALSE;
        }
      in->copies[c].type = vt;
      in->copies[c].row_bytes = lb_matmul_act_row_bytes (vt, n_in);
      if (in->copies[c].row_bytes == 0)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                       "tensor %s: rows of %u values cannot be converted to %s",
                       weights[i]->name, n_in, lb_type_get_name (vt));
          return FALSE;
        }
      if (!lb_mem_pool_alloc (pool, what, in->copies[c].row_bytes * n_rows, &p, error))
        return FALSE;
      in->copies[c].data = p;
      in->n_copies++;
    }
  return TRUE;
}

void
lb_matmul_input_prepare_row (const LbMatmulInput *in, guint row)
{
  const float *src = in->f32 + (gsize) row * in->n_in;

  g_return_if_fail (row < in->n_rows);
  for (guint c = 0; c < in->n_copies; c++)
    lb_matmul_act_from_float (in->copies[c].type, src,
                              in->copies[c].data + (gsize) row * in->copies[c].row_bytes,
                              in->n_in);
}

gsize
lb_matmul_act_row_bytes (LbType type, gint64 n)
{
  gsize bytes = lb_type_row_size (type, n);

  if (type == LB_TYPE_Q8_0 && bytes != 0)
    bytes += (gsize) (n / LB_QK) * (sizeof (float) + sizeof (gint32));
  return bytes;
}

void
lb_matmul_act_from_float (LbType type, const float *src, guint8 *dst, gint64 n)
{
  lb_type_get_traits (type)->from_float (src, dst, n, NULL);
  if (type == LB_TYPE_Q8_0)
    {
      const LbBlockQ8_0 *b = (const LbBlockQ8_0 *) dst;
      gint64 nb = n / LB_QK;
      guint8 *scales = dst + nb * sizeof (LbBlockQ8_0);
      guint8 *sums = scales + nb * sizeof (float);

      /* byte copies: the trailer follows 34-byte blocks, unaligned */
      for (gint64 i = 0; i < nb; i++)
        {
          float d = lb_fp16_to_fp32 (GUINT16_FROM_LE (b[i].d));
          gint32 sum = 0;

          for (guint j = 0; j < LB_QK; j++)
            sum += b[i].qs[j];
          memcpy (scales + i * sizeof d, &d, sizeof d);
          memcpy (sums + i * sizeof sum, &sum, sizeof sum);
        }
    }
}

/* ---- the product ------------------------------------------------------------ */

typedef struct {
  const LbMatmulInput   *in;
  guint                  row0, n_rows;
  const LbMatmulJob     *jobs;
  guint                  n_jobs;
  guint                  rows_per_chunk;
  guint                  first_chunk[MAX_JOBS + 1];
  const LbMatmulScratch *scratch;
  const LbMatmulKernels *k;
} Run;

static inline void
put (const LbMatmulJob *job, gsize t, gsize r, float v)
{
  float *y = job->y + t * job->ldy + r;
  *y = job->accumulate ? *y + v : v;
}

/* float weights, one token: rows straight from the weight's bytes */
static void
float_rows_one (const Run *run, const LbMatmulJob *job, guint r0, guint r1)
{
  const LbTensor *w = job->w;
  gint64 n = w->ne[0];
  gsize row_bytes = lb_tensor_row_bytes (w);
  const float *x = run->in->f32 + (gsize) run->row0 * n;
  float out[LB_MM_GEMV_ROWS];

  for (guint r = r0; r < r1; r += LB_MM_GEMV_ROWS)
    {
      guint nr = MIN (LB_MM_GEMV_ROWS, r1 - r);
      const void *wr = w->data + (gsize) r * row_bytes;

      switch (w->type)
        {
        case LB_TYPE_F32: run->k->f32_rows (n, wr, n, nr, x, out); break;
        case LB_TYPE_F16: run->k->f16_rows (n, wr, n, nr, x, out); break;
        case LB_TYPE_BF16: run->k->bf16_rows (n, wr, n, nr, x, out); break;
        default: g_assert_not_reached ();
        }
      for (guint i = 0; i < nr; i++)
        put (job, 0, r + i, out[i]);
    }
}

/* float weights, a batch: widen 4 rows, then every token against them */
static void
float_rows_batch (const Run *run, const LbMatmulJob *job, guint r0, guint r1, guint thread)
{
  const LbTensor *w = job->w;
  gint64 n = w->ne[0];
  gsize row_bytes = lb_tensor_row_bytes (w);
  const float *x = run->in->f32 + (gsize) run->row0 * n;
  float *tile = run->scratch->data + thread * run->scratch->floats_per_thread;
  float *out = tile + LB_MM_TILE_ROWS * n;

  for (guint r = r0; r < r1; r += LB_MM_TILE_ROWS)
    {
      guint nr = MIN (LB_MM_TILE_ROWS, r1 - r);
      const guint8 *wr = w->data + (gsize) r * row_bytes;
      const float *wt = tile;

      switch (w->type)
        {
        case LB_TYPE_F32:
          /* already f32: use the mapped rows in place when aligned */
          if ((guintptr) wr % sizeof (float) == 0)
            wt = (const float *) wr;
          else
            memcpy (tile, wr, nr * row_bytes);
          break;
        case LB_TYPE_F16:
          run->k->f16_to_f32 ((const guint16 *) wr, tile, n * nr);
          break;
        case LB_TYPE_BF16:
          run->k->bf16_to_f32 ((const guint16 *) wr, tile, n * nr);
          break;
        default:
          g_assert_not_reached ();
        }
      for (guint t = 0; t < run->n_rows; t += LB_MM_TILE_TOKENS)
        {
          guint nt = MIN (LB_MM_TILE_TOKENS, run->n_rows - t);

          run->k->f32_tile (n, wt, n, nr, x + (gsize) t * n, n, nt, out, LB_MM_TILE_ROWS);
          for (guint tt = 0; tt < nt; tt++)
            for (guint i = 0; i < nr; i++)
              put (job, t + tt, r + i, out[tt * LB_MM_TILE_ROWS + i]);
        }
    }
}

/* block formats: the type's vec_dot against the prepared copy */
static void
quant_rows (const Run *run, const LbMatmulJob *job, guint r0, guint r1)
{
  const LbTensor *w = job->w;
  const LbTypeTraits *tr = lb_type_get_traits (w->type);
  gsize row_bytes = lb_tensor_row_bytes (w);
  LbQuantTileFunc tile = run->k->quant_tile[w->type];
  const guint8 *xq = NULL;
  gsize x_bytes = 0;

  for (guint c = 0; c < run->in->n_copies; c++)
    if (run->in->copies[c].type == tr->vec_dot_type)
      {
        x_bytes = run->in->copies[c].row_bytes;
        xq = run->in->copies[c].data + (gsize) run->row0 * x_bytes;
      }
  g_assert (xq != NULL);

  if (tile != NULL)
    {
      /* rows per call as the kernel set prefers; tokens 4 at a time */
      guint rows = run->n_rows == 1 ? run->k->qtile_rows_one : run->k->qtile_rows_batch;
      float out[LB_MM_QTILE_ROWS * LB_MM_QTILE_TOKENS];

      for (guint r = r0; r < r1; r += rows)
        {
          guint nr = MIN (rows, r1 - r);
          const guint8 *wr = w->data + (gsize) r * row_bytes;

          for (guint t = 0; t < run->n_rows; t += LB_MM_QTILE_TOKENS)
            {
              guint nt = MIN (LB_MM_QTILE_TOKENS, run->n_rows - t);

              tile (w->ne[0], wr, row_bytes, nr, xq + (gsize) t * x_bytes, x_bytes, nt,
                    out, LB_MM_QTILE_ROWS);
              for (guint tt = 0; tt < nt; tt++)
                for (guint i = 0; i < nr; i++)
                  put (job, t + tt, r + i, out[tt * LB_MM_QTILE_ROWS + i]);
            }
        }
      return;
    }

  for (guint r = r0; r < r1; r++)
    {
      const guint8 *wr = w->data + (gsize) r * row_bytes;

      for (guint t = 0; t < run->n_rows; t++)
        {
          float s;
          tr->vec_dot (w->ne[0], &s, wr, xq + (gsize) t * x_bytes);
          put (job, t, r, s);
        }
    }
}

static void
run_chunks (gsize begin, gsize end, guint thread, gpointer data)
{
  const Run *run = data;

  for (gsize c = begin; c < end; c++)
    {
      guint j = 0;
      const LbMatmulJob *job;
      guint r0, r1;

      while (c >= run->first_chunk[j + 1])
        j++;
      job = &run->jobs[j];
      r0 = (guint) (c - run->first_chunk[j]) * run->rows_per_chunk;
      r1 = MIN ((guint) job->w->ne[1], r0 + run->rows_per_chunk);
      if (!is_float_type (job->w->type))
        quant_rows (run, job, r0, r1);
      else if (run->n_rows == 1)
        float_rows_one (run, job, r0, r1);
      else
        float_rows_batch (run, job, r0, r1, thread);
    }
}

void
lb_matmul_run (LbThreadPool *pool, const LbMatmulInput *in, guint row0, guint n_rows,
               const LbMatmulJob *jobs, guint n_jobs, const LbMatmulScratch *scratch)
{
  Run run = { in, row0, n_rows, jobs, n_jobs, 0, { 0 }, scratch, lb_matmul_kernels () };
  guint n_threads = lb_thread_pool_get_n_threads (pool);
  guint64 total_rows = 0, per_row = (guint64) in->n_in * n_rows, rows;

  g_return_if_fail (n_jobs >= 1 && n_jobs <= MAX_JOBS);
  g_return_if_fail (row0 + n_rows <= in->n_rows);
  if (n_rows == 0)
    return;

  for (guint j = 0; j < n_jobs; j++)
    total_rows += jobs[j].w->ne[1];

  /* Chunks of whole tiles, about sixteen per thread: the others wait for
   * whoever holds the last one, and a thread slowed by another process
   * leaves its share to the others; but not so small that claiming one
   * costs more than computing it. */
  rows = MAX ((total_rows + 16 * n_threads - 1) / (16 * n_threads),
              (MIN_CHUNK_WORK + per_row - 1) / per_row);
  rows = (rows + LB_MM_GEMV_ROWS - 1) / LB_MM_GEMV_ROWS * LB_MM_GEMV_ROWS;
  run.rows_per_chunk = (guint) MIN (rows, G_MAXUINT32 / 2);

  for (guint j = 0; j < n_jobs; j++)
    {
      guint n_out = (guint) jobs[j].w->ne[1];
      run.first_chunk[j + 1] = run.first_chunk[j]
                               + (n_out + run.rows_per_chunk - 1) / run.rows_per_chunk;
    }
  lb_thread_pool_run (pool, run.first_chunk[n_jobs], 1, run_chunks, &run);
}
