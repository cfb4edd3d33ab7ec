/* lb-gauge.c: the GTK face of lb-gauge-render, a meter for assistive
 * technologies */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-chart-widget-private.h"
#include "lb-gauge.h"
#include "lb-widgets-enums.h"

struct _LbGauge
{
  LbChartWidget   parent_instance;

  double          value;
  double          minimum;
  double          maximum;
  double          target;
  gboolean        has_target;
  gboolean        lower_is_better;
  char           *unit;
  int             digits;
  LbChartFormat   format;
  LbGaugeVerdict  verdict;
};

enum {
  PROP_0,
  PROP_VALUE,
  PROP_MINIMUM,
  PROP_MAXIMUM,
  PROP_TARGET,
  PROP_HAS_TARGET,
  PROP_LOWER_IS_BETTER,
  PROP_UNIT,
  PROP_DIGITS,
  PROP_FORMAT,
  PROP_VERDICT,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (LbGauge, lb_gauge, LB_TYPE_CHART_WIDGET)

static GParamSpec *properties[N_PROPS];

static void
fill_data (LbGauge     *self,
           LbGaugeData *data)
{
  *data = (LbGaugeData) {
    .value = self->value, .min = self->minimum, .max = self->maximum,
    .has_target = self->has_target, .target = self->target,
    .lower_is_better = self->lower_is_better,
    .title = lb_chart_widget_get_title (LB_CHART_WIDGET (self)), .unit = self->unit,
    .format = self->format, .digits = self->digits,
  };
}

static void
lb_gauge_draw (LbChartWidget      *widget,
               cairo_t            *cr,
               int                 width,
               int                 height,
               const LbChartStyle *style)
{
  LbGaugeData data;

  fill_data (LB_GAUGE (widget), &data);
  lb_gauge_render (cr, width, height, &data, style, NULL);
}

static char *
describe (LbGauge *self)
{
  LbGaugeData data;
  g_autofree char *value = NULL;
  g_autofree char *target = NULL;

  if (self->verdict == LB_GAUGE_NO_DATA)
    return g_strdup (_("No data"));
  fill_data (self, &data);
  value = lb_gauge_data_format_with_unit (&data, self->value);
  if (self->verdict == LB_GAUGE_NEUTRAL)
    return g_steal_pointer (&value);
  target = lb_gauge_data_format_with_unit (&data, self->target);
  if (self->verdict == LB_GAUGE_PASS)
    /* Translators: gauge value and target, e.g. "42 ms, target 50 ms: met" */
    return g_strdup_printf (_("%s, target %s: met"), value, target);
  /* Translators: gauge value and target, e.g. "62 ms, target 50 ms: missed" */
  return g_strdup_printf (_("%s, target %s: missed"), value, target);
}

/* The value, its scale and the verdict for assistive technologies and the
 * tooltip */
static void
lb_gauge_update_accessible (LbChartWidget *widget)
{
  LbGauge *self = LB_GAUGE (widget);
  LbGaugeData data;
  double min, max;
  g_autofree char *text = describe (self);

  fill_data (self, &data);
  lb_gauge_data_scale (&data, &min, &max);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  lb_chart_widget_get_label (widget),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MIN, min,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MAX, max,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_NOW,
                                  isfinite (self->value) ? CLAMP (self->value, min, max) : min,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, text,
                                  -1);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), text);
}

/* Recomputes the verdict and tells assistive technologies */
static void
update_state (LbGauge *self)
{
  LbGaugeData data;

  fill_data (self, &data);
  lb_chart_widget_set_field (self, &self->verdict, lb_gauge_data_verdict (&data),
                             properties[PROP_VERDICT]);
  lb_gauge_update_accessible (LB_CHART_WIDGET (self));
  lb_chart_widget_invalidate (LB_CHART_WIDGET (self));
}

static void
lb_gauge_finalize (GObject *object)
{
  g_free (LB_GAUGE (object)->unit);

  G_OBJECT_CLASS (lb_gauge_parent_class)->finalize (object);
}

