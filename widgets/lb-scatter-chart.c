/* lb-scatter-chart.c: the GTK face of lb-scatter-render: point storage,
 * tooltips, a signal when a point is clicked */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-chart-widget-private.h"
#include "lb-scatter-chart.h"
#include "lb-widgets-enums.h"

#define HIT_DISTANCE 12.0

struct _LbScatterChart
{
  LbChartWidget    parent_instance;

  guint            n_points;
  LbScatterPoint  *points;      /* labels owned: cast away const to free */
  guint            n_groups;
  char           **group_names;
  char            *x_label;
  char            *y_label;
  LbChartFormat    x_format;
  LbChartFormat    y_format;
  gboolean         x_log;
  gboolean         y_log;
  gboolean         show_front;
  int              highlight;

  LbPlotGeometry   geometry;
};

enum {
  PROP_0,
  PROP_X_LABEL,
  PROP_Y_LABEL,
  PROP_X_FORMAT,
  PROP_Y_FORMAT,
  PROP_X_LOG,
  PROP_Y_LOG,
  PROP_SHOW_FRONT,
  PROP_HIGHLIGHT,
  PROP_N_POINTS,
  N_PROPS
};

enum {
  POINT_ACTIVATED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (LbScatterChart, lb_scatter_chart, LB_TYPE_CHART_WIDGET)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
fill_data (LbScatterChart *self,
           LbScatterData  *data)
{
  *data = (LbScatterData) {
    .n_points = self->n_points, .points = self->points, .n_groups = self->n_groups,
    .group_names = (const char * const *) self->group_names,
    .title = lb_chart_widget_get_title (LB_CHART_WIDGET (self)),
    .x_label = self->x_label, .y_label = self->y_label, .x_format = self->x_format,
    .y_format = self->y_format, .x_log = self->x_log, .y_log = self->y_log,
    .show_front = self->show_front,
    .has_highlight = self->highlight >= 0 && (guint) self->highlight < self->n_points,
    .highlight = self->highlight >= 0 ? (guint) self->highlight : 0,
  };
}

static void
lb_scatter_chart_draw (LbChartWidget      *widget,
                       cairo_t            *cr,
                       int                 width,
                       int                 height,
                       const LbChartStyle *style)
{
  LbScatterChart *self = LB_SCATTER_CHART (widget);
  LbScatterData data;

  fill_data (self, &data);
  lb_scatter_render (cr, width, height, &data, style, &self->geometry);
}

static void
free_points (LbScatterChart *self)
{
  for (guint i = 0; i < self->n_points; i++)
    g_free ((char *) self->points[i].label);
  g_clear_pointer (&self->points, g_free);
  self->n_points = 0;
}

static void
lb_scatter_chart_update_accessible (LbChartWidget *widget)
{
  LbScatterChart *self = LB_SCATTER_CHART (widget);
  g_autofree char *description =
    g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u point", "%u points", self->n_points),
                     self->n_points);

  lb_chart_widget_set_description (widget, description);
}

static char *
lb_scatter_chart_describe_at (LbChartWidget *widget,
                              double         x,
                              double         y,
                              gboolean       keyboard)
{
  LbScatterChart *self = LB_SCATTER_CHART (widget);
  g_autofree char *xs = NULL;
  g_autofree char *ys = NULL;
  const LbScatterPoint *p;
  guint index;

  if (!lb_scatter_chart_get_point_at (self, x, y, &index))
    return NULL;
  p = &self->points[index];
  xs = lb_chart_format_value (p->x, self->x_format, NAN);
  ys = lb_chart_format_value (p->y, self->y_format, NAN);
  /* Translators: scatter chart tooltip: the point's name, "x label: value", "y label: value" */
  return g_strdup_printf (_("%s\n%s: %s\n%s: %s"), p->label ? p->label : "",
                          self->x_label ? self->x_label : "x", xs,
                          self->y_label ? self->y_label : "y", ys);
}

static void
click_released_cb (LbScatterChart  *self,
                   int              n_press,
                   double           x,
                   double           y,
                   GtkGestureClick *gesture)
{
  guint index;

  if (lb_scatter_chart_get_point_at (self, x, y, &index))
    g_signal_emit (self, signals[POINT_ACTIVATED], 0, index);
}

static void
lb_scatter_chart_finalize (GObject *object)
{
  LbScatterChart *self = LB_SCATTER_CHART (object);

  free_points (self);
  lb_chart_strings_free (self->group_names, self->n_groups);
  g_free (self->x_label);
  g_free (self->y_label);

  G_OBJECT_CLASS (lb_scatter_chart_parent_class)->finalize (object);
}

