/* lb-scatter-render.c: points with labels placed where they do not
 * collide, and the Pareto front as a dashed line */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-chart-draw-private.h"
#include "lb-scatter-render.h"

#define RADIUS 4.5

static gboolean
point_ok (const LbScatterData  *data,
          const LbScatterPoint *p)
{
  if (!isfinite (p->x) || !isfinite (p->y))
    return FALSE;
  if ((data->x_log && p->x <= 0) || (data->y_log && p->y <= 0))
    return FALSE;
  return TRUE;
}

static int
compare_by_x (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  const LbScatterPoint *points = user_data;
  const LbScatterPoint *pa = &points[*(const guint *) a];
  const LbScatterPoint *pb = &points[*(const guint *) b];

  if (pa->x != pb->x)
    return pa->x < pb->x ? -1 : 1;
  if (pa->y != pb->y)
    return pa->y < pb->y ? -1 : 1;
  return 0;
}

guint
lb_scatter_pareto_front (const LbScatterPoint *points,
                         guint                 n_points,
                         guint                *indices)
{
  guint n_ok = 0, n_front = 0;
  double best_y = INFINITY;

  g_return_val_if_fail (n_points == 0 || (points != NULL && indices != NULL), 0);

  for (guint i = 0; i < n_points; i++)
    if (isfinite (points[i].x) && isfinite (points[i].y))
      indices[n_ok++] = i;

  g_qsort_with_data (indices, (gint) n_ok, sizeof (guint), compare_by_x, (gpointer) points);

  /* by rising x, a point is on the front when its y beats every y before */
  for (guint k = 0; k < n_ok; k++)
    if (points[indices[k]].y < best_y)
      {
        best_y = points[indices[k]].y;
        indices[n_front++] = indices[k];
      }
  return n_front;
}

/* Widens [lo, hi] on both sides by a fraction of its span (on a log axis
 * of its ratio) */
static void
add_margin (double   *lo,
            double   *hi,
            gboolean  log_scale,
            double    fraction)
{
  if (!(*hi > *lo))
    return;
  if (log_scale)
    {
      *lo /= pow (*hi / *lo, fraction);
      *hi *= pow (*hi / *lo, fraction);
    }
  else
    {
      double pad = (*hi - *lo) * fraction;
      *lo -= pad;
      *hi += pad;
    }
}

void
lb_scatter_data_ranges (const LbScatterData *data,
                        double              *x_min,
                        double              *x_max,
                        double              *y_min,
                        double              *y_max)
{
  LbChartBounds b = LB_CHART_BOUNDS_INIT;

  for (guint i = 0; data->points != NULL && i < data->n_points; i++)
    if (point_ok (data, &data->points[i]))
      lb_chart_bounds_add (&b, data->points[i].x, data->points[i].y);

  /* margins so that markers at the extremes are not cut */
  if (b.found)
    {
      add_margin (&b.x0, &b.x1, data->x_log, 0.06);
      add_margin (&b.y0, &b.y1, data->y_log, 0.08);
    }
  lb_chart_range_fix (&b.x0, &b.x1, data->x_log);
  lb_chart_range_fix (&b.y0, &b.y1, data->y_log);
  *x_min = b.x0;
  *x_max = b.x1;
  *y_min = b.y0;
  *y_max = b.y1;
}

typedef struct {
  double x0, y0, x1, y1;
} Box;

static gboolean
box_free (const GArray *boxes,
          const Box    *b)
{
  for (guint i = 0; i < boxes->len; i++)
    {
      const Box *o = &g_array_index (boxes, Box, i);
      if (b->x0 < o->x1 && b->x1 > o->x0 && b->y0 < o->y1 && b->y1 > o->y0)
        return FALSE;
    }
  return TRUE;
}

