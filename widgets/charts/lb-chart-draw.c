/* lb-chart-draw.c: text, hatching, ticks, axes, legends and labelled
 * matrices, shared by every renderer */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-chart-draw-private.h"

#define SMALL 0.92

const LbChartStyle *
lb_chart_style_or_default (const LbChartStyle *style)
{
  return style != NULL ? style : lb_chart_style_get_default ();
}

void
lb_chart_set_color (cairo_t            *cr,
                    const LbChartColor *color)
{
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha);
}

void
lb_chart_set_color_alpha (cairo_t            *cr,
                          const LbChartColor *color,
                          double              alpha)
{
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha * alpha);
}

void
lb_chart_paint_background (cairo_t            *cr,
                           const LbChartStyle *style,
                           double              width,
                           double              height)
{
  if (style->background.alpha <= 0)
    return;
  cairo_save (cr);
  cairo_rectangle (cr, 0, 0, width, height);
  lb_chart_set_color (cr, &style->background);
  cairo_fill (cr);
  cairo_restore (cr);
}

PangoLayout *
lb_chart_layout_new (cairo_t            *cr,
                     const LbChartStyle *style,
                     double              size,
                     PangoWeight         weight,
                     const char         *text)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *desc = pango_font_description_new ();
  double px = style->font_size > 0 ? style->font_size : 12.0;

  pango_font_description_set_family (desc, style->font_family[0] ? style->font_family : "Sans");
  pango_font_description_set_absolute_size (desc, MAX (1.0, px * size) * PANGO_SCALE);
  pango_font_description_set_weight (desc, weight);
  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);
  pango_layout_set_text (layout, text != NULL ? text : "", -1);
  return layout;
}

void
lb_chart_layout_size (PangoLayout *layout,
                      double      *width,
                      double      *height)
{
  int w, h;

  pango_layout_get_size (layout, &w, &h);
  if (width != NULL)
    *width = (double) w / PANGO_SCALE;
  if (height != NULL)
    *height = (double) h / PANGO_SCALE;
}

void
lb_chart_layout_show (cairo_t            *cr,
                      PangoLayout        *layout,
                      double              x,
                      double              y,
                      double              xalign,
                      double              yalign,
                      const LbChartColor *color)
{
  double w, h;

  lb_chart_layout_size (layout, &w, &h);
  lb_chart_set_color (cr, color);
  cairo_move_to (cr, x - w * xalign, y - h * yalign);
  pango_cairo_update_layout (cr, layout);
  pango_cairo_show_layout (cr, layout);
  cairo_new_path (cr);
}

void
lb_chart_show_text (cairo_t            *cr,
                    const LbChartStyle *style,
                    const char         *text,
                    double              size,
                    PangoWeight         weight,
                    double              x,
                    double              y,
                    double              xalign,
                    double              yalign,
                    const LbChartColor *color)
{
  PangoLayout *layout = lb_chart_layout_new (cr, style, size, weight, text);

  lb_chart_layout_show (cr, layout, x, y, xalign, yalign, color);
  g_object_unref (layout);
}

double
lb_chart_text_width (cairo_t            *cr,
                     const LbChartStyle *style,
                     const char         *text,
                     double              size,
                     PangoWeight         weight)
{
  PangoLayout *layout;
  double w;

  if (text == NULL || text[0] == '\0')
    return 0;
  layout = lb_chart_layout_new (cr, style, size, weight, text);
  lb_chart_layout_size (layout, &w, NULL);
  g_object_unref (layout);
  return w;
}

double
lb_chart_line_height (cairo_t            *cr,
                      const LbChartStyle *style,
                      double              size)
{
  PangoLayout *layout = lb_chart_layout_new (cr, style, size, PANGO_WEIGHT_NORMAL, "Ag");
  double h;

  lb_chart_layout_size (layout, NULL, &h);
  g_object_unref (layout);
  return h;
}

void
lb_chart_fill_no_data (cairo_t            *cr,
                       const LbChartStyle *style,
                       double              x,
                       double              y,
                       double              width,
                       double              height)
{
  const double spacing = 6;

  if (width <= 0 || height <= 0)
    return;

  cairo_save (cr);
  cairo_rectangle (cr, x, y, width, height);
  cairo_clip (cr);
  lb_chart_set_color (cr, &style->no_data);
  cairo_paint (cr);

  /* lines of constant x + y, anchored to the surface so that neighbouring
   * cells continue each other's hatching */
  cairo_set_line_width (cr, 1);
  lb_chart_set_color_alpha (cr, &style->foreground, 0.16);
  for (double c = ceil ((x + y) / spacing) * spacing; c <= x + y + width + height; c += spacing)
    {
      cairo_move_to (cr, c - (y + height), y + height);
      cairo_line_to (cr, c - y, y);
    }
  cairo_stroke (cr);
  cairo_restore (cr);
}

