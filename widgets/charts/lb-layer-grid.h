/* lb-layer-grid.h: tensor names laid out as a layers × kinds matrix, the
 * shape of the heatmap and precision-grid views.
 *
 * "blk.N.KIND.weight" goes to row N, column KIND ("attn_q", "ffn_down";
 * names ending otherwise keep their suffix: "attn_q.bias"). Every other
 * name ("token_embd.weight", "output.weight") goes to a last row labelled
 * "model", in a column of its own (the name without ".weight"). Rows run
 * from blk.0 to the highest block seen; kinds come in the usual order of a
 * block (attention before feed-forward, q k v before the output), unknown
 * ones after them in the order first seen. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* a block number above this is not a layer row (the name is then placed
 * like a model-level tensor) */
#define LB_LAYER_GRID_MAX_LAYERS 65536

typedef struct {
  guint   n_rows;
  guint   n_cols;
  char  **row_labels;   /* n_rows strings, NULL-terminated */
  char  **col_labels;   /* n_cols strings, NULL-terminated */
  guint   n_names;
  guint  *cell;         /* per name given: row * n_cols + col */
} LbLayerGrid;

/* NULL when n_names is 0 */
LbLayerGrid *lb_layer_grid_new  (const char * const *names, guint n_names);
void         lb_layer_grid_free (LbLayerGrid *grid);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbLayerGrid, lb_layer_grid_free)

G_END_DECLS
