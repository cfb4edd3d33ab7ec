/* test-matmul.c: the engine's kernels and matrix products.
 *
 * - the SIMD float kernels (AVX2; NEON plain and with the dot-product
 *   extension's tile kernels on AArch64) against the scalar set and all
 *   against double precision references;
 * - the summation-order contract of lb-matmul-private.h: the tile kernel
 *   and the one-token row kernels give the same bits;
 * - lb_matmul_run for every weight type against an independent double
 *   precision product of the dequantized weights, with a rigorous bound for
 *   the activation quantization; and bitwise against the type's own vec_dot,
 *   over 1 and 2 threads, batches and single rows;
 * - single-head attention over F32, F16 and Q8_0 caches against a double
 *   precision softmax. */
#include <glib.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "lowbit.h"
#include "lb-attention.h"
#include "lb-matmul.h"
#include "lb-matmul-private.h"
#include "lb-quant-private.h"

static double
gauss (GRand *r)
{
  double u1 = g_rand_double_range (r, 1e-12, 1.0), u2 = g_rand_double (r);
  return sqrt (-2 * log (u1)) * cos (2 * G_PI * u2);
}

static void
fill (GRand *r, float *x, gsize n, double scale)
{
  for (gsize i = 0; i < n; i++)
    x[i] = (float) (gauss (r) * scale);
}

#define MAX_SETS 4

/* the kernel sets to check: scalar always, then the SIMD sets this machine
 * runs (AVX2; NEON, NEON with dot products) */
static guint
kernel_sets (const LbMatmulKernels **sets)
{
  const LbMatmulKernels *simd[] = {
    lb_matmul_kernels_avx2 (), lb_matmul_kernels_neon (), lb_matmul_kernels_neon_dotprod (),
  };
  guint n = 0;

  sets[n++] = lb_matmul_kernels_scalar ();
  for (guint i = 0; i < G_N_ELEMENTS (simd); i++)
    if (simd[i] != NULL)
      sets[n++] = simd[i];
  return n;
}

static const gint64 lengths[] = { 1, 7, 8, 9, 31, 32, 64, 172, 256, 769 };

/* |got - want| within rel of sum |terms| (plus a little absolute slack) */
static void
assert_close (double got, double want, double abs_sum, double rel, const char *what, gint64 n)
{
  if (!(fabs (got - want) <= rel * abs_sum + 1e-30))
    g_error ("%s n=%" G_GINT64_FORMAT ": %.9g vs %.9g (sum |terms| %.6g)", what, n, got, want,
             abs_sum);
}

/* ---- float kernels ---------------------------------------------------------------- */

static void
test_float_rows (void)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (1);
  const LbMatmulKernels *sets[MAX_SETS];
  guint n_sets = kernel_sets (sets);

  for (guint li = 0; li < G_N_ELEMENTS (lengths); li++)
    {
      gint64 n = lengths[li];
      guint nr = 8;
      g_autofree float *w = g_new (float, nr * n);
      g_autofree guint16 *w16 = g_new (guint16, nr * n);
      g_autofree guint16 *wbf = g_new (guint16, nr * n);
      g_autofree float *w16f = g_new (float, nr * n);
      g_autofree float *wbff = g_new (float, nr * n);
      g_autofree float *x = g_new (float, n);

      fill (r, w, nr * n, 1.0);
      fill (r, x, n, 2.0);
      for (gint64 i = 0; i < nr * n; i++)
        {
          w16[i] = lb_fp32_to_fp16 (w[i]);
          wbf[i] = lb_fp32_to_bf16 (w[i]);
          w16f[i] = lb_fp16_to_fp32 (w16[i]);
          wbff[i] = lb_bf16_to_fp32 (wbf[i]);
        }

      for (guint s = 0; s < n_sets; s++)
        {
          const LbMatmulKernels *k = sets[s];
          float o32[8], o16[8], obf[8], o16w[8], obfw[8], tile[3 * 4];

          k->f32_rows (n, w, n, nr, x, o32);
          k->f16_rows (n, w16, n, nr, x, o16);
          k->bf16_rows (n, wbf, n, nr, x, obf);
          /* widening is exact, so a half row gives what its f32 copy gives */
          k->f32_rows (n, w16f, n, nr, x, o16w);
          k->f32_rows (n, wbff, n, nr, x, obfw);
          g_assert_cmpmem (o16, sizeof o16, o16w, sizeof o16w);
          g_assert_cmpmem (obf, sizeof obf, obfw, sizeof obfw);

          for (guint row = 0; row < nr; row++)
            {
              double want = 0, abs_sum = 0;
              float one;

              for (gint64 i = 0; i < n; i++)
                {
                  want += (double) w[row * n + i] * x[i];
                  abs_sum += fabs ((double) w[row * n + i] * x[i]);
                }
              assert_close (o32[row], want, abs_sum, 1e-6, "f32_rows", n);
              /* fewer rows per call: same bits */
              k->f32_rows (n, w + row * n, n, 1, x, &one);
              g_assert_cmpfloat (one, ==, o32[row]);
            }

          /* the tile kernel: every (rows, tokens) shape gives the row kernel's bits */
          for (guint tr = 1; tr <= 4; tr++)
            for (guint tt = 1; tt <= 3; tt++)
              {
                k->f32_tile (n, w, n, tr, x, 0, tt, tile, 4);
                for (guint t = 0; t < tt; t++)
                  for (guint row = 0; row < tr; row++)
                    g_assert_cmpfloat (tile[t * 4 + row], ==, o32[row]);
              }
        }
      for (guint s = 1; s < n_sets; s++)
        {
          float a[8], b[8];

          sets[0]->f16_rows (n, w16, n, nr, x, a);
          sets[s]->f16_rows (n, w16, n, nr, x, b);
          for (guint row = 0; row < nr; row++)
            {
              double abs_sum = 0;
              for (gint64 i = 0; i < n; i++)
                abs_sum += fabs ((double) w16f[row * n + i] * x[i]);
              assert_close (a[row], b[row], abs_sum, 1e-6, "f16_rows scalar vs simd", n);
            }
        }
    }
}

