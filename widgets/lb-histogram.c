/* lb-histogram.c: the GTK face of lb-histogram-render */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-chart-widget-private.h"
#include "lb-histogram.h"

struct _LbHistogram
{
  LbChartWidget   parent_instance;

  guint           n_bins;
  double         *counts;
  double          lo, hi;
  guint           n_levels;
  double         *levels;
  char           *x_label;
  gboolean        log_scale;

  LbPlotGeometry  geometry;
};

enum {
  PROP_0,
  PROP_X_LABEL,
  PROP_LOG_SCALE,
  PROP_N_BINS,
  PROP_N_LEVELS,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (LbHistogram, lb_histogram, LB_TYPE_CHART_WIDGET)

static GParamSpec *properties[N_PROPS];

static void
fill_data (LbHistogram     *self,
           LbHistogramData *data)
{
  *data = (LbHistogramData) {
    .n_bins = self->n_bins, .counts = self->counts, .lo = self->lo, .hi = self->hi,
    .n_levels = self->n_levels, .levels = self->levels, .log_counts = self->log_scale,
    .title = lb_chart_widget_get_title (LB_CHART_WIDGET (self)), .x_label = self->x_label,
  };
}

static void
lb_histogram_draw (LbChartWidget      *widget,
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
lb_histogram_update_accessible (LbChartWidget *widget)
{
  LbHistogram *self = LB_HISTOGRAM (widget);
  double total = 0;
  g_autofree char *description = NULL;

  for (guint i = 0; i < self->n_bins; i++)
    if (isfinite (self->counts[i]) && self->counts[i] > 0)
      total += self->counts[i];
  /* Translators: histogram summary: number of weights, bins and grid levels */
  description = g_strdup_printf (_("%.0f weights in %u bins, %u quantization levels"),
                                 total, self->n_bins, self->n_levels);
  lb_chart_widget_set_description (widget, description);
}

static char *
lb_histogram_describe_at (LbChartWidget *widget,
                          double         x,
                          double         y,
                          gboolean       keyboard)
{
  LbHistogram *self = LB_HISTOGRAM (widget);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  double count, lo, hi;
  guint bin;

  if (!lb_histogram_get_bin_at (self, x, y, &bin)
      || !lb_histogram_get_bin (self, bin, &count, &lo, &hi))
    return NULL;
  a = lb_chart_format_value (lo, LB_CHART_FORMAT_PLAIN, NAN);
  b = lb_chart_format_value (hi, LB_CHART_FORMAT_PLAIN, NAN);
  /* Translators: histogram tooltip: a value interval and how many weights fall in it */
  return g_strdup_printf (_("[%s, %s): %.0f weights"), a, b, isfinite (count) ? count : 0.0);
}

static void
lb_histogram_finalize (GObject *object)
{
  LbHistogram *self = LB_HISTOGRAM (object);

  g_free (self->counts);
  g_free (self->levels);
  g_free (self->x_label);

  G_OBJECT_CLASS (lb_histogram_parent_class)->finalize (object);
}

static void
lb_histogram_class_init (LbHistogramClass *klass)
{
  LbChartWidgetClass *chart_class = LB_CHART_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = lb_histogram_finalize;

  chart_class->draw = lb_histogram_draw;
  chart_class->describe_at = lb_histogram_describe_at;
  chart_class->update_accessible = lb_histogram_update_accessible;
  lb_chart_widget_class_set_size_hints (chart_class, 200, 420, 120, 220);
  lb_chart_widget_class_set_names (chart_class, "lb-histogram", GTK_ACCESSIBLE_ROLE_IMG,
                                   N_("Weight histogram"));

  properties[PROP_X_LABEL] =
    lb_chart_widget_param (g_param_spec_string ("x-label", NULL, NULL, NULL, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_histogram_get_x_label),
                           G_CALLBACK (lb_histogram_set_x_label));
  properties[PROP_LOG_SCALE] =
    lb_chart_widget_param (g_param_spec_boolean ("log-scale", NULL, NULL, FALSE, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_histogram_get_log_scale),
                           G_CALLBACK (lb_histogram_set_log_scale));
  properties[PROP_N_BINS] =
    lb_chart_widget_param (g_param_spec_uint ("n-bins", NULL, NULL, 0, G_MAXUINT, 0,
                                              LB_CHART_PARAM_RO),
                           G_CALLBACK (lb_histogram_get_n_bins),
                           NULL);
  properties[PROP_N_LEVELS] =
    lb_chart_widget_param (g_param_spec_uint ("n-levels", NULL, NULL, 0, G_MAXUINT, 0,
                                              LB_CHART_PARAM_RO),
                           G_CALLBACK (lb_histogram_get_n_levels),
                           NULL);
  lb_chart_widget_class_install_properties (chart_class, N_PROPS, properties);
}

static void
lb_histogram_init (LbHistogram *self)
{
  self->hi = 1;
  lb_histogram_update_accessible (LB_CHART_WIDGET (self));
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
  lb_histogram_update_accessible (LB_CHART_WIDGET (self));
  lb_chart_widget_invalidate (LB_CHART_WIDGET (self));
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
  lb_histogram_update_accessible (LB_CHART_WIDGET (self));
  lb_chart_widget_invalidate (LB_CHART_WIDGET (self));
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

LB_CHART_WIDGET_DEFINE_TITLE_ACCESSORS (LbHistogram, lb_histogram, LB_IS_HISTOGRAM)

/* lb_histogram_get_x_label (), lb_histogram_set_x_label (), the same for
 * log_scale */
LB_CHART_WIDGET_DEFINE_STRING_ACCESSORS (LbHistogram, lb_histogram, LB_IS_HISTOGRAM, x_label,
                                         properties[PROP_X_LABEL])
LB_CHART_WIDGET_DEFINE_BOOLEAN_ACCESSORS (LbHistogram, lb_histogram, LB_IS_HISTOGRAM,
                                          log_scale, properties[PROP_LOG_SCALE])

gboolean
lb_histogram_get_bin_at (LbHistogram *self,
                         double       x,
                         double       y,
                         guint       *bin)
{
  LbHistogramData data;

  g_return_val_if_fail (LB_IS_HISTOGRAM (self), FALSE);

  if (!lb_chart_widget_ensure_drawn (LB_CHART_WIDGET (self)))
    return FALSE;
  fill_data (self, &data);
  return lb_histogram_bin_at (&data, &self->geometry, x, y, bin);
}
