/* lb-importance-row.h: the importance data (imatrix) the session
 * quantizes with: which file, what it holds, and the ways to change it:
 * open a GGUF or legacy .dat imatrix, make one from a text ("Calibrate",
 * a job that runs the model over the text and saves the result in the
 * user's cache folder), or stop using it. Choosing is an edit of the
 * session (undoable; kept through presets and edits; saved recipes name
 * the file), so quantizing, the error map and the export all follow it.
 *
 * Actions (group "importance"): choose (file chooser), open (s: a path),
 * calibrate (file chooser for the text), calibrate-from (s: a text's
 * path), clear. */
#pragma once

#include <adwaita.h>

#include "lb-session.h"

G_BEGIN_DECLS

#define LB_TYPE_IMPORTANCE_ROW (lb_importance_row_get_type ())
G_DECLARE_FINAL_TYPE (LbImportanceRow, lb_importance_row, LB, IMPORTANCE_ROW, AdwActionRow)

GtkWidget  *lb_importance_row_new          (void);
void        lb_importance_row_set_session  (LbImportanceRow *self, LbSession *session);
/* Calibration: chunks of n_ctx tokens (llama-imatrix's 512), at most
 * n_chunks of them (default 32) */
void        lb_importance_row_set_calibration (LbImportanceRow *self, guint n_ctx, guint n_chunks);
/* Where a calibration of model over the text at text_path is saved */
char       *lb_importance_calibration_path (LbModel *model, const char *text_path, guint n_ctx,
                                            guint n_chunks);

G_END_DECLS
