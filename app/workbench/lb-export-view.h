/* lb-export-view.h: export the session's precision map as a GGUF file (the
 * streaming quantizer with the map's plan; a lossless export while the map
 * is the model's own types, or with a float type for every matrix), with
 * its recipe and a report, checked against the four targets; as a job */
#pragma once

#include <adwaita.h>

#include "lb-session.h"
#include "lowbit.h"

G_BEGIN_DECLS

#define LB_TYPE_EXPORT_VIEW (lb_export_view_get_type ())
G_DECLARE_FINAL_TYPE (LbExportView, lb_export_view, LB, EXPORT_VIEW, AdwBin)

/* The type row's choices: the precision map, or a float type for every
 * matrix (lossless but for rounding) */
typedef enum {
  LB_EXPORT_MAP,
  LB_EXPORT_F16,
  LB_EXPORT_BF16,
  LB_EXPORT_F32,
} LbExportChoice;

GtkWidget     *lb_export_view_new          (void);
void           lb_export_view_set_settings (LbExportView *self, GSettings *settings);
void           lb_export_view_set_model    (LbExportView *self, LbModel *model);
void           lb_export_view_set_session  (LbExportView *self, LbSession *session);
LbExportChoice lb_export_view_get_choice   (LbExportView *self);
void           lb_export_view_set_choice   (LbExportView *self, LbExportChoice choice);
/* Whether the export also writes <name>.recipe.json and <name>.report.json,
 * and checks the file against the targets (benchmark and evaluation) */
void           lb_export_view_set_extras   (LbExportView *self, gboolean recipe, gboolean report,
                                            gboolean validate);
/* Exact bytes of tensor data the export writes */
guint64        lb_export_view_get_tensor_bytes (LbExportView *self);
/* Asks where to save, then exports */
void           lb_export_view_choose_file  (LbExportView *self);
/* Starts the export job (its window lists it). The files appear only when
 * all are complete: cancelling or an error leaves nothing behind. */
void           lb_export_view_export_to    (LbExportView *self, GFile *file);

G_END_DECLS
