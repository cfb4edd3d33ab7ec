/* lb-eval-view.h: the evaluation of a variant against the original */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define LB_TYPE_EVAL_VIEW (lb_eval_view_get_type ())
G_DECLARE_FINAL_TYPE (LbEvalView, lb_eval_view, LB, EVAL_VIEW, AdwBin)

GtkWidget *lb_eval_view_new (void);

G_END_DECLS
