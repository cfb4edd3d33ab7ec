/* lb-histogram.c: the GTK face of lb-histogram-render */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-chart-widget-private.h"
#include "lb-histogram.h"

struct _LbHistogram
{
  GtkWidget       parent_instance;

  guint           n_bins;
  double         *counts;
  double          lo, hi;
  guint           n_levels;
  double         *levels;
  char           *title;
  char           *x_label;
  gboolean        log_scale;

  LbChartCache    cache;
  LbPlotGeometry  geometry;
};

enum {
  PROP_0,
  PROP_TITLE,
  PROP_X_LABEL,
  PROP_LOG_SCALE,
  PROP_N_BINS,
  PROP_N_LEVELS,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (LbHistogram, lb_histogram, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];

static void
fill_data (LbHistogram     *self,
           LbHistogramData *data)
{
  *data = (LbHistogramData) {
    .n_bins = self->n_bins, .counts = self->counts, .lo = self->lo, .hi = self->hi,
    .n_levels = self->n_levels, .levels = self->levels, .log_counts = self->log_scale,
    .title = self->title, .x_label = self->x_label,
  };
}

static void
draw (GtkWidget          *widget,
      cairo_t            *cr,
      int                 width,
      int                 height,
      const LbChartStyle *style)
{
  LbHistogram *self = LB_HISTOGRAM (widget);
  LbHistogramData data;

  fill_data (self, &data);
  lb_histogram_render (cr, width, height, &data, style, &self->geometry);
}

static void
update_accessible (LbHistogram *self)
{
  double total = 0;
  g_autofree char *description = NULL;

  for (guint i = 0; i < self->n_bins; i++)
    if (isfinite (self->counts[i]) && self->counts[i] > 0)
      total += self->counts[i];
  /* Translators: histogram summary: number of weights, bins and grid levels */
  description = g_strdup_printf (_("%.0f weights in %u bins, %u quantization levels"),
                                 total, self->n_bins, self->n_levels);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->title ? self->title : _("Weight histogram"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
}

static void
lb_histogram_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  lb_chart_cache_snapshot (&LB_HISTOGRAM (widget)->cache, widget, snapshot, draw);
}

static void
lb_histogram_measure (GtkWidget      *widget,
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
      *natural = 420;
    }
  else
    {
      *minimum = 120;
      *natural = 220;
    }
}

static void
lb_histogram_css_changed (GtkWidget         *widget,
                          GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (lb_histogram_parent_class)->css_changed (widget, change);
  lb_chart_widget_changed (widget, &LB_HISTOGRAM (widget)->cache);
}

static void
lb_histogram_system_setting_changed (GtkWidget        *widget,
                                     GtkSystemSetting  setting)
{
  GTK_WIDGET_CLASS (lb_histogram_parent_class)->system_setting_changed (widget, setting);
  lb_chart_widget_changed (widget, &LB_HISTOGRAM (widget)->cache);
}

