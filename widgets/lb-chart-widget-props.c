/* lb-chart-widget-props.c: the chart widgets' GObject properties, read and
 * written through their public getters and setters, and the helpers the
 * setters share */
#include "config.h"

#include "lb-chart-widget-private.h"

typedef struct {
  GCallback getter;
  GCallback setter;
} Accessors;

/* The accessors' types, but for their first argument (the chart's own
 * type), as in the marshallers GLib calls signal handlers through; an enum
 * is passed and returned as an int */
typedef const char * (*GetString)  (gpointer self);
typedef gboolean     (*GetBoolean) (gpointer self);
typedef int          (*GetInt)     (gpointer self);
typedef guint        (*GetUInt)    (gpointer self);
typedef double       (*GetDouble)  (gpointer self);
typedef void         (*SetString)  (gpointer self, const char *value);
typedef void         (*SetBoolean) (gpointer self, gboolean value);
typedef void         (*SetInt)     (gpointer self, int value);
typedef void         (*SetUInt)    (gpointer self, guint value);
typedef void         (*SetDouble)  (gpointer self, double value);

/* set by lb_chart_widget_param (), always called in class_init before the
 * properties can be read */
static GQuark accessors_quark;

GParamSpec *
lb_chart_widget_param (GParamSpec *pspec,
                       GCallback   getter,
                       GCallback   setter)
{
  Accessors *accessors = g_new (Accessors, 1);

  g_return_val_if_fail (G_IS_PARAM_SPEC (pspec) && getter != NULL, pspec);
  g_return_val_if_fail ((setter != NULL) == ((pspec->flags & G_PARAM_WRITABLE) != 0), pspec);

  if (accessors_quark == 0)
    accessors_quark = g_quark_from_static_string ("lb-chart-widget-accessors");
  accessors->getter = getter;
  accessors->setter = setter;
  g_param_spec_set_qdata_full (pspec, accessors_quark, accessors, g_free);
  return pspec;
}

static void
lb_chart_widget_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  const Accessors *a = g_param_spec_get_qdata (pspec, accessors_quark);

  switch (a != NULL ? G_TYPE_FUNDAMENTAL (pspec->value_type) : G_TYPE_INVALID)
    {
    case G_TYPE_STRING:
      g_value_set_string (value, ((GetString) a->getter) (object));
      break;
    case G_TYPE_BOOLEAN:
      g_value_set_boolean (value, ((GetBoolean) a->getter) (object));
      break;
    case G_TYPE_INT:
      g_value_set_int (value, ((GetInt) a->getter) (object));
      break;
    case G_TYPE_UINT:
      g_value_set_uint (value, ((GetUInt) a->getter) (object));
      break;
    case G_TYPE_DOUBLE:
      g_value_set_double (value, ((GetDouble) a->getter) (object));
      break;
    case G_TYPE_ENUM:
      g_value_set_enum (value, ((GetInt) a->getter) (object));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_chart_widget_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  const Accessors *a = g_param_spec_get_qdata (pspec, accessors_quark);

  switch (a != NULL ? G_TYPE_FUNDAMENTAL (pspec->value_type) : G_TYPE_INVALID)
    {
    case G_TYPE_STRING:
      ((SetString) a->setter) (object, g_value_get_string (value));
      break;
    case G_TYPE_BOOLEAN:
      ((SetBoolean) a->setter) (object, g_value_get_boolean (value));
      break;
    case G_TYPE_INT:
      ((SetInt) a->setter) (object, g_value_get_int (value));
      break;
    case G_TYPE_UINT:
      ((SetUInt) a->setter) (object, g_value_get_uint (value));
      break;
    case G_TYPE_DOUBLE:
      ((SetDouble) a->setter) (object, g_value_get_double (value));
      break;
    case G_TYPE_ENUM:
      ((SetInt) a->setter) (object, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

void
lb_chart_widget_class_install_properties (LbChartWidgetClass  *klass,
                                          guint                n_pspecs,
                                          GParamSpec         **pspecs)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = lb_chart_widget_get_property;
  object_class->set_property = lb_chart_widget_set_property;
  g_object_class_install_properties (object_class, n_pspecs, pspecs);
}

void
lb_chart_widget_property_changed (LbChartWidget *self,
                                  GParamSpec    *pspec)
{
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
  lb_chart_widget_invalidate (self);
}

gboolean
lb_chart_widget_set_string (LbChartWidget  *self,
                            char          **field,
                            const char     *value,
                            GParamSpec     *pspec)
{
  if (!lb_chart_set_string (field, value))
    return FALSE;
  lb_chart_widget_property_changed (self, pspec);
  return TRUE;
}
