/* lb-precision-grid.h: the precision map editor's grid: layers × tensor
 * kinds, each cell coloured by its quantization type, with cell, rectangle,
 * row and column selection by mouse and keyboard */
#pragma once

#include <gtk/gtk.h>

#include "lb-chart-widget.h"
#include "lb-precision-grid-render.h"

G_BEGIN_DECLS

#define LB_TYPE_PRECISION_GRID (lb_precision_grid_get_type ())
G_DECLARE_FINAL_TYPE (LbPrecisionGrid, lb_precision_grid, LB, PRECISION_GRID, LbChartWidget)

typedef struct {
  guint row;
  guint col;
} LbGridCell;

typedef enum {
  LB_GRID_SELECT_REPLACE,  /* the new cells become the selection */
  LB_GRID_SELECT_ADD,      /* added to the selection */
  LB_GRID_SELECT_TOGGLE,   /* each cell flips */
} LbGridSelectMode;

GtkWidget   *lb_precision_grid_new                (void);
/* Copies everything. types: n_rows × n_cols row-major type names, NULL where
 * a layer has no such tensor (such cells cannot be selected). When the
 * dimensions stay the same the selection and cursor are kept. */
void         lb_precision_grid_set_data           (LbPrecisionGrid *self, guint n_rows,
                                                   guint n_cols, const char * const *types,
                                                   const char * const *row_labels,
                                                   const char * const *col_labels);
guint        lb_precision_grid_get_n_rows         (LbPrecisionGrid *self);
guint        lb_precision_grid_get_n_cols         (LbPrecisionGrid *self);
/* NULL for an absent tensor or outside the grid */
const char  *lb_precision_grid_get_cell_type      (LbPrecisionGrid *self, guint row, guint col);
/* Changes one cell (after an edit); type NULL makes it absent */
void         lb_precision_grid_set_cell_type      (LbPrecisionGrid *self, guint row, guint col,
                                                   const char *type);

gboolean     lb_precision_grid_is_selected        (LbPrecisionGrid *self, guint row, guint col);
guint        lb_precision_grid_get_n_selected     (LbPrecisionGrid *self);
/* The selected cells in row-major order; free with g_free. NULL when none. */
LbGridCell  *lb_precision_grid_get_selected_cells (LbPrecisionGrid *self, guint *n_cells);
void         lb_precision_grid_select_cell        (LbPrecisionGrid *self, guint row, guint col,
                                                   LbGridSelectMode mode);
/* Corners in any order */
void         lb_precision_grid_select_rect        (LbPrecisionGrid *self, guint row0, guint col0,
                                                   guint row1, guint col1,
                                                   LbGridSelectMode mode);
void         lb_precision_grid_select_row         (LbPrecisionGrid *self, guint row,
                                                   LbGridSelectMode mode);
void         lb_precision_grid_select_column      (LbPrecisionGrid *self, guint col,
                                                   LbGridSelectMode mode);
void         lb_precision_grid_select_all         (LbPrecisionGrid *self);
void         lb_precision_grid_unselect_all       (LbPrecisionGrid *self);

/* The keyboard cursor; FALSE when the grid is empty */
gboolean     lb_precision_grid_get_cursor         (LbPrecisionGrid *self, guint *row,
                                                   guint *col);
void         lb_precision_grid_set_cursor         (LbPrecisionGrid *self, guint row, guint col);
/* What is under widget coordinates (x, y) */
LbGridHit    lb_precision_grid_pick               (LbPrecisionGrid *self, double x, double y,
                                                   guint *row, guint *col);

const char  *lb_precision_grid_get_title          (LbPrecisionGrid *self);
void         lb_precision_grid_set_title          (LbPrecisionGrid *self, const char *title);
gboolean     lb_precision_grid_get_show_legend    (LbPrecisionGrid *self);
void         lb_precision_grid_set_show_legend    (LbPrecisionGrid *self, gboolean show_legend);

G_END_DECLS