void
lb_chart_draw_no_data (cairo_t            *cr,
                       const LbChartStyle *style,
                       double              x,
                       double              y,
                       double              width,
                       double              height,
                       const char         *message)
{
  LbChartColor text_color = style->foreground;

  lb_chart_fill_no_data (cr, style, x, y, width, height);
  if (width < 24 || height < 12)
    return;
  text_color.alpha *= 0.7;
  cairo_save (cr);
  cairo_rectangle (cr, x, y, width, height);
  cairo_clip (cr);
  lb_chart_show_text (cr, style, message != NULL ? message : _("No data"), 1.0,
                      PANGO_WEIGHT_BOLD, x + width / 2, y + height / 2, 0.5, 0.5,
                      &text_color);
  cairo_restore (cr);
}

void
lb_chart_rounded_rect (cairo_t *cr,
                       double   x,
                       double   y,
                       double   width,
                       double   height,
                       double   radius)
{
  radius = MIN (radius, MIN (width, height) / 2);
  if (radius <= 0)
    {
      cairo_rectangle (cr, x, y, width, height);
      return;
    }
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + width - radius, y + radius, radius, -G_PI / 2, 0);
  cairo_arc (cr, x + width - radius, y + height - radius, radius, 0, G_PI / 2);
  cairo_arc (cr, x + radius, y + height - radius, radius, G_PI / 2, G_PI);
  cairo_arc (cr, x + radius, y + radius, radius, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

static double
nice_step (double raw, LbChartFormat format)
{
  static const double time_steps[] = {
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400,
  };
  double mag, norm;

  if (format == LB_CHART_FORMAT_TIME && raw >= 1)
    {
      for (guint i = 0; i < G_N_ELEMENTS (time_steps); i++)
        if (time_steps[i] >= raw)
          return time_steps[i];
    }
  mag = pow (10, floor (log10 (raw)));
  norm = raw / mag;
  if (norm <= 1)
    return mag;
  if (norm <= 2)
    return 2 * mag;
  if (norm <= 5)
    return 5 * mag;
  return 10 * mag;
}

guint
lb_chart_ticks (double         lo,
                double         hi,
                guint          target,
                LbChartFormat  format,
                gboolean       log_scale,
                double        *ticks,
                double        *step)
{
  guint n = 0;

  *step = NAN;
  if (!isfinite (lo) || !isfinite (hi) || !(hi > lo))
    return 0;
  target = CLAMP (target, 2, 12);

  if (log_scale)
    {
      static const double all[] = { 1, 2, 5 };
      int k0, k1, stride;

      if (lo <= 0)
        return 0;
      k0 = (int) floor (log10 (lo));
      k1 = (int) ceil (log10 (hi));

      /* 1, 2 and 5 in each decade while they are few enough ... */
      for (int k = k0; k <= k1 && n < LB_CHART_MAX_TICKS; k++)
        for (guint m = 0; m < G_N_ELEMENTS (all) && n < LB_CHART_MAX_TICKS; m++)
          {
            double v = all[m] * pow (10, k);
            if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9))
              ticks[n++] = v;
          }
      if (n <= target + 2)
        return n;

      /* ... else powers of ten, every stride-th */
      n = 0;
      stride = MAX (1, (k1 - k0 + (int) target - 1) / (int) target);
      for (int k = k0; k <= k1 && n < LB_CHART_MAX_TICKS; k += stride)
        {
          double v = pow (10, k);
          if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9))
            ticks[n++] = v;
        }
      return n;
    }

  *step = nice_step ((hi - lo) / target, format);
  for (double first = ceil (lo / *step - 1e-9) * *step; n < LB_CHART_MAX_TICKS; n++)
    {
      double v = first + n * *step;
      if (v > hi + *step * 1e-9)
        break;
      ticks[n] = v;
    }
  return n;
}

