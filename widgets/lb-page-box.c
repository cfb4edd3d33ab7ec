/* lb-page-box.c */
#include "config.h"

#include "lb-page-box.h"

struct _LbPageBox
{
  GtkWidget  parent_instance;

  GtkWidget *child;
};

G_DEFINE_FINAL_TYPE (LbPageBox, lb_page_box, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CHILD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GtkSizeRequestMode
lb_page_box_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
lb_page_box_measure (GtkWidget      *widget,
                     GtkOrientation  orientation,
                     int             for_size,
                     int            *minimum,
                     int            *natural,
                     int            *minimum_baseline,
                     int            *natural_baseline)
{
  LbPageBox *self = LB_PAGE_BOX (widget);

  if (self->child == NULL || !gtk_widget_get_visible (self->child))
    {
      *minimum = *natural = 0;
      return;
    }
  /* the width for any height is the width for no height at all */
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    for_size = -1;
  gtk_widget_measure (self->child, orientation, for_size, minimum, natural,
                      minimum_baseline, natural_baseline);
}

static void
lb_page_box_size_allocate (GtkWidget *widget,
                           int        width,
                           int        height,
                           int        baseline)
{
  LbPageBox *self = LB_PAGE_BOX (widget);

  if (self->child != NULL && gtk_widget_get_visible (self->child))
    gtk_widget_allocate (self->child, width, height, baseline, NULL);
}

static void
lb_page_box_dispose (GObject *object)
{
  LbPageBox *self = LB_PAGE_BOX (object);

  g_clear_pointer (&self->child, gtk_widget_unparent);

  G_OBJECT_CLASS (lb_page_box_parent_class)->dispose (object);
}

static void
lb_page_box_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  LbPageBox *self = LB_PAGE_BOX (object);

  switch (prop_id)
    {
    case PROP_CHILD:
      g_value_set_object (value, self->child);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_page_box_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  LbPageBox *self = LB_PAGE_BOX (object);

  switch (prop_id)
    {
    case PROP_CHILD:
      lb_page_box_set_child (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_page_box_class_init (LbPageBoxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lb_page_box_dispose;
  object_class->get_property = lb_page_box_get_property;
  object_class->set_property = lb_page_box_set_property;
  widget_class->get_request_mode = lb_page_box_get_request_mode;
  widget_class->measure = lb_page_box_measure;
  widget_class->size_allocate = lb_page_box_size_allocate;

  properties[PROP_CHILD] =
    g_param_spec_object ("child", NULL, NULL, GTK_TYPE_WIDGET,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  gtk_widget_class_set_css_name (widget_class, "lb-page-box");
}

static void
lb_page_box_init (LbPageBox *self)
{
}

GtkWidget *
lb_page_box_new (GtkWidget *child)
{
  return g_object_new (LB_TYPE_PAGE_BOX, "child", child, NULL);
}

GtkWidget *
lb_page_box_get_child (LbPageBox *self)
{
  g_return_val_if_fail (LB_IS_PAGE_BOX (self), NULL);
  return self->child;
}

void
lb_page_box_set_child (LbPageBox *self, GtkWidget *child)
{
  g_return_if_fail (LB_IS_PAGE_BOX (self));
  g_return_if_fail (child == NULL || (GTK_IS_WIDGET (child) && gtk_widget_get_parent (child) == NULL));

  if (self->child == child)
    return;
  g_clear_pointer (&self->child, gtk_widget_unparent);
  if (child != NULL)
    {
      self->child = child;
      gtk_widget_set_parent (child, GTK_WIDGET (self));
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHILD]);
}
