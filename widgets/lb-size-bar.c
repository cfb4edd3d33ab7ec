/* lb-size-bar.c: the GTK face of lb-size-bar-render; its height follows
 * its width because the legend wraps */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-chart-widget-private.h"
#include "lb-size-bar.h"

struct _LbSizeBar
{
  LbChartWidget      parent_instance;

  guint              n_segments;
  LbSizeSegment     *segments;   /* names owned: cast away const to free */
  double             budget;
  double             total;      /* found when the segments arrive */
  gboolean           over_budget;
  gboolean           show_legend;

  LbSizeBarGeometry  geometry;

  /* Heights already measured for some widths: measuring lays the legend
   * out with Pango, and GTK asks for the same widths again and again.
   * Dropped when the segments, the legend or the style change. */
  struct {
    int width;
    int height;
  }                  measured[4];
  guint              n_measured;
  guint              next_measured;
  cairo_surface_t   *measure_surface;
  cairo_t           *measure_cr;
};

enum {
  PROP_0,
  PROP_BUDGET,
  PROP_SHOW_LEGEND,
  PROP_TOTAL,
  PROP_OVER_BUDGET,
  PROP_N_SEGMENTS,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (LbSizeBar, lb_size_bar, LB_TYPE_CHART_WIDGET)

static GParamSpec *properties[N_PROPS];

static void
fill_data (LbSizeBar     *self,
           LbSizeBarData *data)
{
  *data = (LbSizeBarData) {
    .n_segments = self->n_segments, .segments = self->segments, .budget = self->budget,
    .title = lb_chart_widget_get_title (LB_CHART_WIDGET (self)),
    .hide_legend = !self->show_legend,
  };
}

static void
lb_size_bar_draw (LbChartWidget      *widget,
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

static void
lb_size_bar_update_accessible (LbChartWidget *widget)
{
  LbSizeBar *self = LB_SIZE_BAR (widget);
  g_autofree char *t = lb_chart_format_value (self->total, LB_CHART_FORMAT_BYTES, NAN);
  g_autofree char *description = NULL;

  if (self->budget > 0)
    {
      g_autofree char *b = lb_chart_format_value (self->budget, LB_CHART_FORMAT_BYTES, NAN);
      description = self->over_budget ? g_strdup_printf (_("%s, over the budget of %s"), t, b)
                                      : g_strdup_printf (_("%s, within the budget of %s"), t, b);
    }
  else
    description = g_strdup (t);
  lb_chart_widget_set_description (widget, description);
}

static void
forget_measures (LbSizeBar *self)
{
  self->n_measured = 0;
  self->next_measured = 0;
}

/* Totals, the budget verdict and the accessible description */
static void
update_state (LbSizeBar *self)
{
  LbSizeBarData data;
  double total;

  fill_data (self, &data);
  total = lb_size_bar_data_total (&data);

  g_object_freeze_notify (G_OBJECT (self));
  lb_chart_widget_set_field (self, &self->total, total, properties[PROP_TOTAL]);
  lb_chart_widget_set_field (self, &self->over_budget, self->budget > 0 && total > self->budget,
                             properties[PROP_OVER_BUDGET]);
  g_object_thaw_notify (G_OBJECT (self));

  lb_size_bar_update_accessible (LB_CHART_WIDGET (self));
  lb_chart_widget_invalidate (LB_CHART_WIDGET (self));
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
  LbSizeBarData data;
  LbChartStyle style;
  int width = for_size > 0 ? for_size : 480;
  int h;
  guint slot;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      GTK_WIDGET_CLASS (lb_size_bar_parent_class)->measure (widget, orientation, for_size,
                                                            minimum, natural,
                                                            minimum_baseline, natural_baseline);
      return;
    }

  for (guint i = 0; i < self->n_measured; i++)
    if (self->measured[i].width == width)
      {
        *minimum = *natural = self->measured[i].height;
        return;
      }

  /* lay the legend out at this width, with the widget's own font, on a
   * scratch surface kept for the next time */
  if (self->measure_cr == NULL)
    {
      self->measure_surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
      self->measure_cr = cairo_create (self->measure_surface);
    }
  fill_data (self, &data);
  lb_chart_widget_get_style (widget, &style);
  h = (int) ceil (lb_size_bar_natural_height (self->measure_cr, width, &data, &style));

  slot = self->next_measured;
  self->measured[slot].width = width;
  self->measured[slot].height = h;
  self->next_measured = (slot + 1) % G_N_ELEMENTS (self->measured);
  self->n_measured = MIN (self->n_measured + 1, G_N_ELEMENTS (self->measured));
  *minimum = *natural = h;
}

static void
lb_size_bar_css_changed (GtkWidget         *widget,
                         GtkCssStyleChange *change)
{
  /* the font may have changed: measure again (the base class queues the resize) */
  forget_measures (LB_SIZE_BAR (widget));
  GTK_WIDGET_CLASS (lb_size_bar_parent_class)->css_changed (widget, change);
}

static void
lb_size_bar_system_setting_changed (GtkWidget        *widget,
                                    GtkSystemSetting  setting)
{
  forget_measures (LB_SIZE_BAR (widget));
  GTK_WIDGET_CLASS (lb_size_bar_parent_class)->system_setting_changed (widget, setting);
}

static char *
lb_size_bar_describe_at (LbChartWidget *widget,
                         double         x,
                         double         y,
                         gboolean       keyboard)
{
  LbSizeBar *self = LB_SIZE_BAR (widget);
  g_autofree char *size = NULL;
  const LbSizeSegment *s;
  guint index;

  if (!lb_size_bar_get_segment_at (self, x, y, &index))
    return NULL;
  s = &self->segments[index];
  size = lb_chart_format_value (s->bytes, LB_CHART_FORMAT_BYTES, NAN);
  /* Translators: size bar tooltip: type, bytes, share of the total */
  return g_strdup_printf (_("%s: %s (%.1f%% of the model)"), s->name ? s->name : "?", size,
                          self->total > 0 ? 100 * s->bytes / self->total : 0.0);
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

  free_segments (self);
  g_clear_pointer (&self->measure_cr, cairo_destroy);
  g_clear_pointer (&self->measure_surface, cairo_surface_destroy);

  G_OBJECT_CLASS (lb_size_bar_parent_class)->finalize (object);
}

static void
lb_size_bar_class_init (LbSizeBarClass *klass)
{
  LbChartWidgetClass *chart_class = LB_CHART_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = lb_size_bar_finalize;
  GTK_WIDGET_CLASS (klass)->get_request_mode = lb_size_bar_get_request_mode;
  GTK_WIDGET_CLASS (klass)->measure = lb_size_bar_measure;
  GTK_WIDGET_CLASS (klass)->css_changed = lb_size_bar_css_changed;
  GTK_WIDGET_CLASS (klass)->system_setting_changed = lb_size_bar_system_setting_changed;

  chart_class->draw = lb_size_bar_draw;
  chart_class->describe_at = lb_size_bar_describe_at;
  chart_class->update_accessible = lb_size_bar_update_accessible;
  /* the height follows the width (measured above) */
  lb_chart_widget_class_set_size_hints (chart_class, 160, 480, 0, 0);
  lb_chart_widget_class_set_style_sets_height (chart_class);
  lb_chart_widget_class_set_names (chart_class, "lb-size-bar", GTK_ACCESSIBLE_ROLE_IMG,
                                   N_("Model size"));

  properties[PROP_BUDGET] =
    lb_chart_widget_param (g_param_spec_double ("budget", NULL, NULL, 0, G_MAXDOUBLE, 0,
                                                LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_size_bar_get_budget),
                           G_CALLBACK (lb_size_bar_set_budget));
  properties[PROP_SHOW_LEGEND] =
    lb_chart_widget_param (g_param_spec_boolean ("show-legend", NULL, NULL, TRUE,
                                                 LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_size_bar_get_show_legend),
                           G_CALLBACK (lb_size_bar_set_show_legend));
  properties[PROP_TOTAL] =
    lb_chart_widget_param (g_param_spec_double ("total", NULL, NULL, 0, G_MAXDOUBLE, 0,
                                                LB_CHART_PARAM_RO),
                           G_CALLBACK (lb_size_bar_get_total),
                           NULL);
  properties[PROP_OVER_BUDGET] =
    lb_chart_widget_param (g_param_spec_boolean ("over-budget", NULL, NULL, FALSE,
                                                 LB_CHART_PARAM_RO),
                           G_CALLBACK (lb_size_bar_get_over_budget),
                           NULL);
  properties[PROP_N_SEGMENTS] =
    lb_chart_widget_param (g_param_spec_uint ("n-segments", NULL, NULL, 0, G_MAXUINT, 0,
                                              LB_CHART_PARAM_RO),
                           G_CALLBACK (lb_size_bar_get_n_segments),
                           NULL);
  lb_chart_widget_class_install_properties (chart_class, N_PROPS, properties);
}

static void
lb_size_bar_init (LbSizeBar *self)
{
  self->show_legend = TRUE;
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
  forget_measures (self);
  /* new sizes of the same types mostly leave the legend's height as it
   * is: then a redraw will do, without laying out the page around it */
  {
    int width = gtk_widget_get_width (GTK_WIDGET (self));
    int height = gtk_widget_get_height (GTK_WIDGET (self));
    int min = 0, nat = 0;

    if (width > 0)
      lb_size_bar_measure (GTK_WIDGET (self), GTK_ORIENTATION_VERTICAL, width, &min, &nat,
                           NULL, NULL);
    if (width <= 0 || nat != height)
      gtk_widget_queue_resize (GTK_WIDGET (self));
  }
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
  if (lb_chart_widget_set_field (self, &self->budget, budget, properties[PROP_BUDGET]))
    update_state (self);
}

LB_CHART_WIDGET_DEFINE_TITLE_ACCESSORS (LbSizeBar, lb_size_bar, LB_IS_SIZE_BAR)

/* lb_size_bar_get_show_legend (), lb_size_bar_set_show_legend () */
LB_CHART_WIDGET_DEFINE_ACCESSORS_FULL (LbSizeBar, lb_size_bar, LB_IS_SIZE_BAR, gboolean,
                                       show_legend, properties[PROP_SHOW_LEGEND], !!show_legend,
                                       forget_measures (self);
                                       gtk_widget_queue_resize (GTK_WIDGET (self)))

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

  if (!lb_chart_widget_ensure_drawn (LB_CHART_WIDGET (self)))
    return FALSE;
  fill_data (self, &data);
  return lb_size_bar_segment_at (&data, &self->geometry, x, y, index);
}