void
lb_chart_draw_axes (cairo_t            *cr,
                    const LbChartStyle *style,
                    double              x,
                    double              y,
                    double              width,
                    double              height,
                    const LbChartAxes  *axes,
                    LbPlotGeometry     *out)
{
  double yt[LB_CHART_MAX_TICKS], xt[LB_CHART_MAX_TICKS];
  double ystep, xstep, lh, max_yw = 0, est_xw, left, right, top, bottom;
  char *ylabels[LB_CHART_MAX_TICKS];
  LbChartColor label_color = style->foreground;
  double last_right = -G_MAXDOUBLE;
  guint n_y, n_x;

  label_color.alpha *= 0.7;
  lh = lb_chart_line_height (cr, style, SMALL);

  n_y = lb_chart_ticks (axes->y_min, axes->y_max, (guint) (height / (lh * 2.8)),
                        axes->y_format, axes->y_log, yt, &ystep);
  for (guint i = 0; i < n_y; i++)
    {
      ylabels[i] = lb_chart_format_value (yt[i], axes->y_format, ystep);
      max_yw = MAX (max_yw, lb_chart_text_width (cr, style, ylabels[i], SMALL,
                                                 PANGO_WEIGHT_NORMAL));
    }

  {
    char *a = lb_chart_format_value (axes->x_min, axes->x_format, NAN);
    char *b = lb_chart_format_value (axes->x_max, axes->x_format, NAN);
    est_xw = MAX (lb_chart_text_width (cr, style, a, SMALL, PANGO_WEIGHT_NORMAL),
                  lb_chart_text_width (cr, style, b, SMALL, PANGO_WEIGHT_NORMAL));
    g_free (a);
    g_free (b);
  }

  left = x + (axes->y_label ? lh + 6 : 0) + max_yw + 8;
  right = x + width - MIN (est_xw / 2 + 2, 28);
  top = y + lh / 2;
  bottom = y + height - lh - 6 - (axes->x_label ? lh + 4 : 0);

  *out = (LbPlotGeometry) {
    .x = left, .y = top, .width = MAX (0, right - left), .height = MAX (0, bottom - top),
    .x_min = axes->x_min, .x_max = axes->x_max, .y_min = axes->y_min, .y_max = axes->y_max,
    .x_log = axes->x_log, .y_log = axes->y_log,
  };

  if (out->width < 8 || out->height < 8)
    {
      for (guint i = 0; i < n_y; i++)
        g_free (ylabels[i]);
      return;
    }

  n_x = lb_chart_ticks (axes->x_min, axes->x_max, (guint) (out->width / (est_xw + 28)),
                        axes->x_format, axes->x_log, xt, &xstep);

  cairo_save (cr);
  cairo_set_line_width (cr, 1);

  /* horizontal grid lines with their labels */
  for (guint i = 0; i < n_y; i++)
    {
      double py = round (lb_plot_geometry_y_to_pixel (out, yt[i])) + 0.5;

      lb_chart_set_color (cr, &style->grid);
      cairo_move_to (cr, left, py);
      cairo_line_to (cr, right, py);
      cairo_stroke (cr);
      lb_chart_show_text (cr, style, ylabels[i], SMALL, PANGO_WEIGHT_NORMAL,
                          left - 6, py, 1.0, 0.5, &label_color);
      g_free (ylabels[i]);
    }

  /* baseline */
  lb_chart_set_color_alpha (cr, &style->foreground, 0.35);
  cairo_move_to (cr, left, round (bottom) + 0.5);
  cairo_line_to (cr, right, round (bottom) + 0.5);
  cairo_stroke (cr);

  for (guint i = 0; i < n_x; i++)
    {
      double px = round (lb_plot_geometry_x_to_pixel (out, xt[i])) + 0.5;
      char *text = lb_chart_format_value (xt[i], axes->x_format, xstep);
      PangoLayout *layout = lb_chart_layout_new (cr, style, SMALL, PANGO_WEIGHT_NORMAL, text);
      double tw;

      lb_chart_layout_size (layout, &tw, NULL);
      lb_chart_set_color_alpha (cr, &style->foreground, 0.35);
      cairo_move_to (cr, px, round (bottom) + 0.5);
      cairo_line_to (cr, px, round (bottom) + 4.5);
      cairo_stroke (cr);
      if (px - tw / 2 > last_right + 6 && px + tw / 2 <= x + width)
        {
          lb_chart_layout_show (cr, layout, px, bottom + 5, 0.5, 0.0, &label_color);
          last_right = px + tw / 2;
        }
      g_object_unref (layout);
      g_free (text);
    }

  if (axes->x_label != NULL)
    lb_chart_show_text (cr, style, axes->x_label, SMALL, PANGO_WEIGHT_NORMAL,
                        left + out->width / 2, y + height, 0.5, 1.0, &label_color);
  if (axes->y_label != NULL)
    {
      cairo_save (cr);
      cairo_translate (cr, x, top + out->height / 2);
      cairo_rotate (cr, -G_PI / 2);
      lb_chart_show_text (cr, style, axes->y_label, SMALL, PANGO_WEIGHT_NORMAL,
                          0, 0, 0.5, 0.0, &label_color);
      cairo_restore (cr);
    }
  cairo_restore (cr);
}

