/* lb-chart-widget-private.h: what LbChartWidget offers the charts built on
 * it: class set-up, the cached drawing, properties routed through the
 * public accessors (and macros that define the simple ones), the theme's
 * style, and helpers for copies of caller-owned data */
#pragma once

#include "lb-chart-widget.h"

G_BEGIN_DECLS

/* --- class set-up (in class_init) ----------------------------------------- */

/* The CSS name, the accessible role, and the accessible label while there
 * is no title (a translatable string marked with N_()) */
void         lb_chart_widget_class_set_names      (LbChartWidgetClass *klass,
                                                   const char         *css_name,
                                                   GtkAccessibleRole   role,
                                                   const char         *fallback_label);
/* Sizes the base class's measure () reports (a chart may override measure
 * and chain up for them) */
void         lb_chart_widget_class_set_size_hints (LbChartWidgetClass *klass,
                                                   int                 min_width,
                                                   int                 natural_width,
                                                   int                 min_height,
                                                   int                 natural_height);
/* The height depends on the font (text that wraps): a theme change also
 * queues a resize */
void         lb_chart_widget_class_set_style_sets_height (LbChartWidgetClass *klass);

/* The flags of the charts' properties */
#define LB_CHART_PARAM_RW (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS)
#define LB_CHART_PARAM_RO (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)

/* pspec, with the chart's public getter and setter (NULL for a read-only
 * property) that get_property () and set_property () call, so that
 * g_object_get/set () and the C API cannot differ. For string, boolean,
 * int, uint, double and enum properties. */
GParamSpec  *lb_chart_widget_param                (GParamSpec *pspec,
                                                   GCallback   getter,
                                                   GCallback   setter);
/* g_object_class_install_properties () for pspecs made by
 * lb_chart_widget_param () (GObject does not inherit get_property and
 * set_property: this sets them) */
void         lb_chart_widget_class_install_properties (LbChartWidgetClass  *klass,
                                                       guint                n_pspecs,
                                                       GParamSpec         **pspecs);

/* --- the drawing ---------------------------------------------------------- */

/* The drawing is stale: drops the cached node and queues a redraw */
void         lb_chart_widget_invalidate        (LbChartWidget *self);
/* Draws now when the cached node is stale, so that the geometry the chart
 * keeps is current; FALSE while the widget has no size */
gboolean     lb_chart_widget_ensure_drawn      (LbChartWidget *self);

/* The renderer style from the widget's CSS: foreground from its colour,
 * accent/success/warning/error from the theme's named colours, the font
 * from its Pango context; the background is left transparent. */
void         lb_chart_widget_get_style         (GtkWidget *widget, LbChartStyle *style);

/* --- title, accessibility, clicks ----------------------------------------- */

/* The "title" property, which every chart has */
const char  *lb_chart_widget_get_title         (LbChartWidget *self);
void         lb_chart_widget_set_title         (LbChartWidget *self, const char *title);
/* The title, or the class's fallback label */
const char  *lb_chart_widget_get_label         (LbChartWidget *self);
/* Updates the accessible label and description */
void         lb_chart_widget_set_description   (LbChartWidget *self, const char *description);

/* A primary-button click gesture whose signal ("pressed" or "released")
 * calls callback with self as its first argument */
void         lb_chart_widget_add_click         (LbChartWidget *self, const char *signal,
                                                GCallback callback);

/* --- setters -------------------------------------------------------------- */

/* A property's new value: notifies pspec and redraws */
void         lb_chart_widget_property_changed  (LbChartWidget *self, GParamSpec *pspec);

/* *field = value when they differ, then notify pspec and redraw; TRUE when
 * it changed. For numbers, booleans (normalise them with !!) and enums;
 * NaN is never equal to itself, so double fields that may hold NaN need
 * lb_chart_set_double (). */
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

/* --- accessors defined by macro -------------------------------------------- */

/* A chart's public type_name_get_title () and type_name_set_title () over
 * the base class's property */
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

/* A chart's public type_name_get_field () and type_name_set_field () for a
 * field of its instance struct: the setter stores stored_value (an
 * expression of the argument, which is named field), notifies, redraws,
 * then runs the statement on_change. The getter returns 0 for a wrong
 * instance. */
#define LB_CHART_WIDGET_DEFINE_ACCESSORS_FULL(TypeName, type_name, TYPE_CHECK, ValueType,   \
                                              field, pspec, stored_value, on_change)       \
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
    if (lb_chart_widget_set_field (self, &self->field, stored_value, pspec))        \
      {                                                                             \
        on_change;                                                                  \
      }                                                                             \
  }
/* The same for enums and booleans that only need a redraw */
#define LB_CHART_WIDGET_DEFINE_ENUM_ACCESSORS(TypeName, type_name, TYPE_CHECK, ValueType,   \
                                              field, pspec)                                \
  LB_CHART_WIDGET_DEFINE_ACCESSORS_FULL (TypeName, type_name, TYPE_CHECK, ValueType, field, \
                                         pspec, field, (void) 0)
#define LB_CHART_WIDGET_DEFINE_BOOLEAN_ACCESSORS(TypeName, type_name, TYPE_CHECK, field,    \
                                                 pspec)                                    \
  LB_CHART_WIDGET_DEFINE_ACCESSORS_FULL (TypeName, type_name, TYPE_CHECK, gboolean, field,  \
                                         pspec, !!field, (void) 0)
/* The same for a string field (copied) that only needs a redraw */
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

/* --- lb-chart-values.c: copies and comparisons ------------------------------ */

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
