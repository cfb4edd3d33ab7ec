/* test-tensor-error.c: weight error metrics against hand-computed cases and
 * against llama.cpp's own quantized blocks. */
#include <math.h>
#include <string.h>

#include "lowbit.h"
#include "lb-tensor-error.h"
#include "lb-variant.h"
#include "lb-test-util.h"

#define ASSERT_NEAR(a, b, tol) g_assert_cmpfloat_with_epsilon ((double) (a), (double) (b), (tol))

static LbTensor *
f32_tensor (const char *name, gint64 ne0, gint64 ne1, const float *data)
{
  gint64 ne[2] = { ne0, ne1 };
  return lb_tensor_new (name, LB_TYPE_F32, 2, ne, (const guint8 *) data,
                        (gsize) (ne0 * ne1) * sizeof (float));
}

/* identical tensors: no error at all, SNR +inf */
static void
test_identical (void)
{
  float x[64];
  g_autoptr (LbTensor) a = NULL;
  g_autoptr (LbTensor) b = NULL;
  g_autoptr (LbTensor) q = NULL;
  g_autoptr (LbErrorMap) map = NULL;
  LbTensorErrorParams params = LB_TENSOR_ERROR_PARAMS_INIT;
  LbTensorError e;
  GError *error = NULL;

  for (guint i = 0; i < 64; i++)
    x[i] = (float) i - 20.5f;
  a = f32_tensor ("a", 16, 4, x);
  b = f32_tensor ("b", 16, 4, x);
  params.map_rows = 2;
  params.map_cols = 4;
  g_assert_true (lb_tensor_error_compare (a, b, &params, &e, &map, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (e.n_elements, ==, 64);
  g_assert_cmpfloat (e.mse, ==, 0.0);
  g_assert_cmpfloat (e.max_abs, ==, 0.0);
  g_assert_true (isinf (e.snr_db) && e.snr_db > 0);
  ASSERT_NEAR (e.cosine, 1.0, 1e-12);
  g_assert_false (e.weighted);
  g_assert_true (isnan (e.weighted_snr_db));
  g_assert_nonnull (map);
  g_assert_cmpuint (map->n_rows, ==, 2);
  g_assert_cmpuint (map->n_cols, ==, 4);
  for (guint i = 0; i < 8; i++)
    g_assert_true (isinf (map->snr_db[i]) && map->snr_db[i] > 0);

  /* values Q8_0 stores exactly (integers up to 127 in each block of 32) */
  for (guint i = 0; i < 64; i++)
    x[i] = (float) ((int) (i * 37 % 255) - 127);
  x[0] = 127;
  x[32] = -127;
  q = f32_tensor ("q", 32, 2, x);
  g_assert_true (lb_tensor_error_under_type (q, LB_TYPE_Q8_0, NULL, &e, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (e.mse, ==, 0.0);
  g_assert_true (isinf (e.snr_db));

  /* all zeros: cosine 1 by convention, SNR +inf */
  memset (x, 0, sizeof x);
  g_assert_true (lb_tensor_error_compare (a, b, NULL, &e, NULL, NULL, &error));
  g_assert_cmpfloat (e.cosine, ==, 1.0);
  g_assert_true (isinf (e.snr_db));
}

/* A known perturbation: x = 1 everywhere, y = x + 0.1 on every other
 * element. sum x^2 = n, sum d^2 = n/2 * 0.01: SNR = 10 log10 (200) dB. */
static void
test_perturbation (void)
{
  enum { NE0 = 8, NE1 = 4, N = NE0 * NE1 };
  float x[N] = { 0 }, y[N] = { 0 };
  float w[NE0] = { 1, 0, 1, 0, 1, 0, 1, 0 };
  float w_odd[NE0] = { 0, 1, 0, 1, 0, 1, 0, 1 };
  g_autoptr (LbTensor) a = f32_tensor ("a", NE0, NE1, x);
  g_autoptr (LbTensor) b = f32_tensor ("b", NE0, NE1, y);
  g_autoptr (LbErrorMap) map = NULL;
  LbTensorErrorParams params = LB_TENSOR_ERROR_PARAMS_INIT;
  LbTensorError e;
  GError *error = NULL;
  double sxy, sy2, cosv;

  for (guint i = 0; i < N; i++)
    {
      x[i] = 1.0f;
      y[i] = i % 2 ? 1.1f : 1.0f;
    }
  g_assert_true (lb_tensor_error_compare (a, b, NULL, &e, NULL, NULL, &error));
  g_assert_no_error (error);
  ASSERT_NEAR (e.mse, 0.01 / 2, 1e-7);
  ASSERT_NEAR (e.snr_db, 10 * log10 (200.0), 1e-4);
  ASSERT_NEAR (e.max_abs, 0.1, 1e-6);
  ASSERT_NEAR (e.rms, 1.0, 1e-12);
  /* sum xy = n/2 (1 + 1.1), sum y^2 = n/2 (1 + 1.21) */
  sxy = N / 2 * 2.1;
  sy2 = N / 2 * 2.21;
  cosv = sxy / sqrt (N * sy2);
  ASSERT_NEAR (e.cosine, cosv, 1e-7);

  /* importance only on the even columns, which are exact */
  params.importance = w;
  params.n_importance = NE0;
  g_assert_true (lb_tensor_error_compare (a, b, &params, &e, NULL, NULL, &error));
  g_assert_true (e.weighted);
  g_assert_cmpfloat (e.weighted_mse, ==, 0.0);
  g_assert_true (isinf (e.weighted_snr_db));
  ASSERT_NEAR (e.snr_db, 10 * log10 (200.0), 1e-4);   /* unweighted unchanged */
  /* only on the odd ones: every weighted element is off by 0.1 */
  params.importance = w_odd;
  g_assert_true (lb_tensor_error_compare (a, b, &params, &e, NULL, NULL, &error));
  ASSERT_NEAR (e.weighted_mse, 0.01, 1e-7);
  ASSERT_NEAR (e.weighted_snr_db, 20.0, 1e-4);

  /* the map: 2 x 2 cells; perturb only the top-left one more */
  for (guint i = 0; i < N; i++)
    y[i] = 1.0f;
  y[0] = 1.5f;   /* row 0, column 0: cell (0, 0) holds 2 rows x 4 columns */
  params.importance = NULL;
  params.map_rows = 2;
  params.map_cols = 2;
  g_assert_true (lb_tensor_error_compare (a, b, &params, &e, &map, NULL, &error));
  ASSERT_NEAR (map->snr_db[0], 10 * log10 (8 / 0.25), 1e-4);
  g_assert_true (isinf (map->snr_db[1]) && isinf (map->snr_db[2]) && isinf (map->snr_db[3]));
  ASSERT_NEAR (e.snr_db, 10 * log10 (N / 0.25), 1e-4);
  ASSERT_NEAR (e.max_abs, 0.5, 1e-7);

  /* the accumulator on its own, and the SNR conventions */
  g_assert_true (isinf (lb_snr_db (0, 0)) && lb_snr_db (0, 0) > 0);
  g_assert_true (isinf (lb_snr_db (0, 1)) && lb_snr_db (0, 1) < 0);
  ASSERT_NEAR (lb_snr_db (100, 1), 20.0, 1e-12);
}

static void
test_errors (void)
{
  float x[96] = { 0 };
  float bad_imp[3] = { 1, 1, 1 };
  g_autoptr (LbTensor) a = f32_tensor ("blk.0.ffn_down.weight", 48, 2, x);
  g_autoptr (LbTensor) b = f32_tensor ("b", 32, 3, x);
  g_autoptr (LbTensor) c = f32_tensor ("c", 32, 3, x);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  LbTensorErrorParams params = LB_TENSOR_ERROR_PARAMS_INIT;
  LbTensorError e;
  GError *error = NULL;

  /* 48-wide rows fit no 32-block */
  g_assert_false (lb_tensor_error_under_type (a, LB_TYPE_Q4_0, NULL, &e, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "blk.0.ffn_down.weight"));
  g_assert_nonnull (strstr (error->message, "Q4_0"));
  g_clear_error (&error);
  /* shapes differ */
  g_assert_false (lb_tensor_error_compare (a, b, NULL, &e, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* importance of the wrong length */
  params.importance = bad_imp;
  params.n_importance = 3;
  g_assert_false (lb_tensor_error_compare (b, c, &params, &e, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* non-finite weights */
  x[40] = NAN;
  g_assert_false (lb_tensor_error_under_type (b, LB_TYPE_Q8_0, NULL, &e, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_NUMERIC);
  g_assert_nonnull (strstr (error->message, "row 1, column 8"));
  g_clear_error (&error);
  x[40] = 0;
  g_cancellable_cancel (cancellable);
  g_assert_false (lb_tensor_error_compare (b, c, NULL, &e, NULL, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
}

static LbModel *
load_shared (const char *dir, const char *file)
{
  g_autofree char *path = lb_test_shared_path ("models", dir, file, NULL);
  GError *error = NULL;
  LbModel *model;

  if (path == NULL)
    return NULL;
  model = lb_model_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  return model;
}

/* Our Q4_0 error of the f16 weights equals the error of llama.cpp's Q4_0
 * blocks computed independently here (dequantized, compared in double);
 * the same holds for Q8_0. Threads do not change the numbers. */
static void
check_against_file (const char *file, LbType type)
{
  g_autoptr (LbModel) f16 = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autoptr (LbModel) quant = load_shared ("llamacpp-quants", file);
  g_autoptr (LbThreadPool) pool = NULL;
  const char *names[] = { "blk.0.attn_q.weight", "blk.3.ffn_down.weight",
                          "blk.7.attn_v.weight", "blk.5.ffn_gate.weight" };
  GError *error = NULL;

  if (f16 == NULL || quant == NULL)
    return;
  pool = lb_thread_pool_new (2, &error);
  g_assert_no_error (error);
  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    {
      const LbTensor *ft = lb_model_find_tensor (f16, names[k]);
      const LbTensor *qt = lb_model_find_tensor (quant, names[k]);
      const LbTypeTraits *ftr = lb_type_get_traits (ft->type), *qtr = lb_type_get_traits (qt->type);
      gint64 ne0 = ft->ne[0], n_rows = lb_tensor_n_rows (ft);
      g_autofree float *x = g_new (float, ne0);
      g_autofree float *y = g_new (float, ne0);
      double sx2 = 0, sy2 = 0, sxy = 0, sd2 = 0, mx = 0;
      double snr, mse, cosv;
      LbTensorErrorParams params = LB_TENSOR_ERROR_PARAMS_INIT;
      LbTensorError ours, cmp, one;
      g_autoptr (LbErrorMap) map = NULL;

      g_assert_cmpint (qt->type, ==, type);
      /* independent: dequantize llama.cpp's blocks and compare with f16 */
      for (gint64 r = 0; r < n_rows; r++)
        {
          ftr->to_float (ft->data + r * lb_tensor_row_bytes (ft), x, ne0);
          qtr->to_float (qt->data + r * lb_tensor_row_bytes (qt), y, ne0);
          for (gint64 i = 0; i < ne0; i++)
            {
              double d = (double) x[i] - y[i];
              sx2 += (double) x[i] * x[i];
              sy2 += (double) y[i] * y[i];
              sxy += (double) x[i] * y[i];
              sd2 += d * d;
              mx = MAX (mx, fabs (d));
            }
        }
      snr = 10 * log10 (sx2 / sd2);
      mse = sd2 / (double) (ne0 * n_rows);
      cosv = sxy / sqrt (sx2 * sy2);

      params.pool = pool;
      params.map_rows = 32;
      params.map_cols = 32;
      g_assert_true (lb_tensor_error_under_type (ft, type, &params, &ours, &map, NULL, &error));
      g_assert_no_error (error);
      g_test_message ("%s %s: SNR %.4f dB (llama.cpp's blocks %.4f dB), cosine %.6f, max %.4g",
                      names[k], lb_type_get_name (type), ours.snr_db, snr, ours.cosine,
                      ours.max_abs);
      ASSERT_NEAR (ours.snr_db, snr, 1e-6);
      ASSERT_NEAR (ours.mse, mse, mse * 1e-9);
      ASSERT_NEAR (ours.cosine, cosv, 1e-12);
      ASSERT_NEAR (ours.max_abs, mx, 1e-9);
      g_assert_cmpuint (map->n_rows, ==, 32);
      g_assert_cmpuint (map->n_cols, ==, 32);
      for (guint i = 0; i < 32 * 32; i++)
        g_assert_true (isfinite (map->snr_db[i]) && map->snr_db[i] > 0);

      /* comparing with the file's tensor gives the same numbers */
      g_assert_true (lb_tensor_error_compare (ft, qt, &params, &cmp, NULL, NULL, &error));
      g_assert_no_error (error);
      ASSERT_NEAR (cmp.snr_db, snr, 1e-6);

      /* one thread, same groups: bit-identical */
      params.pool = NULL;
      g_assert_true (lb_tensor_error_under_type (ft, type, &params, &one, NULL, NULL, &error));
      g_assert_cmpfloat (one.snr_db, ==, ours.snr_db);
      g_assert_cmpfloat (one.mse, ==, ours.mse);
    }
}

static void
test_llamacpp_q4_0 (void)
{
  check_against_file ("mini-Q4_0.gguf", LB_TYPE_Q4_0);
}

static void
test_llamacpp_q8_0 (void)
{
  check_against_file ("mini-Q8_0.gguf", LB_TYPE_Q8_0);
}

/* With importance: the weighted SNR of the imatrix quantization is better
 * than that of the plain one (the quantizer spends its precision where the
 * weights say), and the weights are read from the imatrix file. */
static void
test_importance (void)
{
  g_autoptr (LbModel) f16 = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autofree char *imx_path = lb_test_shared_path ("models", "llamacpp-quants",
                                                   "imatrix-wikitext2-valid.gguf", NULL);
  g_autoptr (LbImatrix) imatrix = NULL;
  const LbTensor *t;
  const float *imp;
  gsize n_imp;
  float *ones;
  LbTensorErrorParams params = LB_TENSOR_ERROR_PARAMS_INIT;
  LbTensorError with, plain, flat;
  GError *error = NULL;

  if (f16 == NULL || imx_path == NULL)
    return;
  imatrix = lb_imatrix_load (imx_path, &error);
  g_assert_no_error (error);
  t = lb_model_find_tensor (f16, "blk.2.ffn_down.weight");
  g_assert_true (lb_tensor_find_importance (t, imatrix, &imp, &n_imp, &error));
  g_assert_nonnull (imp);
  g_assert_cmpuint (n_imp, ==, 768);

  params.importance = imp;
  params.n_importance = n_imp;
  g_assert_true (lb_tensor_error_under_type (t, LB_TYPE_Q3_K, &params, &with, NULL, NULL, &error));
  g_assert_no_error (error);
  /* plain quantization, measured with the same weights */
  ones = g_new (float, n_imp);
  for (gsize i = 0; i < n_imp; i++)
    ones[i] = 1.0f;
  {
    g_autoptr (LbModel) dummy = NULL;
    g_autoptr (GHashTable) o = g_hash_table_new (g_str_hash, g_str_equal);
    g_hash_table_insert (o, t->name, GINT_TO_POINTER (LB_TYPE_Q3_K));
    dummy = lb_variant_build (f16, o, NULL, 1, NULL, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (lb_tensor_error_compare (t, lb_model_find_tensor (dummy, t->name), &params,
                                            &plain, NULL, NULL, &error));
    g_assert_no_error (error);
  }
  g_test_message ("Q3_K weighted SNR: %.3f dB with importance, %.3f dB without; unweighted "
                  "%.3f vs %.3f", with.weighted_snr_db, plain.weighted_snr_db, with.snr_db,
                  plain.snr_db);
  g_assert_cmpfloat (with.weighted_snr_db, >, plain.weighted_snr_db);
  /* flat importance is the unweighted metric */
  params.importance = ones;
  g_assert_true (lb_tensor_error_under_type (t, LB_TYPE_Q3_K, &params, &flat, NULL, NULL, &error));
  ASSERT_NEAR (flat.weighted_snr_db, flat.snr_db, 1e-9);
  ASSERT_NEAR (flat.weighted_mse, flat.mse, flat.mse * 1e-9);
  g_free (ones);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lowbit/tensor-error/identical", test_identical);
  g_test_add_func ("/lowbit/tensor-error/perturbation", test_perturbation);
  g_test_add_func ("/lowbit/tensor-error/errors", test_errors);
  g_test_add_func ("/lowbit/tensor-error/llamacpp-q4_0", test_llamacpp_q4_0);
  g_test_add_func ("/lowbit/tensor-error/llamacpp-q8_0", test_llamacpp_q8_0);
  g_test_add_func ("/lowbit/tensor-error/importance", test_importance);

  return g_test_run ();
}