static gboolean
lb_histogram_query_tooltip (GtkWidget  *widget,
                            int         x,
                            int         y,
                            gboolean    keyboard_tooltip,
                            GtkTooltip *tooltip)
{
  LbHistogram *self = LB_HISTOGRAM (widget);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *text = NULL;
  double count, lo, hi;
  guint bin;

  if (!lb_histogram_get_bin_at (self, x, y, &bin)
      || !lb_histogram_get_bin (self, bin, &count, &lo, &hi))
    return FALSE;
  a = lb_chart_format_value (lo, LB_CHART_FORMAT_PLAIN, NAN);
  b = lb_chart_format_value (hi, LB_CHART_FORMAT_PLAIN, NAN);
  /* Translators: histogram tooltip: a value interval and how many weights fall in it */
  text = g_strdup_printf (_("[%s, %s): %.0f weights"), a, b, isfinite (count) ? count : 0.0);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
lb_histogram_finalize (GObject *object)
{
  LbHistogram *self = LB_HISTOGRAM (object);

  lb_chart_cache_invalidate (&self->cache);
  g_free (self->counts);
  g_free (self->levels);
  g_free (self->title);
  g_free (self->x_label);

  G_OBJECT_CLASS (lb_histogram_parent_class)->finalize (object);
}

static void
lb_histogram_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  LbHistogram *self = LB_HISTOGRAM (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_X_LABEL:
      g_value_set_string (value, self->x_label);
      break;
    case PROP_LOG_SCALE:
      g_value_set_boolean (value, self->log_scale);
      break;
    case PROP_N_BINS:
      g_value_set_uint (value, self->n_bins);
      break;
    case PROP_N_LEVELS:
      g_value_set_uint (value, self->n_levels);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_histogram_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  LbHistogram *self = LB_HISTOGRAM (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      lb_histogram_set_title (self, g_value_get_string (value));
      break;
    case PROP_X_LABEL:
      lb_histogram_set_x_label (self, g_value_get_string (value));
      break;
    case PROP_LOG_SCALE:
      lb_histogram_set_log_scale (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_histogram_class_init (LbHistogramClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = lb_histogram_finalize;
  object_class->get_property = lb_histogram_get_property;
  object_class->set_property = lb_histogram_set_property;

  widget_class->snapshot = lb_histogram_snapshot;
  widget_class->measure = lb_histogram_measure;
  widget_class->css_changed = lb_histogram_css_changed;
  widget_class->system_setting_changed = lb_histogram_system_setting_changed;
  widget_class->query_tooltip = lb_histogram_query_tooltip;

  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, rw);
  properties[PROP_X_LABEL] = g_param_spec_string ("x-label", NULL, NULL, NULL, rw);
  properties[PROP_LOG_SCALE] = g_param_spec_boolean ("log-scale", NULL, NULL, FALSE, rw);
  properties[PROP_N_BINS] = g_param_spec_uint ("n-bins", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_LEVELS] = g_param_spec_uint ("n-levels", NULL, NULL, 0, G_MAXUINT, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "lb-histogram");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
lb_histogram_init (LbHistogram *self)
{
  self->hi = 1;
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  update_accessible (self);
}

GtkWidget *
lb_histogram_new (void)
{
  return g_object_new (LB_TYPE_HISTOGRAM, NULL);
}

static void
bins_changed (LbHistogram *self,
              guint        old_n_bins)
{
  if (old_n_bins != self->n_bins)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_BINS]);
  update_accessible (self);
  lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
}

void
lb_histogram_set_bins (LbHistogram  *self,
                       guint         n_bins,
                       const double *counts,
                       double        lo,
                       double        hi)
{
  guint old;

  g_return_if_fail (LB_IS_HISTOGRAM (self));
  g_return_if_fail (n_bins == 0 || counts != NULL);

  old = self->n_bins;
  g_free (self->counts);
  self->counts = g_memdup2 (counts, (gsize) n_bins * sizeof (double));
  self->n_bins = n_bins;
  self->lo = lo;
  self->hi = hi;
  bins_changed (self, old);
}

void
lb_histogram_set_values (LbHistogram *self,
                         const float *values,
                         gsize        n_values,
                         guint        n_bins)
{
  guint old;

  g_return_if_fail (LB_IS_HISTOGRAM (self));
  g_return_if_fail (n_values == 0 || values != NULL);
  g_return_if_fail (n_bins > 0);

  old = self->n_bins;
  g_free (self->counts);
  self->counts = g_new0 (double, n_bins);
  self->n_bins = n_bins;
  lb_histogram_bin_floats (values, n_values, n_bins, self->counts, &self->lo, &self->hi);
  bins_changed (self, old);
}

void
lb_histogram_set_levels (LbHistogram  *self,
                         guint         n_levels,
                         const double *levels)
{
  guint old;

  g_return_if_fail (LB_IS_HISTOGRAM (self));
  g_return_if_fail (n_levels == 0 || levels != NULL);

  old = self->n_levels;
  g_free (self->levels);
  self->levels = g_memdup2 (levels, (gsize) n_levels * sizeof (double));
  self->n_levels = n_levels;
  if (old != n_levels)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_LEVELS]);
  update_accessible (self);
  lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
}

guint
lb_histogram_get_n_bins (LbHistogram *self)
{
  g_return_val_if_fail (LB_IS_HISTOGRAM (self), 0);
  return self->n_bins;
}

guint
lb_histogram_get_n_levels (LbHistogram *self)
{
  g_return_val_if_fail (LB_IS_HISTOGRAM (self), 0);
  return self->n_levels;
}

gboolean
lb_histogram_get_bin (LbHistogram *self,
                      guint        bin,
                      double      *count,
                      double      *lo,
                      double      *hi)
{
  LbHistogramData data;

  g_return_val_if_fail (LB_IS_HISTOGRAM (self), FALSE);

  fill_data (self, &data);
  if (!lb_histogram_data_bin_range (&data, bin, lo, hi))
    return FALSE;
  if (count != NULL)
    *count = self->counts[bin];
  return TRUE;
}

const char *
lb_histogram_get_title (LbHistogram *self)
{
  g_return_val_if_fail (LB_IS_HISTOGRAM (self), NULL);
  return self->title;
}

void
lb_histogram_set_title (LbHistogram *self,
                        const char  *title)
{
  g_return_if_fail (LB_IS_HISTOGRAM (self));

  if (lb_chart_set_string (&self->title, title))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
      update_accessible (self);
      lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
    }
}

const char *
lb_histogram_get_x_label (LbHistogram *self)
{
  g_return_val_if_fail (LB_IS_HISTOGRAM (self), NULL);
  return self->x_label;
}

void
lb_histogram_set_x_label (LbHistogram *self,
                          const char  *label)
{
  g_return_if_fail (LB_IS_HISTOGRAM (self));

  if (lb_chart_set_string (&self->x_label, label))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_X_LABEL]);
      lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
    }
}

gboolean
lb_histogram_get_log_scale (LbHistogram *self)
{
  g_return_val_if_fail (LB_IS_HISTOGRAM (self), FALSE);
  return self->log_scale;
}

void
lb_histogram_set_log_scale (LbHistogram *self,
                            gboolean     log_scale)
{
  g_return_if_fail (LB_IS_HISTOGRAM (self));

  log_scale = !!log_scale;
  if (self->log_scale != log_scale)
    {
      self->log_scale = log_scale;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG_SCALE]);
      lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
    }
}

gboolean
lb_histogram_get_bin_at (LbHistogram *self,
                         double       x,
                         double       y,
                         guint       *bin)
{
  LbHistogramData data;

  g_return_val_if_fail (LB_IS_HISTOGRAM (self), FALSE);

  if (lb_chart_cache_ensure (&self->cache, GTK_WIDGET (self), draw) == NULL)
    return FALSE;
  fill_data (self, &data);
  return lb_histogram_bin_at (&data, &self->geometry, x, y, bin);
}