static void
test_conversions (void)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (2);
  const LbMatmulKernels *sets[MAX_SETS];
  guint n_sets = kernel_sets (sets);
  const gint64 n = 1000;
  g_autofree float *src = g_new (float, n);
  g_autofree guint16 *halves = g_new (guint16, n);
  g_autofree float *back = g_new (float, n);

  fill (r, src, n, 1.0);
  /* edge values: signed zeros, subnormal halves, overflow, ties, Inf */
  src[0] = 0.0f;
  src[1] = -0.0f;
  src[2] = 1e-6f;
  src[3] = -3e-8f;
  src[4] = 65504.0f;
  src[5] = 65520.0f;
  src[6] = 1e10f;
  src[7] = INFINITY;
  src[8] = -INFINITY;
  src[9] = 1.0f + 1.0f / 2048;      /* a tie: rounds to even */
  src[10] = 5.9604645e-08f;         /* the smallest half */
  for (gint64 i = 11; i < 40; i++)
    src[i] *= 1e-5f;

  for (guint s = 0; s < n_sets; s++)
    {
      const LbMatmulKernels *k = sets[s];

      k->f32_to_f16 (src, halves, n);
      for (gint64 i = 0; i < n; i++)
        g_assert_cmpuint (halves[i], ==, lb_fp32_to_fp16 (src[i]));
      k->f16_to_f32 (halves, back, n);
      for (gint64 i = 0; i < n; i++)
        g_assert_cmpfloat (back[i], ==, lb_fp16_to_fp32 (halves[i]));
      for (gint64 i = 0; i < n; i++)
        halves[i] = lb_fp32_to_bf16 (src[i]);
      k->bf16_to_f32 (halves, back, n);
      for (gint64 i = 0; i < n; i++)
        g_assert_cmpfloat (back[i], ==, lb_bf16_to_fp32 (halves[i]));
    }
}

