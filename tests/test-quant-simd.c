/* test-quant-simd.c: the SIMD kernels (AVX2 on x86-64; NEON, with and
 * without the dot-product extension, on AArch64) against the scalar
 * definitions, on random and adversarial data. Quantization and
 * dequantization must give the same bits; dot products the same value up
 * to float summation order. */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "lowbit.h"
#include "lb-quant-private.h"
#include "lb-test-util.h"

typedef enum {
  DATA_GAUSSIAN,
  DATA_ZERO_BLOCKS,     /* every other block all zeros */
  DATA_OUTLIER,         /* one huge value per 32 */
  DATA_DENORMAL,        /* float subnormals, some blocks of them only */
  DATA_MAX_MAGNITUDE,   /* +-60000: large but the scales still fit f16 */
  DATA_ALTERNATING,     /* alternating signs, near-constant magnitude */
  DATA_CONSTANT,        /* every value the same */
  DATA_OVERFLOW,        /* 1e30: scales overflow f16 (must agree, not crash) */
  N_DATA,
} DataKind;

static const char *data_names[N_DATA] = {
  "gaussian", "zero-blocks", "outlier", "denormal", "max-magnitude",
  "alternating", "constant", "overflow",
};

static double
gauss (GRand *r)
{
  double u1 = g_rand_double_range (r, 1e-12, 1.0), u2 = g_rand_double (r);
  return sqrt (-2 * log (u1)) * cos (2 * G_PI * u2);
}

static void
fill (GRand *r, DataKind kind, float *x, gint64 n)
{
  for (gint64 i = 0; i < n; i++)
    {
      double g = gauss (r);
      switch (kind)
        {
        case DATA_GAUSSIAN: x[i] = (float) g; break;
        case DATA_ZERO_BLOCKS: x[i] = (i / 256) % 2 == 0 || (i / 32) % 2 == 0 ? 0.0f : (float) g; break;
        case DATA_OUTLIER: x[i] = i % 32 == 17 ? (i % 64 < 32 ? 1e4f : -1e4f) : (float) g; break;
        case DATA_DENORMAL: x[i] = (float) (g * ((i / 256) % 2 ? 1e-40 : 1.0) * ((i / 32) % 3 == 0 ? 1e-39 : 1.0)); break;
        case DATA_MAX_MAGNITUDE: x[i] = g_rand_boolean (r) ? 60000.0f : -60000.0f; break;
        case DATA_ALTERNATING: x[i] = (i % 2 ? -1.0f : 1.0f) * (1.0f + 0.01f * (float) (i % 7)); break;
        case DATA_CONSTANT: x[i] = 0.5f; break;
        case DATA_OVERFLOW: x[i] = (float) (g * 1e30); break;
        default: g_assert_not_reached ();
        }
    }
}

/* offsets of the f16 scale fields of a block, for random-byte blocks */
static int
half_offsets (LbType t, gsize *off)
{
  switch (t)
    {
    case LB_TYPE_Q4_0: case LB_TYPE_Q5_0: case LB_TYPE_Q8_0: case LB_TYPE_IQ4_NL:
      off[0] = 0;
      return 1;
    case LB_TYPE_Q4_1: case LB_TYPE_Q5_1: case LB_TYPE_Q4_K: case LB_TYPE_Q5_K:
      off[0] = 0;
      off[1] = 2;
      return 2;
    case LB_TYPE_Q2_K:
      off[0] = offsetof (LbBlockQ2_K, d);
      off[1] = offsetof (LbBlockQ2_K, dmin);
      return 2;
    case LB_TYPE_Q3_K:
      off[0] = offsetof (LbBlockQ3_K, d);
      return 1;
    case LB_TYPE_Q6_K:
      off[0] = offsetof (LbBlockQ6_K, d);
      return 1;
    default:
      g_assert_not_reached ();
    }
  return 0;
}

