/* lb-size-bar.c: the GTK face of lb-size-bar-render; its height follows
 * its width because the legend wraps */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-chart-widget-private.h"
#include "lb-size-bar.h"

struct _LbSizeBar
{
  GtkWidget          parent_instance;

  guint              n_segments;
  LbSizeSegment     *segments;   /* names owned: cast away const to free */
  double             budget;
  double             total;      /* found when the segments arrive */
  gboolean           over_budget;
  char              *title;
  gboolean           show_legend;

  LbChartCache       cache;
  LbSizeBarGeometry  geometry;
};

enum {
  PROP_0,
  PROP_BUDGET,
  PROP_TITLE,
  PROP_SHOW_LEGEND,
  PROP_TOTAL,
  PROP_OVER_BUDGET,
  PROP_N_SEGMENTS,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (LbSizeBar, lb_size_bar, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];

static void
fill_data (LbSizeBar     *self,
           LbSizeBarData *data)
{
  *data = (LbSizeBarData) {
    .n_segments = self->n_segments, .segments = self->segments, .budget = self->budget,
    .title = self->title, .hide_legend = !self->show_legend,
  };
}

static void
draw (GtkWidget          *widget,
      cairo_t            *cr,
      int                 width,
      int                 height,
      const LbChartStyle *style)
{
  LbSizeBar *self = LB_SIZE_BAR (widget);
  LbSizeBarData data;

  fill_data (self, &data);
  lb_size_bar_render (cr, width, height, &data, style, &self->geometry);
}

/* Totals, the budget verdict and the accessible description */
static void
update_state (LbSizeBar *self)
{
  LbSizeBarData data;
  double total;
  gboolean over;
  g_autofree char *t = NULL;
  g_autofree char *description = NULL;

  fill_data (self, &data);
  total = lb_size_bar_data_total (&data);
  over = self->budget > 0 && total > self->budget;

  g_object_freeze_notify (G_OBJECT (self));
  if (total != self->total)
    {
      self->total = total;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
    }
  if (over != self->over_budget)
    {
      self->over_budget = over;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OVER_BUDGET]);
    }
  g_object_thaw_notify (G_OBJECT (self));

  t = lb_chart_format_value (total, LB_CHART_FORMAT_BYTES, NAN);
  if (self->budget > 0)
    {
      g_autofree char *b = lb_chart_format_value (self->budget, LB_CHART_FORMAT_BYTES, NAN);
      description = over ? g_strdup_printf (_("%s, over the budget of %s"), t, b)
                         : g_strdup_printf (_("%s, within the budget of %s"), t, b);
    }
  else
    description = g_strdup (t);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->title ? self->title : _("Model size"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
  lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
}

static void
lb_size_bar_snapshot (GtkWidget   *widget,
                      GtkSnapshot *snapshot)
{
  lb_chart_cache_snapshot (&LB_SIZE_BAR (widget)->cache, widget, snapshot, draw);
}

static GtkSizeRequestMode
lb_size_bar_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
lb_size_bar_measure (GtkWidget      *widget,
                     GtkOrientation  orientation,
                     int             for_size,
                     int            *minimum,
                     int            *natural,
                     int            *minimum_baseline,
                     int            *natural_baseline)
{
  LbSizeBar *self = LB_SIZE_BAR (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 160;
      *natural = 480;
    }
  else
    {
      /* lay the legend out at this width, with the widget's own font */
      LbSizeBarData data;
      LbChartStyle style;
      cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
      cairo_t *cr = cairo_create (surface);
      double h;

      fill_data (self, &data);
      lb_chart_widget_get_style (widget, &style);
      h = lb_size_bar_natural_height (cr, for_size > 0 ? for_size : 480, &data, &style);
      cairo_destroy (cr);
      cairo_surface_destroy (surface);
      *minimum = (int) ceil (h);
      *natural = (int) ceil (h);
    }
}

static void
lb_size_bar_css_changed (GtkWidget         *widget,
                         GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (lb_size_bar_parent_class)->css_changed (widget, change);
  lb_chart_widget_changed (widget, &LB_SIZE_BAR (widget)->cache);
  gtk_widget_queue_resize (widget);
}

