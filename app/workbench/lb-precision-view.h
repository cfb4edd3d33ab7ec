/* lb-precision-view.h: the precision map editor: layers × tensor kinds,
 * each cell the type the tensor has in the session's variant; select cells
 * and set a type, edit the recipe's rules, pick a preset or profile, undo
 * and redo, load and save recipes, with the exact size against the budget */
#pragma once

#include <adwaita.h>

#include "lb-session.h"

G_BEGIN_DECLS

#define LB_TYPE_PRECISION_VIEW (lb_precision_view_get_type ())
G_DECLARE_FINAL_TYPE (LbPrecisionView, lb_precision_view, LB, PRECISION_VIEW, AdwBin)

/* The tensor kinds of a block, in the grid's column order */
#define LB_PRECISION_N_KINDS LB_SESSION_N_KINDS
#define lb_precision_kinds lb_session_kinds

GtkWidget *lb_precision_view_new          (void);
void       lb_precision_view_set_settings (LbPrecisionView *self, GSettings *settings);
/* NULL: no model */
void       lb_precision_view_set_session  (LbPrecisionView *self, LbSession *session);
/* Tensor names of the selected cells (both grids), NULL-terminated; free
 * with g_strfreev */
char     **lb_precision_view_get_selected_names (LbPrecisionView *self);

G_END_DECLS