/* blocks of random bytes (every bit pattern the layout allows) with
 * finite scales */
static void
random_blocks (GRand *r, LbType t, guint8 *q, gint64 n)
{
  const LbTypeTraits *tr = lb_type_get_traits (t);
  gsize bytes = lb_type_row_size (t, n), off[2];
  int nh = half_offsets (t, off);

  for (gsize i = 0; i < bytes; i++)
    q[i] = (guint8) g_rand_int_range (r, 0, 256);
  for (gsize b = 0; b < bytes / tr->type_size; b++)
    for (int k = 0; k < nh; k++)
      {
        guint16 h = (guint16) ((g_rand_int_range (r, 0, 2) << 15) | (g_rand_int_range (r, 5, 21) << 10)
                               | g_rand_int_range (r, 0, 1024));
        h = GUINT16_TO_LE (h);
        memcpy (q + b * tr->type_size + off[k], &h, 2);
      }
}

static const char *
impl_name (LbQuantImpl impl)
{
  switch (impl)
    {
    case LB_QUANT_IMPL_SCALAR: return "scalar";
    case LB_QUANT_IMPL_AVX2: return "AVX2";
    case LB_QUANT_IMPL_NEON: return "NEON";
    case LB_QUANT_IMPL_NEON_DOTPROD: return "NEON dotprod";
    default: return "?";
    }
}

/* the SIMD implementations this machine runs (at most 3); with none, the
 * scalar kernels are compared with themselves */
static guint
simd_impls (LbQuantImpl *impls)
{
  guint n = 0;

  if (lb_quant_avx2_available ())
    impls[n++] = LB_QUANT_IMPL_AVX2;
  if (lb_quant_neon_available ())
    impls[n++] = LB_QUANT_IMPL_NEON;
  if (lb_quant_neon_dotprod_available ())
    impls[n++] = LB_QUANT_IMPL_NEON_DOTPROD;
  if (n == 0)
    {
      g_test_message ("this CPU has no SIMD kernels: comparing the scalar kernels with themselves");
      impls[n++] = LB_QUANT_IMPL_SCALAR;
    }
  return n;
}

static gboolean
same_float_bits (const float *a, const float *b, gint64 n, gint64 *where)
{
  for (gint64 i = 0; i < n; i++)
    if (memcmp (&a[i], &b[i], sizeof (float)) != 0 && !(isnan (a[i]) && isnan (b[i])))
      {
        *where = i;
        return FALSE;
      }
  return TRUE;
}

/* ---- activation quantization: same bytes --------------------------------- */

static void
test_quantize (gconstpointer data)
{
  LbType t = GPOINTER_TO_INT (data);
  LbQuantKernels s, v;
  LbQuantImpl impls[3];
  guint n_impls = simd_impls (impls);
  const gint64 n = 256 * 8;
  GRand *r = g_rand_new_with_seed (11);
  float *x = g_new (float, n);
  gsize bytes = lb_type_row_size (t, n);
  guint8 *qs = g_malloc (bytes), *qv = g_malloc (bytes);

  g_assert_true (lb_quant_get_kernels (t, LB_QUANT_IMPL_SCALAR, &s));
  /* every data kind for each implementation */
  for (guint c = 0; c < n_impls * N_DATA; c++)
    {
      guint ii = c / N_DATA;
      int k = c % N_DATA;

      g_assert_true (lb_quant_get_kernels (t, impls[ii], &v));
      fill (r, k, x, n);
      memset (qs, 0xaa, bytes);
      memset (qv, 0x55, bytes);
      s.from_float (x, qs, n, NULL);
      v.from_float (x, qv, n, NULL);
      if (memcmp (qs, qv, bytes) != 0)
        {
          gsize i = 0;
          while (qs[i] == qv[i])
            i++;
          g_test_fail_printf ("%s on %s data: byte %" G_GSIZE_FORMAT " differs (scalar %u, %s %u)",
                              lb_type_get_name (t), data_names[k], i, qs[i], impl_name (impls[ii]), qv[i]);
        }
    }
  g_rand_free (r);
  g_free (x);
  g_free (qs);
  g_free (qv);
}

