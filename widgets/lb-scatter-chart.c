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
  GtkWidget        parent_instance;

  guint            n_points;
  LbScatterPoint  *points;      /* labels owned: cast away const to free */
  guint            n_groups;
  char           **group_names;
  char            *title;
  char            *x_label;
  char            *y_label;
  LbChartFormat    x_format;
  LbChartFormat    y_format;
  gboolean         x_log;
  gboolean         y_log;
  gboolean         show_front;
  int              highlight;

  LbChartCache     cache;
  LbPlotGeometry   geometry;
};

enum {
  PROP_0,
  PROP_TITLE,
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

G_DEFINE_FINAL_TYPE (LbScatterChart, lb_scatter_chart, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
fill_data (LbScatterChart *self,
           LbScatterData  *data)
{
  *data = (LbScatterData) {
    .n_points = self->n_points, .points = self->points, .n_groups = self->n_groups,
    .group_names = (const char * const *) self->group_names, .title = self->title,
    .x_label = self->x_label, .y_label = self->y_label, .x_format = self->x_format,
    .y_format = self->y_format, .x_log = self->x_log, .y_log = self->y_log,
    .show_front = self->show_front,
    .has_highlight = self->highlight >= 0 && (guint) self->highlight < self->n_points,
    .highlight = self->highlight >= 0 ? (guint) self->highlight : 0,
  };
}

static void
draw (GtkWidget          *widget,
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
update_accessible (LbScatterChart *self)
{
  char *description = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u point", "%u points",
                                                    self->n_points), self->n_points);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->title ? self->title : _("Scatter chart"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
  g_free (description);
}

static void
lb_scatter_chart_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  lb_chart_cache_snapshot (&LB_SCATTER_CHART (widget)->cache, widget, snapshot, draw);
}

static void
lb_scatter_chart_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 200;
      *natural = 480;
    }
  else
    {
      *minimum = 150;
      *natural = 280;
    }
}

static void
lb_scatter_chart_css_changed (GtkWidget         *widget,
                              GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (lb_scatter_chart_parent_class)->css_changed (widget, change);
  lb_chart_widget_changed (widget, &LB_SCATTER_CHART (widget)->cache);
}

static void
lb_scatter_chart_system_setting_changed (GtkWidget        *widget,
                                         GtkSystemSetting  setting)
{
  GTK_WIDGET_CLASS (lb_scatter_chart_parent_class)->system_setting_changed (widget, setting);
  lb_chart_widget_changed (widget, &LB_SCATTER_CHART (widget)->cache);
}

static gboolean
lb_scatter_chart_query_tooltip (GtkWidget  *widget,
                                int         x,
                                int         y,
                                gboolean    keyboard_tooltip,
                                GtkTooltip *tooltip)
{
  LbScatterChart *self = LB_SCATTER_CHART (widget);
  g_autofree char *xs = NULL;
  g_autofree char *ys = NULL;
  g_autofree char *text = NULL;
  const LbScatterPoint *p;
  guint index;

  if (!lb_scatter_chart_get_point_at (self, x, y, &index))
    return FALSE;
  p = &self->points[index];
  xs = lb_chart_format_value (p->x, self->x_format, NAN);
  ys = lb_chart_format_value (p->y, self->y_format, NAN);
  /* Translators: scatter chart tooltip: the point's name, "x label: value", "y label: value" */
  text = g_strdup_printf (_("%s\n%s: %s\n%s: %s"), p->label ? p->label : "",
                          self->x_label ? self->x_label : "x", xs,
                          self->y_label ? self->y_label : "y", ys);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
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

  lb_chart_cache_invalidate (&self->cache);
  free_points (self);
  lb_chart_strings_free (self->group_names, self->n_groups);
  g_free (self->title);
  g_free (self->x_label);
  g_free (self->y_label);

  G_OBJECT_CLASS (lb_scatter_chart_parent_class)->finalize (object);
}

