/* lb-bar-chart-render.c: row labels on the left, bars growing to the right
 * from the value axis' base, ticks and grid lines along the bottom */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-bar-chart-render.h"
#include "lb-chart-draw-private.h"

#define LABEL_SIZE 0.85
#define TICK_SIZE  0.92

static gboolean
value_ok (const LbBarChartData *data,
          double                v)
{
  return isfinite (v) && (!data->log_scale || v > 0);
}

static double
series_value (const LbBarChartData *data,
              guint                 s,
              guint                 i)
{
  const LbBarSeries *ser = &data->series[s];

  return ser->values != NULL ? ser->values[i] : NAN;
}

void
lb_bar_chart_data_range (const LbBarChartData *data,
                         double               *min,
                         double               *max)
{
  double lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE;
  gboolean found = FALSE;

  g_return_if_fail (data != NULL);

  for (guint s = 0; data->series != NULL && s < data->n_series; s++)
    for (guint i = 0; i < data->n_bars; i++)
      {
        double v = series_value (data, s, i);
        if (!value_ok (data, v))
          continue;
        lo = MIN (lo, v);
        hi = MAX (hi, v);
        found = TRUE;
      }
  if (data->has_limit && value_ok (data, data->limit))
    {
      lo = found ? MIN (lo, data->limit) : data->limit;
      hi = found ? MAX (hi, data->limit) : data->limit;
      found = TRUE;
    }

  if (data->log_scale)
    {
      /* whole decades, so that the ticks land on 1, 10, 100 ... */
      if (found)
        {
          lo = pow (10, floor (log10 (lo)));
          hi = pow (10, ceil (log10 (hi) + 1e-9));
        }
      else
        lo = hi = NAN;
      lb_chart_range_fix (&lo, &hi, TRUE);
    }
  else
    {
      /* bars start at zero: the range always holds it */
      if (!found)
        lo = hi = 0;
      lo = MIN (lo, 0);
      hi = MAX (hi, 0);
      if (hi > lo)
        {
          double span = hi - lo;
          if (hi > 0)
            hi += span * 0.05;
          if (lo < 0)
            lo -= span * 0.05;
        }
      lb_chart_range_fix (&lo, &hi, FALSE);
    }
  *min = lo;
  *max = hi;
}

static gboolean
has_bars (const LbBarChartData *data)
{
  for (guint s = 0; data->series != NULL && s < data->n_series; s++)
    for (guint i = 0; i < data->n_bars; i++)
      if (value_ok (data, series_value (data, s, i)))
        return TRUE;
  return FALSE;
}

/* value axis along the bottom: grid lines over the rows and tick labels */
static void
draw_value_axis (cairo_t                  *cr,
                 const LbChartStyle       *style,
                 const LbBarChartData     *data,
                 const LbPlotGeometry     *g,
                 double                    label_y)
{
  double ticks[LB_CHART_MAX_TICKS], step, last_right = -G_MAXDOUBLE;
  LbChartColor label_color = style->foreground;
  guint n;

  label_color.alpha *= 0.7;
  n = lb_chart_ticks (g->x_min, g->x_max, (guint) (g->width / 90), data->format, g->x_log,
                      ticks, &step);
  cairo_save (cr);
  cairo_set_line_width (cr, 1);
  for (guint i = 0; i < n; i++)
    {
      double px = round (lb_plot_geometry_x_to_pixel (g, ticks[i])) + 0.5;
      g_autofree char *text = lb_chart_format_value (ticks[i], data->format, step);
      double w = lb_chart_text_width (cr, style, text, TICK_SIZE, PANGO_WEIGHT_NORMAL);

      lb_chart_set_color (cr, &style->grid);
      cairo_move_to (cr, px, g->y);
      cairo_line_to (cr, px, g->y + g->height);
      cairo_stroke (cr);
      /* skip labels that would overlap the previous one */
      if (px - w / 2 < last_right + 6)
        continue;
      lb_chart_show_text (cr, style, text, TICK_SIZE, PANGO_WEIGHT_NORMAL, px, label_y, 0.5, 0,
                          &label_color);
      last_right = px + w / 2;
    }
  lb_chart_set_color (cr, &style->foreground);
  cairo_move_to (cr, g->x, round (g->y + g->height) + 0.5);
  cairo_line_to (cr, g->x + g->width, round (g->y + g->height) + 0.5);
  cairo_stroke (cr);
  cairo_restore (cr);
}

