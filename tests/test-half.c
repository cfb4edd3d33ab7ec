/* test-half.c: binary16 and bfloat16 conversions against exhaustive and hand-computed cases */
#include <math.h>

#include "lowbit.h"

/* Every one of the 65536 half values survives half -> float -> half
 * (NaNs stay NaN), and the float values are the ones IEEE 754 defines. */
static void
test_fp16_exhaustive (void)
{
  for (guint32 h = 0; h < 65536; h++)
    {
      float f = lb_fp16_to_fp32 ((guint16) h);
      guint32 exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
      double expect;

      if (exp == 31)
        {
          g_assert_true (mant ? isnan (f) : isinf (f));
          g_assert_true (isnan (lb_fp16_to_fp32 (lb_fp32_to_fp16 (f))) == (mant != 0));
          continue;
        }
      expect = exp == 0 ? ldexp (mant, -24) : ldexp (1024 + mant, (int) exp - 25);
      if (h & 0x8000)
        expect = -expect;
      g_assert_cmpfloat ((double) f, ==, expect);
      g_assert_cmpuint (lb_fp32_to_fp16 (f), ==, h);
    }
}

static void
test_fp16_rounding (void)
{
  /* 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties to even -> 1 */
  g_assert_cmpuint (lb_fp32_to_fp16 (1.0f + ldexpf (1.0f, -11)), ==, 0x3c00);
  /* (1 + 2^-10) + 2^-11 is halfway again: ties to even -> 1 + 2^-9 */
  g_assert_cmpuint (lb_fp32_to_fp16 (1.0f + ldexpf (3.0f, -11)), ==, 0x3c02);
  g_assert_cmpuint (lb_fp32_to_fp16 (65504.0f), ==, 0x7bff);     /* largest finite */
  g_assert_cmpuint (lb_fp32_to_fp16 (65519.0f), ==, 0x7bff);     /* rounds down */
  g_assert_cmpuint (lb_fp32_to_fp16 (65520.0f), ==, 0x7c00);     /* overflows to Inf */
  g_assert_cmpuint (lb_fp32_to_fp16 (-1e10f), ==, 0xfc00);
  g_assert_cmpuint (lb_fp32_to_fp16 (ldexpf (1.0f, -24)), ==, 0x0001);  /* smallest subnormal */
  g_assert_cmpuint (lb_fp32_to_fp16 (ldexpf (1.0f, -25)), ==, 0x0000);  /* tie to even: 0 */
  g_assert_cmpuint (lb_fp32_to_fp16 (ldexpf (3.0f, -26)), ==, 0x0001);  /* 0.75 ulp -> 1 */
  g_assert_cmpuint (lb_fp32_to_fp16 (-0.0f), ==, 0x8000);
  g_assert_cmpuint (lb_fp32_to_fp16 (ldexpf (1.0f, -14)), ==, 0x0400); /* smallest normal */
}

static void
test_bf16 (void)
{
  g_assert_cmpfloat (lb_bf16_to_fp32 (0x3f80), ==, 1.0f);
  g_assert_cmpfloat (lb_bf16_to_fp32 (0xc000), ==, -2.0f);
  g_assert_cmpuint (lb_fp32_to_bf16 (1.0f), ==, 0x3f80);
  /* 1 + 2^-8 is halfway between bf16 1 and 1 + 2^-7: ties to even -> 1 */
  g_assert_cmpuint (lb_fp32_to_bf16 (1.0f + ldexpf (1.0f, -8)), ==, 0x3f80);
  g_assert_cmpuint (lb_fp32_to_bf16 (1.0f + ldexpf (3.0f, -8)), ==, 0x3f82);
  g_assert_true (isnan (lb_bf16_to_fp32 (lb_fp32_to_bf16 (NAN))));
  g_assert_true (isinf (lb_bf16_to_fp32 (lb_fp32_to_bf16 (INFINITY))));
  for (guint32 b = 0; b < 65536; b++)
    {
      float f = lb_bf16_to_fp32 ((guint16) b);
      if (!isnan (f))
        g_assert_cmpuint (lb_fp32_to_bf16 (f), ==, b);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/half/fp16-exhaustive", test_fp16_exhaustive);
  g_test_add_func ("/lowbit/half/fp16-rounding", test_fp16_rounding);
  g_test_add_func ("/lowbit/half/bf16", test_bf16);
  return g_test_run ();
}
