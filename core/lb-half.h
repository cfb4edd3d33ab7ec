/* lb-half.h: IEEE half and bfloat16 conversions (scalar definitions) */
#pragma once

#include <glib.h>
#include <string.h>

G_BEGIN_DECLS

static inline float
lb_fp32_from_bits (guint32 u)
{
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

static inline guint32
lb_fp32_to_bits (float f)
{
  guint32 u;
  memcpy (&u, &f, sizeof u);
  return u;
}

/* Exact conversion of an IEEE binary16 value, including subnormals, Inf and NaN. */
static inline float
lb_fp16_to_fp32 (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exp = (h >> 10) & 0x1f;
  guint32 mant = h & 0x3ff;

  if (exp == 0)
    {
      /* zero or subnormal: mant * 2^-24 */
      float v = (float) mant * (1.0f / 16777216.0f);
      return sign ? -v : v;
    }
  if (exp == 31)
    return lb_fp32_from_bits (sign | 0x7f800000u | (mant << 13));
  return lb_fp32_from_bits (sign | ((exp + 112) << 23) | (mant << 13));
}

/* Round-to-nearest-even conversion to binary16; overflow gives Inf, NaN stays NaN. */
static inline guint16
lb_fp32_to_fp16 (float f)
{
  guint32 x = lb_fp32_to_bits (f);
  guint32 sign = (x >> 16) & 0x8000;
  guint32 absx = x & 0x7fffffffu;

  if (absx >= 0x7f800000u)                    /* Inf or NaN */
    return (guint16) (sign | 0x7c00 | (absx > 0x7f800000u ? 0x200 : 0));
  if (absx >= 0x477ff000u)                    /* rounds to >= 65520: overflow */
    return (guint16) (sign | 0x7c00);
  if (absx < 0x38800000u)                     /* below the smallest normal: subnormal */
    {
      float a = lb_fp32_from_bits (absx);
      /* a * 2^24 rounded to nearest even integer is the subnormal mantissa */
      float scaled = a * 16777216.0f;
      guint32 m = (guint32) scaled;
      float frac = scaled - (float) m;
      if (frac > 0.5f || (frac == 0.5f && (m & 1)))
        m++;
      return (guint16) (sign | m);
    }
  {
    guint32 mant = absx & 0x7fffff;
    guint32 exp = (absx >> 23) - 112;
    guint32 h = (exp << 10) | (mant >> 13);
    guint32 rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
      h++;
    return (guint16) (sign | h);
  }
}

static inline float
lb_bf16_to_fp32 (guint16 b)
{
  return lb_fp32_from_bits ((guint32) b << 16);
}

/* Round-to-nearest-even; NaN stays a quiet NaN. */
static inline guint16
lb_fp32_to_bf16 (float f)
{
  guint32 x = lb_fp32_to_bits (f);
  if ((x & 0x7fffffffu) > 0x7f800000u)
    return (guint16) ((x >> 16) | 0x40);
  x += 0x7fff + ((x >> 16) & 1);
  return (guint16) (x >> 16);
}

G_END_DECLS
