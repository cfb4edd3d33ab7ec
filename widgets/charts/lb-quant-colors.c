/* lb-quant-colors.c: the palette of quantization types.
 *
 * Hue follows the bit width (8 bits blue, 6 teal, 5 green, 4 orange,
 * 3 red, 2 purple, 1 brown, floats grey) so that a glance at a grid tells
 * where precision is spent; types of the same width differ in lightness. */
#include "config.h"

#include "lb-quant-colors.h"

#include <math.h>
#include <string.h>

typedef struct {
  const char *name;
  double      bits;
  const char *color;
} QuantColor;

static const QuantColor quant_colors[] = {
  { "F64",     64.0,    "#3d3846" },
  { "F32",     32.0,    "#5e5c64" },
  { "F16",     16.0,    "#77767b" },
  { "BF16",    16.0,    "#9a9996" },
  { "Q8_K",    9.125,   "#1a5fb4" },
  { "Q8_0",    8.5,     "#1c71d8" },
  { "Q8_1",    9.0,     "#62a0ea" },
  { "Q6_K",    6.5625,  "#1a9fa8" },
  { "Q5_1",    6.0,     "#8ff0a4" },
  { "Q5_K",    5.5,     "#2ec27e" },
  { "Q5_0",    5.5,     "#57e389" },
  { "Q4_1",    5.0,     "#ffbe6f" },
  { "Q4_K",    4.5,     "#ff7800" },
  { "Q4_0",    4.5,     "#ffa348" },
  { "IQ4_NL",  4.5,     "#c64600" },
  { "IQ4_XS",  4.25,    "#e66100" },
  { "Q3_K",    3.4375,  "#e01b24" },
  { "IQ3_S",   3.4375,  "#a51d2d" },
  { "IQ3_XXS", 3.0625,  "#f66151" },
  { "Q2_K",    2.625,   "#9141ac" },
  { "IQ2_S",   2.5,     "#c061cb" },
  { "IQ2_XS",  2.3125,  "#dc8add" },
  { "IQ2_XXS", 2.0625,  "#613583" },
  { "TQ2_0",   2.0625,  "#813d9c" },
  { "TQ1_0",   1.6875,  "#865e3c" },
  { "IQ1_M",   1.75,    "#b5835a" },
  { "IQ1_S",   1.5625,  "#63452c" },
  { "I8",      8.0,     "#99c1f1" },
  { "I16",     16.0,    "#c0bfbc" },
  { "I32",     32.0,    "#deddda" },
  { "I64",     64.0,    "#f6f5f4" },
};

static const QuantColor *
lookup (const char *name)
{
  if (name == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (quant_colors); i++)
    if (g_ascii_strcasecmp (quant_colors[i].name, name) == 0)
      return &quant_colors[i];
  return NULL;
}

void
lb_quant_type_color (const char   *type_name,
                     LbChartColor *out)
{
  const QuantColor *q;
  guint hash;
  double h, r, g, b;
  char *lower;

  g_return_if_fail (out != NULL);

  if (type_name == NULL)
    {
      *out = lb_chart_style_get_default ()->no_data;
      return;
    }
  if ((q = lookup (type_name)) != NULL)
    {
      lb_chart_color_parse (q->color, out);
      return;
    }

  /* unknown: a mid-light colour on a hue picked by the name's hash */
  lower = g_ascii_strdown (type_name, -1);
  hash = g_str_hash (lower);
  g_free (lower);
  h = (hash % 360) / 60.0;
  r = CLAMP (fabs (h - 3) - 1, 0, 1);
  g = CLAMP (2 - fabs (h - 2), 0, 1);
  b = CLAMP (2 - fabs (h - 4), 0, 1);
  *out = (LbChartColor) { 0.35 + 0.5 * r, 0.35 + 0.5 * g, 0.35 + 0.5 * b, 1.0 };
}

double
lb_quant_type_bits (const char *type_name)
{
  const QuantColor *q = lookup (type_name);

  return q != NULL ? q->bits : NAN;
}

int
lb_quant_type_compare (const char *a,
                       const char *b)
{
  double ba = lb_quant_type_bits (a);
  double bb = lb_quant_type_bits (b);

  if (isnan (ba) != isnan (bb))
    return isnan (ba) ? 1 : -1;
  if (!isnan (ba) && ba != bb)
    return ba > bb ? -1 : 1;
  return g_ascii_strcasecmp (a ? a : "", b ? b : "");
}