static void
test_exp_silu (void)
{
  const LbMatmulKernels *sets[MAX_SETS];
  guint n_sets = kernel_sets (sets);
  const gint64 n = 403;
  g_autofree float *x = g_new (float, n);
  g_autofree float *g = g_new (float, n);
  g_autofree float *u = g_new (float, n);
  g_autofree float *out = g_new (float, n);

  for (guint s = 0; s < n_sets; s++)
    {
      const LbMatmulKernels *k = sets[s];
      double want_sum = 0;
      float sum;

      /* softmax arguments: x - max spans 0 .. -100 (below -87 exp is ~0) */
      for (gint64 i = 0; i < n; i++)
        x[i] = u[i] = (float) (-100.0 * i / (n - 1)) + 3.0f;
      for (gint64 i = 0; i < n; i++)
        want_sum += exp ((double) x[i] - 3.0);
      sum = k->exp_sum (x, n, 3.0f);
      assert_close (sum, want_sum, want_sum, 1e-6, "exp_sum", n);
      for (gint64 i = 0; i < n; i++)
        {
          /* x - max is exact in f32 here (Sterbenz or a multiple of the ulp) */
          double want = exp ((double) u[i] - 3.0);
          if (!(fabs (x[i] - want) <= 1e-6 * want + 1e-37))
            g_error ("exp at %g: %.9g vs %.9g", (double) u[i] - 3.0, x[i], want);
        }

      /* SwiGLU over -100 .. 100, out aliasing g as the engine calls it */
      for (gint64 i = 0; i < n; i++)
        {
          g[i] = (float) (-100.0 + 200.0 * i / (n - 1));
          u[i] = (float) (0.5 + (i % 7) * 0.25);
        }
      memcpy (out, g, n * sizeof (float));
      k->silu_mul (n, out, u, out);
      for (gint64 i = 0; i < n; i++)
        {
          double want = g[i] / (1.0 + exp (-(double) g[i])) * u[i];
          if (!(fabs (out[i] - want) <= 1e-6 * fabs (want) + 1e-30))
            g_error ("silu (%g) * %g: %.9g vs %.9g", g[i], u[i], out[i], want);
        }
      /* GeGLU over the same range, and near 0 where tanh nearly cancels */
      for (guint pass = 0; pass < 2; pass++)
        {
          if (pass == 1)
            for (gint64 i = 0; i < n; i++)
              g[i] = (float) ((i - n / 2) * 1e-4);
          memcpy (out, g, n * sizeof (float));
          k->gelu_mul (n, out, u, out);
          for (gint64 i = 0; i < n; i++)
            {
              /* 0.5 x (1 + tanh z) = x sigmoid (2 z): no cancellation for x << 0 */
              double xd = g[i];
              double z = 0.79788456080286535588 * (xd + 0.044715 * xd * xd * xd);
              double want = xd / (1.0 + exp (-2.0 * z)) * u[i];
              if (!(fabs (out[i] - want) <= 1e-6 * fabs (want) + 1e-12 * fabs (xd * u[i])))
                g_error ("gelu (%g) * %g: %.9g vs %.9g", g[i], u[i], out[i], want);
            }
        }
    }
}

/* weighted sums of cache rows and Q8_0 dots, against doubles */
static void
test_wsum (void)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (3);
  const LbMatmulKernels *sets[MAX_SETS];
  guint n_sets = kernel_sets (sets);
  const guint n_rows = 13;
  const gint64 hd = 96;
  const gsize ld = 2 * hd;   /* rows of a two-head cache */
  g_autofree float *v = g_new (float, n_rows * ld);
  g_autofree guint16 *v16 = g_new (guint16, n_rows * ld);
  g_autofree guint8 *vq = g_malloc (lb_type_row_size (LB_TYPE_Q8_0, ld) * n_rows);
  g_autofree float *vqf = g_new (float, n_rows * ld);
  float a[13], q[96], out[96];
  const LbTypeTraits *q8 = lb_type_get_traits (LB_TYPE_Q8_0);
  gsize qrow = lb_type_row_size (LB_TYPE_Q8_0, ld);

  fill (r, v, n_rows * ld, 1.0);
  fill (r, q, hd, 1.0);
  for (guint p = 0; p < n_rows; p++)
    a[p] = (float) g_rand_double (r);
  for (gsize i = 0; i < n_rows * ld; i++)
    v16[i] = lb_fp32_to_fp16 (v[i]);
  for (guint p = 0; p < n_rows; p++)
    {
      q8->from_float (v + p * ld, vq + p * qrow, ld, NULL);
      q8->to_float (vq + p * qrow, vqf + p * ld, ld);
    }

  for (guint s = 0; s < n_sets; s++)
    {
      const LbMatmulKernels *k = sets[s];

      /* second head: offset hd into each row */
      for (guint type = 0; type < 3; type++)
        {
          const float *ref = type == 0 ? v : type == 1 ? NULL : vqf;

          if (type == 0)
            k->wsum_f32 (n_rows, a, v + hd, ld, hd, out);
          else if (type == 1)
            k->wsum_f16 (n_rows, a, v16 + hd, ld, hd, out);
          else
            k->wsum_q8_0 (n_rows, a, vq + lb_type_row_size (LB_TYPE_Q8_0, hd),
                          qrow / sizeof (LbBlockQ8_0), hd, out);
          for (gint64 i = 0; i < hd; i++)
            {
              double want = 0, abs_sum = 0;
              for (guint p = 0; p < n_rows; p++)
                {
                  double vi = ref ? ref[p * ld + hd + i] : lb_fp16_to_fp32 (v16[p * ld + hd + i]);
                  want += a[p] * vi;
                  abs_sum += fabs (a[p] * vi);
                }
              assert_close (out[i], want, abs_sum, 1e-6, "wsum", hd);
            }
        }

      for (guint p = 0; p < n_rows; p++)
        {
          double want = 0, abs_sum = 0;
          float got = k->dot_q8_0 (hd, vq + p * qrow + lb_type_row_size (LB_TYPE_Q8_0, hd), q);
          for (gint64 i = 0; i < hd; i++)
            {
              want += (double) vqf[p * ld + hd + i] * q[i];
              abs_sum += fabs ((double) vqf[p * ld + hd + i] * q[i]);
            }
          assert_close (got, want, abs_sum, 1e-6, "dot_q8_0", hd);
        }
    }
}

