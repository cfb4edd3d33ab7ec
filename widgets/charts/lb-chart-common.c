/* lb-chart-common.c: style defaults, colours, ranges and value formatting */
#include "config.h"

#include "lb-chart-common.h"

#include <math.h>
#include <string.h>

/* The GNOME palette's colours, light and dark */
typedef struct {
  const char *foreground, *background, *accent, *success, *warning, *failure;
  const char *series[LB_CHART_N_SERIES_COLORS];
} Palette;

static const Palette light = {
  .foreground = "#2e3436", .background = "#ffffff", .accent = "#3584e4",
  .success = "#26a269", .warning = "#e5a50a", .failure = "#e01b24",
  .series = { "#3584e4", "#ff7800", "#2ec27e", "#9141ac", "#e01b24", "#986a44" },
};

static const Palette dark = {
  .foreground = "#ffffff", .background = "#242424", .accent = "#78aeed",
  .success = "#57e389", .warning = "#f8e45c", .failure = "#ff7b63",
  .series = { "#62a0ea", "#ffa348", "#57e389", "#c061cb", "#f66151", "#cdab8f" },
};

static void
set_hex (LbChartColor *c, const char *hex)
{
  gboolean ok = lb_chart_color_parse (hex, c);

  g_assert (ok);
}

static void
init_from_palette (LbChartStyle  *style,
                   const Palette *palette)
{
  memset (style, 0, sizeof *style);
  set_hex (&style->foreground, palette->foreground);
  set_hex (&style->background, palette->background);
  set_hex (&style->accent, palette->accent);
  set_hex (&style->success, palette->success);
  set_hex (&style->warning, palette->warning);
  set_hex (&style->failure, palette->failure);
  for (guint i = 0; i < LB_CHART_N_SERIES_COLORS; i++)
    set_hex (&style->series[i], palette->series[i]);
  g_strlcpy (style->font_family, "Sans", sizeof style->font_family);
  style->font_size = 12.0;
  lb_chart_style_derive (style);
}

void
lb_chart_style_init_light (LbChartStyle *style)
{
  g_return_if_fail (style != NULL);

  init_from_palette (style, &light);
}

void
lb_chart_style_init_dark (LbChartStyle *style)
{
  g_return_if_fail (style != NULL);

  init_from_palette (style, &dark);
}

void
lb_chart_style_derive (LbChartStyle *style)
{
  g_return_if_fail (style != NULL);

  /* Translucent foreground reads well on any background, so the widgets
   * can leave the background unpainted. */
  style->grid = style->foreground;
  style->grid.alpha *= 0.14;
  style->no_data = style->foreground;
  style->no_data.alpha *= 0.08;
}

const LbChartStyle *
lb_chart_style_get_default (void)
{
  static LbChartStyle style;
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      lb_chart_style_init_light (&style);
      g_once_init_leave (&initialized, 1);
    }
  return &style;
}

