/* lb-chart-widget.c: the abstract base of the chart widgets: the cached
 * render node and when it goes stale, measuring, tooltips, the title and
 * the accessible label */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lb-chart-widget-private.h"

typedef struct
{
  /* the last drawing, kept until the data, the theme or the size changes */
  GskRenderNode *node;
  int            width;
  int            height;

  char          *title;
} LbChartWidgetPrivate;

enum {
  PROP_0,
  PROP_TITLE,
  N_PROPS
};

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (LbChartWidget, lb_chart_widget, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];

/* --- the cached drawing ----------------------------------------------------- */

/* Renders (when stale) and returns the cached node; NULL while the widget
 * has no size */
static GskRenderNode *
ensure_node (LbChartWidget *self)
{
  LbChartWidgetPrivate *priv = lb_chart_widget_get_instance_private (self);
  GtkWidget *widget = GTK_WIDGET (self);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  LbChartStyle style;
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return NULL;
  if (priv->node != NULL && priv->width == width && priv->height == height)
    return priv->node;

  g_clear_pointer (&priv->node, gsk_render_node_unref);
  lb_chart_widget_get_style (widget, &style);

  /* what gtk_snapshot_append_cairo() does, but keeping the node: cairo
   * records into it and GSK replays the recording at any scale */
  priv->node = gsk_cairo_node_new (&GRAPHENE_RECT_INIT (0, 0, width, height));
  priv->width = width;
  priv->height = height;
  cr = gsk_cairo_node_get_draw_context (priv->node);
  LB_CHART_WIDGET_GET_CLASS (self)->draw (self, cr, width, height, &style);
  cairo_destroy (cr);
  return priv->node;
}

gboolean
lb_chart_widget_ensure_drawn (LbChartWidget *self)
{
  g_return_val_if_fail (LB_IS_CHART_WIDGET (self), FALSE);

  return ensure_node (self) != NULL;
}

void
lb_chart_widget_invalidate (LbChartWidget *self)
{
  LbChartWidgetPrivate *priv = lb_chart_widget_get_instance_private (self);

  g_clear_pointer (&priv->node, gsk_render_node_unref);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* --- GtkWidget ------------------------------------------------------------ */

static void
lb_chart_widget_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  GskRenderNode *node = ensure_node (LB_CHART_WIDGET (widget));

  if (node != NULL)
    gtk_snapshot_append_node (snapshot, node);
}

static void
lb_chart_widget_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  const int *hints = LB_CHART_WIDGET_GET_CLASS (widget)->size_hints;
  int i = orientation == GTK_ORIENTATION_HORIZONTAL ? 0 : 2;

  *minimum = hints[i];
  *natural = hints[i + 1];
}

static void
style_changed (GtkWidget *widget)
{
  lb_chart_widget_invalidate (LB_CHART_WIDGET (widget));
  if (LB_CHART_WIDGET_GET_CLASS (widget)->style_sets_height)
    gtk_widget_queue_resize (widget);
}

static void
lb_chart_widget_css_changed (GtkWidget         *widget,
                             GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (lb_chart_widget_parent_class)->css_changed (widget, change);
  style_changed (widget);
}

static void
lb_chart_widget_system_setting_changed (GtkWidget        *widget,
                                        GtkSystemSetting  setting)
{
  GTK_WIDGET_CLASS (lb_chart_widget_parent_class)->system_setting_changed (widget, setting);
  style_changed (widget);
}

