/* lb-size-bar-render.c: header with the total against the budget, the
 * stacked bar with a budget marker, and a legend of types with sizes */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-chart-draw-private.h"
#include "lb-quant-colors.h"
#include "lb-size-bar-render.h"

static gboolean
segment_ok (const LbSizeSegment *s)
{
  return isfinite (s->bytes) && s->bytes >= 0;
}

double
lb_size_bar_data_total (const LbSizeBarData *data)
{
  double total = 0;

  g_return_val_if_fail (data != NULL, 0);

  for (guint i = 0; data->segments != NULL && i < data->n_segments; i++)
    if (segment_ok (&data->segments[i]))
      total += data->segments[i].bytes;
  return total;
}

static gboolean
has_budget (const LbSizeBarData *data)
{
  return isfinite (data->budget) && data->budget > 0;
}

static char *
summary_text (const LbSizeBarData *data,
              double               total)
{
  char *t = lb_chart_format_value (total, LB_CHART_FORMAT_BYTES, NAN);
  char *b, *text;

  if (!has_budget (data))
    return t;
  b = lb_chart_format_value (data->budget, LB_CHART_FORMAT_BYTES, NAN);
  /* Translators: "<total size> of <budget> (<percent>)", e.g. "1.05 GB of 1.20 GB (88%)" */
  text = g_strdup_printf (_("%s of %s (%.0f%%)"), t, b, 100 * total / data->budget);
  g_free (t);
  g_free (b);
  return text;
}

static double
legend (cairo_t             *cr,
        const LbChartStyle  *style,
        const LbSizeBarData *data,
        double               x,
        double               y,
        double               width,
        gboolean             draw)
{
  const char **types;
  char **labels;
  guint n = 0;
  double h;

  if (data->segments == NULL || data->n_segments == 0)
    return 0;

  /* "Q4_K 512 MB" in the colour of Q4_K */
  types = g_new0 (const char *, data->n_segments);
  labels = g_new0 (char *, data->n_segments + 1);
  for (guint i = 0; i < data->n_segments; i++)
    {
      const LbSizeSegment *s = &data->segments[i];
      char *size;

      if (!segment_ok (s) || s->bytes == 0)
        continue;
      size = lb_chart_format_value (s->bytes, LB_CHART_FORMAT_BYTES, NAN);
      labels[n] = g_strdup_printf ("%s %s", s->name ? s->name : "?", size);
      types[n++] = s->name;
      g_free (size);
    }
  h = lb_chart_draw_type_legend (cr, style, x, y, width, n, types,
                                 (const char * const *) labels, draw);
  g_strfreev (labels);
  g_free (types);
  return h;
}

double
lb_size_bar_natural_height (cairo_t             *cr,
                            double               width,
                            const LbSizeBarData *data,
                            const LbChartStyle  *style)
{
  double h;

  g_return_val_if_fail (cr != NULL && data != NULL, 0);

  style = lb_chart_style_or_default (style);
  h = 2 * LB_CHART_PAD + lb_chart_line_height (cr, style, 1.0) + 6 + 24;
  if (!data->hide_legend && lb_size_bar_data_total (data) > 0)
    h += 8 + legend (cr, style, data, 0, 0, MAX (width - 2 * LB_CHART_PAD, 1), FALSE);
  return ceil (h);
}