static void
draw_labels (cairo_t              *cr,
             const LbChartStyle   *style,
             const LbScatterData  *data,
             const LbPlotGeometry *g)
{
  GArray *boxes = g_array_new (FALSE, FALSE, sizeof (Box));
  LbChartColor color = style->foreground;

  color.alpha *= 0.8;

  /* markers are obstacles too */
  for (guint i = 0; i < data->n_points; i++)
    {
      const LbScatterPoint *p = &data->points[i];
      double px, py;
      Box b;

      double r = RADIUS + (data->has_highlight && data->highlight == i ? 5 : 0);

      if (!point_ok (data, p))
        continue;
      px = lb_plot_geometry_x_to_pixel (g, p->x);
      py = lb_plot_geometry_y_to_pixel (g, p->y);
      b = (Box) { px - r, py - r, px + r, py + r };
      g_array_append_val (boxes, b);
    }

  /* the highlighted point gets first pick */
  for (guint k = 0; k <= data->n_points; k++)
    {
      guint i = k == 0 ? (data->has_highlight ? data->highlight : G_MAXUINT) : k - 1;
      const LbScatterPoint *p;
      PangoLayout *layout;
      double px, py, tw, th, r;
      /* right, left, above, below, then the diagonals */
      static const double dx[] = { 1, -1, 0, 0, 1, 1, -1, -1 };
      static const double dy[] = { 0, 0, -1, 1, -1, 1, -1, 1 };

      if (i >= data->n_points || (k > 0 && data->has_highlight && i == data->highlight))
        continue;
      p = &data->points[i];
      if (p->label == NULL || !point_ok (data, p))
        continue;

      px = lb_plot_geometry_x_to_pixel (g, p->x);
      py = lb_plot_geometry_y_to_pixel (g, p->y);
      r = RADIUS + (k == 0 ? 5 : 0);
      layout = lb_chart_layout_new (cr, style, 0.92, PANGO_WEIGHT_NORMAL, p->label);
      lb_chart_layout_size (layout, &tw, &th);

      for (guint d = 0; d < G_N_ELEMENTS (dx); d++)
        {
          double lx = px + dx[d] * (r + 4) - (dx[d] < 0 ? tw : dx[d] == 0 ? tw / 2 : 0);
          double ly = py + dy[d] * (r + 2) - (dy[d] < 0 ? th : dy[d] == 0 ? th / 2 : 0);
          Box b = { lx, ly, lx + tw, ly + th };

          if (lx < g->x - 2 || lx + tw > g->x + g->width + 2 || ly < g->y - 2
              || ly + th > g->y + g->height + 2 || !box_free (boxes, &b))
            continue;
          lb_chart_layout_show (cr, layout, lx, ly, 0, 0, &color);
          g_array_append_val (boxes, b);
          break;
        }
      g_object_unref (layout);
    }
  g_array_unref (boxes);
}