static void
draw_value_text (cairo_t            *cr,
                 const LbChartStyle *style,
                 const LbChartColor *bar_color,
                 const char         *text,
                 double              bar_end,
                 double              bar_start,
                 double              cy,
                 double              right_edge)
{
  double w = lb_chart_text_width (cr, style, text, LABEL_SIZE, PANGO_WEIGHT_NORMAL);
  LbChartColor inside;

  if (bar_end + 4 + w <= right_edge)
    {
      lb_chart_show_text (cr, style, text, LABEL_SIZE, PANGO_WEIGHT_NORMAL, bar_end + 4, cy, 0,
                          0.5, &style->foreground);
      return;
    }
  if (bar_end - bar_start < w + 8)
    return;
  /* no room after the bar: inside its end, in a colour that reads on it */
  lb_chart_color_contrast (bar_color, &inside);
  lb_chart_show_text (cr, style, text, LABEL_SIZE, PANGO_WEIGHT_NORMAL, bar_end - 4, cy, 1,
                      0.5, &inside);
}

void
lb_bar_chart_render (cairo_t              *cr,
                     double                width,
                     double                height,
                     const LbBarChartData *data,
                     const LbChartStyle   *style,
                     LbBarChartGeometry   *geometry)
{
  static const LbBarChartData empty = { 0 };
  LbChartLegendItem *items;
  LbPlotGeometry g = { 0 };
  LbChartArea area;
  double lh, tick_h, label_w = 0, row_h, value_w = 0;
  guint n_items = 0, label_every = 1, n_series;

  g_return_if_fail (cr != NULL);

  if (data == NULL)
    data = &empty;
  n_series = data->series != NULL ? data->n_series : 0;
  style = lb_chart_begin (cr, style, width, height, &area);

  items = g_new0 (LbChartLegendItem, n_series + 1);
  for (guint s = 0; s < n_series; s++)
    if (data->series[s].name != NULL)
      items[n_items++] = (LbChartLegendItem) {
        data->series[s].name, style->series[s % LB_CHART_N_SERIES_COLORS], LB_CHART_MARK_BOX,
      };
  if (data->has_limit && data->limit_label != NULL)
    items[n_items++] = (LbChartLegendItem) {
      data->limit_label, style->failure, LB_CHART_MARK_LINE,
    };
  lb_chart_draw_header (cr, style, &area, data->title, n_items, items);
  g_free (items);

  lh = lb_chart_line_height (cr, style, LABEL_SIZE);
  tick_h = lb_chart_line_height (cr, style, TICK_SIZE);
  for (guint i = 0; data->labels != NULL && i < data->n_bars; i++)
    if (data->labels[i] != NULL)
      label_w = MAX (label_w, lb_chart_text_width (cr, style, data->labels[i], LABEL_SIZE,
                                                   PANGO_WEIGHT_NORMAL));
  label_w = MIN (label_w, area.width * 0.4);
  if (data->show_values)
    value_w = lb_chart_text_width (cr, style, "0.000000", LABEL_SIZE, PANGO_WEIGHT_NORMAL) + 8;

  g.x = area.x + (label_w > 0 ? label_w + 8 : 0);
  g.y = area.y;
  g.width = area.width - (g.x - area.x) - MIN (value_w, area.width * 0.2) - 4;
  g.height = area.height - tick_h - 6 - (data->value_label != NULL ? tick_h + 4 : 0);
  g.x_log = data->log_scale;
  lb_bar_chart_data_range (data, &g.x_min, &g.x_max);
  g.y_min = 0;
  g.y_max = MAX (data->n_bars, 1);

  if (data->n_bars == 0 || !has_bars (data) || g.width < 16 || g.height < 4)
    {
      lb_chart_draw_no_data (cr, style, area.x, area.y, MAX (area.width, 0),
                             MAX (area.height, 0), NULL);
      if (geometry != NULL)
        *geometry = (LbBarChartGeometry) { 0 };
      cairo_restore (cr);
      return;
    }

  row_h = g.height / data->n_bars;
  /* label every k-th row when the rows are thinner than a line of text */
  while (row_h * label_every < lh * 0.95 && label_every < data->n_bars)
    label_every++;

  draw_value_axis (cr, style, data, &g, g.y + g.height + 4);
  if (data->value_label != NULL)
    {
      LbChartColor c = style->foreground;
      c.alpha *= 0.7;
      lb_chart_show_text (cr, style, data->value_label, TICK_SIZE, PANGO_WEIGHT_NORMAL,
                          g.x + g.width / 2, area.y + area.height, 0.5, 1, &c);
    }

  for (guint i = 0; i < data->n_bars; i++)
    {
      double top = g.y + i * row_h, band = row_h * (row_h >= 6 ? 0.76 : 1.0);
      double bar_h = band / MAX (n_series, 1);
      double base = lb_plot_geometry_x_to_pixel (&g, g.x_log ? g.x_min : CLAMP (0, g.x_min, g.x_max));

      if (data->labels != NULL && data->labels[i] != NULL && i % label_every == 0)
        {
          PangoLayout *layout = lb_chart_layout_new (cr, style, LABEL_SIZE, PANGO_WEIGHT_NORMAL,
                                                     data->labels[i]);
          /* long names lose their start: the end says which tensor it is */
          pango_layout_set_width (layout, (int) (label_w * PANGO_SCALE));
          pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_START);
          pango_layout_set_alignment (layout, PANGO_ALIGN_RIGHT);
          lb_chart_layout_show (cr, layout, area.x, top + row_h / 2, 0, 0.5, &style->foreground);
          g_object_unref (layout);
        }

      for (guint s = 0; s < n_series; s++)
        {
          const LbChartColor *color = &style->series[s % LB_CHART_N_SERIES_COLORS];
          double v = series_value (data, s, i), end, y0;

          if (!value_ok (data, v))
            continue;
          end = lb_plot_geometry_x_to_pixel (&g, CLAMP (v, g.x_min, g.x_max));
          y0 = top + (row_h - band) / 2 + s * bar_h;
          lb_chart_set_color (cr, color);
          cairo_rectangle (cr, MIN (base, end), y0, MAX (fabs (end - base), 1), MAX (bar_h - 1, 1));
          cairo_fill (cr);
          if (data->show_values && bar_h >= lh * 0.9)
            {
              g_autofree char *text = lb_chart_format_value (v, data->format, NAN);
              draw_value_text (cr, style, color, text, end, base, y0 + bar_h / 2,
                               area.x + area.width);
            }
        }
    }

  if (data->has_limit && value_ok (data, data->limit))
    {
      double px = round (lb_plot_geometry_x_to_pixel (&g, data->limit)) + 0.5;
      static const double dash[] = { 6, 4 };

      cairo_save (cr);
      lb_chart_set_color (cr, &style->failure);
      cairo_set_line_width (cr, 2);
      cairo_set_dash (cr, dash, G_N_ELEMENTS (dash), 0);
      cairo_move_to (cr, px, g.y);
      cairo_line_to (cr, px, g.y + g.height);
      cairo_stroke (cr);
      cairo_restore (cr);
    }

  if (geometry != NULL)
    *geometry = (LbBarChartGeometry) {
      g.x, g.y, g.width, g.height, row_h, data->n_bars, g.x_min, g.x_max, g.x_log,
    };
  cairo_restore (cr);
}

gboolean
lb_bar_chart_row_at (const LbBarChartGeometry *geometry,
                     double                    px,
                     double                    py,
                     guint                    *row)
{
  double r;

  g_return_val_if_fail (geometry != NULL, FALSE);

  if (geometry->n_rows == 0 || geometry->row_height <= 0 || px < geometry->x
      || px >= geometry->x + geometry->width || py < geometry->y)
    return FALSE;
  r = floor ((py - geometry->y) / geometry->row_height);
  if (r >= geometry->n_rows)
    return FALSE;
  if (row != NULL)
    *row = (guint) r;
  return TRUE;
}
