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
  GtkWidget       parent_instance;

  double          value;
  double          minimum;
  double          maximum;
  double          target;
  gboolean        has_target;
  gboolean        lower_is_better;
  char           *title;
  char           *unit;
  int             digits;
  LbChartFormat   format;
  LbGaugeVerdict  verdict;

  LbChartCache    cache;
};

enum {
  PROP_0,
  PROP_VALUE,
  PROP_MINIMUM,
  PROP_MAXIMUM,
  PROP_TARGET,
  PROP_HAS_TARGET,
  PROP_LOWER_IS_BETTER,
  PROP_TITLE,
  PROP_UNIT,
  PROP_DIGITS,
  PROP_FORMAT,
  PROP_VERDICT,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (LbGauge, lb_gauge, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];

static void
fill_data (LbGauge     *self,
           LbGaugeData *data)
{
  *data = (LbGaugeData) {
    .value = self->value, .min = self->minimum, .max = self->maximum,
    .has_target = self->has_target, .target = self->target,
    .lower_is_better = self->lower_is_better, .title = self->title, .unit = self->unit,
    .format = self->format, .digits = self->digits,
  };
}

static void
draw (GtkWidget          *widget,
      cairo_t            *cr,
      int                 width,
      int                 height,
      const LbChartStyle *style)
{
  LbGaugeData data;

  fill_data (LB_GAUGE (widget), &data);
  lb_gauge_render (cr, width, height, &data, style, NULL);
}

/* A value as the gauge prints it, with the unit when there is one */
static char *
format_with_unit (LbGauge *self,
                  double   value)
{
  LbGaugeData data;
  char *text, *with_unit;

  fill_data (self, &data);
  text = lb_gauge_data_format_value (&data, value);
  if (self->unit == NULL || self->unit[0] == '\0')
    return text;
  with_unit = g_strdup_printf ("%s %s", text, self->unit);
  g_free (text);
  return with_unit;
}

static char *
describe (LbGauge *self)
{
  g_autofree char *value = NULL;
  g_autofree char *target = NULL;

  if (self->verdict == LB_GAUGE_NO_DATA)
    return g_strdup (_("No data"));
  value = format_with_unit (self, self->value);
  if (self->verdict == LB_GAUGE_NEUTRAL)
    return g_steal_pointer (&value);
  target = format_with_unit (self, self->target);
  if (self->verdict == LB_GAUGE_PASS)
    /* Translators: gauge value and target, e.g. "42 ms, target 50 ms: met" */
    return g_strdup_printf (_("%s, target %s: met"), value, target);
  /* Translators: gauge value and target, e.g. "62 ms, target 50 ms: missed" */
  return g_strdup_printf (_("%s, target %s: missed"), value, target);
}

/* Recomputes the verdict and tells assistive technologies */
static void
update_state (LbGauge *self)
{
  LbGaugeData data;
  LbGaugeVerdict verdict;
  double min, max;
  char *text;

  fill_data (self, &data);
  verdict = lb_gauge_data_verdict (&data);
  if (verdict != self->verdict)
    {
      self->verdict = verdict;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VERDICT]);
    }

  lb_gauge_data_scale (&data, &min, &max);
  text = describe (self);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->title ? self->title : _("Gauge"),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MIN, min,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MAX, max,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_NOW,
                                  isfinite (self->value) ? CLAMP (self->value, min, max) : min,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, text,
                                  -1);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), text);
  g_free (text);
  lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
}

static void
lb_gauge_snapshot (GtkWidget   *widget,
                   GtkSnapshot *snapshot)
{
  lb_chart_cache_snapshot (&LB_GAUGE (widget)->cache, widget, snapshot, draw);
}

static void
lb_gauge_measure (GtkWidget      *widget,
                  GtkOrientation  orientation,
                  int             for_size,
                  int            *minimum,
                  int            *natural,
                  int            *minimum_baseline,
                  int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 96;
      *natural = 200;
    }
  else
    {
      *minimum = 96;
      *natural = 180;
    }
}

