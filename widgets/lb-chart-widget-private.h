/* lb-chart-widget-private.h: what the chart widgets share: theme colours,
 * a cached render node, and copies of caller-owned arrays */
#pragma once

#include <gtk/gtk.h>

#include "lb-chart-common.h"

G_BEGIN_DECLS

typedef void (*LbChartDrawFunc) (GtkWidget          *widget,
                                 cairo_t            *cr,
                                 int                 width,
                                 int                 height,
                                 const LbChartStyle *style);

/* The last drawing, kept until the data, the theme or the size changes */
typedef struct {
  GskRenderNode *node;
  int            width;
  int            height;
} LbChartCache;

/* The renderer style from the widget's CSS: foreground from its colour,
 * accent/success/warning/error from the theme's named colours, the font
 * from its Pango context; the background is left transparent. */
void           lb_chart_widget_get_style (GtkWidget *widget, LbChartStyle *style);

/* Renders (when stale) and returns the cached node; NULL when the widget
 * has no size yet. Also runs draw, so the geometry it stores is current. */
GskRenderNode *lb_chart_cache_ensure     (LbChartCache *cache, GtkWidget *widget,
                                          LbChartDrawFunc draw);
void           lb_chart_cache_snapshot   (LbChartCache *cache, GtkWidget *widget,
                                          GtkSnapshot *snapshot, LbChartDrawFunc draw);
void           lb_chart_cache_invalidate (LbChartCache *cache);
/* invalidate + gtk_widget_queue_draw */
void           lb_chart_widget_changed   (GtkWidget *widget, LbChartCache *cache);

/* n strings (entries may be NULL) copied; NULL when src is NULL */
char         **lb_chart_strings_copy     (const char * const *src, guint n);
void           lb_chart_strings_free     (char **strings, guint n);
/* strings[i] or NULL when strings is NULL or i is out of range */
const char    *lb_chart_strings_get      (char * const *strings, guint n, guint i);

/* Compare, store, notify: TRUE when the value changed */
gboolean       lb_chart_set_string       (char **field, const char *value);

G_END_DECLS