/* ---- dequantization: same bits ------------------------------------------- */

static void
test_dequantize (gconstpointer data)
{
  LbType t = GPOINTER_TO_INT (data);
  LbQuantKernels s, v;
  const gint64 n = 256 * 8;
  GRand *r = g_rand_new_with_seed (12);
  float *x = g_new (float, n), *ys = g_new (float, n), *yv = g_new (float, n);
  guint8 *q = g_malloc (lb_type_row_size (t, n));
  gint64 where;
  LbQuantImpl impls[3];
  guint n_impls = simd_impls (impls);

  g_assert_true (lb_quant_get_kernels (t, LB_QUANT_IMPL_SCALAR, &s));
  /* every data kind and random blocks for each implementation */
  for (guint c = 0; c < n_impls * (N_DATA + 1); c++)
    {
      guint ii = c / (N_DATA + 1);
      int k = c % (N_DATA + 1);

      g_assert_true (lb_quant_get_kernels (t, impls[ii], &v));
      if (k == N_DATA)
        random_blocks (r, t, q, n);
      else
        {
          fill (r, k, x, n);
          s.from_float (x, q, n, NULL);
        }
      s.to_float (q, ys, n);
      v.to_float (q, yv, n);
      if (!same_float_bits (ys, yv, n, &where))
        g_test_fail_printf ("%s on %s blocks: element %" G_GINT64_FORMAT " scalar %.9g %s %.9g",
                            lb_type_get_name (t), k == N_DATA ? "random" : data_names[k],
                            where, ys[where], impl_name (impls[ii]), yv[where]);
    }
  g_rand_free (r);
  g_free (x);
  g_free (ys);
  g_free (yv);
  g_free (q);
}

/* ---- dot products: same value up to summation order ---------------------- */

static void
check_dot (LbType t, const LbQuantKernels *s, const LbQuantKernels *v, gint64 n,
           const guint8 *xq, const guint8 *yq, const char *what)
{
  const LbTypeTraits *vt = lb_type_get_traits (s->vec_dot_type);
  float *xd = g_new (float, n), *yd = g_new (float, n);
  float rs = 0, rv = 0;
  double mag = 0;

  lb_type_get_traits (t)->to_float (xq, xd, n);
  vt->to_float (yq, yd, n);
  for (gint64 i = 0; i < n; i++)
    mag += fabs ((double) xd[i] * yd[i]);
  s->vec_dot (n, &rs, xq, yq);
  v->vec_dot (n, &rv, xq, yq);
  if (isfinite (mag) && mag < FLT_MAX / 4)
    {
      if (!(fabs ((double) rs - rv) <= 2e-5 * mag + 1e-35))
        g_test_fail_printf ("%s, n %" G_GINT64_FORMAT ", %s: scalar %.9g simd %.9g (sum |x y| %.3g)",
                            lb_type_get_name (t), n, what, rs, rv, mag);
    }
  g_free (xd);
  g_free (yd);
}

