/* lb-jobs-panel.h: the running and finished jobs of a window, each with
 * progress, stage, elapsed time and cancel */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define LB_TYPE_JOBS_PANEL (lb_jobs_panel_get_type ())
G_DECLARE_FINAL_TYPE (LbJobsPanel, lb_jobs_panel, LB, JOBS_PANEL, AdwBin)

GtkWidget *lb_jobs_panel_new      (void);
/* A store of LbJob; finished jobs the user dismisses are removed from it */
void       lb_jobs_panel_set_jobs (LbJobsPanel *self, GListStore *jobs);

G_END_DECLS
