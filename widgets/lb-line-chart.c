/* lb-line-chart.c: the GTK face of lb-line-chart-render: series storage,
 * ranges kept current as points arrive, a sliding time window */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-chart-widget-private.h"
#include "lb-line-chart.h"
#include "lb-widgets-enums.h"

#define HIT_DISTANCE 12.0

typedef struct {
  char    *name;
  GArray  *x;     /* double */
  GArray  *y;     /* double */
  gboolean fill;
} Series;

struct _LbLineChart
{
  LbChartWidget   parent_instance;

  GPtrArray      *series;      /* Series */
  char           *x_label;
  char           *y_label;
  LbChartFormat   x_format;
  LbChartFormat   y_format;
  gboolean        y_from_zero;
  double          time_window;

  /* ranges found when data changes, so that drawing does not scan */
  double          x_min, x_max, y_min, y_max;

  LbPlotGeometry  geometry;
};

enum {
  PROP_0,
  PROP_X_LABEL,
  PROP_Y_LABEL,
  PROP_X_FORMAT,
  PROP_Y_FORMAT,
  PROP_Y_FROM_ZERO,
  PROP_TIME_WINDOW,
  PROP_N_SERIES,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (LbLineChart, lb_line_chart, LB_TYPE_CHART_WIDGET)

static GParamSpec *properties[N_PROPS];

static void
series_free (gpointer data)
{
  Series *s = data;

  g_free (s->name);
  g_array_unref (s->x);
  g_array_unref (s->y);
  g_free (s);
}

/* The render structs point into the series arrays; valid until they change */
static LbLineSeries *
fill_data (LbLineChart     *self,
           LbLineChartData *data)
{
  LbLineSeries *series = g_new0 (LbLineSeries, MAX (self->series->len, 1));

  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);

      series[i] = (LbLineSeries) {
        .name = s->name, .n_points = s->y->len, .x = (const double *) s->x->data,
        .y = (const double *) s->y->data, .fill = s->fill,
      };
    }
  *data = (LbLineChartData) {
    .n_series = self->series->len, .series = series,
    .title = lb_chart_widget_get_title (LB_CHART_WIDGET (self)),
    .x_label = self->x_label, .y_label = self->y_label, .x_format = self->x_format,
    .y_format = self->y_format, .y_from_zero = self->y_from_zero,
    .fixed_x_range = TRUE, .x_min = self->x_min, .x_max = self->x_max,
    .fixed_y_range = TRUE, .y_min = self->y_min, .y_max = self->y_max,
  };
  return series;
}

/* Drops points that slid out of the window, then finds the ranges */
static void
update_ranges (LbLineChart *self)
{
  LbLineChartData data;
  LbLineSeries *series;
  double last_x = -G_MAXDOUBLE;

  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);
      if (s->x->len > 0)
        last_x = MAX (last_x, g_array_index (s->x, double, s->x->len - 1));
    }

  if (self->time_window > 0 && last_x > -G_MAXDOUBLE)
    for (guint i = 0; i < self->series->len; i++)
      {
        Series *s = g_ptr_array_index (self->series, i);
        guint drop = 0;

        while (drop < s->x->len
               && g_array_index (s->x, double, drop) < last_x - 2 * self->time_window)
          drop++;
        if (drop > 0)
          {
            g_array_remove_range (s->x, 0, drop);
            g_array_remove_range (s->y, 0, drop);
          }
      }

  series = fill_data (self, &data);
  data.fixed_x_range = data.fixed_y_range = FALSE;
  if (self->time_window > 0 && last_x > -G_MAXDOUBLE)
    {
      data.fixed_x_range = TRUE;
      data.x_min = last_x - self->time_window;
      data.x_max = last_x;
    }
  lb_line_chart_data_ranges (&data, &self->x_min, &self->x_max, &self->y_min, &self->y_max);
  g_free (series);
}