static void
test_vec_dot (gconstpointer data)
{
  LbType t = GPOINTER_TO_INT (data);
  LbQuantKernels s, v[3], act;
  static const gint64 lengths[] = { 256, 512, 256 * 9 };
  static const DataKind y_kinds[] = { DATA_GAUSSIAN, DATA_OUTLIER, DATA_ALTERNATING, DATA_MAX_MAGNITUDE, DATA_ZERO_BLOCKS };
  GRand *r = g_rand_new_with_seed (13);
  LbQuantImpl impls[3];
  guint n_impls = simd_impls (impls);

  g_assert_true (lb_quant_get_kernels (t, LB_QUANT_IMPL_SCALAR, &s));
  for (guint ii = 0; ii < n_impls; ii++)
    g_assert_true (lb_quant_get_kernels (t, impls[ii], &v[ii]));
  g_assert_true (lb_quant_get_kernels (s.vec_dot_type, LB_QUANT_IMPL_SCALAR, &act));

  for (guint li = 0; li < G_N_ELEMENTS (lengths); li++)
    {
      gint64 n = lengths[li];
      float *x = g_new (float, n), *y = g_new (float, n);
      guint8 *xq = g_malloc (lb_type_row_size (t, n));
      guint8 *yq = g_malloc (lb_type_row_size (s.vec_dot_type, n));

      for (int xk = 0; xk <= N_DATA; xk++)
        {
          if (xk == N_DATA)
            random_blocks (r, t, xq, n);
          else
            {
              fill (r, xk, x, n);
              s.from_float (x, xq, n, NULL);
            }
          for (guint yk = 0; yk < G_N_ELEMENTS (y_kinds); yk++)
            {
              fill (r, y_kinds[yk], y, n);
              act.from_float (y, yq, n, NULL);
              for (guint ii = 0; ii < n_impls; ii++)
                {
                  char *what = g_strdup_printf ("%s, x %s, y %s", impl_name (impls[ii]),
                                                xk == N_DATA ? "random blocks" : data_names[xk],
                                                data_names[y_kinds[yk]]);
                  check_dot (t, &s, &v[ii], n, xq, yq, what);
                  g_free (what);
                }
            }
        }
      g_free (x);
      g_free (y);
      g_free (xq);
      g_free (yq);
    }
  g_rand_free (r);
}

/* ---- selection ------------------------------------------------------------ */

