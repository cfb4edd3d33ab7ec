/* lb-precision-view.h: the precision map editor (layers × tensor kinds) */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define LB_TYPE_PRECISION_VIEW (lb_precision_view_get_type ())
G_DECLARE_FINAL_TYPE (LbPrecisionView, lb_precision_view, LB, PRECISION_VIEW, AdwBin)

GtkWidget *lb_precision_view_new (void);

G_END_DECLS