static void
lb_gauge_css_changed (GtkWidget         *widget,
                      GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (lb_gauge_parent_class)->css_changed (widget, change);
  lb_chart_widget_changed (widget, &LB_GAUGE (widget)->cache);
}

static void
lb_gauge_system_setting_changed (GtkWidget        *widget,
                                 GtkSystemSetting  setting)
{
  GTK_WIDGET_CLASS (lb_gauge_parent_class)->system_setting_changed (widget, setting);
  lb_chart_widget_changed (widget, &LB_GAUGE (widget)->cache);
}

static void
lb_gauge_finalize (GObject *object)
{
  LbGauge *self = LB_GAUGE (object);

  lb_chart_cache_invalidate (&self->cache);
  g_free (self->title);
  g_free (self->unit);

  G_OBJECT_CLASS (lb_gauge_parent_class)->finalize (object);
}

static void
lb_gauge_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  LbGauge *self = LB_GAUGE (object);

  switch (prop_id)
    {
    case PROP_VALUE:
      g_value_set_double (value, self->value);
      break;
    case PROP_MINIMUM:
      g_value_set_double (value, self->minimum);
      break;
    case PROP_MAXIMUM:
      g_value_set_double (value, self->maximum);
      break;
    case PROP_TARGET:
      g_value_set_double (value, self->target);
      break;
    case PROP_HAS_TARGET:
      g_value_set_boolean (value, self->has_target);
      break;
    case PROP_LOWER_IS_BETTER:
      g_value_set_boolean (value, self->lower_is_better);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_UNIT:
      g_value_set_string (value, self->unit);
      break;
    case PROP_DIGITS:
      g_value_set_int (value, self->digits);
      break;
    case PROP_FORMAT:
      g_value_set_enum (value, self->format);
      break;
    case PROP_VERDICT:
      g_value_set_enum (value, self->verdict);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_gauge_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  LbGauge *self = LB_GAUGE (object);

  switch (prop_id)
    {
    case PROP_VALUE:
      lb_gauge_set_value (self, g_value_get_double (value));
      break;
    case PROP_MINIMUM:
      lb_gauge_set_minimum (self, g_value_get_double (value));
      break;
    case PROP_MAXIMUM:
      lb_gauge_set_maximum (self, g_value_get_double (value));
      break;
    case PROP_TARGET:
      lb_gauge_set_target (self, g_value_get_double (value));
      break;
    case PROP_HAS_TARGET:
      lb_gauge_set_has_target (self, g_value_get_boolean (value));
      break;
    case PROP_LOWER_IS_BETTER:
      lb_gauge_set_lower_is_better (self, g_value_get_boolean (value));
      break;
    case PROP_TITLE:
      lb_gauge_set_title (self, g_value_get_string (value));
      break;
    case PROP_UNIT:
      lb_gauge_set_unit (self, g_value_get_string (value));
      break;
    case PROP_DIGITS:
      lb_gauge_set_digits (self, g_value_get_int (value));
      break;
    case PROP_FORMAT:
      lb_gauge_set_format (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_gauge_class_init (LbGaugeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = lb_gauge_finalize;
  object_class->get_property = lb_gauge_get_property;
  object_class->set_property = lb_gauge_set_property;

  widget_class->snapshot = lb_gauge_snapshot;
  widget_class->measure = lb_gauge_measure;
  widget_class->css_changed = lb_gauge_css_changed;
  widget_class->system_setting_changed = lb_gauge_system_setting_changed;

  /* NaN is a valid value (no data) although it cannot be the default */
  properties[PROP_VALUE] =
    g_param_spec_double ("value", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, rw);
  properties[PROP_MINIMUM] =
    g_param_spec_double ("minimum", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, rw);
  properties[PROP_MAXIMUM] =
    g_param_spec_double ("maximum", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, rw);
  properties[PROP_TARGET] =
    g_param_spec_double ("target", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, rw);
  properties[PROP_HAS_TARGET] =
    g_param_spec_boolean ("has-target", NULL, NULL, FALSE, rw);
  properties[PROP_LOWER_IS_BETTER] =
    g_param_spec_boolean ("lower-is-better", NULL, NULL, FALSE, rw);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL, rw);
  properties[PROP_UNIT] =
    g_param_spec_string ("unit", NULL, NULL, NULL, rw);
  properties[PROP_DIGITS] =
    g_param_spec_int ("digits", NULL, NULL, -1, 9, -1, rw);
  properties[PROP_FORMAT] =
    g_param_spec_enum ("format", NULL, NULL, LB_TYPE_CHART_FORMAT, LB_CHART_FORMAT_PLAIN, rw);
  properties[PROP_VERDICT] =
    g_param_spec_enum ("verdict", NULL, NULL, LB_TYPE_GAUGE_VERDICT, LB_GAUGE_NEUTRAL,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "lb-gauge");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_METER);
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

/* Doubles compare equal when both are NaN, so NaN → NaN is no change */
static gboolean
set_double (double *field,
            double  value)
{
  if (*field == value || (isnan (*field) && isnan (value)))
    return FALSE;
  *field = value;
  return TRUE;
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
    if (set_double (&self->name, name))                                     \
      {                                                                     \
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP]);       \
        update_state (self);                                                \
      }                                                                     \
  }

