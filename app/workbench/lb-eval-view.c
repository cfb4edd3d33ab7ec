/* lb-eval-view.c: until its core lands, the page says what it will show
 * and why it cannot yet. app/workbench/README.md says what to wire here. */
#include "config.h"

#include <glib/gi18n.h>

#include "lb-eval-view.h"

struct _LbEvalView
{
  AdwBin parent_instance;
};

G_DEFINE_FINAL_TYPE (LbEvalView, lb_eval_view, ADW_TYPE_BIN)

static void
lb_eval_view_class_init (LbEvalViewClass *klass)
{
}

static void
lb_eval_view_init (LbEvalView *self)
{
  GtkWidget *page = adw_status_page_new ();

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), "lb-eval-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (page), _("Evaluation"));
  adw_status_page_set_description (ADW_STATUS_PAGE (page),
                                   _("Here you will compare a quantized variant with the original "
                                     "model: KL divergence, how often the top token agrees, perplexity "
                                     "and their percentiles, and a chart of size against "
                                     "accuracy.\n\nThis page is not connected to evaluation yet."));
  adw_bin_set_child (ADW_BIN (self), page);
}

GtkWidget *
lb_eval_view_new (void)
{
  return g_object_new (LB_TYPE_EVAL_VIEW, NULL);
}
