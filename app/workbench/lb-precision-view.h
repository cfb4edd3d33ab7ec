/* lb-precision-view.h: the precision map: layers × tensor kinds, each cell
 * the type the tensor has. Read-only until the page is connected to
 * quantization recipes (see README.md). */
#pragma once

#include <adwaita.h>

#include "lowbit.h"

G_BEGIN_DECLS

#define LB_TYPE_PRECISION_VIEW (lb_precision_view_get_type ())
G_DECLARE_FINAL_TYPE (LbPrecisionView, lb_precision_view, LB, PRECISION_VIEW, AdwBin)

/* The tensor kinds of a block, in the grid's column order */
#define LB_PRECISION_N_KINDS 7
extern const char * const lb_precision_kinds[LB_PRECISION_N_KINDS];

GtkWidget *lb_precision_view_new       (void);
void       lb_precision_view_set_model (LbPrecisionView *self, LbModel *model);

G_END_DECLS