void
lb_scatter_render (cairo_t             *cr,
                   double               width,
                   double               height,
                   const LbScatterData *data,
                   const LbChartStyle  *style,
                   LbPlotGeometry      *geometry)
{
  static const LbScatterData empty = { 0 };
  LbChartLegendItem *items;
  LbChartAxes axes = { 0 };
  LbPlotGeometry g;
  LbChartArea area;
  guint n_ok = 0, n_items = 0;

  g_return_if_fail (cr != NULL);

  if (data == NULL)
    data = &empty;
  style = lb_chart_begin (cr, style, width, height, &area);

  items = g_new0 (LbChartLegendItem, data->n_groups + 1);
  for (guint i = 0; data->group_names != NULL && i < data->n_groups; i++)
    if (data->group_names[i] != NULL)
      items[n_items++] = (LbChartLegendItem) {
        data->group_names[i], style->series[i % LB_CHART_N_SERIES_COLORS], LB_CHART_MARK_DOT,
      };
  if (data->group_names != NULL && data->n_groups > 0 && data->show_front)
    items[n_items++] = (LbChartLegendItem) {
      _("Pareto front"), style->foreground, LB_CHART_MARK_LINE,
    };
  lb_chart_draw_header (cr, style, &area, data->title, n_items, items);
  g_free (items);

  lb_scatter_data_ranges (data, &axes.x_min, &axes.x_max, &axes.y_min, &axes.y_max);
  axes.x_log = data->x_log;
  axes.y_log = data->y_log;
  axes.x_format = data->x_format;
  axes.y_format = data->y_format;
  axes.x_label = data->x_label;
  axes.y_label = data->y_label;
  for (guint i = 0; data->points != NULL && i < data->n_points; i++)
    if (point_ok (data, &data->points[i]))
      n_ok++;

  if (lb_chart_draw_plot (cr, style, &area, &axes, n_ok > 0, &g))
    {
      if (data->show_front && n_ok > 1)
        {
          guint *front = g_new (guint, data->n_points);
          guint n_front = lb_scatter_pareto_front (data->points, data->n_points, front);
          guint drawn = 0;

          cairo_save (cr);
          cairo_set_line_width (cr, 1.5);
          cairo_set_dash (cr, (double[]) { 5, 3 }, 2, 0);
          lb_chart_set_color_alpha (cr, &style->foreground, 0.55);
          for (guint k = 0; k < n_front; k++)
            {
              const LbScatterPoint *p = &data->points[front[k]];

              if (!point_ok (data, p))
                continue;
              if (drawn++ == 0)
                cairo_move_to (cr, lb_plot_geometry_x_to_pixel (&g, p->x),
                               lb_plot_geometry_y_to_pixel (&g, p->y));
              else
                cairo_line_to (cr, lb_plot_geometry_x_to_pixel (&g, p->x),
                               lb_plot_geometry_y_to_pixel (&g, p->y));
            }
          cairo_stroke (cr);
          cairo_restore (cr);
          g_free (front);
        }

      for (guint i = 0; i < data->n_points; i++)
        {
          const LbScatterPoint *p = &data->points[i];
          double px, py;

          if (!point_ok (data, p))
            continue;
          px = lb_plot_geometry_x_to_pixel (&g, p->x);
          py = lb_plot_geometry_y_to_pixel (&g, p->y);
          cairo_arc (cr, px, py, RADIUS, 0, 2 * G_PI);
          lb_chart_set_color (cr, &style->series[p->group % LB_CHART_N_SERIES_COLORS]);
          cairo_fill_preserve (cr);
          cairo_set_line_width (cr, 1);
          lb_chart_set_color_alpha (cr, &style->foreground, 0.25);
          cairo_stroke (cr);
          if (data->has_highlight && data->highlight == i)
            {
              cairo_set_line_width (cr, 2);
              lb_chart_set_color (cr, &style->foreground);
              cairo_arc (cr, px, py, RADIUS + 3.5, 0, 2 * G_PI);
              cairo_stroke (cr);
            }
        }
      draw_labels (cr, style, data, &g);
    }

  if (geometry != NULL)
    *geometry = g;
  cairo_restore (cr);
}

gboolean
lb_scatter_nearest (const LbScatterData  *data,
                    const LbPlotGeometry *geometry,
                    double                px,
                    double                py,
                    double                max_distance,
                    guint                *index)
{
  double best = max_distance * max_distance;
  gboolean found = FALSE;

  g_return_val_if_fail (data != NULL && geometry != NULL, FALSE);

  if (geometry->width <= 0 || geometry->height <= 0)
    return FALSE;
  for (guint i = 0; data->points != NULL && i < data->n_points; i++)
    {
      const LbScatterPoint *p = &data->points[i];
      double dx, dy;

      if (!point_ok (data, p))
        continue;
      dx = lb_plot_geometry_x_to_pixel (geometry, p->x) - px;
      dy = lb_plot_geometry_y_to_pixel (geometry, p->y) - py;
      if (dx * dx + dy * dy <= best)
        {
          best = dx * dx + dy * dy;
          found = TRUE;
          if (index != NULL)
            *index = i;
        }
    }
  return found;
}