/* attention scores of 8 positions at a time, and the leftovers */
static void
test_scores (void)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (8);
  const LbMatmulKernels *sets[MAX_SETS];
  guint n_sets = kernel_sets (sets);
  const gint64 hds[] = { 8, 12, 32, 64 };
  const guint n_kv = 21, ld = 80;
  float keys[21 * 80], q[64], scores[21];
  guint16 keys16[21 * 80];

  fill (r, keys, n_kv * ld, 1.0);
  fill (r, q, 64, 1.0);
  for (guint i = 0; i < n_kv * ld; i++)
    {
      keys16[i] = lb_fp32_to_fp16 (keys[i]);
      keys[i] = lb_fp16_to_fp32 (keys16[i]);   /* the same values in both */
    }
  for (guint s = 0; s < n_sets; s++)
    for (guint hi = 0; hi < G_N_ELEMENTS (hds); hi++)
      for (guint type = 0; type < 2; type++)
        {
          gint64 hd = hds[hi];
          float max = type == 0
            ? sets[s]->scores_f32 (n_kv, hd, keys + 3, ld, q, 0.25f, scores)
            : sets[s]->scores_f16 (n_kv, hd, keys16 + 3, ld, q, 0.25f, scores);
          float want_max = -INFINITY;

          for (guint p = 0; p < n_kv; p++)
            {
              double want = 0, abs_sum = 0;
              for (gint64 i = 0; i < hd; i++)
                {
                  want += 0.25 * keys[p * ld + 3 + i] * q[i];
                  abs_sum += fabs (0.25 * keys[p * ld + 3 + i] * q[i]);
                }
              assert_close (scores[p], want, abs_sum, 1e-6, "scores", hd);
              want_max = MAX (want_max, scores[p]);
            }
          g_assert_cmpfloat (max, ==, want_max);
        }
}

/* ---- lb_matmul_run over every weight type ---------------------------------------- */

static const LbType weight_types[] = {
  LB_TYPE_F32, LB_TYPE_F16, LB_TYPE_BF16, LB_TYPE_Q8_0, LB_TYPE_Q4_0, LB_TYPE_Q4_1,
  LB_TYPE_Q5_0, LB_TYPE_Q5_1, LB_TYPE_IQ4_NL, LB_TYPE_Q2_K, LB_TYPE_Q3_K, LB_TYPE_Q4_K,
  LB_TYPE_Q5_K, LB_TYPE_Q6_K,
};

typedef struct {
  LbTensor       *w;
  guint8         *bytes;
  float          *wf;       /* dequantized */
  LbMatmulInput   in;
  LbMemPool      *pool;
  LbMatmulScratch scratch;
  float          *scratch_mem;
} Setup;

static void
setup_free (Setup *s)
{
  lb_tensor_free (s->w);
  g_free (s->bytes);
  g_free (s->wf);
  lb_mem_pool_free (s->pool);
  g_free (s->scratch_mem);
}