static void
lb_line_chart_update_accessible (LbChartWidget *widget)
{
  LbLineChart *self = LB_LINE_CHART (widget);
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);
      char *last;

      if (s->y->len == 0)
        continue;
      last = lb_chart_format_value (g_array_index (s->y, double, s->y->len - 1),
                                    self->y_format, NAN);
      if (text->len > 0)
        g_string_append (text, "; ");
      /* Translators: a series of a line chart and its latest value */
      g_string_append_printf (text, _("%s: latest %s"), s->name ? s->name : "", last);
      g_free (last);
    }
  lb_chart_widget_set_description (widget, text->len > 0 ? text->str : _("No data"));
  g_string_free (text, TRUE);
}

static void
data_changed (LbLineChart *self)
{
  update_ranges (self);
  lb_line_chart_update_accessible (LB_CHART_WIDGET (self));
  lb_chart_widget_invalidate (LB_CHART_WIDGET (self));
}

static void
lb_line_chart_draw (LbChartWidget      *widget,
                    cairo_t            *cr,
                    int                 width,
                    int                 height,
                    const LbChartStyle *style)
{
  LbLineChart *self = LB_LINE_CHART (widget);
  LbLineChartData data;
  LbLineSeries *series = fill_data (self, &data);

  lb_line_chart_render (cr, width, height, &data, style, &self->geometry);
  g_free (series);
}

static char *
lb_line_chart_describe_at (LbChartWidget *widget,
                           double         x,
                           double         y,
                           gboolean       keyboard)
{
  LbLineChart *self = LB_LINE_CHART (widget);
  g_autofree char *xs = NULL;
  g_autofree char *ys = NULL;
  guint si, pi;
  double px, py;
  Series *s;

  if (!lb_line_chart_get_point_at (self, x, y, &si, &pi))
    return NULL;
  lb_line_chart_get_point (self, si, pi, &px, &py);
  s = g_ptr_array_index (self->series, si);
  xs = lb_chart_format_value (px, self->x_format, NAN);
  ys = lb_chart_format_value (py, self->y_format, NAN);
  /* Translators: line chart tooltip: series name, value, and where on the x axis */
  return g_strdup_printf (_("%s: %s at %s"), s->name ? s->name : "", ys, xs);
}

static void
lb_line_chart_finalize (GObject *object)
{
  LbLineChart *self = LB_LINE_CHART (object);

  g_ptr_array_unref (self->series);
  g_free (self->x_label);
  g_free (self->y_label);

  G_OBJECT_CLASS (lb_line_chart_parent_class)->finalize (object);
}

static void
lb_line_chart_class_init (LbLineChartClass *klass)
{
  LbChartWidgetClass *chart_class = LB_CHART_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = lb_line_chart_finalize;

  chart_class->draw = lb_line_chart_draw;
  chart_class->describe_at = lb_line_chart_describe_at;
  chart_class->update_accessible = lb_line_chart_update_accessible;
  lb_chart_widget_class_set_size_hints (chart_class, 200, 480, 120, 240);
  lb_chart_widget_class_set_names (chart_class, "lb-line-chart", GTK_ACCESSIBLE_ROLE_IMG,
                                   N_("Line chart"));

  properties[PROP_X_LABEL] =
    lb_chart_widget_param (g_param_spec_string ("x-label", NULL, NULL, NULL, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_line_chart_get_x_label),
                           G_CALLBACK (lb_line_chart_set_x_label));
  properties[PROP_Y_LABEL] =
    lb_chart_widget_param (g_param_spec_string ("y-label", NULL, NULL, NULL, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_line_chart_get_y_label),
                           G_CALLBACK (lb_line_chart_set_y_label));
  properties[PROP_X_FORMAT] =
    lb_chart_widget_param (g_param_spec_enum ("x-format", NULL, NULL, LB_TYPE_CHART_FORMAT,
                                              LB_CHART_FORMAT_TIME, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_line_chart_get_x_format),
                           G_CALLBACK (lb_line_chart_set_x_format));
  properties[PROP_Y_FORMAT] =
    lb_chart_widget_param (g_param_spec_enum ("y-format", NULL, NULL, LB_TYPE_CHART_FORMAT,
                                              LB_CHART_FORMAT_PLAIN, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_line_chart_get_y_format),
                           G_CALLBACK (lb_line_chart_set_y_format));
  properties[PROP_Y_FROM_ZERO] =
    lb_chart_widget_param (g_param_spec_boolean ("y-from-zero", NULL, NULL, TRUE,
                                                 LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_line_chart_get_y_from_zero),
                           G_CALLBACK (lb_line_chart_set_y_from_zero));
  properties[PROP_TIME_WINDOW] =
    lb_chart_widget_param (g_param_spec_double ("time-window", NULL, NULL, 0, G_MAXDOUBLE, 0,
                                                LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_line_chart_get_time_window),
                           G_CALLBACK (lb_line_chart_set_time_window));
  properties[PROP_N_SERIES] =
    lb_chart_widget_param (g_param_spec_uint ("n-series", NULL, NULL, 0, G_MAXUINT, 0,
                                              LB_CHART_PARAM_RO),
                           G_CALLBACK (lb_line_chart_get_n_series),
                           NULL);
  lb_chart_widget_class_install_properties (chart_class, N_PROPS, properties);
}