static void
draw_mark (cairo_t                 *cr,
           const LbChartStyle      *style,
           const LbChartLegendItem *item,
           double                   x,
           double                   cy,
           double                   size)
{
  switch (item->mark)
    {
    case LB_CHART_MARK_LINE:
      cairo_set_line_width (cr, 2.5);
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
      lb_chart_set_color (cr, &item->color);
      cairo_move_to (cr, x + 1, cy);
      cairo_line_to (cr, x + size - 1, cy);
      cairo_stroke (cr);
      break;
    case LB_CHART_MARK_DOT:
      lb_chart_set_color (cr, &item->color);
      cairo_arc (cr, x + size / 2, cy, size * 0.3, 0, 2 * G_PI);
      cairo_fill (cr);
      break;
    case LB_CHART_MARK_NO_DATA:
      lb_chart_fill_no_data (cr, style, x, cy - size / 2, size, size);
      break;
    case LB_CHART_MARK_BOX:
    default:
      lb_chart_set_color (cr, &item->color);
      lb_chart_rounded_rect (cr, x, cy - size / 2, size, size, 2.5);
      cairo_fill (cr);
      break;
    }
}

double
lb_chart_draw_legend (cairo_t                 *cr,
                      const LbChartStyle      *style,
                      double                   x,
                      double                   y,
                      double                   max_width,
                      double                   xalign,
                      guint                    n_items,
                      const LbChartLegendItem *items,
                      gboolean                 draw)
{
  const double item_gap = 16, mark_gap = 6;
  double lh, mark, *widths, row_y = y;
  LbChartColor text_color = style->foreground;
  guint row_start = 0;

  if (n_items == 0)
    return 0;

  text_color.alpha *= 0.85;
  lh = lb_chart_line_height (cr, style, SMALL);
  mark = MIN (lh * 0.8, 12);
  widths = g_new (double, n_items);
  for (guint i = 0; i < n_items; i++)
    widths[i] = mark + mark_gap + lb_chart_text_width (cr, style, items[i].label, SMALL,
                                                       PANGO_WEIGHT_NORMAL);

  while (row_start < n_items)
    {
      double row_w = widths[row_start];
      guint row_end = row_start + 1;
      double px;

      while (row_end < n_items && row_w + item_gap + widths[row_end] <= max_width)
        row_w += item_gap + widths[row_end++];

      px = x + MAX (0, max_width - row_w) * xalign;
      for (guint i = row_start; draw && i < row_end; i++)
        {
          draw_mark (cr, style, &items[i], px, row_y + lh / 2, mark);
          lb_chart_show_text (cr, style, items[i].label, SMALL, PANGO_WEIGHT_NORMAL,
                              px + mark + mark_gap, row_y + lh / 2, 0.0, 0.5, &text_color);
          px += widths[i] + item_gap;
        }
      row_start = row_end;
      row_y += lh + 4;
    }
  g_free (widths);
  return row_y - y - 4;
}

static double
max_label_width (cairo_t             *cr,
                 const LbChartStyle  *style,
                 const char * const  *labels,
                 guint                n)
{
  double w = 0;

  for (guint i = 0; labels != NULL && i < n; i++)
    w = MAX (w, lb_chart_text_width (cr, style, labels[i], SMALL, PANGO_WEIGHT_NORMAL));
  return w;
}

