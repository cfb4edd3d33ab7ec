/* lb-overview-view.h: the model card and the four targets */
#pragma once

#include <adwaita.h>

#include "lb-session.h"
#include "lowbit.h"

G_BEGIN_DECLS

#define LB_TYPE_OVERVIEW_VIEW (lb_overview_view_get_type ())
G_DECLARE_FINAL_TYPE (LbOverviewView, lb_overview_view, LB, OVERVIEW_VIEW, AdwBin)

GtkWidget *lb_overview_view_new          (void);
/* The targets are these settings' target-* keys */
void       lb_overview_view_set_settings (LbOverviewView *self, GSettings *settings);
void       lb_overview_view_set_model    (LbOverviewView *self, LbModel *model);
/* The size tile and type mix follow the session's types; the latency,
 * memory and accuracy tiles its measurements */
void       lb_overview_view_set_session  (LbOverviewView *self, LbSession *session);
/* name: what is being opened, shown instead of the card; NULL when done */
void       lb_overview_view_set_loading  (LbOverviewView *self, const char *name);

G_END_DECLS
