/* lb-window.h: a workbench window: one model, its views and its jobs */
#pragma once

#include <adwaita.h>

#include "lb-application.h"
#include "lb-job.h"
#include "lb-session.h"
#include "lowbit.h"

G_BEGIN_DECLS

#define LB_TYPE_WINDOW (lb_window_get_type ())
G_DECLARE_FINAL_TYPE (LbWindow, lb_window, LB, WINDOW, AdwApplicationWindow)

LbWindow   *lb_window_new        (LbApplication *app);
/* Loads a GGUF file, a Hugging Face folder or a llama2.c checkpoint (its
 * tokenizer is found beside it) as a job; replaces the model when done */
void        lb_window_open       (LbWindow *self, GFile *file);
/* NULL until a model has loaded */
LbModel    *lb_window_get_model  (LbWindow *self);
/* The work on the model: its variant, recipe and history; NULL with no model */
LbSession  *lb_window_get_session (LbWindow *self);
/* Every job of this window (LbJob), oldest first */
GListModel *lb_window_get_jobs   (LbWindow *self);
/* Lists the job in the jobs panel and watches the main loop while it runs */
void        lb_window_add_job    (LbWindow *self, LbJob *job);
GSettings  *lb_window_get_settings (LbWindow *self);
/* Errors a user must read go to a dialog; short news to a toast */
void        lb_window_show_error (LbWindow *self, const char *heading, const char *message);
void        lb_window_show_toast (LbWindow *self, const char *text);
void        lb_window_show_view  (LbWindow *self, const char *name);

G_END_DECLS