static void
test_no_simd_env (void)
{
  if (!g_test_subprocess () && !lb_test_can_trap_subprocess ())
    return;
  if (g_test_subprocess ())
    {
      const LbTypeTraits *tr;
      LbQuantKernels s;

      g_setenv ("LB_NO_SIMD", "1", TRUE);
      tr = lb_type_get_traits (LB_TYPE_Q4_K);
      g_assert_true (lb_quant_get_kernels (LB_TYPE_Q4_K, LB_QUANT_IMPL_SCALAR, &s));
      g_assert_cmpint (lb_quant_get_active_impl (), ==, LB_QUANT_IMPL_SCALAR);
      g_assert_true (tr->vec_dot == s.vec_dot);
      g_assert_true (tr->to_float == s.to_float);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static gboolean
env_set (const char *name)
{
  const char *v = g_getenv (name);
  return v && atoi (v) != 0;
}

/* what lb_type_register_kernels must have picked on this machine */
static LbQuantImpl
expected_impl (void)
{
  if (env_set ("LB_NO_SIMD"))
    return LB_QUANT_IMPL_SCALAR;
  if (lb_quant_avx2_available ())
    return LB_QUANT_IMPL_AVX2;
  if (lb_quant_neon_dotprod_available () && !env_set ("LB_NO_DOTPROD"))
    return LB_QUANT_IMPL_NEON_DOTPROD;
  if (lb_quant_neon_available ())
    return LB_QUANT_IMPL_NEON;
  return LB_QUANT_IMPL_SCALAR;
}

static void
test_default_selection (void)
{
  LbQuantKernels v;
  const LbTypeTraits *tr = lb_type_get_traits (LB_TYPE_Q6_K);
  const LbTypeTraits *t8 = lb_type_get_traits (LB_TYPE_Q8_K);
  LbQuantImpl want = expected_impl ();
  const char *expect_dp = g_getenv ("LB_EXPECT_DOTPROD");

  g_assert_cmpint (lb_quant_get_active_impl (), ==, want);
  g_assert_true (lb_quant_get_kernels (LB_TYPE_Q6_K, want, &v));
  g_assert_true (tr->vec_dot == v.vec_dot);
  g_assert_true (lb_quant_get_kernels (LB_TYPE_Q8_K, want, &v));
  g_assert_true (t8->from_float == v.from_float);
  /* the run-time detection against what the runner knows of the CPU (the
   * AArch64 script runs qemu with and without the extension) */
  if (expect_dp != NULL)
    g_assert_cmpint (lb_quant_neon_dotprod_available (), ==, atoi (expect_dp) != 0);
  g_test_message ("active kernels: %s", impl_name (lb_quant_get_active_impl ()));
}

/* LB_NO_DOTPROD=1 keeps NEON but not its dot products */
static void
test_no_dotprod_env (void)
{
  if (!g_test_subprocess () && !lb_test_can_trap_subprocess ())
    return;
  if (g_test_subprocess ())
    {
      const LbTypeTraits *tr;
      LbQuantKernels k;

      g_setenv ("LB_NO_DOTPROD", "1", TRUE);
      g_unsetenv ("LB_NO_SIMD");
      tr = lb_type_get_traits (LB_TYPE_Q4_K);
      g_assert_cmpint (lb_quant_get_active_impl (), ==, expected_impl ());
      g_assert_cmpint (lb_quant_get_active_impl (), !=, LB_QUANT_IMPL_NEON_DOTPROD);
      g_assert_true (lb_quant_get_kernels (LB_TYPE_Q4_K, expected_impl (), &k));
      g_assert_true (tr->vec_dot == k.vec_dot);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

typedef struct {
  LbType      type;
  const char *name;
} NamedType;

/* names spelled out here: asking the type table would set it up before the
 * no-simd-env subprocess can set LB_NO_SIMD */
static void
add_tests (const char *group, const NamedType *types, guint n, GTestDataFunc func)
{
  for (guint i = 0; i < n; i++)
    {
      char *p = g_strdup_printf ("/lowbit/quant-simd/%s/%s", group, types[i].name);
      g_test_add_data_func (p, GINT_TO_POINTER (types[i].type), func);
      g_free (p);
    }
}

int
main (int argc, char **argv)
{
  static const NamedType act_types[] = {
    { LB_TYPE_Q8_0, "Q8_0" }, { LB_TYPE_Q8_1, "Q8_1" }, { LB_TYPE_Q8_K, "Q8_K" },
  };
  /* the formats with a SIMD dequantizer */
  static const NamedType deq_types[] = {
    { LB_TYPE_Q8_0, "Q8_0" }, { LB_TYPE_Q4_K, "Q4_K" }, { LB_TYPE_Q6_K, "Q6_K" },
  };
  static const NamedType dot_types[] = {
    { LB_TYPE_Q8_0, "Q8_0" }, { LB_TYPE_Q4_0, "Q4_0" }, { LB_TYPE_Q4_1, "Q4_1" },
    { LB_TYPE_Q5_0, "Q5_0" }, { LB_TYPE_Q5_1, "Q5_1" }, { LB_TYPE_IQ4_NL, "IQ4_NL" },
    { LB_TYPE_Q2_K, "Q2_K" }, { LB_TYPE_Q3_K, "Q3_K" }, { LB_TYPE_Q4_K, "Q4_K" },
    { LB_TYPE_Q5_K, "Q5_K" }, { LB_TYPE_Q6_K, "Q6_K" },
  };

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/quant-simd/no-simd-env", test_no_simd_env);
  g_test_add_func ("/lowbit/quant-simd/no-dotprod-env", test_no_dotprod_env);
  g_test_add_func ("/lowbit/quant-simd/selection", test_default_selection);
  add_tests ("quantize", act_types, G_N_ELEMENTS (act_types), test_quantize);
  add_tests ("dequantize", deq_types, G_N_ELEMENTS (deq_types), test_dequantize);
  add_tests ("vec-dot", dot_types, G_N_ELEMENTS (dot_types), test_vec_dot);
  return g_test_run ();
}