static void
lb_scatter_chart_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  LbScatterChart *self = LB_SCATTER_CHART (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_X_LABEL:
      g_value_set_string (value, self->x_label);
      break;
    case PROP_Y_LABEL:
      g_value_set_string (value, self->y_label);
      break;
    case PROP_X_FORMAT:
      g_value_set_enum (value, self->x_format);
      break;
    case PROP_Y_FORMAT:
      g_value_set_enum (value, self->y_format);
      break;
    case PROP_X_LOG:
      g_value_set_boolean (value, self->x_log);
      break;
    case PROP_Y_LOG:
      g_value_set_boolean (value, self->y_log);
      break;
    case PROP_SHOW_FRONT:
      g_value_set_boolean (value, self->show_front);
      break;
    case PROP_HIGHLIGHT:
      g_value_set_int (value, self->highlight);
      break;
    case PROP_N_POINTS:
      g_value_set_uint (value, self->n_points);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_scatter_chart_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  LbScatterChart *self = LB_SCATTER_CHART (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      lb_scatter_chart_set_title (self, g_value_get_string (value));
      break;
    case PROP_X_LABEL:
      lb_scatter_chart_set_x_label (self, g_value_get_string (value));
      break;
    case PROP_Y_LABEL:
      lb_scatter_chart_set_y_label (self, g_value_get_string (value));
      break;
    case PROP_X_FORMAT:
      lb_scatter_chart_set_x_format (self, g_value_get_enum (value));
      break;
    case PROP_Y_FORMAT:
      lb_scatter_chart_set_y_format (self, g_value_get_enum (value));
      break;
    case PROP_X_LOG:
      lb_scatter_chart_set_x_log (self, g_value_get_boolean (value));
      break;
    case PROP_Y_LOG:
      lb_scatter_chart_set_y_log (self, g_value_get_boolean (value));
      break;
    case PROP_SHOW_FRONT:
      lb_scatter_chart_set_show_front (self, g_value_get_boolean (value));
      break;
    case PROP_HIGHLIGHT:
      lb_scatter_chart_set_highlight (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_scatter_chart_class_init (LbScatterChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = lb_scatter_chart_finalize;
  object_class->get_property = lb_scatter_chart_get_property;
  object_class->set_property = lb_scatter_chart_set_property;

  widget_class->snapshot = lb_scatter_chart_snapshot;
  widget_class->measure = lb_scatter_chart_measure;
  widget_class->css_changed = lb_scatter_chart_css_changed;
  widget_class->system_setting_changed = lb_scatter_chart_system_setting_changed;
  widget_class->query_tooltip = lb_scatter_chart_query_tooltip;

  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, rw);
  properties[PROP_X_LABEL] = g_param_spec_string ("x-label", NULL, NULL, NULL, rw);
  properties[PROP_Y_LABEL] = g_param_spec_string ("y-label", NULL, NULL, NULL, rw);
  properties[PROP_X_FORMAT] =
    g_param_spec_enum ("x-format", NULL, NULL, LB_TYPE_CHART_FORMAT, LB_CHART_FORMAT_PLAIN, rw);
  properties[PROP_Y_FORMAT] =
    g_param_spec_enum ("y-format", NULL, NULL, LB_TYPE_CHART_FORMAT, LB_CHART_FORMAT_PLAIN, rw);
  properties[PROP_X_LOG] = g_param_spec_boolean ("x-log", NULL, NULL, FALSE, rw);
  properties[PROP_Y_LOG] = g_param_spec_boolean ("y-log", NULL, NULL, FALSE, rw);
  properties[PROP_SHOW_FRONT] = g_param_spec_boolean ("show-front", NULL, NULL, TRUE, rw);
  properties[PROP_HIGHLIGHT] = g_param_spec_int ("highlight", NULL, NULL, -1, G_MAXINT, -1, rw);
  properties[PROP_N_POINTS] =
    g_param_spec_uint ("n-points", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * LbScatterChart::point-activated:
   * @index: the point clicked
   */
  signals[POINT_ACTIVATED] =
    g_signal_new ("point-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);

  gtk_widget_class_set_css_name (widget_class, "lb-scatter-chart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
lb_scatter_chart_init (LbScatterChart *self)
{
  GtkGesture *click;

  self->highlight = -1;
  self->show_front = TRUE;

  click = gtk_gesture_click_new ();
  g_signal_connect_object (click, "released", G_CALLBACK (click_released_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  update_accessible (self);
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
  update_accessible (self);
  lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
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
  lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
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

#define STRING_ACCESSORS(field, PROP)                                         \
  const char *                                                                \
  lb_scatter_chart_get_##field (LbScatterChart *self)                         \
  {                                                                           \
    g_return_val_if_fail (LB_IS_SCATTER_CHART (self), NULL);                  \
    return self->field;                                                       \
  }                                                                           \
                                                                              \
  void                                                                        \
  lb_scatter_chart_set_##field (LbScatterChart *self,                         \
                                const char     *value)                        \
  {                                                                           \
    g_return_if_fail (LB_IS_SCATTER_CHART (self));                            \
                                                                              \
    if (lb_chart_set_string (&self->field, value))                            \
      {                                                                       \
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP]);         \
        update_accessible (self);                                             \
        lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);            \
      }                                                                       \
  }

#define FLAG_ACCESSORS(type, field, PROP)                                     \
  type                                                                        \
  lb_scatter_chart_get_##field (LbScatterChart *self)                         \
  {                                                                           \
    g_return_val_if_fail (LB_IS_SCATTER_CHART (self), 0);                     \
    return self->field;                                                       \
  }                                                                           \
                                                                              \
  void                                                                        \
  lb_scatter_chart_set_##field (LbScatterChart *self,                         \
                                type            value)                        \
  {                                                                           \
    g_return_if_fail (LB_IS_SCATTER_CHART (self));                            \
                                                                              \
    if (self->field != value)                                                 \
      {                                                                       \
        self->field = value;                                                  \
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP]);         \
        lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);            \
      }                                                                       \
  }

STRING_ACCESSORS (title, PROP_TITLE)
STRING_ACCESSORS (x_label, PROP_X_LABEL)
STRING_ACCESSORS (y_label, PROP_Y_LABEL)
FLAG_ACCESSORS (LbChartFormat, x_format, PROP_X_FORMAT)
FLAG_ACCESSORS (LbChartFormat, y_format, PROP_Y_FORMAT)

gboolean
lb_scatter_chart_get_x_log (LbScatterChart *self)
{
  g_return_val_if_fail (LB_IS_SCATTER_CHART (self), FALSE);
  return self->x_log;
}

void
lb_scatter_chart_set_x_log (LbScatterChart *self,
                            gboolean        x_log)
{
  g_return_if_fail (LB_IS_SCATTER_CHART (self));

  x_log = !!x_log;
  if (self->x_log != x_log)
    {
      self->x_log = x_log;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_X_LOG]);
      lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
    }
}

