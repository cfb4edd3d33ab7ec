/* lb-chart-widget-private.h: what LbChartWidget offers the charts built on
 * it, and helpers for copies of caller-owned arrays */
#pragma once

#include "lb-chart-widget.h"

G_BEGIN_DECLS

/* Sizes the base class's measure() reports when a chart does not measure */
void         lb_chart_widget_class_set_size_hints (LbChartWidgetClass *klass,
                                                   int                 min_width,
                                                   int                 natural_width,
                                                   int                 min_height,
                                                   int                 natural_height);
/* The accessible label while there is no title; a translatable string
 * marked with N_() */
void         lb_chart_widget_class_set_fallback_label (LbChartWidgetClass *klass,
                                                       const char         *label);
/* The height depends on the font (text that wraps): a theme change also
 * queues a resize */
void         lb_chart_widget_class_set_style_sets_height (LbChartWidgetClass *klass);

/* pspec, with the chart's public getter and setter (NULL for a read-only
 * property) that the base class's get_property () and set_property () call,
 * so that g_object_get/set () and the C API cannot differ. For string,
 * boolean, int, uint, double and enum properties. */
GParamSpec  *lb_chart_widget_param             (GParamSpec *pspec,
                                                GCallback   getter,
                                                GCallback   setter);
/* g_object_class_install_properties () for pspecs made by
 * lb_chart_widget_param () (GObject does not inherit get_property and
 * set_property: this sets them) */
void         lb_chart_widget_class_install_properties (LbChartWidgetClass  *klass,
                                                       guint                n_pspecs,
                                                       GParamSpec         **pspecs);

/* The drawing is stale: drops the cached node and queues a redraw */
void         lb_chart_widget_invalidate        (LbChartWidget *self);
/* Draws now when the cached node is stale, so that the geometry the chart
 * keeps is current; FALSE while the widget has no size */
gboolean     lb_chart_widget_ensure_drawn      (LbChartWidget *self);

/* The "title" property, which every chart has */
const char  *lb_chart_widget_get_title         (LbChartWidget *self);
void         lb_chart_widget_set_title         (LbChartWidget *self, const char *title);
/* Defines a chart's public type_name_get_title () and type_name_set_title ()
 * over the base class's property */
#define LB_CHART_WIDGET_DEFINE_TITLE_ACCESSORS(TypeName, type_name, TYPE_CHECK)       \
  const char *                                                                      \
  type_name##_get_title (TypeName *self)                                            \
  {                                                                                 \
    g_return_val_if_fail (TYPE_CHECK (self), NULL);                                 \
    return lb_chart_widget_get_title (LB_CHART_WIDGET (self));                      \
  }                                                                                 \
                                                                                    \
  void                                                                              \
  type_name##_set_title (TypeName   *self,                                          \
                         const char *title)                                         \
  {                                                                                 \
    g_return_if_fail (TYPE_CHECK (self));                                           \
    lb_chart_widget_set_title (LB_CHART_WIDGET (self), title);                      \
  }

/* Define a chart's public getter and setter of a field of its instance
 * struct whose change only needs a notification and a redraw:
 * type_name_get_field () and type_name_set_field () */
#define LB_CHART_WIDGET_DEFINE_ACCESSORS_FULL(TypeName, type_name, TYPE_CHECK, ValueType,   \
                                              field, pspec, stored_value)                  \
  ValueType                                                                         \
  type_name##_get_##field (TypeName *self)                                          \
  {                                                                                 \
    g_return_val_if_fail (TYPE_CHECK (self), 0);                                    \
    return self->field;                                                             \
  }                                                                                 \
                                                                                    \
  void                                                                              \
  type_name##_set_##field (TypeName  *self,                                         \
                           ValueType  field)                                        \
  {                                                                                 \
    g_return_if_fail (TYPE_CHECK (self));                                           \
    lb_chart_widget_set_field (self, &self->field, stored_value, pspec);            \
  }
