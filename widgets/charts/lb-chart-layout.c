/* lb-chart-layout.c: the frame, header, plot and type legend that the
 * renderers are built from */
#include "config.h"

#include "lb-chart-draw-private.h"
#include "lb-quant-colors.h"

const LbChartStyle *
lb_chart_begin (cairo_t            *cr,
                const LbChartStyle *style,
                double              width,
                double              height,
                LbChartArea        *area)
{
  style = lb_chart_style_or_default (style);
  cairo_save (cr);
  lb_chart_paint_background (cr, style, width, height);
  *area = (LbChartArea) {
    LB_CHART_PAD, LB_CHART_PAD, width - 2 * LB_CHART_PAD, height - 2 * LB_CHART_PAD,
  };
  return style;
}

void
lb_chart_draw_header (cairo_t                 *cr,
                      const LbChartStyle      *style,
                      LbChartArea             *area,
                      const char              *title,
                      guint                    n_items,
                      const LbChartLegendItem *items)
{
  double header_h = 0, title_w = 0;

  if (title != NULL)
    {
      header_h = lb_chart_line_height (cr, style, 1.0);
      title_w = lb_chart_text_width (cr, style, title, 1.0, PANGO_WEIGHT_BOLD) + 24;
      lb_chart_show_text (cr, style, title, 1.0, PANGO_WEIGHT_BOLD, area->x, area->y, 0, 0,
                          &style->foreground);
    }
  if (n_items > 0)
    {
      /* right-aligned beside the title, or on rows of its own */
      double lw = MAX (area->width - title_w, area->width * 0.5);
      double lh = lb_chart_draw_legend (cr, style, area->x + area->width - lw, area->y, lw, 1.0,
                                        n_items, items, TRUE);
      header_h = MAX (header_h, lh);
    }
  if (header_h > 0)
    {
      area->y += header_h + 8;
      area->height -= header_h + 8;
    }
}

gboolean
lb_chart_draw_plot (cairo_t            *cr,
                    const LbChartStyle *style,
                    const LbChartArea  *area,
                    const LbChartAxes  *axes,
                    gboolean            has_data,
                    LbPlotGeometry     *plot)
{
  lb_chart_draw_axes (cr, style, area->x, area->y, MAX (area->width, 0), MAX (area->height, 0),
                      axes, plot);
  if (!has_data)
    {
      lb_chart_draw_no_data (cr, style, plot->x, plot->y, plot->width, plot->height, NULL);
      return FALSE;
    }
  return plot->width > 0 && plot->height > 0;
}

gboolean
lb_chart_matrix_has_room (cairo_t            *cr,
                          const LbChartStyle *style,
                          const LbChartArea  *area,
                          guint               n_rows,
                          guint               n_cols,
                          gconstpointer       cells)
{
  gboolean has_cells = cells != NULL && n_rows > 0 && n_cols > 0
                       && n_rows <= G_MAXUINT / n_cols;

  if (has_cells && area->width >= 8 && area->height >= 8)
    return TRUE;
  lb_chart_draw_no_data (cr, style, area->x, area->y, MAX (area->width, 0),
                         MAX (area->height, 0), NULL);
  return FALSE;
}

double
lb_chart_draw_type_legend (cairo_t             *cr,
                           const LbChartStyle  *style,
                           double               x,
                           double               y,
                           double               width,
                           guint                n,
                           const char * const  *types,
                           const char * const  *labels,
                           gboolean             draw)
{
  LbChartLegendItem *items = g_new0 (LbChartLegendItem, MAX (n, 1));
  double h;

  for (guint i = 0; i < n; i++)
    {
      items[i].label = labels != NULL ? labels[i] : types[i];
      items[i].mark = LB_CHART_MARK_BOX;
      lb_quant_type_color (types[i], &items[i].color);
    }
  h = lb_chart_draw_legend (cr, style, x, y, width, 0.0, n, items, draw);
  g_free (items);
  return h;
}
