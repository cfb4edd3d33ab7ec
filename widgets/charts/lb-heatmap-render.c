/* lb-heatmap-render.c: cells coloured by value, row and column labels and
 * a colour legend with the range */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-chart-draw-private.h"
#include "lb-heatmap-render.h"

#define LEGEND_BAR 12.0

void
lb_heatmap_value_color (const LbHeatmapData *data,
                        double               min,
                        double               max,
                        double               value,
                        const LbChartStyle  *style,
                        LbChartColor        *out)
{
  double t;

  if (!isfinite (value))
    {
      *out = lb_chart_style_or_default (style)->no_data;
      return;
    }
  /* one value only: the middle of the scale */
  if (data->log_scale && min > 0)
    t = max > min ? (log10 (MAX (value, min)) - log10 (min)) / (log10 (max) - log10 (min)) : 0.5;
  else
    t = max > min ? (value - min) / (max - min) : 0.5;
  t = CLAMP (t, 0.0, 1.0);
  if (data->reverse)
    t = 1 - t;
  lb_colormap_eval (data->colormap, t, out);
}

gboolean
lb_heatmap_positive_range (const double *values, gsize n, double *min, double *max)
{
  gboolean any = FALSE;

  for (gsize i = 0; i < n; i++)
    if (isfinite (values[i]) && values[i] > 0)
      {
        *min = any ? MIN (*min, values[i]) : values[i];
        *max = any ? MAX (*max, values[i]) : values[i];
        any = TRUE;
      }
  return any;
}

static void
draw_legend (cairo_t             *cr,
             const LbChartStyle  *style,
             const LbHeatmapData *data,
             double               x,
             double               y,
             double               height,
             double               min,
             double               max)
{
  cairo_pattern_t *gradient;
  LbChartColor label_color = style->foreground;
  double lh = lb_chart_line_height (cr, style, 0.92);
  double bar_y = y, bar_h;
  char *text;

  label_color.alpha *= 0.75;
  if (data->legend_label != NULL)
    {
      lb_chart_show_text (cr, style, data->legend_label, 0.92, PANGO_WEIGHT_NORMAL,
                          x, y, 0.0, 0.0, &label_color);
      bar_y += lh + 6;
    }
  bar_h = MIN (y + height - bar_y - lh / 2, 260);
  bar_y += lh / 2;
  if (bar_h < 16)
    return;

  /* the maximum at the top */
  gradient = cairo_pattern_create_linear (0, bar_y + bar_h, 0, bar_y);
  for (guint i = 0; i <= 10; i++)
    {
      LbChartColor c;

      lb_colormap_eval (data->colormap, data->reverse ? 1 - i / 10.0 : i / 10.0, &c);
      cairo_pattern_add_color_stop_rgb (gradient, i / 10.0, c.red, c.green, c.blue);
    }
  lb_chart_rounded_rect (cr, x, bar_y, LEGEND_BAR, bar_h, 3);
  cairo_set_source (cr, gradient);
  cairo_fill (cr);
  cairo_pattern_destroy (gradient);

  text = lb_chart_format_value (max, data->format, NAN);
  lb_chart_show_text (cr, style, text, 0.92, PANGO_WEIGHT_NORMAL,
                      x + LEGEND_BAR + 6, bar_y, 0.0, 0.5, &label_color);
  g_free (text);
  if (max > min)
    {
      text = lb_chart_format_value (min, data->format, NAN);
      lb_chart_show_text (cr, style, text, 0.92, PANGO_WEIGHT_NORMAL,
                          x + LEGEND_BAR + 6, bar_y + bar_h, 0.0, 0.5, &label_color);
      g_free (text);
      if (bar_h > 4 * lh)
        {
          text = lb_chart_format_value (data->log_scale && min > 0 ? sqrt (min * max)
                                                                   : (min + max) / 2,
                                        data->format, NAN);
          lb_chart_show_text (cr, style, text, 0.92, PANGO_WEIGHT_NORMAL,
                              x + LEGEND_BAR + 6, bar_y + bar_h / 2, 0.0, 0.5, &label_color);
          g_free (text);
        }
    }
}

static double
legend_width (cairo_t             *cr,
              const LbChartStyle  *style,
              const LbHeatmapData *data,
              double               min,
              double               max)
{
  const double values[] = { min, max, data->log_scale && min > 0 ? sqrt (min * max) : (min + max) / 2 };
  double labels_w = 0, w;

  /* the widest of the three legend values */
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      char *text = lb_chart_format_value (values[i], data->format, NAN);
      labels_w = MAX (labels_w, lb_chart_text_width (cr, style, text, 0.92, PANGO_WEIGHT_NORMAL));
      g_free (text);
    }
  w = LEGEND_BAR + 6 + labels_w;
  if (data->legend_label != NULL)
    w = MAX (w, lb_chart_text_width (cr, style, data->legend_label, 0.92, PANGO_WEIGHT_NORMAL));
  return w;
}

