/* lb-heatmap-view-private.h: the error map page's state, shared by
 * lb-heatmap-view.c (the maps: metrics, comparison, summary) and
 * lb-heatmap-closeup.c (one tensor up close) */
#pragma once

#include "lb-heat-metric.h"
#include "lb-heatmap-view.h"
#include "lb-kld-cells.h"
#include "lb-view-util.h"
#include "lb-widgets.h"
#include "lb-window.h"

G_BEGIN_DECLS

#define LB_HEATMAP_N_ENDS 2

/* One map of values as measured: valid for a revision of what it measured */
typedef struct {
  gboolean    valid;
  guint       revision;   /* current map: the session's revision; compared: the serial */
  LbImatrix  *imatrix;    /* the importance data it was measured with (a ref) */
  char       *text;       /* the text of the text metrics */
  double     *values;     /* n */
  char      **notes;      /* n or NULL */
  LbType     *types;      /* n */
} LbHeatMeasured;

/* A map as drawn: title, the layers' heatmap and the one of the ends */
typedef struct {
  GtkWidget *box;
  GtkLabel  *title;
  LbHeatmap *layers;
  LbHeatmap *ends;
} LbHeatCard;

struct _LbHeatmapView
{
  AdwBin               parent_instance;

  GtkStack            *stack;
  AdwPreferencesGroup *map_group;
  GtkDropDown         *metric_dropdown;
  GtkDropDown         *compare_dropdown;
  GtkWidget           *mode_box;
  GtkToggleButton     *side_toggle;
  GtkToggleButton     *diff_toggle;
  GtkButton           *measure_button;
  GtkLabel            *notice_label;
  LbHeatCard           cards[2];

  GtkLabel            *status_label;
  AdwActionRow        *worst_row;
  GtkLabel            *worst_label;
  AdwActionRow        *mean_row;
  GtkLabel            *mean_label;
  AdwActionRow        *compare_row;
  GtkLabel            *compare_label;
  AdwActionRow        *text_row;
  GtkWidget           *snr_hint;

  /* one tensor */
  AdwPreferencesGroup *drill_group;
  AdwPreferencesGroup *numbers_group;
  GtkStack            *drill_stack;
  LbHeatmap           *drill_map;
  LbHistogram         *histogram;
  GtkLabel            *drill_snr_label;
  GtkLabel            *drill_mse_label;
  GtkLabel            *drill_cosine_label;
  GtkLabel            *drill_max_label;
  LbJob               *drill_job;
  char                *drill_name;
  LbType               drill_type;
  gboolean             drill_compared;  /* the type of the map compared with */

  LbSession           *session;
  guint                n_layers;
  guint                n;                /* cells: n_layers × kinds + ends */
  char               **names;            /* n; NULL where the model has no such tensor */
  LbHeatMetric         metric;
  LbHeatMeasured       current[LB_HEAT_N_METRICS];
  LbHeatMeasured       compared[LB_HEAT_N_METRICS];
  LbRecipe            *compare_recipe;   /* NULL: no comparison */
  char                *compare_name;
  guint                compare_serial;
  gboolean             difference;
  char                *text_path;
  guint                n_ctx;            /* the text metrics' slice */
  guint                n_chunks;
  LbKldCells          *kld_cells;
  char               **presets;
  gboolean             updating;         /* the drop-downs set by code, not the user */
  GtkNativeDialog     *chooser;

  /* the measurement running */
  LbJob               *job;
  LbHeatMetric         job_metric;
  gboolean             job_current;
  gboolean             job_compared;
  guint                job_revision;
  guint                job_serial;
  LbImatrix           *job_imatrix;
  char                *job_text;
};

/* A value row of the page: "—" until set, selectable; row_out (may be
 * NULL) gets its row */
GtkLabel *lb_heatmap_add_value_row     (AdwPreferencesGroup *group, const char *title,
                                        AdwActionRow **row_out);
/* Index of the cell of a tensor, or -1 */
int       lb_heatmap_view_find_cell    (LbHeatmapView *self, const char *name);
/* lb-heatmap-closeup.c */
void      lb_heatmap_closeup_build     (LbHeatmapView *self, GtkWidget *side);
void      lb_heatmap_closeup_highlight (LbHeatmapView *self);
void      lb_heatmap_closeup_reset     (LbHeatmapView *self);
void      lb_heatmap_closeup_show      (LbHeatmapView *self, const char *name, LbType type,
                                        gboolean compared);

G_END_DECLS