void
lb_size_bar_render (cairo_t             *cr,
                    double               width,
                    double               height,
                    const LbSizeBarData *data,
                    const LbChartStyle  *style,
                    LbSizeBarGeometry   *geometry)
{
  static const LbSizeBarData empty = { 0 };
  LbSizeBarGeometry g = { 0 };
  LbChartArea a;
  double lh, bar_h, legend_h, total;
  gboolean over;
  char *text;

  g_return_if_fail (cr != NULL);

  if (data == NULL)
    data = &empty;
  style = lb_chart_begin (cr, style, width, height, &a);
  if (a.width < 8 || a.height < 8)
    goto out;

  total = lb_size_bar_data_total (data);
  over = has_budget (data) && total > data->budget;
  lh = lb_chart_line_height (cr, style, 1.0);

  /* header: title on the left, total (against the budget) on the right */
  if (data->title != NULL)
    lb_chart_show_text (cr, style, data->title, 1.0, PANGO_WEIGHT_BOLD, a.x, a.y, 0, 0,
                        &style->foreground);
  text = summary_text (data, total);
  lb_chart_show_text (cr, style, text, 1.0, over ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL,
                      a.x + a.width, a.y, 1.0, 0.0, over ? &style->failure : &style->foreground);
  g_free (text);
  a.y += lh + 6;

  legend_h = 0;
  if (!data->hide_legend && total > 0)
    legend_h = 8 + legend (cr, style, data, a.x, 0, a.width, FALSE);
  bar_h = CLAMP (a.height - (lh + 6) - legend_h, 8, 24);
  g.x = a.x;
  g.y = a.y;
  g.width = a.width;
  g.height = bar_h;
  g.total = total;
  g.scale_max = MAX (total, has_budget (data) ? data->budget * 1.06 : 0);

  cairo_save (cr);
  lb_chart_rounded_rect (cr, g.x, g.y, g.width, g.height, 4);
  cairo_clip (cr);
  if (total <= 0)
    lb_chart_draw_no_data (cr, style, g.x, g.y, g.width, g.height, NULL);
  else
    {
      double px = g.x;

      lb_chart_set_color (cr, &style->grid);
      cairo_paint (cr);
      for (guint i = 0; i < data->n_segments; i++)
        {
          const LbSizeSegment *s = &data->segments[i];
          LbChartColor color;
          double sw;

          if (!segment_ok (s) || s->bytes == 0)
            continue;
          sw = s->bytes / g.scale_max * g.width;
          lb_quant_type_color (s->name, &color);
          lb_chart_set_color (cr, &color);
          cairo_rectangle (cr, px, g.y, sw, g.height);
          cairo_fill (cr);
          /* a thin separator between neighbouring segments */
          if (px > g.x && sw > 3)
            {
              lb_chart_set_color_alpha (cr, &style->foreground, 0.25);
              cairo_rectangle (cr, round (px), g.y, 1, g.height);
              cairo_fill (cr);
            }
          px += sw;
        }
    }
  cairo_restore (cr);

  if (has_budget (data) && total > 0)
    {
      double bx = round (g.x + data->budget / g.scale_max * g.width) + 0.5;

      cairo_set_line_width (cr, 2);
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
      lb_chart_set_color (cr, over ? &style->failure : &style->foreground);
      cairo_move_to (cr, bx, g.y - 3);
      cairo_line_to (cr, bx, g.y + g.height + 3);
      cairo_stroke (cr);
    }
  a.y += bar_h + 8;

  if (!data->hide_legend && a.y + lh <= height)
    legend (cr, style, data, a.x, a.y, a.width, TRUE);

out:
  if (geometry != NULL)
    *geometry = g;
  cairo_restore (cr);
}

gboolean
lb_size_bar_segment_at (const LbSizeBarData     *data,
                        const LbSizeBarGeometry *geometry,
                        double                   px,
                        double                   py,
                        guint                   *index)
{
  double x;

  g_return_val_if_fail (data != NULL && geometry != NULL, FALSE);

  if (geometry->scale_max <= 0 || py < geometry->y || py > geometry->y + geometry->height
      || px < geometry->x)
    return FALSE;

  x = geometry->x;
  for (guint i = 0; data->segments != NULL && i < data->n_segments; i++)
    {
      const LbSizeSegment *s = &data->segments[i];
      double sw;

      if (!segment_ok (s) || s->bytes == 0)
        continue;
      sw = s->bytes / geometry->scale_max * geometry->width;
      if (px < x + sw)
        {
          if (index != NULL)
            *index = i;
          return TRUE;
        }
      x += sw;
    }
  return FALSE;
}