static void
setup_weight (Setup *s, GRand *r, LbType type, gint64 n_in, gint64 n_out, guint n_tok,
              guint n_threads)
{
  const LbTypeTraits *tr = lb_type_get_traits (type);
  gsize row_bytes = lb_type_row_size (type, n_in);
  g_autofree float *src = g_new (float, n_in * n_out);
  gint64 ne[2] = { n_in, n_out };
  const LbTensor *ws[1];
  g_autoptr (LbMemPool) counting = lb_mem_pool_new_counting ();
  GError *error = NULL;

  fill (r, src, n_in * n_out, 0.1);
  s->bytes = g_malloc (row_bytes * n_out);
  s->wf = g_new (float, n_in * n_out);
  for (gint64 row = 0; row < n_out; row++)
    {
      tr->from_float (src + row * n_in, s->bytes + row * row_bytes, n_in, NULL);
      tr->to_float (s->bytes + row * row_bytes, s->wf + row * n_in, n_in);
    }
  s->w = lb_tensor_new ("w", type, 2, ne, s->bytes, row_bytes * n_out);
  ws[0] = s->w;
  g_assert_true (lb_matmul_supports_type (type));

  g_assert_true (lb_matmul_input_init (&s->in, n_in, n_tok, ws, 1, counting, "x", &error));
  s->pool = lb_mem_pool_new (lb_mem_pool_get_size (counting), &error);
  g_assert_no_error (error);
  g_assert_true (lb_matmul_input_init (&s->in, n_in, n_tok, ws, 1, s->pool, "x", &error));
  fill (r, s->in.f32, n_tok * n_in, 1.0);
  for (guint t = 0; t < n_tok; t++)
    lb_matmul_input_prepare_row (&s->in, t);

  s->scratch.floats_per_thread = lb_matmul_scratch_floats (n_in);
  s->scratch_mem = g_new (float, s->scratch.floats_per_thread * n_threads);
  s->scratch.data = s->scratch_mem;
}

static void
test_matmul_types (void)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (4);
  GError *error = NULL;
  g_autoptr (LbThreadPool) one = lb_thread_pool_new (1, &error);
  g_autoptr (LbThreadPool) two = lb_thread_pool_new (2, &error);
  const gint64 n_in = 512, n_out = 37;
  const guint n_tok = 5;

  g_assert_no_error (error);
  for (guint ti = 0; ti < G_N_ELEMENTS (weight_types); ti++)
    {
      LbType type = weight_types[ti];
      const LbTypeTraits *tr = lb_type_get_traits (type);
      Setup s = { 0 };
      g_autofree float *y1 = g_new (float, n_tok * n_out);
      g_autofree float *y2 = g_new (float, n_tok * n_out);
      g_autofree float *ys = g_new (float, n_tok * n_out);
      g_autofree float *yacc = g_new (float, n_tok * n_out);
      double worst = 0;

      setup_weight (&s, r, type, n_in, n_out, n_tok, 2);
      {
        LbMatmulJob j1 = { s.w, y1, n_out, FALSE };
        LbMatmulJob j2 = { s.w, y2, n_out, FALSE };
        lb_matmul_run (one, &s.in, 0, n_tok, &j1, 1, &s.scratch);
        lb_matmul_run (two, &s.in, 0, n_tok, &j2, 1, &s.scratch);
      }
      /* one token at a time, and accumulating onto 1.0 */
      for (guint t = 0; t < n_tok; t++)
        {
          LbMatmulJob j = { s.w, ys + t * n_out, n_out, FALSE };
          lb_matmul_run (two, &s.in, t, 1, &j, 1, &s.scratch);
        }
      for (gint64 i = 0; i < n_tok * n_out; i++)
        yacc[i] = 1.0f;
      {
        LbMatmulJob j = { s.w, yacc, n_out, TRUE };
        lb_matmul_run (two, &s.in, 0, n_tok, &j, 1, &s.scratch);
      }
      g_assert_cmpmem (y1, n_tok * n_out * sizeof (float), y2, n_tok * n_out * sizeof (float));
      g_assert_cmpmem (y1, n_tok * n_out * sizeof (float), ys, n_tok * n_out * sizeof (float));

      for (guint t = 0; t < n_tok; t++)
        for (gint64 row = 0; row < n_out; row++)
          {
            const float *x = s.in.f32 + t * n_in;
            const float *w = s.wf + row * n_in;
            double want = 0, abs_sum = 0, bound = 0;
            float got = y1[t * n_out + row];

            g_assert_cmpfloat (yacc[t * n_out + row], ==, 1.0f + got);
            /* Rounding x to 8-bit levels of step amax/127 per block moves
             * each x[i] by at most one step (half a step, or a full one
             * where the top value is clamped): a rigorous bound on the
             * error that the activation quantization adds. */
            for (gint64 b = 0; b < n_in; b += tr->block_size)
              {
                double amax = 0, wsum = 0;
                for (guint i = 0; i < tr->block_size; i++)
                  {
                    amax = MAX (amax, fabs (x[b + i]));
                    wsum += fabs (w[b + i]);
                  }
                bound += wsum * amax / 127.0;
              }
            for (gint64 i = 0; i < n_in; i++)
              {
                want += (double) w[i] * x[i];
                abs_sum += fabs ((double) w[i] * x[i]);
              }
            if (!tr->quantized)
              bound = 0;
            if (!(fabs (got - want) <= bound + 1e-5 * abs_sum))
              g_error ("%s token %u row %" G_GINT64_FORMAT ": %.7g vs %.7g (bound %.3g)",
                       tr->name, t, row, got, want, bound);
            worst = MAX (worst, fabs (got - want) / abs_sum);

            /* quantized: the type's own vec_dot on the prepared row gives
             * the same bits, or, where the engine has a tile kernel of its
             * own, the same value up to float summation order */
            if (tr->quantized)
              {
                float v;
                tr->vec_dot (n_in, &v, s.bytes + row * lb_type_row_size (type, n_in),
                             s.in.copies[0].data + t * s.in.copies[0].row_bytes);
                if (lb_matmul_kernels ()->quant_tile[type] == NULL)
                  g_assert_cmpfloat (v, ==, got);
                else
                  assert_close (got, v, abs_sum, 1e-5, tr->name, n_in);
              }
          }
      g_test_message ("%s: worst |error| / sum |w x| = %.3g", tr->name, worst);
      setup_free (&s);
    }
}

