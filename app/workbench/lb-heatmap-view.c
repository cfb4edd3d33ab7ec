/* lb-heatmap-view.c: until its core lands, the page says what it will show
 * and why it cannot yet. app/workbench/README.md says what to wire here. */
#include "config.h"

#include <glib/gi18n.h>

#include "lb-heatmap-view.h"

struct _LbHeatmapView
{
  AdwBin parent_instance;
};

G_DEFINE_FINAL_TYPE (LbHeatmapView, lb_heatmap_view, ADW_TYPE_BIN)

static void
lb_heatmap_view_class_init (LbHeatmapViewClass *klass)
{
}

static void
lb_heatmap_view_init (LbHeatmapView *self)
{
  GtkWidget *page = adw_status_page_new ();

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), "lb-heatmap-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (page), _("Error Map"));
  adw_status_page_set_description (ADW_STATUS_PAGE (page),
                                   _("Here you will see where quantization hurts: layers by tensor "
                                     "kinds coloured by weight SNR, weighted error, sensitivity or "
                                     "layer output similarity, with a close look at any tensor.\n\nThis "
                                     "page is not connected to the quantizer and evaluation yet."));
  adw_bin_set_child (ADW_BIN (self), page);
}

GtkWidget *
lb_heatmap_view_new (void)
{
  return g_object_new (LB_TYPE_HEATMAP_VIEW, NULL);
}