void
lb_heatmap_render (cairo_t             *cr,
                   double               width,
                   double               height,
                   const LbHeatmapData *data,
                   const LbChartStyle  *style,
                   LbHeatmapGeometry   *geometry)
{
  static const LbHeatmapData empty = { 0 };
  LbHeatmapGeometry geom = { 0 };
  LbChartMatrix m;
  LbChartArea a;
  double min = 0, max = 0, legend_w = 0;
  gboolean has_range;

  g_return_if_fail (cr != NULL);

  if (data == NULL)
    data = &empty;
  style = lb_chart_begin (cr, style, width, height, &a);
  lb_chart_draw_header (cr, style, &a, data->title, 0, NULL);
  if (!lb_chart_matrix_has_room (cr, style, &a, data->n_rows, data->n_cols, data->values))
    goto out;

  if (data->fixed_range && isfinite (data->min) && isfinite (data->max) && data->max >= data->min)
    {
      min = data->min;
      max = data->max;
      has_range = TRUE;
    }
  else
    has_range = data->log_scale
                ? lb_heatmap_positive_range (data->values, (gsize) data->n_rows * data->n_cols,
                                             &min, &max)
                : lb_chart_data_range (data->values, (gsize) data->n_rows * data->n_cols,
                                       &min, &max);

  if (has_range)
    {
      legend_w = legend_width (cr, style, data, min, max);
      if (legend_w > a.width * 0.35)
        legend_w = 0; /* too narrow: cells matter more than the legend */
    }

  lb_chart_matrix_layout (cr, style, a.x, a.y, a.width - (legend_w > 0 ? legend_w + 16 : 0),
                          a.height, data->n_rows, data->n_cols, data->row_labels,
                          data->col_labels, 0, 0, &m);

  {
    /* a hairline gap between cells while they are large enough to afford it */
    double gap = m.cell_width >= 8 && m.cell_height >= 8 ? 1 : 0;

    for (guint r = 0; r < data->n_rows; r++)
      for (guint c = 0; c < data->n_cols; c++)
        {
          double v = data->values[(gsize) r * data->n_cols + c];
          double cx = m.x + c * m.cell_width, cy = m.y + r * m.cell_height;

          if (!isfinite (v))
            {
              lb_chart_fill_no_data (cr, style, cx, cy, m.cell_width - gap, m.cell_height - gap);
              continue;
            }
          {
            LbChartColor color;

            lb_heatmap_value_color (data, min, max, CLAMP (v, min, max), style, &color);
            lb_chart_set_color (cr, &color);
            cairo_rectangle (cr, cx, cy, m.cell_width - gap, m.cell_height - gap);
            cairo_fill (cr);
          }
        }

    if (data->has_highlight && data->highlight_row < data->n_rows
        && data->highlight_col < data->n_cols)
      {
        cairo_set_line_width (cr, 2);
        lb_chart_set_color (cr, &style->foreground);
        cairo_rectangle (cr, m.x + data->highlight_col * m.cell_width + 1,
                         m.y + data->highlight_row * m.cell_height + 1,
                         MAX (m.cell_width - gap - 2, 1), MAX (m.cell_height - gap - 2, 1));
        cairo_stroke (cr);
      }
  }

  lb_chart_matrix_draw_labels (cr, style, &m, data->n_rows, data->n_cols,
                               data->row_labels, data->col_labels);

  if (legend_w > 0)
    draw_legend (cr, style, data, a.x + a.width - legend_w, m.y, m.height, min, max);

  geom = (LbHeatmapGeometry) {
    .x = m.x, .y = m.y, .width = m.width, .height = m.height,
    .cell_width = m.cell_width, .cell_height = m.cell_height,
    .n_rows = data->n_rows, .n_cols = data->n_cols,
    .min = min, .max = max, .has_range = has_range,
  };
out:
  if (geometry != NULL)
    *geometry = geom;
  cairo_restore (cr);
}

gboolean
lb_heatmap_geometry_cell_at (const LbHeatmapGeometry *geometry,
                             double                   x,
                             double                   y,
                             guint                   *row,
                             guint                   *col)
{
  LbChartMatrix m = { 0 };

  g_return_val_if_fail (geometry != NULL, FALSE);

  m.x = geometry->x;
  m.y = geometry->y;
  m.cell_width = geometry->cell_width;
  m.cell_height = geometry->cell_height;
  return lb_chart_matrix_cell_at (&m, geometry->n_rows, geometry->n_cols, x, y, row, col);
}