static void
lb_scatter_chart_class_init (LbScatterChartClass *klass)
{
  LbChartWidgetClass *chart_class = LB_CHART_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = lb_scatter_chart_finalize;

  chart_class->draw = lb_scatter_chart_draw;
  chart_class->describe_at = lb_scatter_chart_describe_at;
  chart_class->update_accessible = lb_scatter_chart_update_accessible;
  lb_chart_widget_class_set_size_hints (chart_class, 200, 480, 150, 280);
  lb_chart_widget_class_set_names (chart_class, "lb-scatter-chart", GTK_ACCESSIBLE_ROLE_IMG,
                                   N_("Scatter chart"));

  properties[PROP_X_LABEL] =
    lb_chart_widget_param (g_param_spec_string ("x-label", NULL, NULL, NULL, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_scatter_chart_get_x_label),
                           G_CALLBACK (lb_scatter_chart_set_x_label));
  properties[PROP_Y_LABEL] =
    lb_chart_widget_param (g_param_spec_string ("y-label", NULL, NULL, NULL, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_scatter_chart_get_y_label),
                           G_CALLBACK (lb_scatter_chart_set_y_label));
  properties[PROP_X_FORMAT] =
    lb_chart_widget_param (g_param_spec_enum ("x-format", NULL, NULL, LB_TYPE_CHART_FORMAT,
                                              LB_CHART_FORMAT_PLAIN, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_scatter_chart_get_x_format),
                           G_CALLBACK (lb_scatter_chart_set_x_format));
  properties[PROP_Y_FORMAT] =
    lb_chart_widget_param (g_param_spec_enum ("y-format", NULL, NULL, LB_TYPE_CHART_FORMAT,
                                              LB_CHART_FORMAT_PLAIN, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_scatter_chart_get_y_format),
                           G_CALLBACK (lb_scatter_chart_set_y_format));
  properties[PROP_X_LOG] =
    lb_chart_widget_param (g_param_spec_boolean ("x-log", NULL, NULL, FALSE, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_scatter_chart_get_x_log),
                           G_CALLBACK (lb_scatter_chart_set_x_log));
  properties[PROP_Y_LOG] =
    lb_chart_widget_param (g_param_spec_boolean ("y-log", NULL, NULL, FALSE, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_scatter_chart_get_y_log),
                           G_CALLBACK (lb_scatter_chart_set_y_log));
  properties[PROP_SHOW_FRONT] =
    lb_chart_widget_param (g_param_spec_boolean ("show-front", NULL, NULL, TRUE, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_scatter_chart_get_show_front),
                           G_CALLBACK (lb_scatter_chart_set_show_front));
  properties[PROP_HIGHLIGHT] =
    lb_chart_widget_param (g_param_spec_int ("highlight", NULL, NULL, -1, G_MAXINT, -1,
                                             LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_scatter_chart_get_highlight),
                           G_CALLBACK (lb_scatter_chart_set_highlight));
  properties[PROP_N_POINTS] =
    lb_chart_widget_param (g_param_spec_uint ("n-points", NULL, NULL, 0, G_MAXUINT, 0,
                                              LB_CHART_PARAM_RO),
                           G_CALLBACK (lb_scatter_chart_get_n_points),
                           NULL);
  lb_chart_widget_class_install_properties (chart_class, N_PROPS, properties);

  /**
   * LbScatterChart::point-activated:
   * @index: the point clicked
   */
  signals[POINT_ACTIVATED] =
    g_signal_new ("point-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
lb_scatter_chart_init (LbScatterChart *self)
{
  self->highlight = -1;
  self->show_front = TRUE;

  lb_chart_widget_add_click (LB_CHART_WIDGET (self), "released",
                             G_CALLBACK (click_released_cb));
  lb_scatter_chart_update_accessible (LB_CHART_WIDGET (self));
}

GtkWidget *
lb_scatter_chart_new (void)
{
  return g_object_new (LB_TYPE_SCATTER_CHART, NULL);
}

void
lb_scatter_chart_set_points (LbScatterChart     *self,
                             guint               n_points,
                             const double       *x,
                             const double       *y,
                             const char * const *labels,
                             const guint        *groups)
{
  guint old;

  g_return_if_fail (LB_IS_SCATTER_CHART (self));
  g_return_if_fail (n_points == 0 || (x != NULL && y != NULL));

  old = self->n_points;
  free_points (self);
  self->points = g_new0 (LbScatterPoint, MAX (n_points, 1));
  self->n_points = n_points;
  for (guint i = 0; i < n_points; i++)
    self->points[i] = (LbScatterPoint) {
      .x = x[i], .y = y[i], .label = labels ? g_strdup (labels[i]) : NULL,
      .group = groups ? groups[i] : 0,
    };
  if (self->highlight >= (int) n_points)
    {
      self->highlight = -1;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HIGHLIGHT]);
    }
  if (old != n_points)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_POINTS]);
  lb_scatter_chart_update_accessible (LB_CHART_WIDGET (self));
  lb_chart_widget_invalidate (LB_CHART_WIDGET (self));
}