static int
hex_digit (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

gboolean
lb_chart_color_parse (const char   *text,
                      LbChartColor *out)
{
  int v[8];
  gsize len;

  if (text == NULL || text[0] != '#')
    return FALSE;
  len = strlen (text + 1);
  if (len != 6 && len != 8)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if ((v[i] = hex_digit (text[1 + i])) < 0)
      return FALSE;

  out->red = (v[0] * 16 + v[1]) / 255.0;
  out->green = (v[2] * 16 + v[3]) / 255.0;
  out->blue = (v[4] * 16 + v[5]) / 255.0;
  out->alpha = len == 8 ? (v[6] * 16 + v[7]) / 255.0 : 1.0;
  return TRUE;
}

void
lb_chart_color_mix (const LbChartColor *a,
                    const LbChartColor *b,
                    double              t,
                    LbChartColor       *out)
{
  t = CLAMP (t, 0.0, 1.0);
  out->red = a->red + (b->red - a->red) * t;
  out->green = a->green + (b->green - a->green) * t;
  out->blue = a->blue + (b->blue - a->blue) * t;
  out->alpha = a->alpha + (b->alpha - a->alpha) * t;
}

static double
linear_channel (double c)
{
  return c <= 0.04045 ? c / 12.92 : pow ((c + 0.055) / 1.055, 2.4);
}

double
lb_chart_color_luminance (const LbChartColor *color)
{
  return 0.2126 * linear_channel (color->red)
         + 0.7152 * linear_channel (color->green)
         + 0.0722 * linear_channel (color->blue);
}

void
lb_chart_color_contrast (const LbChartColor *background,
                         LbChartColor       *out)
{
  /* 0.18 is where black and white text have equal contrast ratios */
  double v = lb_chart_color_luminance (background) > 0.18 ? 0.0 : 1.0;

  *out = (LbChartColor) { v, v, v, v > 0.5 ? 1.0 : 0.87 };
}

gboolean
lb_chart_data_range (const double *v,
                     gsize         n,
                     double       *min,
                     double       *max)
{
  gboolean found = FALSE;
  double lo = 0, hi = 0;

  for (gsize i = 0; v != NULL && i < n; i++)
    {
      if (!isfinite (v[i]))
        continue;
      if (!found || v[i] < lo)
        lo = v[i];
      if (!found || v[i] > hi)
        hi = v[i];
      found = TRUE;
    }
  if (min != NULL)
    *min = lo;
  if (max != NULL)
    *max = hi;
  return found;
}

void
lb_chart_range_fix (double   *min,
                    double   *max,
                    gboolean  log_scale)
{
  double lo = *min, hi = *max;

  if (log_scale)
    {
      if (!isfinite (lo) || lo <= 0)
        lo = isfinite (hi) && hi > 0 ? hi / 10 : 0.1;
      if (!isfinite (hi) || hi <= lo)
        hi = lo * 10;
      *min = lo;
      *max = hi;
      return;
    }

  if (!isfinite (lo) || !isfinite (hi))
    {
      lo = 0;
      hi = 1;
    }
  if (hi < lo)
    {
      double t = lo;
      lo = hi;
      hi = t;
    }
  if (hi - lo <= fabs (hi) * 1e-12 || hi == lo)
    {
      /* one value: centre it in a range proportional to its size */
      double pad = fabs (lo) > 0 ? fabs (lo) * 0.5 : 1.0;
      lo -= pad;
      hi += pad;
    }
  *min = lo;
  *max = hi;
}

/* Decimals needed so that neighbouring ticks step apart differ */
static int
decimals_for_step (double step)
{
  int d;

  if (!isfinite (step) || step <= 0)
    return -1;
  d = (int) ceil (-log10 (step) - 1e-9);
  d = MAX (d, 0);
  while (d < 9)
    {
      double scaled = step * pow (10, d);
      if (fabs (scaled - round (scaled)) < 1e-6 * MAX (1.0, scaled))
        break;
      d++;
    }
  return d;
}

/* "%.*f" without trailing zeros: 0.0500 -> 0.05, 3.00 -> 3 */
static char *
trimmed (double      value,
         int         decimals,
         const char *suffix)
{
  char *text = g_strdup_printf ("%.*f", decimals, value);
  char *end = text + strlen (text);
  char *result;

  if (decimals > 0)
    {
      while (end > text && end[-1] == '0')
        *--end = '\0';
      /* the decimal point, whatever the locale spells it as */
      if (end > text && !g_ascii_isdigit (end[-1]))
        *--end = '\0';
    }
  result = g_strconcat (text, suffix, NULL);
  g_free (text);
  return result;
}

static char *
format_plain (double value, double step, const char *suffix)
{
  int d = decimals_for_step (step);
  double a = fabs (value);

  if (d >= 0 && a < step * 1e-6)
    {
      value = 0; /* no "-0" or "1e-17" on axes */
      a = 0;
    }

  if (d < 0)
    {
      /* no tick step: three significant digits */
      if (a != 0 && (a < 1e-3 || a >= 1e7))
        return g_strdup_printf ("%.2e%s", value, suffix);
      if (a >= 100)
        d = 0;
      else if (a >= 10)
        d = 1;
      else if (a >= 1)
        d = 2;
      else
        d = a == 0 ? 0 : MIN (9, 2 - (int) floor (log10 (a)));
      return trimmed (value, d, suffix);
    }
  else if (a != 0 && (a < 1e-4 || a >= 1e9))
    return g_strdup_printf ("%.1e%s", value, suffix);
  return g_strdup_printf ("%.*f%s", d, value, suffix);
}

/* 0.99873, 0.9012, 1: the digits that tell values near 1 apart */
static char *
format_cosine (double value, double step)
{
  double gap = fabs (1 - value);
  int d;

  if (decimals_for_step (step) >= 0)
    d = decimals_for_step (step);
  else if (gap == 0)
    return g_strdup ("1");
  else
    d = CLAMP (2 - (int) floor (log10 (gap)), 2, 9);
  return g_strdup_printf ("%.*f", d, value);
}

static char *
format_bytes (double value, double step)
{
  static const char *units[] = { "B", "kB", "MB", "GB", "TB" };
  double a = fabs (value);
  double unit = 1;
  guint u = 0;
  int d;

  while (u + 1 < G_N_ELEMENTS (units) && a >= unit * 1000)
    {
      unit *= 1000;
      u++;
    }
  if (isfinite (step) && step > 0)
    d = MIN (decimals_for_step (step / unit), 2);
  else
    d = u == 0 || a / unit >= 100 ? 0 : a / unit >= 10 ? 1 : 2;
  return g_strdup_printf ("%.*f %s", d, value / unit, units[u]);
}

static char *
format_time (double seconds, double step)
{
  double a = fabs (seconds);
  const char *sign = seconds < 0 ? "-" : "";
  guint64 s;

  /* steps of 10 s and more read better as minutes and seconds */
  if (isfinite (step) ? step < 10 : a < 60)
    return format_plain (seconds, step, " s");

  s = (guint64) llround (a);
  if (s < 3600)
    return g_strdup_printf ("%s%u:%02u", sign, (guint) (s / 60), (guint) (s % 60));
  return g_strdup_printf ("%s%u:%02u:%02u", sign, (guint) (s / 3600),
                          (guint) (s / 60 % 60), (guint) (s % 60));
}

char *
lb_chart_format_value (double        value,
                       LbChartFormat format,
                       double        step)
{
  if (isnan (value))
    return g_strdup ("—");
  if (isinf (value))
    return g_strdup (value > 0 ? "∞" : "−∞");

  switch (format)
    {
    case LB_CHART_FORMAT_BYTES:
      return format_bytes (value, step);
    case LB_CHART_FORMAT_PERCENT:
      return format_plain (value * 100, step * 100, "%");
    case LB_CHART_FORMAT_TIME:
      return format_time (value, step);
    case LB_CHART_FORMAT_DECIBEL:
      return format_plain (value, step, " dB");
    case LB_CHART_FORMAT_COSINE:
      return format_cosine (value, step);
    case LB_CHART_FORMAT_PLAIN:
    default:
      return format_plain (value, step, "");
    }
}

static double
axis_fraction (double v, double lo, double hi, gboolean log_scale)
{
  if (log_scale)
    {
      if (!(v > 0))
        return NAN;
      return (log10 (v) - log10 (lo)) / (log10 (hi) - log10 (lo));
    }
  return (v - lo) / (hi - lo);
}

static double
axis_value (double f, double lo, double hi, gboolean log_scale)
{
  if (log_scale)
    return pow (10, log10 (lo) + f * (log10 (hi) - log10 (lo)));
  return lo + f * (hi - lo);
}

double
lb_plot_geometry_x_to_pixel (const LbPlotGeometry *g,
                             double                x)
{
  return g->x + axis_fraction (x, g->x_min, g->x_max, g->x_log) * g->width;
}

double
lb_plot_geometry_y_to_pixel (const LbPlotGeometry *g,
                             double                y)
{
  return g->y + g->height - axis_fraction (y, g->y_min, g->y_max, g->y_log) * g->height;
}

double
lb_plot_geometry_pixel_to_x (const LbPlotGeometry *g,
                             double                px)
{
  if (g->width <= 0)
    return NAN;
  return axis_value ((px - g->x) / g->width, g->x_min, g->x_max, g->x_log);
}

double
lb_plot_geometry_pixel_to_y (const LbPlotGeometry *g,
                             double                py)
{
  if (g->height <= 0)
    return NAN;
  return axis_value ((g->y + g->height - py) / g->height, g->y_min, g->y_max, g->y_log);
}

gboolean
lb_plot_geometry_contains (const LbPlotGeometry *g,
                           double                px,
                           double                py)
{
  return px >= g->x && px <= g->x + g->width && py >= g->y && py <= g->y + g->height;
}