/* two jobs in one loop give what they give alone */
static void
test_matmul_jobs (void)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (5);
  GError *error = NULL;
  g_autoptr (LbThreadPool) two = lb_thread_pool_new (2, &error);
  Setup a = { 0 };
  const gint64 n_in = 256;
  g_autofree float *ya = g_new (float, 3 * 100);
  g_autofree float *yb = g_new (float, 3 * 20);
  g_autofree float *ya1 = g_new (float, 3 * 100);
  g_autofree float *yb1 = g_new (float, 3 * 20);
  g_autofree guint8 *bytes = NULL;
  g_autoptr (LbTensor) wb = NULL;

  g_assert_no_error (error);
  setup_weight (&a, r, LB_TYPE_Q4_K, n_in, 100, 3, 2);
  {
    /* a second weight of another type with the same activation format */
    const LbTypeTraits *tr = lb_type_get_traits (LB_TYPE_Q6_K);
    gsize rb = lb_type_row_size (LB_TYPE_Q6_K, n_in);
    g_autofree float *src = g_new (float, n_in * 20);
    gint64 ne[2] = { n_in, 20 };

    fill (r, src, n_in * 20, 0.1);
    bytes = g_malloc (rb * 20);
    for (int row = 0; row < 20; row++)
      tr->from_float (src + row * n_in, bytes + row * rb, n_in, NULL);
    wb = lb_tensor_new ("wb", LB_TYPE_Q6_K, 2, ne, bytes, rb * 20);
  }
  {
    LbMatmulJob both[] = { { a.w, ya, 100, FALSE }, { wb, yb, 20, FALSE } };
    LbMatmulJob ja = { a.w, ya1, 100, FALSE }, jb = { wb, yb1, 20, FALSE };

    lb_matmul_run (two, &a.in, 0, 3, both, 2, &a.scratch);
    lb_matmul_run (two, &a.in, 0, 3, &ja, 1, &a.scratch);
    lb_matmul_run (two, &a.in, 0, 3, &jb, 1, &a.scratch);
  }
  g_assert_cmpmem (ya, 300 * sizeof (float), ya1, 300 * sizeof (float));
  g_assert_cmpmem (yb, 60 * sizeof (float), yb1, 60 * sizeof (float));
  setup_free (&a);
}

/* ---- quantized tile kernels against the scalar vec_dot -------------------------------- */

/* random finite half with magnitude around 2^-e */
static guint16
random_scale (GRand *r)
{
  float v = (float) (g_rand_double_range (r, 0.5, 1.0) * pow (2.0, -g_rand_int_range (r, 0, 12)));
  return lb_fp32_to_fp16 (g_rand_boolean (r) ? v : -v);
}

