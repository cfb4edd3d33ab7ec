/* lb-precision-grid-render.c: type-coloured cells with their names, the
 * selection as one outline around selected regions, a focus cursor and a
 * legend of the types in use */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-chart-draw-private.h"
#include "lb-precision-grid-render.h"
#include "lb-quant-colors.h"

#define MAX_CELL_WIDTH  120.0
#define MAX_CELL_HEIGHT 30.0

static int
compare_types (gconstpointer a,
               gconstpointer b)
{
  return lb_quant_type_compare (*(const char * const *) a, *(const char * const *) b);
}

const char **
lb_precision_grid_data_types (const LbPrecisionGridData *data,
                              guint                     *n_types)
{
  GPtrArray *types = g_ptr_array_new ();
  gsize n_cells;

  g_return_val_if_fail (data != NULL && n_types != NULL, NULL);

  n_cells = data->types != NULL ? (gsize) data->n_rows * data->n_cols : 0;
  for (gsize i = 0; i < n_cells; i++)
    {
      const char *t = data->types[i];
      gboolean seen = FALSE;

      if (t == NULL)
        continue;
      for (guint k = 0; k < types->len && !seen; k++)
        seen = g_ascii_strcasecmp (g_ptr_array_index (types, k), t) == 0;
      if (!seen)
        g_ptr_array_add (types, (gpointer) t);
    }
  g_ptr_array_sort (types, compare_types);
  *n_types = types->len;
  return (const char **) g_ptr_array_free (types, FALSE);
}

static gboolean
is_selected (const LbPrecisionGridData *data,
             int                        r,
             int                        c)
{
  if (data->selected == NULL || r < 0 || c < 0 || (guint) r >= data->n_rows
      || (guint) c >= data->n_cols)
    return FALSE;
  return data->selected[(gsize) r * data->n_cols + c] != 0;
}

static double
legend (cairo_t                   *cr,
        const LbChartStyle        *style,
        const LbPrecisionGridData *data,
        double                     x,
        double                     y,
        double                     width,
        gboolean                   draw)
{
  guint n_types;
  const char **types = lb_precision_grid_data_types (data, &n_types);
  double h = lb_chart_draw_type_legend (cr, style, x, y, width, n_types, types, NULL, draw);

  g_free (types);
  return h;
}

static void
draw_selection (cairo_t                   *cr,
                const LbChartStyle        *style,
                const LbPrecisionGridData *data,
                const LbChartMatrix       *m)
{
  cairo_save (cr);

  /* a wash over every selected cell ... */
  for (guint r = 0; r < data->n_rows; r++)
    for (guint c = 0; c < data->n_cols; c++)
      if (is_selected (data, r, c))
        cairo_rectangle (cr, m->x + c * m->cell_width, m->y + r * m->cell_height,
                         m->cell_width, m->cell_height);
  lb_chart_set_color_alpha (cr, &style->accent, 0.3);
  cairo_fill (cr);

  /* ... and one outline around each selected region: the edges between a
   * selected cell and an unselected neighbour */
  for (guint r = 0; r < data->n_rows; r++)
    for (guint c = 0; c < data->n_cols; c++)
      {
        double x0 = m->x + c * m->cell_width, y0 = m->y + r * m->cell_height;
        double x1 = x0 + m->cell_width, y1 = y0 + m->cell_height;

        if (!is_selected (data, r, c))
          continue;
        if (!is_selected (data, r - 1, c))
          {
            cairo_move_to (cr, x0, y0);
            cairo_line_to (cr, x1, y0);
          }
        if (!is_selected (data, r + 1, c))
          {
            cairo_move_to (cr, x0, y1);
            cairo_line_to (cr, x1, y1);
          }
        if (!is_selected (data, r, c - 1))
          {
            cairo_move_to (cr, x0, y0);
            cairo_line_to (cr, x0, y1);
          }
        if (!is_selected (data, r, c + 1))
          {
            cairo_move_to (cr, x1, y0);
            cairo_line_to (cr, x1, y1);
          }
      }
  cairo_set_line_width (cr, 2.5);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_SQUARE);
  lb_chart_set_color (cr, &style->accent);
  cairo_stroke (cr);
  cairo_restore (cr);
}

