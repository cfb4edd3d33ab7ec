/* lb-perf-view.c: until its core lands, the page says what it will show
 * and why it cannot yet. app/workbench/README.md says what to wire here. */
#include "config.h"

#include <glib/gi18n.h>

#include "lb-perf-view.h"

struct _LbPerfView
{
  AdwBin parent_instance;
};

G_DEFINE_FINAL_TYPE (LbPerfView, lb_perf_view, ADW_TYPE_BIN)

static void
lb_perf_view_class_init (LbPerfViewClass *klass)
{
}

static void
lb_perf_view_init (LbPerfView *self)
{
  GtkWidget *page = adw_status_page_new ();

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), "lb-perf-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (page), _("Performance"));
  adw_status_page_set_description (ADW_STATUS_PAGE (page),
                                   _("Here you will see the time per token against your latency target, "
                                     "prompt and generation speed, memory over time and processor use "
                                     "while a benchmark runs.\n\nThis page is not connected to the fast "
                                     "inference engine yet."));
  adw_bin_set_child (ADW_BIN (self), page);
}

GtkWidget *
lb_perf_view_new (void)
{
  return g_object_new (LB_TYPE_PERF_VIEW, NULL);
}