static void
test_quant_tiles (void)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (7);
  const LbType types[] = { LB_TYPE_Q8_0, LB_TYPE_Q4_0, LB_TYPE_Q4_K, LB_TYPE_Q6_K,
                           LB_TYPE_IQ4_NL, LB_TYPE_Q5_0 };
  /* every shape the dispatcher knows, and one it runs row by row */
  const guint shapes[][2] = { { 1, 1 }, { 2, 1 }, { 3, 1 }, { 4, 1 }, { 2, 2 }, { 2, 3 },
                              { 2, 4 }, { 1, 2 }, { 1, 3 }, { 1, 4 }, { 3, 3 } };
  const LbMatmulKernels *sets[MAX_SETS];
  guint n_sets = kernel_sets (sets);
  /* no SIMD set on this machine: nothing can differ from the vec_dot path */
  if (n_sets == 1)
    g_test_message ("no SIMD kernel set on this machine");
  /* each SIMD set (the scalar one has no tile kernels) */
  for (guint c = 0; c < (n_sets - 1) * G_N_ELEMENTS (types); c++)
    {
      const LbMatmulKernels *simd = sets[1 + c / G_N_ELEMENTS (types)];
      guint ti = c % G_N_ELEMENTS (types);
      LbType type = types[ti];
      const LbTypeTraits *tr = lb_type_get_traits (type);
      /* 32-element types: 15 blocks, a full group of 8 and a partial one */
      const gint64 n = tr->block_size == LB_QK ? 480 : 512;
      LbQuantKernels scalar;
      gsize wrow = lb_type_row_size (type, n), xrow;
      g_autofree guint8 *w = g_malloc (4 * wrow);
      g_autofree guint8 *x = NULL;
      g_autofree float *xf = g_new (float, 4 * n);
      g_autofree float *wf = g_new (float, n);

      /* every set has the first four; AVX2 also IQ4_NL and Q5_0 */
      if (ti >= 4 && simd->quant_tile[type] == NULL)
        continue;
      g_assert_nonnull (simd->quant_tile[type]);
      g_assert_true (lb_quant_get_kernels (type, LB_QUANT_IMPL_SCALAR, &scalar));
      /* activation rows as the engine lays them out for the tiles */
      xrow = lb_matmul_act_row_bytes (scalar.vec_dot_type, n);
      x = g_malloc (4 * xrow);

      for (guint round = 0; round < 20; round++)
        {
          float ref[4][4];

          /* random bytes everywhere (levels, packed scales, Q8_0's -128),
           * then finite f16 scales in place */
          for (gsize i = 0; i < 4 * wrow; i++)
            w[i] = (guint8) g_rand_int (r);
          for (gsize blk = 0; blk < 4 * wrow / tr->type_size; blk++)
            {
              guint8 *b = w + blk * tr->type_size;
              guint16 d = random_scale (r), dmin = random_scale (r);
              gsize off = type == LB_TYPE_Q6_K ? offsetof (LbBlockQ6_K, d) : 0;
              memcpy (b + off, &d, 2);
              if (type == LB_TYPE_Q4_K)
                memcpy (b + 2, &dmin, 2);
            }
          /* activations: gaussian, or with one huge value per row */
          fill (r, xf, 4 * n, 1.0);
          if (round % 2)
            for (guint t = 0; t < 4; t++)
              xf[t * n + g_rand_int_range (r, 0, n)] = 1e4f;
          for (guint t = 0; t < 4; t++)
            lb_matmul_act_from_float (scalar.vec_dot_type, xf + t * n, x + t * xrow, n);

          for (guint row = 0; row < 4; row++)
            for (guint t = 0; t < 4; t++)
              scalar.vec_dot (n, &ref[row][t], w + row * wrow, x + t * xrow);

          for (guint si = 0; si < G_N_ELEMENTS (shapes); si++)
            {
              guint nr = shapes[si][0], nt = shapes[si][1];
              float out[4 * 4];

              simd->quant_tile[type] (n, w, wrow, nr, x, xrow, nt, out, 4);
              for (guint row = 0; row < nr; row++)
                {
                  tr->to_float (w + row * wrow, wf, n);
                  for (guint t = 0; t < nt; t++)
                    {
                      double abs_sum = 0;
                      float one;

                      for (gint64 i = 0; i < n; i++)
                        abs_sum += fabs ((double) wf[i] * xf[t * n + i]);
                      assert_close (out[t * 4 + row], ref[row][t], abs_sum, 1e-5, tr->name, n);
                      /* the same bits as a 1 × 1 tile */
                      simd->quant_tile[type] (n, w + row * wrow, wrow, 1, x + t * xrow, xrow, 1,
                                              &one, 1);
                      g_assert_cmpfloat (one, ==, out[t * 4 + row]);
                    }
                }
            }
        }
    }
}

/* ---- attention ---------------------------------------------------------------------- */

