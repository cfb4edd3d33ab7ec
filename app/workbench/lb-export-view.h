/* lb-export-view.h: export the model as GGUF (lossless, with a float type
 * for matrices), as a job; quantized export comes with recipes */
#pragma once

#include <adwaita.h>

#include "lowbit.h"

G_BEGIN_DECLS

#define LB_TYPE_EXPORT_VIEW (lb_export_view_get_type ())
G_DECLARE_FINAL_TYPE (LbExportView, lb_export_view, LB, EXPORT_VIEW, AdwBin)

GtkWidget    *lb_export_view_new          (void);
void          lb_export_view_set_settings (LbExportView *self, GSettings *settings);
void          lb_export_view_set_model    (LbExportView *self, LbModel *model);
LbConvertType lb_export_view_get_type_choice (LbExportView *self);
void          lb_export_view_set_type_choice (LbExportView *self, LbConvertType type);
/* Exact bytes of tensor data the export writes with the chosen type */
guint64       lb_export_view_get_tensor_bytes (LbExportView *self);
/* Asks where to save, then exports */
void          lb_export_view_choose_file  (LbExportView *self);
/* Starts the export job (its window lists it); the file appears only when
 * complete */
void          lb_export_view_export_to    (LbExportView *self, GFile *file);

G_END_DECLS
