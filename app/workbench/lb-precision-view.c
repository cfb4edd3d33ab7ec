/* lb-precision-view.c: until its core lands, the page says what it will show
 * and why it cannot yet. app/workbench/README.md says what to wire here. */
#include "config.h"

#include <glib/gi18n.h>

#include "lb-precision-view.h"

struct _LbPrecisionView
{
  AdwBin parent_instance;
};

G_DEFINE_FINAL_TYPE (LbPrecisionView, lb_precision_view, ADW_TYPE_BIN)

static void
lb_precision_view_class_init (LbPrecisionViewClass *klass)
{
}

static void
lb_precision_view_init (LbPrecisionView *self)
{
  GtkWidget *page = adw_status_page_new ();

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), "lb-precision-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (page), _("Precision Map Editor"));
  adw_status_page_set_description (ADW_STATUS_PAGE (page),
                                   _("Here you will choose the quantization type of every tensor: a "
                                     "grid of layers by tensor kinds, rules and presets, and a size bar "
                                     "against your budget that updates as you edit.\n\nThis needs "
                                     "quantization recipes, which this build of Lowbit does not include "
                                     "yet."));
  adw_bin_set_child (ADW_BIN (self), page);
}

GtkWidget *
lb_precision_view_new (void)
{
  return g_object_new (LB_TYPE_PRECISION_VIEW, NULL);
}