void
lb_scatter_chart_set_groups (LbScatterChart     *self,
                             guint               n_groups,
                             const char * const *names)
{
  g_return_if_fail (LB_IS_SCATTER_CHART (self));

  lb_chart_strings_free (self->group_names, self->n_groups);
  self->group_names = lb_chart_strings_copy (names, n_groups);
  self->n_groups = names != NULL ? n_groups : 0;
  lb_chart_widget_invalidate (LB_CHART_WIDGET (self));
}

guint
lb_scatter_chart_get_n_points (LbScatterChart *self)
{
  g_return_val_if_fail (LB_IS_SCATTER_CHART (self), 0);
  return self->n_points;
}

gboolean
lb_scatter_chart_get_point (LbScatterChart  *self,
                            guint            index,
                            double          *x,
                            double          *y,
                            const char     **label)
{
  g_return_val_if_fail (LB_IS_SCATTER_CHART (self), FALSE);

  if (index >= self->n_points)
    return FALSE;
  if (x != NULL)
    *x = self->points[index].x;
  if (y != NULL)
    *y = self->points[index].y;
  if (label != NULL)
    *label = self->points[index].label;
  return TRUE;
}

LB_CHART_WIDGET_DEFINE_TITLE_ACCESSORS (LbScatterChart, lb_scatter_chart, LB_IS_SCATTER_CHART)
/* lb_scatter_chart_get_x_label (), lb_scatter_chart_set_x_label (), the
 * same for y_label, x_format, y_format, x_log, y_log and show_front */
LB_CHART_WIDGET_DEFINE_STRING_ACCESSORS (LbScatterChart, lb_scatter_chart, LB_IS_SCATTER_CHART,
                                         x_label, properties[PROP_X_LABEL])
LB_CHART_WIDGET_DEFINE_STRING_ACCESSORS (LbScatterChart, lb_scatter_chart, LB_IS_SCATTER_CHART,
                                         y_label, properties[PROP_Y_LABEL])
LB_CHART_WIDGET_DEFINE_ENUM_ACCESSORS (LbScatterChart, lb_scatter_chart, LB_IS_SCATTER_CHART,
                                       LbChartFormat, x_format, properties[PROP_X_FORMAT])
LB_CHART_WIDGET_DEFINE_ENUM_ACCESSORS (LbScatterChart, lb_scatter_chart, LB_IS_SCATTER_CHART,
                                       LbChartFormat, y_format, properties[PROP_Y_FORMAT])
LB_CHART_WIDGET_DEFINE_BOOLEAN_ACCESSORS (LbScatterChart, lb_scatter_chart, LB_IS_SCATTER_CHART,
                                          x_log, properties[PROP_X_LOG])
LB_CHART_WIDGET_DEFINE_BOOLEAN_ACCESSORS (LbScatterChart, lb_scatter_chart, LB_IS_SCATTER_CHART,
                                          y_log, properties[PROP_Y_LOG])
LB_CHART_WIDGET_DEFINE_BOOLEAN_ACCESSORS (LbScatterChart, lb_scatter_chart, LB_IS_SCATTER_CHART,
                                          show_front, properties[PROP_SHOW_FRONT])

int
lb_scatter_chart_get_highlight (LbScatterChart *self)
{
  g_return_val_if_fail (LB_IS_SCATTER_CHART (self), -1);
  return self->highlight;
}

void
lb_scatter_chart_set_highlight (LbScatterChart *self,
                                int             index)
{
  g_return_if_fail (LB_IS_SCATTER_CHART (self));

  if (index < 0 || (guint) index >= self->n_points)
    index = -1;
  lb_chart_widget_set_field (self, &self->highlight, index, properties[PROP_HIGHLIGHT]);
}

gboolean
lb_scatter_chart_get_point_at (LbScatterChart *self,
                               double          x,
                               double          y,
                               guint          *index)
{
  LbScatterData data;

  g_return_val_if_fail (LB_IS_SCATTER_CHART (self), FALSE);

  if (!lb_chart_widget_ensure_drawn (LB_CHART_WIDGET (self)))
    return FALSE;
  fill_data (self, &data);
  return lb_scatter_nearest (&data, &self->geometry, x, y, HIT_DISTANCE, index);
}
