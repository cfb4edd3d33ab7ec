/* lb-job-row.h: one job in the jobs panel: title, stage, progress, elapsed
 * time and a cancel (or, once finished, remove) button */
#pragma once

#include <adwaita.h>

#include "lb-job.h"

G_BEGIN_DECLS

#define LB_TYPE_JOB_ROW (lb_job_row_get_type ())
G_DECLARE_FINAL_TYPE (LbJobRow, lb_job_row, LB, JOB_ROW, AdwBin)

/* Emits "remove" when the user dismisses a finished job */
GtkWidget *lb_job_row_new     (LbJob *job);
LbJob     *lb_job_row_get_job (LbJobRow *self);
/* "1:05" style; hours when needed */
char      *lb_job_format_elapsed (double seconds);

G_END_DECLS
