/* lb-heat-drill.h: a close look at one tensor under a type, for the
 * error map: its row-block × column-block SNR map, and the histogram of
 * its weights with the levels a typical block of the type can take */
#pragma once

#include <gio/gio.h>

#include "lb-job.h"
#include "lb-tensor-error.h"
#include "lowbit.h"

G_BEGIN_DECLS

#define LB_HEAT_DRILL_BINS 120

typedef struct {
  LbModel   *model;
  LbImatrix *imatrix;
  char      *name;
  LbType     type;
  guint      n_threads;
} LbHeatDrillData;

typedef struct {
  LbTensorError err;
  LbErrorMap   *map;
  double        counts[LB_HEAT_DRILL_BINS];
  double        lo, hi;
  double       *levels;
  guint         n_levels;
  gboolean      lossless;
} LbHeatDrillResult;

void     lb_heat_drill_data_free   (gpointer data);
void     lb_heat_drill_result_free (gpointer result);
/* An LbJobThreadFunc: LbHeatDrillData in, LbHeatDrillResult out */
gpointer lb_heat_drill_thread      (LbJob *job, gpointer task_data, GCancellable *cancellable,
                                    GError **error);

G_END_DECLS