void
lb_chart_matrix_layout (cairo_t             *cr,
                        const LbChartStyle  *style,
                        double               x,
                        double               y,
                        double               width,
                        double               height,
                        guint                n_rows,
                        guint                n_cols,
                        const char * const  *row_labels,
                        const char * const  *col_labels,
                        double               max_cell_width,
                        double               max_cell_height,
                        LbChartMatrix       *out)
{
  double lh = lb_chart_line_height (cr, style, SMALL);
  double row_w = MIN (max_label_width (cr, style, row_labels, n_rows), width * 0.3);
  double col_w = max_label_width (cr, style, col_labels, n_cols);
  double cells_w, cells_h, header_h = 0;

  n_rows = MAX (n_rows, 1);
  n_cols = MAX (n_cols, 1);

  out->row_header_x = x;
  out->row_header_width = row_w;
  if (row_w > 0)
    row_w += 6;
  cells_w = MAX (0, width - row_w);
  out->cell_width = cells_w / n_cols;
  if (max_cell_width > 0)
    out->cell_width = MIN (out->cell_width, max_cell_width);

  out->col_labels_rotated = FALSE;
  if (col_labels != NULL)
    {
      if (col_w + 4 <= out->cell_width)
        header_h = lh;
      else
        {
          out->col_labels_rotated = TRUE;
          header_h = MIN (col_w, height * 0.35);
        }
      header_h += 4;
    }

  out->col_header_y = y;
  out->col_header_height = MAX (0, header_h - 4);
  cells_h = MAX (0, height - header_h);
  out->cell_height = cells_h / n_rows;
  if (max_cell_height > 0)
    out->cell_height = MIN (out->cell_height, max_cell_height);

  out->x = x + row_w;
  out->y = y + header_h;
  out->width = out->cell_width * n_cols;
  out->height = out->cell_height * n_rows;

  out->row_label_every = out->cell_height > 0 ? (guint) ceil ((lh + 1) / out->cell_height) : 1;
  out->row_label_every = MAX (out->row_label_every, 1);
  if (out->col_labels_rotated)
    out->col_label_every = out->cell_width > 0 ? (guint) ceil ((lh + 1) / out->cell_width) : 1;
  else
    out->col_label_every = 1;
  out->col_label_every = MAX (out->col_label_every, 1);
}

void
lb_chart_matrix_draw_labels (cairo_t             *cr,
                             const LbChartStyle  *style,
                             const LbChartMatrix *m,
                             guint                n_rows,
                             guint                n_cols,
                             const char * const  *row_labels,
                             const char * const  *col_labels)
{
  LbChartColor color = style->foreground;

  color.alpha *= 0.75;

  for (guint r = 0; row_labels != NULL && r < n_rows; r += m->row_label_every)
    {
      PangoLayout *layout;

      if (row_labels[r] == NULL)
        continue;
      layout = lb_chart_layout_new (cr, style, SMALL, PANGO_WEIGHT_NORMAL, row_labels[r]);
      pango_layout_set_width (layout, (int) (m->row_header_width * PANGO_SCALE));
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_MIDDLE);
      lb_chart_layout_show (cr, layout, m->row_header_x + m->row_header_width,
                            m->y + (r + 0.5) * m->cell_height, 1.0, 0.5, &color);
      g_object_unref (layout);
    }

  for (guint c = 0; col_labels != NULL && c < n_cols; c += m->col_label_every)
    {
      double cx = m->x + (c + 0.5) * m->cell_width;
      PangoLayout *layout;

      if (col_labels[c] == NULL)
        continue;
      layout = lb_chart_layout_new (cr, style, SMALL, PANGO_WEIGHT_NORMAL, col_labels[c]);
      if (m->col_labels_rotated)
        {
          pango_layout_set_width (layout, (int) (m->col_header_height * PANGO_SCALE));
          pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
          cairo_save (cr);
          cairo_translate (cr, cx, m->col_header_y + m->col_header_height);
          cairo_rotate (cr, -G_PI / 2);
          lb_chart_layout_show (cr, layout, 0, 0, 0.0, 0.5, &color);
          cairo_restore (cr);
        }
      else
        lb_chart_layout_show (cr, layout, cx, m->col_header_y + m->col_header_height,
                              0.5, 1.0, &color);
      g_object_unref (layout);
    }
}

gboolean
lb_chart_matrix_cell_at (const LbChartMatrix *m,
                         guint                n_rows,
                         guint                n_cols,
                         double               px,
                         double               py,
                         guint               *row,
                         guint               *col)
{
  double c, r;

  if (n_rows == 0 || n_cols == 0 || m->cell_width <= 0 || m->cell_height <= 0)
    return FALSE;
  c = floor ((px - m->x) / m->cell_width);
  r = floor ((py - m->y) / m->cell_height);
  if (c < 0 || r < 0 || c >= n_cols || r >= n_rows)
    return FALSE;
  if (row != NULL)
    *row = (guint) r;
  if (col != NULL)
    *col = (guint) c;
  return TRUE;
}
