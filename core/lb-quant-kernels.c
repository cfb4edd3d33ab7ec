/* lb-quant-kernels.c: registers the block-format kernels in the type table.
 *
 * The scalar kernels are always there; on x86-64 CPUs with AVX2 and FMA the
 * hot paths (vec_dot, activation quantization, some dequantization) are
 * replaced by the AVX2 ones unless LB_NO_SIMD=1 is set in the environment.
 * On AArch64 the NEON ones take their place, with the dot products of the
 * dot-product extension where the CPU has it (and LB_NO_DOTPROD=1 is not
 * set).
 *
 * The quantizers (from_float), in short:
 *   without importance: Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 and Q6_K round as
 *     llama.cpp's reference does (same blocks); IQ4_NL searches its scale
 *     as llama-quantize does (same blocks); Q2_K..Q5_K search scales and
 *     mins under weights that favour large values.
 *   with importance (one weight per column): every format searches the
 *     scales (and mins) minimising the importance-weighted squared error
 *     (lb-quant-search.c). */
#include "lb-quant-private.h"

#include <stdlib.h>

typedef struct {
  LbType         type;
  LbQuantKernels k;
} KernelEntry;

#define SCALAR(T, t, vt) \
  { LB_TYPE_##T, { lb_quant_##t##_to_float, lb_quant_##t##_from_float, LB_TYPE_##vt, lb_quant_##t##_vec_dot } }
#define SCALAR_ACT(T, t) \
  { LB_TYPE_##T, { lb_quant_##t##_to_float, lb_quant_##t##_from_float, LB_TYPE_F32, NULL } }

/* vec_dot_type pairs as in llama.cpp: Q8_0 for the 32-blocks with a
 * symmetric scale, Q8_1 (with its block sums) for the ones with a min,
 * Q8_K for the K super-blocks. */
static const KernelEntry scalar_kernels[] = {
  SCALAR (Q8_0, q8_0, Q8_0),
  SCALAR_ACT (Q8_1, q8_1),
  SCALAR_ACT (Q8_K, q8_k),
  SCALAR (Q4_0, q4_0, Q8_0),
  SCALAR (Q4_1, q4_1, Q8_1),
  SCALAR (Q5_0, q5_0, Q8_0),
  SCALAR (Q5_1, q5_1, Q8_1),
  SCALAR (IQ4_NL, iq4_nl, Q8_0),
  SCALAR (Q2_K, q2_k, Q8_K),
  SCALAR (Q3_K, q3_k, Q8_K),
  SCALAR (Q4_K, q4_k, Q8_K),
  SCALAR (Q5_K, q5_k, Q8_K),
  SCALAR (Q6_K, q6_k, Q8_K),
};

#undef SCALAR
#undef SCALAR_ACT

#ifdef LB_QUANT_HAVE_AVX2_BUILD
/* NULL members keep the scalar kernel */
static const KernelEntry avx2_kernels[] = {
  { LB_TYPE_Q8_0, { lb_quant_q8_0_to_float_avx2, lb_quant_q8_0_from_float_avx2, LB_TYPE_Q8_0, lb_quant_q8_0_vec_dot_avx2 } },
  { LB_TYPE_Q8_1, { NULL, lb_quant_q8_1_from_float_avx2, LB_TYPE_F32, NULL } },
  { LB_TYPE_Q8_K, { NULL, lb_quant_q8_k_from_float_avx2, LB_TYPE_F32, NULL } },
  { LB_TYPE_Q4_0, { NULL, NULL, LB_TYPE_Q8_0, lb_quant_q4_0_vec_dot_avx2 } },
  { LB_TYPE_Q4_1, { NULL, NULL, LB_TYPE_Q8_1, lb_quant_q4_1_vec_dot_avx2 } },
  { LB_TYPE_Q5_0, { NULL, NULL, LB_TYPE_Q8_0, lb_quant_q5_0_vec_dot_avx2 } },
  { LB_TYPE_Q5_1, { NULL, NULL, LB_TYPE_Q8_1, lb_quant_q5_1_vec_dot_avx2 } },
  { LB_TYPE_IQ4_NL, { NULL, NULL, LB_TYPE_Q8_0, lb_quant_iq4_nl_vec_dot_avx2 } },
  { LB_TYPE_Q2_K, { NULL, NULL, LB_TYPE_Q8_K, lb_quant_q2_k_vec_dot_avx2 } },
  { LB_TYPE_Q3_K, { NULL, NULL, LB_TYPE_Q8_K, lb_quant_q3_k_vec_dot_avx2 } },
  { LB_TYPE_Q4_K, { lb_quant_q4_k_to_float_avx2, NULL, LB_TYPE_Q8_K, lb_quant_q4_k_vec_dot_avx2 } },
  { LB_TYPE_Q5_K, { NULL, NULL, LB_TYPE_Q8_K, lb_quant_q5_k_vec_dot_avx2 } },
  { LB_TYPE_Q6_K, { lb_quant_q6_k_to_float_avx2, NULL, LB_TYPE_Q8_K, lb_quant_q6_k_vec_dot_avx2 } },
};
#endif

#ifdef LB_QUANT_HAVE_NEON_BUILD
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif

#define NEON_DOTS(dp) \
  { LB_TYPE_Q8_0, { lb_quant_q8_0_to_float_neon, lb_quant_q8_0_from_float_neon, LB_TYPE_Q8_0, lb_quant_q8_0_vec_dot_##dp } }, \
  { LB_TYPE_Q8_1, { NULL, lb_quant_q8_1_from_float_neon, LB_TYPE_F32, NULL } }, \
  { LB_TYPE_Q8_K, { NULL, lb_quant_q8_k_from_float_neon, LB_TYPE_F32, NULL } }, \
  { LB_TYPE_Q4_0, { NULL, NULL, LB_TYPE_Q8_0, lb_quant_q4_0_vec_dot_##dp } }, \
  { LB_TYPE_Q4_1, { NULL, NULL, LB_TYPE_Q8_1, lb_quant_q4_1_vec_dot_##dp } }, \
  { LB_TYPE_Q5_0, { NULL, NULL, LB_TYPE_Q8_0, lb_quant_q5_0_vec_dot_##dp } }, \
  { LB_TYPE_Q5_1, { NULL, NULL, LB_TYPE_Q8_1, lb_quant_q5_1_vec_dot_##dp } }, \
  { LB_TYPE_IQ4_NL, { NULL, NULL, LB_TYPE_Q8_0, lb_quant_iq4_nl_vec_dot_##dp } }, \
  { LB_TYPE_Q2_K, { NULL, NULL, LB_TYPE_Q8_K, lb_quant_q2_k_vec_dot_##dp } }, \
  { LB_TYPE_Q3_K, { NULL, NULL, LB_TYPE_Q8_K, lb_quant_q3_k_vec_dot_##dp } }, \
  { LB_TYPE_Q4_K, { lb_quant_q4_k_to_float_neon, NULL, LB_TYPE_Q8_K, lb_quant_q4_k_vec_dot_##dp } }, \
  { LB_TYPE_Q5_K, { NULL, NULL, LB_TYPE_Q8_K, lb_quant_q5_k_vec_dot_##dp } }, \
  { LB_TYPE_Q6_K, { lb_quant_q6_k_to_float_neon, NULL, LB_TYPE_Q8_K, lb_quant_q6_k_vec_dot_##dp } }

/* NULL members keep the scalar kernel; the two sets differ in the dot products only */
static const KernelEntry neon_kernels[] = { NEON_DOTS (neon) };
static const KernelEntry neon_dp_kernels[] = { NEON_DOTS (neon_dp) };
#undef NEON_DOTS
#endif

gboolean
lb_quant_neon_available (void)
{
#ifdef LB_QUANT_HAVE_NEON_BUILD
  return TRUE;
#else
  return FALSE;
#endif
}

gboolean
lb_quant_neon_dotprod_available (void)
{
#ifdef LB_QUANT_HAVE_NEON_BUILD
  return (getauxval (AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#else
  return FALSE;
#endif
}

gboolean
lb_quant_avx2_available (void)
{
#ifdef LB_QUANT_HAVE_AVX2_BUILD
  __builtin_cpu_init ();
  return __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
#else
  return FALSE;
#endif
}

static const LbQuantKernels *
find_kernels (const KernelEntry *table, gsize n, LbType t)
{
  for (gsize i = 0; i < n; i++)
    if (table[i].type == t)
      return &table[i].k;
  return NULL;
}

gboolean
lb_quant_get_kernels (LbType t, LbQuantImpl impl, LbQuantKernels *out)
{
  const LbQuantKernels *k = find_kernels (scalar_kernels, G_N_ELEMENTS (scalar_kernels), t);

  if (k == NULL)
    return FALSE;
  *out = *k;
  if (impl == LB_QUANT_IMPL_SCALAR)
    return TRUE;

#ifdef LB_QUANT_HAVE_AVX2_BUILD
  if (impl == LB_QUANT_IMPL_AVX2 && lb_quant_avx2_available ())
    {
      const LbQuantKernels *s = find_kernels (avx2_kernels, G_N_ELEMENTS (avx2_kernels), t);
      if (s && s->to_float)
        out->to_float = s->to_float;
      if (s && s->from_float)
        out->from_float = s->from_float;
      if (s && s->vec_dot)
        out->vec_dot = s->vec_dot;
      return TRUE;
    }
#endif
#ifdef LB_QUANT_HAVE_NEON_BUILD
  if (impl == LB_QUANT_IMPL_NEON
      || (impl == LB_QUANT_IMPL_NEON_DOTPROD && lb_quant_neon_dotprod_available ()))
    {
      const KernelEntry *table = impl == LB_QUANT_IMPL_NEON ? neon_kernels : neon_dp_kernels;
      const LbQuantKernels *s = find_kernels (table, G_N_ELEMENTS (neon_kernels), t);
      if (s && s->to_float)
        out->to_float = s->to_float;
      if (s && s->from_float)
        out->from_float = s->from_float;
      if (s && s->vec_dot)
        out->vec_dot = s->vec_dot;
      return TRUE;
    }
#endif
  return FALSE;
}

static LbQuantImpl active_impl = LB_QUANT_IMPL_SCALAR;

LbQuantImpl
lb_quant_get_active_impl (void)
{
  /* the table (and active_impl) is set up on first use */
  lb_type_get_traits (LB_TYPE_F32);
  return active_impl;
}

void
lb_type_register_kernels (LbTypeTraits *table)
{
  const char *no_simd = g_getenv ("LB_NO_SIMD");
  LbQuantImpl impl = LB_QUANT_IMPL_SCALAR;

  if (lb_quant_avx2_available () && !(no_simd && atoi (no_simd) != 0))
    impl = LB_QUANT_IMPL_AVX2;
#ifdef LB_QUANT_HAVE_NEON_BUILD
  if (!(no_simd && atoi (no_simd) != 0))
    {
      const char *no_dp = g_getenv ("LB_NO_DOTPROD");
      impl = lb_quant_neon_dotprod_available () && !(no_dp && atoi (no_dp) != 0)
             ? LB_QUANT_IMPL_NEON_DOTPROD : LB_QUANT_IMPL_NEON;
    }
#endif
  active_impl = impl;

  for (gsize i = 0; i < G_N_ELEMENTS (scalar_kernels); i++)
    {
      LbType t = scalar_kernels[i].type;
      LbQuantKernels k;

      if (!lb_quant_get_kernels (t, impl, &k))
        continue;
      table[t].to_float = k.to_float;
      table[t].from_float = k.from_float;
      table[t].vec_dot_type = k.vec_dot_type;
      table[t].vec_dot = k.vec_dot;
    }
}