static gboolean
lb_chart_widget_query_tooltip (GtkWidget  *widget,
                               int         x,
                               int         y,
                               gboolean    keyboard_tooltip,
                               GtkTooltip *tooltip)
{
  LbChartWidgetClass *klass = LB_CHART_WIDGET_GET_CLASS (widget);
  g_autofree char *text = NULL;

  if (klass->describe_at == NULL)
    return GTK_WIDGET_CLASS (lb_chart_widget_parent_class)->query_tooltip (widget, x, y,
                                                                           keyboard_tooltip,
                                                                           tooltip);
  text = klass->describe_at (LB_CHART_WIDGET (widget), x, y, keyboard_tooltip);
  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

/* --- title and accessibility ---------------------------------------------- */

const char *
lb_chart_widget_get_title (LbChartWidget *self)
{
  LbChartWidgetPrivate *priv = lb_chart_widget_get_instance_private (self);

  g_return_val_if_fail (LB_IS_CHART_WIDGET (self), NULL);
  return priv->title;
}

void
lb_chart_widget_set_title (LbChartWidget *self,
                           const char    *title)
{
  LbChartWidgetPrivate *priv = lb_chart_widget_get_instance_private (self);
  LbChartWidgetClass *klass;

  g_return_if_fail (LB_IS_CHART_WIDGET (self));

  if (!lb_chart_set_string (&priv->title, title))
    return;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  klass = LB_CHART_WIDGET_GET_CLASS (self);
  if (klass->update_accessible != NULL)
    klass->update_accessible (self);
  lb_chart_widget_invalidate (self);
}

const char *
lb_chart_widget_get_label (LbChartWidget *self)
{
  LbChartWidgetPrivate *priv = lb_chart_widget_get_instance_private (self);
  const char *fallback = LB_CHART_WIDGET_GET_CLASS (self)->fallback_label;

  if (priv->title != NULL)
    return priv->title;
  return fallback != NULL ? g_dgettext (GETTEXT_PACKAGE, fallback) : "";
}

void
lb_chart_widget_set_description (LbChartWidget *self,
                                 const char    *description)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, lb_chart_widget_get_label (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
}

void
lb_chart_widget_add_click (LbChartWidget *self,
                           const char    *signal,
                           GCallback      callback)
{
  GtkGesture *click = gtk_gesture_click_new ();

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  g_signal_connect_object (click, signal, callback, self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}

/* --- GObject -------------------------------------------------------------- */

static void
lb_chart_widget_finalize (GObject *object)
{
  LbChartWidgetPrivate *priv = lb_chart_widget_get_instance_private (LB_CHART_WIDGET (object));

  g_clear_pointer (&priv->node, gsk_render_node_unref);
  g_free (priv->title);

  G_OBJECT_CLASS (lb_chart_widget_parent_class)->finalize (object);
}

static void
lb_chart_widget_class_init (LbChartWidgetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = lb_chart_widget_finalize;

  widget_class->snapshot = lb_chart_widget_snapshot;
  widget_class->measure = lb_chart_widget_measure;
  widget_class->css_changed = lb_chart_widget_css_changed;
  widget_class->system_setting_changed = lb_chart_widget_system_setting_changed;
  widget_class->query_tooltip = lb_chart_widget_query_tooltip;

  properties[PROP_TITLE] =
    lb_chart_widget_param (g_param_spec_string ("title", NULL, NULL, NULL, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_chart_widget_get_title),
                           G_CALLBACK (lb_chart_widget_set_title));
  lb_chart_widget_class_install_properties (klass, N_PROPS, properties);
}

static void
lb_chart_widget_init (LbChartWidget *self)
{
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
}

void
lb_chart_widget_class_set_size_hints (LbChartWidgetClass *klass,
                                      int                 min_width,
                                      int                 natural_width,
                                      int                 min_height,
                                      int                 natural_height)
{
  g_return_if_fail (LB_IS_CHART_WIDGET_CLASS (klass));

  klass->size_hints[0] = min_width;
  klass->size_hints[1] = natural_width;
  klass->size_hints[2] = min_height;
  klass->size_hints[3] = natural_height;
}

void
lb_chart_widget_class_set_names (LbChartWidgetClass *klass,
                                 const char         *css_name,
                                 GtkAccessibleRole   role,
                                 const char         *fallback_label)
{
  g_return_if_fail (LB_IS_CHART_WIDGET_CLASS (klass));

  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), css_name);
  gtk_widget_class_set_accessible_role (GTK_WIDGET_CLASS (klass), role);
  klass->fallback_label = fallback_label;
}

void
lb_chart_widget_class_set_style_sets_height (LbChartWidgetClass *klass)
{
  g_return_if_fail (LB_IS_CHART_WIDGET_CLASS (klass));

  klass->style_sets_height = TRUE;
}

