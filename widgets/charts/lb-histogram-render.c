/* lb-histogram-render.c: bars of counts, grid levels as thin vertical lines
 * and a legend telling the two apart */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "lb-chart-draw-private.h"
#include "lb-histogram-render.h"

gboolean
lb_histogram_bin_floats (const float *values,
                         gsize        n_values,
                         guint        n_bins,
                         double      *counts,
                         double      *lo,
                         double      *hi)
{
  gboolean found = FALSE;
  double min = 0, max = 0, width;

  g_return_val_if_fail (n_bins > 0 && counts != NULL && lo != NULL && hi != NULL, FALSE);
  g_return_val_if_fail (n_values == 0 || values != NULL, FALSE);

  memset (counts, 0, n_bins * sizeof (double));
  for (gsize i = 0; i < n_values; i++)
    {
      double v = values[i];

      if (!isfinite (v))
        continue;
      if (!found || v < min)
        min = v;
      if (!found || v > max)
        max = v;
      found = TRUE;
    }
  if (!found)
    {
      *lo = 0;
      *hi = 1;
      return FALSE;
    }
  if (max == min)
    lb_chart_range_fix (&min, &max, FALSE);

  width = (max - min) / n_bins;
  for (gsize i = 0; i < n_values; i++)
    {
      double v = values[i];
      gint64 b;

      if (!isfinite (v))
        continue;
      b = (gint64) floor ((v - min) / width);
      counts[CLAMP (b, 0, (gint64) n_bins - 1)] += 1;
    }
  *lo = min;
  *hi = max;
  return TRUE;
}

/* The bins' range; a zero-width one (all weights equal) is widened */
static gboolean
bins_range (const LbHistogramData *data,
            double                *lo,
            double                *hi)
{
  if (data->counts == NULL || data->n_bins == 0 || !isfinite (data->lo)
      || !isfinite (data->hi) || data->hi < data->lo)
    return FALSE;
  *lo = data->lo;
  *hi = data->hi;
  if (*hi == *lo)
    lb_chart_range_fix (lo, hi, FALSE);
  return TRUE;
}

void
lb_histogram_data_x_range (const LbHistogramData *data,
                           double                *min,
                           double                *max)
{
  double lo = NAN, hi = NAN, l0, l1;

  if (!bins_range (data, &lo, &hi))
    lo = hi = NAN;
  if (lb_chart_data_range (data->levels, data->n_levels, &l0, &l1))
    {
      lo = isnan (lo) ? l0 : MIN (lo, l0);
      hi = isnan (hi) ? l1 : MAX (hi, l1);
      /* room for the outermost level lines */
      if (hi > lo)
        {
          double pad = (hi - lo) * 0.02;
          lo -= pad;
          hi += pad;
        }
    }
  lb_chart_range_fix (&lo, &hi, FALSE);
  *min = lo;
  *max = hi;
}

static double
count_value (const LbHistogramData *data,
             double                 c)
{
  if (!isfinite (c) || c < 0)
    return 0;
  return data->log_counts ? log10 (1 + c) : c;
}