DOUBLE_ACCESSORS (value, PROP_VALUE)
DOUBLE_ACCESSORS (minimum, PROP_MINIMUM)
DOUBLE_ACCESSORS (maximum, PROP_MAXIMUM)
DOUBLE_ACCESSORS (target, PROP_TARGET)

gboolean
lb_gauge_get_has_target (LbGauge *self)
{
  g_return_val_if_fail (LB_IS_GAUGE (self), FALSE);
  return self->has_target;
}

void
lb_gauge_set_has_target (LbGauge  *self,
                         gboolean  has_target)
{
  g_return_if_fail (LB_IS_GAUGE (self));

  has_target = !!has_target;
  if (self->has_target != has_target)
    {
      self->has_target = has_target;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_TARGET]);
      update_state (self);
    }
}

gboolean
lb_gauge_get_lower_is_better (LbGauge *self)
{
  g_return_val_if_fail (LB_IS_GAUGE (self), FALSE);
  return self->lower_is_better;
}

void
lb_gauge_set_lower_is_better (LbGauge  *self,
                              gboolean  lower_is_better)
{
  g_return_if_fail (LB_IS_GAUGE (self));

  lower_is_better = !!lower_is_better;
  if (self->lower_is_better != lower_is_better)
    {
      self->lower_is_better = lower_is_better;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOWER_IS_BETTER]);
      update_state (self);
    }
}

const char *
lb_gauge_get_title (LbGauge *self)
{
  g_return_val_if_fail (LB_IS_GAUGE (self), NULL);
  return self->title;
}

void
lb_gauge_set_title (LbGauge    *self,
                    const char *title)
{
  g_return_if_fail (LB_IS_GAUGE (self));

  if (lb_chart_set_string (&self->title, title))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
      update_state (self);
    }
}

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

  if (lb_chart_set_string (&self->unit, unit))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNIT]);
      update_state (self);
    }
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

  digits = CLAMP (digits, -1, 9);
  if (self->digits != digits)
    {
      self->digits = digits;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIGITS]);
      update_state (self);
    }
}

LbChartFormat
lb_gauge_get_format (LbGauge *self)
{
  g_return_val_if_fail (LB_IS_GAUGE (self), LB_CHART_FORMAT_PLAIN);
  return self->format;
}

void
lb_gauge_set_format (LbGauge       *self,
                     LbChartFormat  format)
{
  g_return_if_fail (LB_IS_GAUGE (self));

  if (self->format != format)
    {
      self->format = format;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FORMAT]);
      update_state (self);
    }
}

LbGaugeVerdict
lb_gauge_get_verdict (LbGauge *self)
{
  g_return_val_if_fail (LB_IS_GAUGE (self), LB_GAUGE_NO_DATA);
  return self->verdict;
}
