/* lb-gauge-render.c: a 270° arc filled up to the value, a target mark, the
 * value in the middle and a pass/fail caption */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-chart-draw-private.h"
#include "lb-gauge-render.h"

#define START_ANGLE (0.75 * G_PI)
#define END_ANGLE   (2.25 * G_PI)

LbGaugeVerdict
lb_gauge_data_verdict (const LbGaugeData *data)
{
  g_return_val_if_fail (data != NULL, LB_GAUGE_NO_DATA);

  if (!isfinite (data->value))
    return LB_GAUGE_NO_DATA;
  if (!data->has_target || !isfinite (data->target))
    return LB_GAUGE_NEUTRAL;
  if (data->lower_is_better)
    return data->value <= data->target ? LB_GAUGE_PASS : LB_GAUGE_FAIL;
  return data->value >= data->target ? LB_GAUGE_PASS : LB_GAUGE_FAIL;
}

void
lb_gauge_data_scale (const LbGaugeData *data,
                     double            *min,
                     double            *max)
{
  double hi = 0, lo = 0, step;

  if (isfinite (data->min) && isfinite (data->max) && data->max > data->min)
    {
      *min = data->min;
      *max = data->max;
      return;
    }

  /* derived: from zero to a round number a quarter above the larger of
   * the value and the target */
  if (isfinite (data->value))
    {
      hi = MAX (hi, data->value);
      lo = MIN (lo, data->value);
    }
  if (data->has_target && isfinite (data->target))
    {
      hi = MAX (hi, data->target);
      lo = MIN (lo, data->target);
    }
  hi *= 1.25;
  if (hi <= lo)
    hi = lo + 1;
  step = pow (10, floor (log10 (hi - lo))) / 2;
  *min = lo;
  *max = ceil (hi / step) * step;
}

char *
lb_gauge_data_format_value (const LbGaugeData *data,
                            double             value)
{
  return lb_chart_format_value (value, data->format,
                                data->digits >= 0 ? pow (10, -MIN (data->digits, 9)) : NAN);
}

char *
lb_gauge_data_format_with_unit (const LbGaugeData *data,
                                double             value)
{
  char *text = lb_gauge_data_format_value (data, value);
  char *with_unit;

  if (data->unit == NULL || data->unit[0] == '\0')
    return text;
  with_unit = g_strdup_printf ("%s %s", text, data->unit);
  g_free (text);
  return with_unit;
}

double
lb_gauge_geometry_angle (const LbGaugeGeometry *geometry,
                         double                 value)
{
  double t;

  if (!(geometry->max > geometry->min) || isnan (value))
    return geometry->start_angle;
  t = CLAMP ((value - geometry->min) / (geometry->max - geometry->min), 0.0, 1.0);
  return geometry->start_angle + t * (geometry->end_angle - geometry->start_angle);
}

static const LbChartColor *
verdict_color (const LbChartStyle *style,
               LbGaugeVerdict      verdict)
{
  switch (verdict)
    {
    case LB_GAUGE_PASS:
      return &style->success;
    case LB_GAUGE_FAIL:
      return &style->failure;
    case LB_GAUGE_NEUTRAL:
      return &style->accent;
    case LB_GAUGE_NO_DATA:
    default:
      return &style->grid;
    }
}

static char *
target_caption (const LbGaugeData *data,
                LbGaugeVerdict     verdict)
{
  char *value, *text;

  if (verdict == LB_GAUGE_NO_DATA)
    return g_strdup (_("No data"));
  if (verdict == LB_GAUGE_NEUTRAL)
    return NULL;

  value = lb_gauge_data_format_with_unit (data, data->target);
  if (data->lower_is_better)
    /* Translators: the target of a gauge; %s is a value with its unit */
    text = g_strdup_printf (_("Target ≤ %s"), value);
  else
    text = g_strdup_printf (_("Target ≥ %s"), value);
  g_free (value);
  return text;
}