static void
test_attention (void)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (6);
  const LbType kv_types[] = { LB_TYPE_F32, LB_TYPE_F16, LB_TYPE_Q8_0 };
  const guint n_layer = 2, n_ctx = 40, n_head_kv = 2, hd = 64;
  const guint kv_dim = n_head_kv * hd;
  const LbMatmulKernels *sets[MAX_SETS];
  guint n_sets = kernel_sets (sets);

  for (guint s = 0; s < n_sets; s++)
    for (guint ki = 0; ki < G_N_ELEMENTS (kv_types); ki++)
      {
        const LbMatmulKernels *k = sets[s];
        LbType type = kv_types[ki];
        const LbTypeTraits *tr = lb_type_get_traits (type);
        g_autoptr (LbMemPool) counting = lb_mem_pool_new_counting ();
        g_autoptr (LbMemPool) pool = NULL;
        g_autofree float *keys = g_new (float, n_ctx * kv_dim);
        g_autofree float *vals = g_new (float, n_ctx * kv_dim);
        g_autofree float *kback = g_new (float, n_ctx * kv_dim);
        g_autofree float *vback = g_new (float, n_ctx * kv_dim);
        float q[64], out[64], scores[40];
        LbKvCache cache;
        GError *error = NULL;

        g_assert_true (lb_kv_cache_init (&cache, type, n_layer, n_ctx, n_head_kv, hd, counting,
                                         &error));
        pool = lb_mem_pool_new (lb_mem_pool_get_size (counting), &error);
        g_assert_true (lb_kv_cache_init (&cache, type, n_layer, n_ctx, n_head_kv, hd, pool,
                                         &error));
        g_assert_no_error (error);

        fill (r, keys, n_ctx * kv_dim, 1.0);
        fill (r, vals, n_ctx * kv_dim, 1.0);
        fill (r, q, hd, 1.0);
        for (guint p = 0; p < n_ctx; p++)
          {
            /* layer 1; layer 0 gets something else, which must not be read */
            float junk[128];
            for (guint i = 0; i < kv_dim; i++)
              junk[i] = 1000.0f;
            lb_kv_cache_store (&cache, k, 1, p, keys + p * kv_dim, vals + p * kv_dim);
            lb_kv_cache_store (&cache, k, 0, p, junk, junk);
            /* what the cache holds, read back with the type's own kernel */
            tr->to_float (cache.k + (n_ctx + p) * cache.row_bytes, kback + p * kv_dim, kv_dim);
            tr->to_float (cache.v + (n_ctx + p) * cache.row_bytes, vback + p * kv_dim, kv_dim);
          }

        /* causal prefixes, sliding windows (first > 0) and soft-capping */
        for (guint n_kv = 1; n_kv <= n_ctx; n_kv += 6)
          for (guint variant = 0; variant < 3; variant++)
            {
              guint first = variant == 1 && n_kv > 5 ? n_kv - 5 : 0;
              float cap = variant == 2 ? 1.5f : 0.0f;
              double sc[40], max = -INFINITY, sum = 0;
              float scale = 0.125f;

              lb_attention_head (&cache, k, 1, 1, q, first, n_kv, scale, cap, scores, out);
              for (guint p = first; p < n_kv; p++)
                {
                  double d = 0;
                  for (guint i = 0; i < hd; i++)
                    d += (double) q[i] * kback[p * kv_dim + hd + i];
                  sc[p] = d * scale;
                  if (cap > 0)
                    sc[p] = cap * tanh (sc[p] / cap);
                  max = MAX (max, sc[p]);
                }
              for (guint p = first; p < n_kv; p++)
                sum += (sc[p] = exp (sc[p] - max));
              for (guint i = 0; i < hd; i++)
                {
                  double want = 0, abs_sum = 0;
                  for (guint p = first; p < n_kv; p++)
                    {
                      want += sc[p] / sum * vback[p * kv_dim + hd + i];
                      abs_sum += fabs (sc[p] / sum * vback[p * kv_dim + hd + i]);
                    }
                  /* f32 scores of q·k (|q·k| up to ~30 here) carry ~1e-6
                   * relative error into exp */
                  assert_close (out[i], want, abs_sum, 2e-5, "attention", n_kv);
                }
            }
      }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lowbit/matmul/float-rows", test_float_rows);
  g_test_add_func ("/lowbit/matmul/conversions", test_conversions);
  g_test_add_func ("/lowbit/matmul/exp-silu", test_exp_silu);
  g_test_add_func ("/lowbit/matmul/wsum", test_wsum);
  g_test_add_func ("/lowbit/matmul/scores", test_scores);
  g_test_add_func ("/lowbit/matmul/quant-tiles", test_quant_tiles);
  g_test_add_func ("/lowbit/matmul/types", test_matmul_types);
  g_test_add_func ("/lowbit/matmul/jobs", test_matmul_jobs);
  g_test_add_func ("/lowbit/matmul/attention", test_attention);

  return g_test_run ();
}