void
lb_histogram_render (cairo_t               *cr,
                     double                 width,
                     double                 height,
                     const LbHistogramData *data,
                     const LbChartStyle    *style,
                     LbPlotGeometry        *geometry)
{
  static const LbHistogramData empty = { 0 };
  LbChartLegendItem items[2];
  LbChartAxes axes = { 0 };
  LbPlotGeometry g;
  LbChartArea area;
  double max_count = 0, lo = 0, hi = 1;
  guint n_items = 0, n_levels_ok = 0;
  gboolean any_count = FALSE, has_bins;

  g_return_if_fail (cr != NULL);

  if (data == NULL)
    data = &empty;
  style = lb_chart_begin (cr, style, width, height, &area);

  has_bins = bins_range (data, &lo, &hi);
  for (guint i = 0; has_bins && i < data->n_bins; i++)
    {
      double c = count_value (data, data->counts[i]);
      max_count = MAX (max_count, c);
      any_count |= c > 0;
    }
  for (guint i = 0; data->levels != NULL && i < data->n_levels; i++)
    n_levels_ok += isfinite (data->levels[i]);

  if (any_count)
    items[n_items++] = (LbChartLegendItem) { _("Weights"), style->accent, LB_CHART_MARK_BOX };
  if (n_levels_ok > 0)
    items[n_items++] = (LbChartLegendItem) { _("Quantization levels"), style->series[1],
                                             LB_CHART_MARK_LINE };
  lb_chart_draw_header (cr, style, &area, data->title, n_items, items);

  lb_histogram_data_x_range (data, &axes.x_min, &axes.x_max);
  axes.y_min = 0;
  axes.y_max = max_count > 0 ? max_count * 1.05 : 1;
  axes.x_format = data->x_format;
  axes.y_format = LB_CHART_FORMAT_PLAIN;
  axes.x_label = data->x_label;
  axes.y_label = data->log_counts ? _("log₁₀ (1 + count)") : _("Count");
  if (lb_chart_draw_plot (cr, style, &area, &axes, any_count || n_levels_ok > 0, &g))
    {
      double bin_w = has_bins ? (hi - lo) / data->n_bins : 0;
      double base = lb_plot_geometry_y_to_pixel (&g, 0);

      cairo_save (cr);
      cairo_rectangle (cr, g.x, g.y, g.width, g.height);
      cairo_clip (cr);

      if (!any_count)
        lb_chart_fill_no_data (cr, style, g.x, g.y, g.width, g.height);

      /* one path for all bars: no seams between neighbours */
      for (guint i = 0; any_count && i < data->n_bins; i++)
        {
          double c = count_value (data, data->counts[i]);
          double x0 = lb_plot_geometry_x_to_pixel (&g, lo + i * bin_w);
          double x1 = lb_plot_geometry_x_to_pixel (&g, lo + (i + 1) * bin_w);
          double top = lb_plot_geometry_y_to_pixel (&g, c);

          if (c <= 0)
            continue;
          /* at least a pixel wide so that narrow bins stay visible */
          if (x1 - x0 < 1)
            x1 = x0 + 1;
          cairo_rectangle (cr, x0, top, x1 - x0, base - top);
        }
      lb_chart_set_color_alpha (cr, &style->accent, 0.75);
      cairo_fill (cr);

      if (n_levels_ok > 0)
        {
          /* thin and translucent when the levels are dense */
          double spacing = g.width / MAX (n_levels_ok, 1);
          cairo_set_line_width (cr, spacing < 4 ? 1 : 1.5);
          lb_chart_set_color_alpha (cr, &style->series[1], spacing < 4 ? 0.45 : 0.9);
          for (guint i = 0; i < data->n_levels; i++)
            {
              double px;

              if (!isfinite (data->levels[i]))
                continue;
              px = round (lb_plot_geometry_x_to_pixel (&g, data->levels[i])) + 0.5;
              cairo_move_to (cr, px, g.y);
              cairo_line_to (cr, px, g.y + g.height);
            }
          cairo_stroke (cr);
        }
      cairo_restore (cr);
    }

  if (geometry != NULL)
    *geometry = g;
  cairo_restore (cr);
}

gboolean
lb_histogram_bin_at (const LbHistogramData *data,
                     const LbPlotGeometry  *geometry,
                     double                 px,
                     double                 py,
                     guint                 *bin)
{
  double v, b, lo, hi;

  g_return_val_if_fail (data != NULL && geometry != NULL, FALSE);

  if (!bins_range (data, &lo, &hi) || !lb_plot_geometry_contains (geometry, px, py))
    return FALSE;
  v = lb_plot_geometry_pixel_to_x (geometry, px);
  b = floor ((v - lo) / ((hi - lo) / data->n_bins));
  if (!(b >= 0 && b < data->n_bins))
    return FALSE;
  if (bin != NULL)
    *bin = (guint) b;
  return TRUE;
}

gboolean
lb_histogram_data_bin_range (const LbHistogramData *data,
                             guint                  bin,
                             double                *lo,
                             double                *hi)
{
  double a, b;

  g_return_val_if_fail (data != NULL, FALSE);

  if (bin >= data->n_bins || !bins_range (data, &a, &b))
    return FALSE;
  if (lo != NULL)
    *lo = a + (b - a) * bin / data->n_bins;
  if (hi != NULL)
    *hi = a + (b - a) * (bin + 1) / data->n_bins;
  return TRUE;
}