static void
lb_gauge_class_init (LbGaugeClass *klass)
{
  LbChartWidgetClass *chart_class = LB_CHART_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = lb_gauge_finalize;

  chart_class->draw = lb_gauge_draw;
  chart_class->update_accessible = lb_gauge_update_accessible;
  lb_chart_widget_class_set_size_hints (chart_class, 96, 200, 96, 180);
  lb_chart_widget_class_set_names (chart_class, "lb-gauge", GTK_ACCESSIBLE_ROLE_METER, N_("Gauge"));

  /* NaN is a valid value (no data) although it cannot be the default */
  properties[PROP_VALUE] =
    lb_chart_widget_param (g_param_spec_double ("value", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0,
                                                LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_gauge_get_value),
                           G_CALLBACK (lb_gauge_set_value));
  properties[PROP_MINIMUM] =
    lb_chart_widget_param (g_param_spec_double ("minimum", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0,
                                                LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_gauge_get_minimum),
                           G_CALLBACK (lb_gauge_set_minimum));
  properties[PROP_MAXIMUM] =
    lb_chart_widget_param (g_param_spec_double ("maximum", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0,
                                                LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_gauge_get_maximum),
                           G_CALLBACK (lb_gauge_set_maximum));
  properties[PROP_TARGET] =
    lb_chart_widget_param (g_param_spec_double ("target", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0,
                                                LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_gauge_get_target),
                           G_CALLBACK (lb_gauge_set_target));
  properties[PROP_HAS_TARGET] =
    lb_chart_widget_param (g_param_spec_boolean ("has-target", NULL, NULL, FALSE,
                                                 LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_gauge_get_has_target),
                           G_CALLBACK (lb_gauge_set_has_target));
  properties[PROP_LOWER_IS_BETTER] =
    lb_chart_widget_param (g_param_spec_boolean ("lower-is-better", NULL, NULL, FALSE,
                                                 LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_gauge_get_lower_is_better),
                           G_CALLBACK (lb_gauge_set_lower_is_better));
  properties[PROP_UNIT] =
    lb_chart_widget_param (g_param_spec_string ("unit", NULL, NULL, NULL, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_gauge_get_unit),
                           G_CALLBACK (lb_gauge_set_unit));
  properties[PROP_DIGITS] =
    lb_chart_widget_param (g_param_spec_int ("digits", NULL, NULL, -1, 9, -1, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_gauge_get_digits),
                           G_CALLBACK (lb_gauge_set_digits));
  properties[PROP_FORMAT] =
    lb_chart_widget_param (g_param_spec_enum ("format", NULL, NULL, LB_TYPE_CHART_FORMAT,
                                              LB_CHART_FORMAT_PLAIN, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_gauge_get_format),
                           G_CALLBACK (lb_gauge_set_format));
  properties[PROP_VERDICT] =
    lb_chart_widget_param (g_param_spec_enum ("verdict", NULL, NULL, LB_TYPE_GAUGE_VERDICT,
                                              LB_GAUGE_NEUTRAL, LB_CHART_PARAM_RO),
                           G_CALLBACK (lb_gauge_get_verdict),
                           NULL);
  lb_chart_widget_class_install_properties (chart_class, N_PROPS, properties);
}

static void
lb_gauge_init (LbGauge *self)
{
  self->digits = -1;
  self->verdict = LB_GAUGE_NEUTRAL;
  update_state (self);
}

GtkWidget *
lb_gauge_new (void)
{
  return g_object_new (LB_TYPE_GAUGE, NULL);
}

#define DOUBLE_ACCESSORS(name, PROP)                                        \
  double                                                                    \
  lb_gauge_get_##name (LbGauge *self)                                       \
  {                                                                         \
    g_return_val_if_fail (LB_IS_GAUGE (self), NAN);                         \
    return self->name;                                                      \
  }                                                                         \
                                                                            \
  void                                                                      \
  lb_gauge_set_##name (LbGauge *self,                                       \
                       double   name)                                       \
  {                                                                         \
    g_return_if_fail (LB_IS_GAUGE (self));                                  \
                                                                            \
    if (lb_chart_set_double (&self->name, name))                            \
      {                                                                     \
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP]);       \
        update_state (self);                                                \
      }                                                                     \
  }

DOUBLE_ACCESSORS (value, PROP_VALUE)
DOUBLE_ACCESSORS (minimum, PROP_MINIMUM)
DOUBLE_ACCESSORS (maximum, PROP_MAXIMUM)
DOUBLE_ACCESSORS (target, PROP_TARGET)

/* lb_gauge_get_has_target (), lb_gauge_set_has_target (), the same for
 * lower_is_better */
LB_CHART_WIDGET_DEFINE_ACCESSORS_FULL (LbGauge, lb_gauge, LB_IS_GAUGE, gboolean, has_target,
                                       properties[PROP_HAS_TARGET], !!has_target,
                                       update_state (self))
LB_CHART_WIDGET_DEFINE_ACCESSORS_FULL (LbGauge, lb_gauge, LB_IS_GAUGE, gboolean,
                                       lower_is_better, properties[PROP_LOWER_IS_BETTER],
                                       !!lower_is_better, update_state (self))
LB_CHART_WIDGET_DEFINE_TITLE_ACCESSORS (LbGauge, lb_gauge, LB_IS_GAUGE)

const char *
lb_gauge_get_unit (LbGauge *self)
{
  g_return_val_if_fail (LB_IS_GAUGE (self), NULL);
  return self->unit;
}

void
lb_gauge_set_unit (LbGauge    *self,
                   const char *unit)
{
  g_return_if_fail (LB_IS_GAUGE (self));

  if (lb_chart_widget_set_string (LB_CHART_WIDGET (self), &self->unit, unit,
                                  properties[PROP_UNIT]))
    update_state (self);
}

int
lb_gauge_get_digits (LbGauge *self)
{
  g_return_val_if_fail (LB_IS_GAUGE (self), -1);
  return self->digits;
}

void
lb_gauge_set_digits (LbGauge *self,
                     int      digits)
{
  g_return_if_fail (LB_IS_GAUGE (self));

  if (lb_chart_widget_set_field (self, &self->digits, CLAMP (digits, -1, 9),
                                 properties[PROP_DIGITS]))
    update_state (self);
}

/* lb_gauge_get_format (), lb_gauge_set_format () */
LB_CHART_WIDGET_DEFINE_ACCESSORS_FULL (LbGauge, lb_gauge, LB_IS_GAUGE, LbChartFormat, format,
                                       properties[PROP_FORMAT], format, update_state (self))

LbGaugeVerdict
lb_gauge_get_verdict (LbGauge *self)
{
  g_return_val_if_fail (LB_IS_GAUGE (self), LB_GAUGE_NO_DATA);
  return self->verdict;
}