static void
lb_size_bar_system_setting_changed (GtkWidget        *widget,
                                    GtkSystemSetting  setting)
{
  GTK_WIDGET_CLASS (lb_size_bar_parent_class)->system_setting_changed (widget, setting);
  lb_chart_widget_changed (widget, &LB_SIZE_BAR (widget)->cache);
  gtk_widget_queue_resize (widget);
}

static gboolean
lb_size_bar_query_tooltip (GtkWidget  *widget,
                           int         x,
                           int         y,
                           gboolean    keyboard_tooltip,
                           GtkTooltip *tooltip)
{
  LbSizeBar *self = LB_SIZE_BAR (widget);
  g_autofree char *size = NULL;
  g_autofree char *text = NULL;
  const LbSizeSegment *s;
  guint index;

  if (!lb_size_bar_get_segment_at (self, x, y, &index))
    return FALSE;
  s = &self->segments[index];
  size = lb_chart_format_value (s->bytes, LB_CHART_FORMAT_BYTES, NAN);
  /* Translators: size bar tooltip: type, bytes, share of the total */
  text = g_strdup_printf (_("%s: %s (%.1f%% of the model)"), s->name ? s->name : "?", size,
                          self->total > 0 ? 100 * s->bytes / self->total : 0.0);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
free_segments (LbSizeBar *self)
{
  for (guint i = 0; i < self->n_segments; i++)
    g_free ((char *) self->segments[i].name);
  g_clear_pointer (&self->segments, g_free);
  self->n_segments = 0;
}

static void
lb_size_bar_finalize (GObject *object)
{
  LbSizeBar *self = LB_SIZE_BAR (object);

  lb_chart_cache_invalidate (&self->cache);
  free_segments (self);
  g_free (self->title);

  G_OBJECT_CLASS (lb_size_bar_parent_class)->finalize (object);
}

static void
lb_size_bar_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  LbSizeBar *self = LB_SIZE_BAR (object);

  switch (prop_id)
    {
    case PROP_BUDGET:
      g_value_set_double (value, self->budget);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_SHOW_LEGEND:
      g_value_set_boolean (value, self->show_legend);
      break;
    case PROP_TOTAL:
      g_value_set_double (value, self->total);
      break;
    case PROP_OVER_BUDGET:
      g_value_set_boolean (value, self->over_budget);
      break;
    case PROP_N_SEGMENTS:
      g_value_set_uint (value, self->n_segments);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_size_bar_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  LbSizeBar *self = LB_SIZE_BAR (object);

  switch (prop_id)
    {
    case PROP_BUDGET:
      lb_size_bar_set_budget (self, g_value_get_double (value));
      break;
    case PROP_TITLE:
      lb_size_bar_set_title (self, g_value_get_string (value));
      break;
    case PROP_SHOW_LEGEND:
      lb_size_bar_set_show_legend (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_size_bar_class_init (LbSizeBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = lb_size_bar_finalize;
  object_class->get_property = lb_size_bar_get_property;
  object_class->set_property = lb_size_bar_set_property;

  widget_class->snapshot = lb_size_bar_snapshot;
  widget_class->get_request_mode = lb_size_bar_get_request_mode;
  widget_class->measure = lb_size_bar_measure;
  widget_class->css_changed = lb_size_bar_css_changed;
  widget_class->system_setting_changed = lb_size_bar_system_setting_changed;
  widget_class->query_tooltip = lb_size_bar_query_tooltip;

  properties[PROP_BUDGET] = g_param_spec_double ("budget", NULL, NULL, 0, G_MAXDOUBLE, 0, rw);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, rw);
  properties[PROP_SHOW_LEGEND] = g_param_spec_boolean ("show-legend", NULL, NULL, TRUE, rw);
  properties[PROP_TOTAL] = g_param_spec_double ("total", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  properties[PROP_OVER_BUDGET] = g_param_spec_boolean ("over-budget", NULL, NULL, FALSE, ro);
  properties[PROP_N_SEGMENTS] =
    g_param_spec_uint ("n-segments", NULL, NULL, 0, G_MAXUINT, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "lb-size-bar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
lb_size_bar_init (LbSizeBar *self)
{
  self->show_legend = TRUE;
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  update_state (self);
}

GtkWidget *
lb_size_bar_new (void)
{
  return g_object_new (LB_TYPE_SIZE_BAR, NULL);
}

void
lb_size_bar_set_segments (LbSizeBar          *self,
                          guint               n_segments,
                          const char * const *names,
                          const double       *bytes)
{
  guint old;

  g_return_if_fail (LB_IS_SIZE_BAR (self));
  g_return_if_fail (n_segments == 0 || (names != NULL && bytes != NULL));

  old = self->n_segments;
  free_segments (self);
  self->segments = g_new0 (LbSizeSegment, MAX (n_segments, 1));
  self->n_segments = n_segments;
  for (guint i = 0; i < n_segments; i++)
    self->segments[i] = (LbSizeSegment) { g_strdup (names[i]), bytes[i] };

  if (old != n_segments)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_SEGMENTS]);
  update_state (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

guint
lb_size_bar_get_n_segments (LbSizeBar *self)
{
  g_return_val_if_fail (LB_IS_SIZE_BAR (self), 0);
  return self->n_segments;
}

gboolean
lb_size_bar_get_segment (LbSizeBar   *self,
                         guint        index,
                         const char **name,
                         double      *bytes)
{
  g_return_val_if_fail (LB_IS_SIZE_BAR (self), FALSE);

  if (index >= self->n_segments)
    return FALSE;
  if (name != NULL)
    *name = self->segments[index].name;
  if (bytes != NULL)
    *bytes = self->segments[index].bytes;
  return TRUE;
}

double
lb_size_bar_get_budget (LbSizeBar *self)
{
  g_return_val_if_fail (LB_IS_SIZE_BAR (self), 0);
  return self->budget;
}

void
lb_size_bar_set_budget (LbSizeBar *self,
                        double     budget)
{
  g_return_if_fail (LB_IS_SIZE_BAR (self));

  if (!isfinite (budget) || budget < 0)
    budget = 0;
  if (self->budget != budget)
    {
      self->budget = budget;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUDGET]);
      update_state (self);
    }
}

const char *
lb_size_bar_get_title (LbSizeBar *self)
{
  g_return_val_if_fail (LB_IS_SIZE_BAR (self), NULL);
  return self->title;
}

void
lb_size_bar_set_title (LbSizeBar  *self,
                       const char *title)
{
  g_return_if_fail (LB_IS_SIZE_BAR (self));

  if (lb_chart_set_string (&self->title, title))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
      update_state (self);
    }
}

gboolean
lb_size_bar_get_show_legend (LbSizeBar *self)
{
  g_return_val_if_fail (LB_IS_SIZE_BAR (self), FALSE);
  return self->show_legend;
}

void
lb_size_bar_set_show_legend (LbSizeBar *self,
                             gboolean   show_legend)
{
  g_return_if_fail (LB_IS_SIZE_BAR (self));

  show_legend = !!show_legend;
  if (self->show_legend != show_legend)
    {
      self->show_legend = show_legend;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_LEGEND]);
      lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
      gtk_widget_queue_resize (GTK_WIDGET (self));
    }
}

double
lb_size_bar_get_total (LbSizeBar *self)
{
  g_return_val_if_fail (LB_IS_SIZE_BAR (self), 0);
  return self->total;
}

gboolean
lb_size_bar_get_over_budget (LbSizeBar *self)
{
  g_return_val_if_fail (LB_IS_SIZE_BAR (self), FALSE);
  return self->over_budget;
}

gboolean
lb_size_bar_get_segment_at (LbSizeBar *self,
                            double     x,
                            double     y,
                            guint     *index)
{
  LbSizeBarData data;

  g_return_val_if_fail (LB_IS_SIZE_BAR (self), FALSE);

  if (lb_chart_cache_ensure (&self->cache, GTK_WIDGET (self), draw) == NULL)
    return FALSE;
  fill_data (self, &data);
  return lb_size_bar_segment_at (&data, &self->geometry, x, y, index);
}