#define LB_CHART_WIDGET_DEFINE_ENUM_ACCESSORS(TypeName, type_name, TYPE_CHECK, ValueType,   \
                                              field, pspec)                                \
  LB_CHART_WIDGET_DEFINE_ACCESSORS_FULL (TypeName, type_name, TYPE_CHECK, ValueType, field, \
                                         pspec, field)
#define LB_CHART_WIDGET_DEFINE_BOOLEAN_ACCESSORS(TypeName, type_name, TYPE_CHECK, field,    \
                                                 pspec)                                    \
  LB_CHART_WIDGET_DEFINE_ACCESSORS_FULL (TypeName, type_name, TYPE_CHECK, gboolean, field,  \
                                         pspec, !!field)
/* The same for a string field (copied) */
#define LB_CHART_WIDGET_DEFINE_STRING_ACCESSORS(TypeName, type_name, TYPE_CHECK, field,     \
                                                pspec)                                     \
  const char *                                                                      \
  type_name##_get_##field (TypeName *self)                                          \
  {                                                                                 \
    g_return_val_if_fail (TYPE_CHECK (self), NULL);                                 \
    return self->field;                                                             \
  }                                                                                 \
                                                                                    \
  void                                                                              \
  type_name##_set_##field (TypeName   *self,                                        \
                           const char *field)                                       \
  {                                                                                 \
    g_return_if_fail (TYPE_CHECK (self));                                           \
    lb_chart_widget_set_string (LB_CHART_WIDGET (self), &self->field, field, pspec); \
  }

/* The title, or the class's fallback label */
const char  *lb_chart_widget_get_label         (LbChartWidget *self);
/* Updates the accessible label and description */
void         lb_chart_widget_set_description   (LbChartWidget *self, const char *description);

/* A primary-button click gesture whose signal ("pressed" or "released")
 * calls callback with self as its first argument */
void         lb_chart_widget_add_click         (LbChartWidget *self, const char *signal,
                                                GCallback callback);

/* The renderer style from the widget's CSS: foreground from its colour,
 * accent/success/warning/error from the theme's named colours, the font
 * from its Pango context; the background is left transparent. */
void         lb_chart_widget_get_style         (GtkWidget *widget, LbChartStyle *style);

/* A property's new value: notifies pspec and redraws */
void         lb_chart_widget_property_changed  (LbChartWidget *self, GParamSpec *pspec);

/* *field = value when they differ, then notify pspec and redraw; TRUE when
 * it changed. For numbers, booleans (normalise them with !!) and enums;
 * NaN is never equal to itself, so double fields that may hold NaN need
 * lb_chart_set_double(). */
#define lb_chart_widget_set_field(self, field, value, pspec)                    \
  G_GNUC_EXTENSION ({                                                           \
    __typeof__ (*(field)) lb_new_value_ = (value);                              \
    gboolean lb_changed_ = *(field) != lb_new_value_;                           \
    if (lb_changed_)                                                            \
      {                                                                         \
        *(field) = lb_new_value_;                                               \
        lb_chart_widget_property_changed (LB_CHART_WIDGET (self), (pspec));     \
      }                                                                         \
    lb_changed_;                                                                \
  })

/* The same for a string property (copied) */
gboolean     lb_chart_widget_set_string        (LbChartWidget *self, char **field,
                                                const char *value, GParamSpec *pspec);

/* n strings (entries may be NULL) copied; NULL when src is NULL */
char       **lb_chart_strings_copy     (const char * const *src, guint n);
void         lb_chart_strings_free     (char **strings, guint n);
/* strings[i] or NULL when strings is NULL or i is out of range */
const char  *lb_chart_strings_get      (char * const *strings, guint n, guint i);

/* Compare and store: TRUE when the value changed. Both NaN counts as
 * equal for doubles. */
gboolean     lb_chart_set_string       (char **field, const char *value);
gboolean     lb_chart_set_double       (double *field, double value);

G_END_DECLS