gboolean
lb_scatter_chart_get_y_log (LbScatterChart *self)
{
  g_return_val_if_fail (LB_IS_SCATTER_CHART (self), FALSE);
  return self->y_log;
}

void
lb_scatter_chart_set_y_log (LbScatterChart *self,
                            gboolean        y_log)
{
  g_return_if_fail (LB_IS_SCATTER_CHART (self));

  y_log = !!y_log;
  if (self->y_log != y_log)
    {
      self->y_log = y_log;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_Y_LOG]);
      lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
    }
}

gboolean
lb_scatter_chart_get_show_front (LbScatterChart *self)
{
  g_return_val_if_fail (LB_IS_SCATTER_CHART (self), FALSE);
  return self->show_front;
}

void
lb_scatter_chart_set_show_front (LbScatterChart *self,
                                 gboolean        show_front)
{
  g_return_if_fail (LB_IS_SCATTER_CHART (self));

  show_front = !!show_front;
  if (self->show_front != show_front)
    {
      self->show_front = show_front;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_FRONT]);
      lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
    }
}

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
  if (self->highlight != index)
    {
      self->highlight = index;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HIGHLIGHT]);
      lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
    }
}

gboolean
lb_scatter_chart_get_point_at (LbScatterChart *self,
                               double          x,
                               double          y,
                               guint          *index)
{
  LbScatterData data;

  g_return_val_if_fail (LB_IS_SCATTER_CHART (self), FALSE);

  if (lb_chart_cache_ensure (&self->cache, GTK_WIDGET (self), draw) == NULL)
    return FALSE;
  fill_data (self, &data);
  return lb_scatter_nearest (&data, &self->geometry, x, y, HIT_DISTANCE, index);
}
