/* lb-heatmap.h: layers × tensor kinds (or any matrix) coloured by value */
#pragma once

#include <gtk/gtk.h>

#include "lb-chart-widget.h"
#include "lb-heatmap-render.h"

G_BEGIN_DECLS

#define LB_TYPE_HEATMAP (lb_heatmap_get_type ())
G_DECLARE_FINAL_TYPE (LbHeatmap, lb_heatmap, LB, HEATMAP, LbChartWidget)

GtkWidget     *lb_heatmap_new              (void);
/* Copies everything. values: n_rows × n_cols row-major, NaN for no data;
 * labels may be NULL, or hold n_rows (n_cols) strings, some NULL. */
void           lb_heatmap_set_data         (LbHeatmap *self, guint n_rows, guint n_cols,
                                            const double *values,
                                            const char * const *row_labels,
                                            const char * const *col_labels);
guint          lb_heatmap_get_n_rows       (LbHeatmap *self);
guint          lb_heatmap_get_n_cols       (LbHeatmap *self);
/* NaN outside the matrix */
double         lb_heatmap_get_value        (LbHeatmap *self, guint row, guint col);
const char    *lb_heatmap_get_title        (LbHeatmap *self);
void           lb_heatmap_set_title        (LbHeatmap *self, const char *title);
const char    *lb_heatmap_get_legend_label (LbHeatmap *self);
void           lb_heatmap_set_legend_label (LbHeatmap *self, const char *label);
LbColormap     lb_heatmap_get_colormap     (LbHeatmap *self);
void           lb_heatmap_set_colormap     (LbHeatmap *self, LbColormap colormap);
gboolean       lb_heatmap_get_reverse      (LbHeatmap *self);
void           lb_heatmap_set_reverse      (LbHeatmap *self, gboolean reverse);
/* Colours by log10 of the value (values must be > 0; others take the low end) */
gboolean       lb_heatmap_get_log_scale    (LbHeatmap *self);
void           lb_heatmap_set_log_scale    (LbHeatmap *self, gboolean log_scale);
LbChartFormat  lb_heatmap_get_format       (LbHeatmap *self);
void           lb_heatmap_set_format       (LbHeatmap *self, LbChartFormat format);
/* A fixed colour range (to compare two heatmaps); unset: the data's range */
void           lb_heatmap_set_range        (LbHeatmap *self, double min, double max);
void           lb_heatmap_unset_range      (LbHeatmap *self);
/* The range colours currently mean; FALSE when there is no finite value */
gboolean       lb_heatmap_get_range        (LbHeatmap *self, double *min, double *max);
/* Outlines one cell (the one being drilled into) */
void           lb_heatmap_set_highlight    (LbHeatmap *self, int row, int col);
/* The cell at widget coordinates (x, y) */
gboolean       lb_heatmap_get_cell_at      (LbHeatmap *self, double x, double y,
                                            guint *row, guint *col);
/* The tooltip text for a cell (row/column label and value); free it */
char          *lb_heatmap_describe_cell    (LbHeatmap *self, guint row, guint col);
/* More lines for the cells' tooltips: n_rows × n_cols strings (entries
 * may be NULL), copied; dropped by the next set_data */
void           lb_heatmap_set_cell_notes   (LbHeatmap *self, const char * const *notes);
const char    *lb_heatmap_get_cell_note    (LbHeatmap *self, guint row, guint col);

G_END_DECLS
