/* lb-eval-view.h: the session's variant evaluated against the original
 * model over a text (KLD, same top-1, perplexity, percentiles), and the
 * Pareto chart of size against KLD of every map and preset evaluated */
#pragma once

#include <adwaita.h>

#include "lb-session.h"

G_BEGIN_DECLS

#define LB_TYPE_EVAL_VIEW (lb_eval_view_get_type ())
G_DECLARE_FINAL_TYPE (LbEvalView, lb_eval_view, LB, EVAL_VIEW, AdwBin)

GtkWidget  *lb_eval_view_new          (void);
void        lb_eval_view_set_settings (LbEvalView *self, GSettings *settings);
void        lb_eval_view_set_session  (LbEvalView *self, LbSession *session);
/* The text evaluated on (default: wikitext2-test.txt of the shared texts
 * when it is there), and how many chunks of how many tokens */
const char *lb_eval_view_get_text     (LbEvalView *self);
void        lb_eval_view_set_text     (LbEvalView *self, const char *path);
guint       lb_eval_view_get_n_chunks (LbEvalView *self);
void        lb_eval_view_set_n_chunks (LbEvalView *self, guint n_chunks);
guint       lb_eval_view_get_n_ctx    (LbEvalView *self);
/* Evaluates the current types (the "eval.run" action) */
void        lb_eval_view_run          (LbEvalView *self);
/* Quantizes and evaluates every preset, for the Pareto chart ("eval.presets") */
void        lb_eval_view_run_presets  (LbEvalView *self);

/* The default evaluation text, or NULL when it cannot be found */
char       *lb_eval_view_find_default_text (void);

G_END_DECLS