static void
lb_line_chart_init (LbLineChart *self)
{
  self->series = g_ptr_array_new_with_free_func (series_free);
  self->x_format = LB_CHART_FORMAT_TIME;
  self->y_from_zero = TRUE;
  update_ranges (self);
  lb_line_chart_update_accessible (LB_CHART_WIDGET (self));
}

GtkWidget *
lb_line_chart_new (void)
{
  return g_object_new (LB_TYPE_LINE_CHART, NULL);
}

guint
lb_line_chart_add_series (LbLineChart *self,
                          const char  *name)
{
  Series *s;

  g_return_val_if_fail (LB_IS_LINE_CHART (self), 0);

  s = g_new0 (Series, 1);
  s->name = g_strdup (name);
  s->x = g_array_new (FALSE, FALSE, sizeof (double));
  s->y = g_array_new (FALSE, FALSE, sizeof (double));
  g_ptr_array_add (self->series, s);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_SERIES]);
  data_changed (self);
  return self->series->len - 1;
}

guint
lb_line_chart_get_n_series (LbLineChart *self)
{
  g_return_val_if_fail (LB_IS_LINE_CHART (self), 0);
  return self->series->len;
}

const char *
lb_line_chart_get_series_name (LbLineChart *self,
                               guint        series)
{
  g_return_val_if_fail (LB_IS_LINE_CHART (self), NULL);
  g_return_val_if_fail (series < self->series->len, NULL);

  return ((Series *) g_ptr_array_index (self->series, series))->name;
}

void
lb_line_chart_set_series_data (LbLineChart  *self,
                               guint         series,
                               guint         n_points,
                               const double *x,
                               const double *y)
{
  Series *s;

  g_return_if_fail (LB_IS_LINE_CHART (self));
  g_return_if_fail (series < self->series->len);
  g_return_if_fail (n_points == 0 || y != NULL);

  s = g_ptr_array_index (self->series, series);
  g_array_set_size (s->x, 0);
  g_array_set_size (s->y, 0);
  for (guint i = 0; i < n_points; i++)
    {
      double xi = x != NULL ? x[i] : (double) i;
      g_array_append_val (s->x, xi);
    }
  g_array_append_vals (s->y, y, n_points);
  data_changed (self);
}

void
lb_line_chart_append_point (LbLineChart *self,
                            guint        series,
                            double       x,
                            double       y)
{
  Series *s;

  g_return_if_fail (LB_IS_LINE_CHART (self));
  g_return_if_fail (series < self->series->len);

  s = g_ptr_array_index (self->series, series);
  g_array_append_val (s->x, x);
  g_array_append_val (s->y, y);
  data_changed (self);
}

void
lb_line_chart_set_series_fill (LbLineChart *self,
                               guint        series,
                               gboolean     fill)
{
  Series *s;

  g_return_if_fail (LB_IS_LINE_CHART (self));
  g_return_if_fail (series < self->series->len);

  s = g_ptr_array_index (self->series, series);
  if (s->fill != !!fill)
    {
      s->fill = !!fill;
      lb_chart_widget_invalidate (LB_CHART_WIDGET (self));
    }
}

