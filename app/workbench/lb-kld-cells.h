/* lb-kld-cells.h: how much the model's next-token distribution moves when
 * one tensor alone is quantized (every other tensor as stored), for the
 * error map's "Sensitivity (ΔKLD)".
 *
 * A cell is (tensor, type): the mean KL divergence of that variant from
 * the original over a short slice of a text (lb-eval.h's protocol), minus
 * the original's own divergence from its stored 16-bit reference, as
 * lb-sensitivity.h defines its cells. lb_sensitivity_compute measures
 * every tensor under every candidate type; the error map needs only each
 * tensor under the type the map gives it (groups × types evaluations
 * against groups), so the cells are measured here one by one with the same
 * core pieces: the reference's log-probabilities once into a temporary
 * lb-logit-cache file, then one variant (lb_variant_build) and one
 * evaluation per cell. Measured cells are kept for later maps.
 *
 * A setup is shared between the main thread (creation, lookups) and one
 * worker at a time measuring; every call is thread-safe. */
#pragma once

#include <gio/gio.h>

#include "lowbit.h"

G_BEGIN_DECLS

typedef struct _LbKldCells LbKldCells;

/* Nothing is read or run yet. imatrix: quantize with it (NULL: none). */
LbKldCells *lb_kld_cells_new       (LbModel *model, LbImatrix *imatrix, const char *text_path,
                                    guint n_ctx, guint n_chunks, guint n_threads);
LbKldCells *lb_kld_cells_ref       (LbKldCells *cells);
void        lb_kld_cells_unref     (LbKldCells *cells);
const char *lb_kld_cells_get_text  (LbKldCells *cells);
LbImatrix  *lb_kld_cells_get_imatrix (LbKldCells *cells);
guint       lb_kld_cells_get_n_ctx (LbKldCells *cells);
guint       lb_kld_cells_get_n_chunks (LbKldCells *cells);

/* Worker: reads and tokenizes the text and runs the reference once (only
 * the first time) */
gboolean    lb_kld_cells_prepare   (LbKldCells *cells, LbProgressFunc progress,
                                    gpointer progress_data, GCancellable *cancellable,
                                    GError **error);
/* The original's KLD against its stored reference (NaN before prepare) */
double      lb_kld_cells_get_base_kld (LbKldCells *cells);
/* A measured cell, or NaN when it has not been measured */
double      lb_kld_cells_lookup    (LbKldCells *cells, const char *tensor, LbType type);
/* Worker: measures the cell (or returns it when measured before); NaN +
 * error on failure or cancellation */
double      lb_kld_cells_measure   (LbKldCells *cells, const char *tensor, LbType type,
                                    GCancellable *cancellable, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbKldCells, lb_kld_cells_unref)

G_END_DECLS
