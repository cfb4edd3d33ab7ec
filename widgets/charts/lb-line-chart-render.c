/* lb-line-chart-render.c: series as lines over grid lines and axes, with a
 * legend in the header */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-chart-draw-private.h"
#include "lb-line-chart-render.h"

static inline double
series_x (const LbLineSeries *s,
          guint               i)
{
  return s->x != NULL ? s->x[i] : (double) i;
}

static inline gboolean
point_ok (const LbLineSeries *s,
          guint               i)
{
  return isfinite (series_x (s, i)) && isfinite (s->y[i]);
}

void
lb_line_chart_data_ranges (const LbLineChartData *data,
                           double                *x_min,
                           double                *x_max,
                           double                *y_min,
                           double                *y_max)
{
  LbChartBounds b = LB_CHART_BOUNDS_INIT;

  for (guint s = 0; data->series != NULL && s < data->n_series; s++)
    for (guint i = 0; data->series[s].y != NULL && i < data->series[s].n_points; i++)
      if (point_ok (&data->series[s], i))
        lb_chart_bounds_add (&b, series_x (&data->series[s], i), data->series[s].y[i]);

  if (b.found && data->y_from_zero)
    {
      b.y0 = MIN (b.y0, 0);
      b.y1 = MAX (b.y1, 0);
    }
  if (b.found && b.y1 > b.y0)
    b.y1 += (b.y1 - b.y0) * 0.05; /* headroom above the highest point */
  if (data->fixed_x_range)
    {
      b.x0 = data->x_min;
      b.x1 = data->x_max;
    }
  if (data->fixed_y_range)
    {
      b.y0 = data->y_min;
      b.y1 = data->y_max;
    }
  lb_chart_range_fix (&b.x0, &b.x1, FALSE);
  if (data->y_from_zero && !data->fixed_y_range && b.found && b.y0 == 0 && b.y1 == 0)
    b.y1 = 1;
  lb_chart_range_fix (&b.y0, &b.y1, FALSE);
  *x_min = b.x0;
  *x_max = b.x1;
  *y_min = b.y0;
  *y_max = b.y1;
}

static gboolean
has_points (const LbLineChartData *data)
{
  for (guint s = 0; data->series != NULL && s < data->n_series; s++)
    for (guint i = 0; data->series[s].y != NULL && i < data->series[s].n_points; i++)
      if (point_ok (&data->series[s], i))
        return TRUE;
  return FALSE;
}

static void
draw_series (cairo_t              *cr,
             const LbPlotGeometry *g,
             const LbLineSeries   *s,
             const LbChartColor   *color)
{
  guint i = 0;

  if (s->y == NULL)
    return;

  /* each run of finite points between NaNs is its own line */
  while (i < s->n_points)
    {
      guint n = 0;
      double first_px = 0, last_px = 0;

      while (i < s->n_points && isnan (s->y[i]))
        i++;
      for (; i < s->n_points && !isnan (s->y[i]); i++)
        {
          double px, py;

          if (!point_ok (s, i))
            continue;
          px = lb_plot_geometry_x_to_pixel (g, series_x (s, i));
          py = lb_plot_geometry_y_to_pixel (g, s->y[i]);
          if (n++ == 0)
            {
              cairo_move_to (cr, px, py);
              first_px = px;
            }
          else
            cairo_line_to (cr, px, py);
          last_px = px;
        }

      if (n == 0)
        continue;
      if (n == 1)
        {
          /* a lone point: a dot, since a line of one point is invisible */
          double px, py;

          cairo_get_current_point (cr, &px, &py);
          cairo_new_path (cr);
          lb_chart_set_color (cr, color);
          cairo_arc (cr, px, py, 3, 0, 2 * G_PI);
          cairo_fill (cr);
          continue;
        }

      if (s->fill)
        {
          double base = lb_plot_geometry_y_to_pixel (g, CLAMP (0, g->y_min, g->y_max));
          cairo_path_t *path = cairo_copy_path (cr);

          cairo_line_to (cr, last_px, base);
          cairo_line_to (cr, first_px, base);
          cairo_close_path (cr);
          lb_chart_set_color_alpha (cr, color, 0.18);
          cairo_fill (cr);
          cairo_append_path (cr, path);
          cairo_path_destroy (path);
        }
      lb_chart_set_color (cr, color);
      cairo_stroke (cr);
    }
}

void
lb_line_chart_render (cairo_t               *cr,
                      double                 width,
                      double                 height,
                      const LbLineChartData *data,
                      const LbChartStyle    *style,
                      LbPlotGeometry        *geometry)
{
  static const LbLineChartData empty = { 0 };
  LbChartLegendItem *items;
  LbChartAxes axes = { 0 };
  LbPlotGeometry g;
  LbChartArea area;
  guint n_items = 0;

  g_return_if_fail (cr != NULL);

  if (data == NULL)
    data = &empty;
  style = lb_chart_begin (cr, style, width, height, &area);

  items = g_new0 (LbChartLegendItem, MAX (data->n_series, 1));
  for (guint s = 0; data->series != NULL && s < data->n_series; s++)
    if (data->series[s].name != NULL)
      items[n_items++] = (LbChartLegendItem) {
        data->series[s].name, style->series[s % LB_CHART_N_SERIES_COLORS], LB_CHART_MARK_LINE,
      };
  lb_chart_draw_header (cr, style, &area, data->title, n_items, items);
  g_free (items);

  lb_line_chart_data_ranges (data, &axes.x_min, &axes.x_max, &axes.y_min, &axes.y_max);
  axes.x_format = data->x_format;
  axes.y_format = data->y_format;
  axes.x_label = data->x_label;
  axes.y_label = data->y_label;
  if (lb_chart_draw_plot (cr, style, &area, &axes, has_points (data), &g))
    {
      cairo_save (cr);
      cairo_rectangle (cr, g.x - 3, g.y - 3, g.width + 6, g.height + 6);
      cairo_clip (cr);
      cairo_set_line_width (cr, 2);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
      for (guint s = 0; s < data->n_series; s++)
        draw_series (cr, &g, &data->series[s], &style->series[s % LB_CHART_N_SERIES_COLORS]);
      cairo_restore (cr);
    }

  if (geometry != NULL)
    *geometry = g;
  cairo_restore (cr);
}

gboolean
lb_line_chart_nearest (const LbLineChartData *data,
                       const LbPlotGeometry  *geometry,
                       double                 px,
                       double                 py,
                       double                 max_distance,
                       guint                 *series,
                       guint                 *index)
{
  double best = max_distance * max_distance;
  gboolean found = FALSE;

  g_return_val_if_fail (data != NULL && geometry != NULL, FALSE);

  if (geometry->width <= 0 || geometry->height <= 0)
    return FALSE;

  for (guint s = 0; data->series != NULL && s < data->n_series; s++)
    for (guint i = 0; data->series[s].y != NULL && i < data->series[s].n_points; i++)
      {
        const LbLineSeries *ser = &data->series[s];
        double dx, dy;

        if (!point_ok (ser, i))
          continue;
        dx = lb_plot_geometry_x_to_pixel (geometry, series_x (ser, i)) - px;
        dy = lb_plot_geometry_y_to_pixel (geometry, ser->y[i]) - py;
        if (dx * dx + dy * dy <= best)
          {
            best = dx * dx + dy * dy;
            found = TRUE;
            if (series != NULL)
              *series = s;
            if (index != NULL)
              *index = i;
          }
      }
  return found;
}