guint
lb_line_chart_get_n_points (LbLineChart *self,
                            guint        series)
{
  g_return_val_if_fail (LB_IS_LINE_CHART (self), 0);
  g_return_val_if_fail (series < self->series->len, 0);

  return ((Series *) g_ptr_array_index (self->series, series))->y->len;
}

gboolean
lb_line_chart_get_point (LbLineChart *self,
                         guint        series,
                         guint        index,
                         double      *x,
                         double      *y)
{
  Series *s;

  g_return_val_if_fail (LB_IS_LINE_CHART (self), FALSE);

  if (series >= self->series->len)
    return FALSE;
  s = g_ptr_array_index (self->series, series);
  if (index >= s->y->len)
    return FALSE;
  if (x != NULL)
    *x = g_array_index (s->x, double, index);
  if (y != NULL)
    *y = g_array_index (s->y, double, index);
  return TRUE;
}

void
lb_line_chart_clear (LbLineChart *self)
{
  g_return_if_fail (LB_IS_LINE_CHART (self));

  if (self->series->len == 0)
    return;
  g_ptr_array_set_size (self->series, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_SERIES]);
  data_changed (self);
}

LB_CHART_WIDGET_DEFINE_TITLE_ACCESSORS (LbLineChart, lb_line_chart, LB_IS_LINE_CHART)
/* lb_line_chart_get_x_label (), lb_line_chart_set_x_label () and the same for y */
LB_CHART_WIDGET_DEFINE_STRING_ACCESSORS (LbLineChart, lb_line_chart, LB_IS_LINE_CHART,
                                         x_label, properties[PROP_X_LABEL])
LB_CHART_WIDGET_DEFINE_STRING_ACCESSORS (LbLineChart, lb_line_chart, LB_IS_LINE_CHART,
                                         y_label, properties[PROP_Y_LABEL])
/* lb_line_chart_get_x_format (), lb_line_chart_set_x_format () */
LB_CHART_WIDGET_DEFINE_ENUM_ACCESSORS (LbLineChart, lb_line_chart, LB_IS_LINE_CHART,
                                       LbChartFormat, x_format, properties[PROP_X_FORMAT])

/* lb_line_chart_get_y_format (), lb_line_chart_set_y_format (): the
 * accessible description quotes the latest values */
LB_CHART_WIDGET_DEFINE_ACCESSORS_FULL (LbLineChart, lb_line_chart, LB_IS_LINE_CHART,
                                       LbChartFormat, y_format, properties[PROP_Y_FORMAT],
                                       y_format,
                                       lb_line_chart_update_accessible (LB_CHART_WIDGET (self)))
/* lb_line_chart_get_y_from_zero (), lb_line_chart_set_y_from_zero () */
LB_CHART_WIDGET_DEFINE_ACCESSORS_FULL (LbLineChart, lb_line_chart, LB_IS_LINE_CHART, gboolean,
                                       y_from_zero, properties[PROP_Y_FROM_ZERO],
                                       !!y_from_zero, data_changed (self))

double
lb_line_chart_get_time_window (LbLineChart *self)
{
  g_return_val_if_fail (LB_IS_LINE_CHART (self), 0);
  return self->time_window;
}

void
lb_line_chart_set_time_window (LbLineChart *self,
                               double       window)
{
  g_return_if_fail (LB_IS_LINE_CHART (self));

  if (!isfinite (window) || window < 0)
    window = 0;
  if (lb_chart_widget_set_field (self, &self->time_window, window,
                                 properties[PROP_TIME_WINDOW]))
    data_changed (self);
}

gboolean
lb_line_chart_get_point_at (LbLineChart *self,
                            double       x,
                            double       y,
                            guint       *series,
                            guint       *index)
{
  LbLineChartData data;
  LbLineSeries *s;
  gboolean found;

  g_return_val_if_fail (LB_IS_LINE_CHART (self), FALSE);

  if (!lb_chart_widget_ensure_drawn (LB_CHART_WIDGET (self)))
    return FALSE;
  s = fill_data (self, &data);
  found = lb_line_chart_nearest (&data, &self->geometry, x, y, HIT_DISTANCE, series, index);
  g_free (s);
  return found;
}