void
lb_precision_grid_render (cairo_t                   *cr,
                          double                     width,
                          double                     height,
                          const LbPrecisionGridData *data,
                          const LbChartStyle        *style,
                          LbPrecisionGridGeometry   *geometry)
{
  static const LbPrecisionGridData empty = { 0 };
  LbPrecisionGridGeometry geom = { 0 };
  LbChartMatrix m;
  LbChartArea a;
  double legend_h = 0, lh, gap;

  g_return_if_fail (cr != NULL);

  if (data == NULL)
    data = &empty;
  style = lb_chart_begin (cr, style, width, height, &a);
  lb_chart_draw_header (cr, style, &a, data->title, 0, NULL);
  if (!lb_chart_matrix_has_room (cr, style, &a, data->n_rows, data->n_cols, data->types))
    goto out;

  if (!data->hide_legend)
    legend_h = legend (cr, style, data, a.x, 0, a.width, FALSE);
  if (legend_h > 0 && legend_h + 12 < a.height * 0.4)
    a.height -= legend_h + 12;
  else
    legend_h = 0;

  lb_chart_matrix_layout (cr, style, a.x, a.y, a.width, a.height, data->n_rows, data->n_cols,
                          data->row_labels, data->col_labels, MAX_CELL_WIDTH, MAX_CELL_HEIGHT,
                          &m);
  lh = lb_chart_line_height (cr, style, 0.8);
  gap = m.cell_width >= 8 && m.cell_height >= 8 ? 1 : 0;

  for (guint r = 0; r < data->n_rows; r++)
    for (guint c = 0; c < data->n_cols; c++)
      {
        const char *type = data->types[(gsize) r * data->n_cols + c];
        double cx = m.x + c * m.cell_width, cy = m.y + r * m.cell_height;
        LbChartColor color, text_color;

        if (type == NULL)
          {
            lb_chart_fill_no_data (cr, style, cx, cy, m.cell_width - gap, m.cell_height - gap);
            continue;
          }
        lb_quant_type_color (type, &color);
        lb_chart_set_color (cr, &color);
        lb_chart_rounded_rect (cr, cx, cy, m.cell_width - gap, m.cell_height - gap,
                               gap > 0 ? 2 : 0);
        cairo_fill (cr);

        if (!data->hide_cell_text && m.cell_height - gap >= lh)
          {
            PangoLayout *layout = lb_chart_layout_new (cr, style, 0.8, PANGO_WEIGHT_NORMAL,
                                                       type);
            double tw;

            lb_chart_layout_size (layout, &tw, NULL);
            lb_chart_color_contrast (&color, &text_color);
            if (tw + 4 <= m.cell_width - gap)
              lb_chart_layout_show (cr, layout, cx + (m.cell_width - gap) / 2,
                                    cy + (m.cell_height - gap) / 2, 0.5, 0.5, &text_color);
            g_object_unref (layout);
          }
      }

  if (data->selected != NULL)
    draw_selection (cr, style, data, &m);

  if (data->has_cursor && data->cursor_row < data->n_rows && data->cursor_col < data->n_cols)
    {
      cairo_save (cr);
      cairo_set_line_width (cr, 1.5);
      cairo_set_dash (cr, (double[]) { 3, 2 }, 2, 0);
      lb_chart_set_color (cr, &style->foreground);
      cairo_rectangle (cr, m.x + data->cursor_col * m.cell_width + 3,
                       m.y + data->cursor_row * m.cell_height + 3,
                       MAX (m.cell_width - gap - 6, 1), MAX (m.cell_height - gap - 6, 1));
      cairo_stroke (cr);
      cairo_restore (cr);
    }

  lb_chart_matrix_draw_labels (cr, style, &m, data->n_rows, data->n_cols,
                               data->row_labels, data->col_labels);

  if (legend_h > 0)
    legend (cr, style, data, a.x, m.y + m.height + 12, a.width, TRUE);

  geom = (LbPrecisionGridGeometry) {
    .x = m.x, .y = m.y, .width = m.width, .height = m.height,
    .cell_width = m.cell_width, .cell_height = m.cell_height,
    .row_header_x = m.row_header_x, .row_header_width = m.x - m.row_header_x,
    .col_header_y = m.col_header_y, .col_header_height = m.y - m.col_header_y,
    .n_rows = data->n_rows, .n_cols = data->n_cols,
  };
out:
  if (geometry != NULL)
    *geometry = geom;
  cairo_restore (cr);
}

LbGridHit
lb_precision_grid_geometry_hit (const LbPrecisionGridGeometry *g,
                                double                         px,
                                double                         py,
                                guint                         *row,
                                guint                         *col)
{
  gboolean in_cols, in_rows;
  double c, r;

  g_return_val_if_fail (g != NULL, LB_GRID_HIT_NONE);

  if (g->n_rows == 0 || g->n_cols == 0 || g->cell_width <= 0 || g->cell_height <= 0)
    return LB_GRID_HIT_NONE;

  c = floor ((px - g->x) / g->cell_width);
  r = floor ((py - g->y) / g->cell_height);
  in_cols = c >= 0 && c < g->n_cols;
  in_rows = r >= 0 && r < g->n_rows;
  if (row != NULL && in_rows)
    *row = (guint) r;
  if (col != NULL && in_cols)
    *col = (guint) c;

  if (in_rows && in_cols)
    return LB_GRID_HIT_CELL;
  if (in_rows && px >= g->row_header_x && px < g->x)
    return LB_GRID_HIT_ROW_HEADER;
  if (in_cols && py >= g->col_header_y && py < g->y)
    return LB_GRID_HIT_COL_HEADER;
  if (px >= g->row_header_x && px < g->x && py >= g->col_header_y && py < g->y)
    return LB_GRID_HIT_CORNER;
  return LB_GRID_HIT_NONE;
}
