/* lb-chart-widget.h: the abstract base of Lowbit's chart widgets. It keeps
 * the last drawing as a render node, redraws it when the data, the theme or
 * the size changes, measures, looks up the theme's colours and answers
 * tooltip queries; a chart only draws and says what is under the pointer. */
#pragma once

#include <gtk/gtk.h>

#include "lb-chart-common.h"

G_BEGIN_DECLS

#define LB_TYPE_CHART_WIDGET (lb_chart_widget_get_type ())
G_DECLARE_DERIVABLE_TYPE (LbChartWidget, lb_chart_widget, LB, CHART_WIDGET, GtkWidget)

struct _LbChartWidgetClass
{
  GtkWidgetClass parent_class;

  /* Draws the chart into cr over (0, 0, width, height) with the theme's
   * style, and keeps the geometry its hit tests need */
  void   (*draw)              (LbChartWidget      *self,
                               cairo_t            *cr,
                               int                 width,
                               int                 height,
                               const LbChartStyle *style);
  /* The tooltip for widget coordinates (x, y), or for the keyboard focus
   * when keyboard is TRUE; NULL for none. Unset: the widget's tooltip-text. */
  char * (*describe_at)       (LbChartWidget      *self,
                               double              x,
                               double              y,
                               gboolean            keyboard);
  /* Tells assistive technologies the label (the title) and description */
  void   (*update_accessible) (LbChartWidget      *self);

  /*< private >*/
  const char *fallback_label;
  int         size_hints[4];
  gboolean    style_sets_height;
  gpointer    padding[8];
};

G_END_DECLS