void
lb_gauge_render (cairo_t             *cr,
                 double               width,
                 double               height,
                 const LbGaugeData   *data,
                 const LbChartStyle  *style,
                 LbGaugeGeometry     *geometry)
{
  static const LbGaugeData empty = { .value = NAN, .digits = -1 };
  LbGaugeGeometry g = { 0 };
  LbGaugeVerdict verdict;
  LbChartColor muted;
  LbChartArea area;
  double w, h, caption_h = 0, title_h = 0, r, t, size, arc_h, top;
  char *text, *caption;

  g_return_if_fail (cr != NULL);

  if (data == NULL)
    data = &empty;
  style = lb_chart_begin (cr, style, width, height, &area);
  w = area.width;
  h = area.height;
  verdict = lb_gauge_data_verdict (data);
  muted = style->foreground;
  muted.alpha *= 0.7;

  /* a block of arc, caption and title, centred vertically */
  caption = target_caption (data, verdict);
  if (caption != NULL)
    caption_h = lb_chart_line_height (cr, style, 0.92) + 4;
  if (data->title != NULL)
    title_h = lb_chart_line_height (cr, style, 1.0) + 2;

  /* the arc spans r (1 + sin 45°) vertically plus the track */
  r = MIN (w / 2.16, (h - caption_h - title_h) / 1.87);
  r = MAX (r, 0);
  t = MAX (4, r * 0.16);
  arc_h = r * 1.7071 + t;
  top = area.y + MAX (0, (h - arc_h - caption_h - title_h) / 2);
  g.radius = r;
  g.thickness = t;
  g.cx = width / 2;
  g.cy = top + t / 2 + r;
  g.start_angle = START_ANGLE;
  g.end_angle = END_ANGLE;
  lb_gauge_data_scale (data, &g.min, &g.max);

  if (r >= 8)
    {
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_BUTT);
      cairo_set_line_width (cr, t);
      lb_chart_set_color (cr, &style->grid);
      cairo_arc (cr, g.cx, g.cy, r, g.start_angle, g.end_angle);
      cairo_stroke (cr);

      if (verdict != LB_GAUGE_NO_DATA && data->value > g.min)
        {
          lb_chart_set_color (cr, verdict_color (style, verdict));
          cairo_arc (cr, g.cx, g.cy, r, g.start_angle, lb_gauge_geometry_angle (&g, data->value));
          cairo_stroke (cr);
        }

      if (data->has_target && isfinite (data->target))
        {
          double a = lb_gauge_geometry_angle (&g, data->target);

          cairo_set_line_width (cr, 2.5);
          cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
          lb_chart_set_color (cr, &style->foreground);
          cairo_move_to (cr, g.cx + cos (a) * (r - t / 2 - 3), g.cy + sin (a) * (r - t / 2 - 3));
          cairo_line_to (cr, g.cx + cos (a) * (r + t / 2 + 3), g.cy + sin (a) * (r + t / 2 + 3));
          cairo_stroke (cr);
        }

      /* the value, as large as fits inside the arc */
      text = verdict == LB_GAUGE_NO_DATA ? g_strdup ("—")
                                         : lb_gauge_data_format_value (data, data->value);
      size = CLAMP (r / style->font_size * 0.5, 1.0, 3.0);
      {
        PangoLayout *layout = lb_chart_layout_new (cr, style, size, PANGO_WEIGHT_BOLD, text);
        double tw, th;

        lb_chart_layout_size (layout, &tw, &th);
        if (tw > 1.3 * (r - t))
          {
            g_object_unref (layout);
            size *= 1.3 * (r - t) / tw;
            layout = lb_chart_layout_new (cr, style, MAX (size, 0.8), PANGO_WEIGHT_BOLD, text);
          }
        lb_chart_layout_show (cr, layout, g.cx, g.cy, 0.5, 0.6, &style->foreground);
        lb_chart_layout_size (layout, NULL, &th);
        g_object_unref (layout);

        if (data->unit != NULL && verdict != LB_GAUGE_NO_DATA)
          lb_chart_show_text (cr, style, data->unit, 0.92, PANGO_WEIGHT_NORMAL,
                              g.cx, g.cy + th * 0.4 + 2, 0.5, 0.0, &muted);
      }
      g_free (text);

      if (caption != NULL)
        {
          LbChartColor color = muted;

          /* verdict colours are made for fills: darken them towards the
           * text colour so that the caption stays readable */
          if (verdict == LB_GAUGE_PASS || verdict == LB_GAUGE_FAIL)
            lb_chart_color_mix (verdict_color (style, verdict), &style->foreground, 0.3, &color);
          lb_chart_show_text (cr, style, caption, 0.92, PANGO_WEIGHT_BOLD,
                              g.cx, top + arc_h + 2, 0.5, 0.0, &color);
        }
      if (data->title != NULL)
        lb_chart_show_text (cr, style, data->title, 1.0, PANGO_WEIGHT_NORMAL,
                            g.cx, top + arc_h + caption_h + 2, 0.5, 0.0, &style->foreground);
    }
  else
    lb_chart_draw_no_data (cr, style, area.x, area.y, MAX (w, 0), MAX (h, 0), NULL);
  g_free (caption);

  if (geometry != NULL)
    *geometry = g;
  cairo_restore (cr);
}
