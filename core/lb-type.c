#include "lb-type.h"

#include <string.h>

#include "lb-half.h"

static void
f32_to_float (const void *src, float *dst, gint64 n)
{
  memcpy (dst, src, (gsize) n * sizeof (float));
}

/* half -> float through a table: the exact conversion is branchy, and F16
 * weights are converted row by row on every forward pass */
static float f16_table[65536];

static void
f16_table_init (void)
{
  for (guint32 h = 0; h < 65536; h++)
    f16_table[h] = lb_fp16_to_fp32 ((guint16) h);
}

static void
f16_to_float (const void *src, float *dst, gint64 n)
{
  const guint8 *p = src;
  for (gint64 i = 0; i < n; i++)
    {
      guint16 h;
      memcpy (&h, p + 2 * i, 2);
      dst[i] = f16_table[GUINT16_FROM_LE (h)];
    }
}

static void
bf16_to_float (const void *src, float *dst, gint64 n)
{
  const guint8 *p = src;
  for (gint64 i = 0; i < n; i++)
    {
      guint16 h;
      memcpy (&h, p + 2 * i, 2);
      dst[i] = lb_bf16_to_fp32 (GUINT16_FROM_LE (h));
    }
}

static void
f32_from_float (const float *src, void *dst, gint64 n, const float *importance)
{
  memcpy (dst, src, (gsize) n * sizeof (float));
}

static void
f16_from_float (const float *src, void *dst, gint64 n, const float *importance)
{
  guint8 *p = dst;
  for (gint64 i = 0; i < n; i++)
    {
      guint16 h = GUINT16_TO_LE (lb_fp32_to_fp16 (src[i]));
      memcpy (p + 2 * i, &h, 2);
    }
}

static void
bf16_from_float (const float *src, void *dst, gint64 n, const float *importance)
{
  guint8 *p = dst;
  for (gint64 i = 0; i < n; i++)
    {
      guint16 h = GUINT16_TO_LE (lb_fp32_to_bf16 (src[i]));
      memcpy (p + 2 * i, &h, 2);
    }
}

#define T(id, nm, bs, ts, q) [LB_TYPE_##id] = { nm, bs, ts, q, NULL, NULL, LB_TYPE_F32, NULL }

static LbTypeTraits type_table[LB_TYPE_COUNT] = {
  [LB_TYPE_F32] = { "F32", 1, 4, FALSE, f32_to_float, f32_from_float, LB_TYPE_F32, NULL },
  [LB_TYPE_F16] = { "F16", 1, 2, FALSE, f16_to_float, f16_from_float, LB_TYPE_F32, NULL },
  [LB_TYPE_BF16] = { "BF16", 1, 2, FALSE, bf16_to_float, bf16_from_float, LB_TYPE_F32, NULL },
  T (Q4_0, "Q4_0", 32, 18, TRUE),
  T (Q4_1, "Q4_1", 32, 20, TRUE),
  T (Q5_0, "Q5_0", 32, 22, TRUE),
  T (Q5_1, "Q5_1", 32, 24, TRUE),
  T (Q8_0, "Q8_0", 32, 34, TRUE),
  T (Q8_1, "Q8_1", 32, 36, TRUE),
  T (Q2_K, "Q2_K", 256, 84, TRUE),
  T (Q3_K, "Q3_K", 256, 110, TRUE),
  T (Q4_K, "Q4_K", 256, 144, TRUE),
  T (Q5_K, "Q5_K", 256, 176, TRUE),
  T (Q6_K, "Q6_K", 256, 210, TRUE),
  T (Q8_K, "Q8_K", 256, 292, TRUE),
  T (IQ2_XXS, "IQ2_XXS", 256, 66, TRUE),
  T (IQ2_XS, "IQ2_XS", 256, 74, TRUE),
  T (IQ3_XXS, "IQ3_XXS", 256, 98, TRUE),
  T (IQ1_S, "IQ1_S", 256, 50, TRUE),
  T (IQ4_NL, "IQ4_NL", 32, 18, TRUE),
  T (IQ3_S, "IQ3_S", 256, 110, TRUE),
  T (IQ2_S, "IQ2_S", 256, 82, TRUE),
  T (IQ4_XS, "IQ4_XS", 256, 136, TRUE),
  T (I8, "I8", 1, 1, FALSE),
  T (I16, "I16", 1, 2, FALSE),
  T (I32, "I32", 1, 4, FALSE),
  T (I64, "I64", 1, 8, FALSE),
  T (F64, "F64", 1, 8, FALSE),
  T (IQ1_M, "IQ1_M", 256, 56, TRUE),
  T (TQ1_0, "TQ1_0", 256, 54, TRUE),
  T (TQ2_0, "TQ2_0", 256, 66, TRUE),
};

#undef T

const LbTypeTraits *
lb_type_get_traits (guint32 t)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      f16_table_init ();
      lb_type_register_kernels (type_table);
      g_once_init_leave (&initialized, 1);
    }
  if (t >= LB_TYPE_COUNT || type_table[t].name == NULL)
    return NULL;
  return &type_table[t];
}

const char *
lb_type_get_name (LbType t)
{
  const LbTypeTraits *tr = lb_type_get_traits (t);
  return tr ? tr->name : "(unknown)";
}

gboolean
lb_type_from_name (const char *name, LbType *out)
{
  g_return_val_if_fail (name != NULL, FALSE);

  for (guint t = 0; t < LB_TYPE_COUNT; t++)
    if (type_table[t].name && g_ascii_strcasecmp (type_table[t].name, name) == 0)
      {
        *out = (LbType) t;
        return TRUE;
      }
  return FALSE;
}

gsize
lb_type_row_size (LbType t, gint64 n)
{
  const LbTypeTraits *tr = lb_type_get_traits (t);
  if (tr == NULL || n < 0 || n % tr->block_size != 0)
    return 0;
  return (gsize) (n / tr->block_size) * tr->type_size;
}
