/* lb-precision-grid-render.h: layers × tensor kinds, each cell coloured by
 * its quantization type, with selection and a legend of the types used */
#pragma once

#include <cairo.h>

#include "lb-chart-common.h"

G_BEGIN_DECLS

typedef struct {
  guint               n_rows;
  guint               n_cols;
  const char * const *types;       /* n_rows × n_cols type names, row-major; NULL: no tensor */
  const char * const *row_labels;  /* NULL, or n_rows strings */
  const char * const *col_labels;  /* NULL, or n_cols strings */
  const guint8       *selected;    /* NULL, or n_rows × n_cols flags */
  gboolean            has_cursor;  /* the keyboard focus cell */
  guint               cursor_row;
  guint               cursor_col;
  const char         *title;
  gboolean            hide_legend;
  gboolean            hide_cell_text;
} LbPrecisionGridData;

typedef enum {
  LB_GRID_HIT_NONE,
  LB_GRID_HIT_CELL,
  LB_GRID_HIT_ROW_HEADER,
  LB_GRID_HIT_COL_HEADER,
  LB_GRID_HIT_CORNER,      /* above the row headers, left of the column headers */
} LbGridHit;

typedef struct {
  double x, y, width, height;          /* the cells */
  double cell_width, cell_height;
  double row_header_x, row_header_width;
  double col_header_y, col_header_height;
  guint  n_rows, n_cols;
} LbPrecisionGridGeometry;

void      lb_precision_grid_render (cairo_t *cr, double width, double height,
                                    const LbPrecisionGridData *data, const LbChartStyle *style,
                                    LbPrecisionGridGeometry *geometry);
/* What is under (px, py); row/col are set for cells and headers */
LbGridHit lb_precision_grid_geometry_hit (const LbPrecisionGridGeometry *geometry,
                                          double px, double py, guint *row, guint *col);
/* The distinct type names of data, by falling bits per weight; free the
 * array (not the strings, which belong to data) with g_free */
const char **lb_precision_grid_data_types (const LbPrecisionGridData *data, guint *n_types);

G_END_DECLS
