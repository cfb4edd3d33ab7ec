/* lb-kld-cells.c */
#include "config.h"

#include <math.h>
#include <glib/gi18n.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "lb-eval.h"
#include "lb-kld-cells.h"
#include "lb-variant.h"

struct _LbKldCells
{
  gint        ref_count;
  LbModel    *model;
  LbImatrix  *imatrix;
  char       *text_path;
  guint       n_ctx;
  guint       n_chunks;
  guint       n_threads;

  GMutex      lock;        /* everything below */
  GMutex      run_lock;    /* one preparation at a time */
  gboolean    prepared;
  gint32     *chunks;      /* n_chunks_used * n_ctx */
  guint       n_chunks_used;
  char       *ref_path;    /* the reference's log-probabilities, removed with the setup */
  double      base_kld;
  GHashTable *cells;       /* "tensor@TYPE" -> double * */
};

LbKldCells *
lb_kld_cells_new (LbModel    *model,
                  LbImatrix  *imatrix,
                  const char *text_path,
                  guint       n_ctx,
                  guint       n_chunks,
                  guint       n_threads)
{
  LbKldCells *cells;

  g_return_val_if_fail (LB_IS_MODEL (model), NULL);
  g_return_val_if_fail (text_path != NULL, NULL);
  g_return_val_if_fail (n_ctx >= 4 && n_chunks >= 1, NULL);

  cells = g_new0 (LbKldCells, 1);
  cells->ref_count = 1;
  cells->model = g_object_ref (model);
  cells->imatrix = imatrix != NULL ? lb_imatrix_ref (imatrix) : NULL;
  cells->text_path = g_strdup (text_path);
  cells->n_ctx = n_ctx;
  cells->n_chunks = n_chunks;
  cells->n_threads = n_threads;
  cells->base_kld = NAN;
  g_mutex_init (&cells->lock);
  g_mutex_init (&cells->run_lock);
  cells->cells = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return cells;
}

LbKldCells *
lb_kld_cells_ref (LbKldCells *cells)
{
  g_return_val_if_fail (cells != NULL, NULL);
  g_atomic_int_inc (&cells->ref_count);
  return cells;
}

void
lb_kld_cells_unref (LbKldCells *cells)
{
  if (cells == NULL || !g_atomic_int_dec_and_test (&cells->ref_count))
    return;
  if (cells->ref_path != NULL)
    g_unlink (cells->ref_path);
  g_free (cells->ref_path);
  g_free (cells->chunks);
  g_hash_table_unref (cells->cells);
  g_mutex_clear (&cells->lock);
  g_mutex_clear (&cells->run_lock);
  g_clear_pointer (&cells->imatrix, lb_imatrix_unref);
  g_clear_object (&cells->model);
  g_free (cells->text_path);
  g_free (cells);
}

const char *
lb_kld_cells_get_text (LbKldCells *cells)
{
  return cells->text_path;
}

LbImatrix *
lb_kld_cells_get_imatrix (LbKldCells *cells)
{
  return cells->imatrix;
}

guint
lb_kld_cells_get_n_ctx (LbKldCells *cells)
{
  return cells->n_ctx;
}

guint
lb_kld_cells_get_n_chunks (LbKldCells *cells)
{
  return cells->n_chunks;
}

static void
fill_params (LbKldCells *cells, LbEvalParams *p)
{
  *p = (LbEvalParams) { 0 };
  p->n_ctx = cells->n_ctx;
  p->n_threads = cells->n_threads;
  p->engine = LB_EVAL_ENGINE_DEFAULT;
}

gboolean
lb_kld_cells_prepare (LbKldCells     *cells,
                      LbProgressFunc  progress,
                      gpointer        progress_data,
                      GCancellable   *cancellable,
                      GError        **error)
{
  LbTokenizer *tok = lb_model_get_tokenizer (cells->model);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (LbEvalBackend) cand = NULL;
  g_autoptr (LbEvalBackend) ref = NULL;
  g_autoptr (LbEvalResult) res = NULL;
  g_autofree char *text = NULL;
  g_autofree gint32 *chunks = NULL;
  g_autofree char *ref_path = NULL;
  gint32 bos = lb_tokenizer_get_add_bos (tok) ? lb_tokenizer_get_bos (tok) : -1;
  LbEvalParams p;
  guint n_used = 0;
  gsize len;
  int fd;
  gboolean ok = FALSE;

  g_return_val_if_fail (cells != NULL, FALSE);

  g_mutex_lock (&cells->run_lock);
  g_mutex_lock (&cells->lock);
  ok = cells->prepared;
  g_mutex_unlock (&cells->lock);
  if (ok)
    goto out;

  if (progress != NULL)
    progress (0.0, _("Reading and tokenizing the text"), progress_data);
  if (!g_file_get_contents (cells->text_path, &text, &len, error)
      || !lb_tokenizer_encode (tok, text, (gssize) len, TRUE, ids, error))
    goto out;
  chunks = lb_eval_make_chunks ((const gint32 *) ids->data, ids->len, cells->n_ctx,
                                cells->n_chunks, bos, &n_used, error);
  if (chunks == NULL)
    goto out;

  /* the reference's log-probabilities, and the original's own KLD from them */
  if (progress != NULL)
    progress (0.0, _("Running the original model"), progress_data);
  fd = g_file_open_tmp ("lowbit-kld-XXXXXX.lbref", &ref_path, error);
  if (fd < 0)
    goto out;
  close (fd);
  fill_params (cells, &p);
  p.save_reference = ref_path;
  cand = lb_eval_backend_new (cells->model, p.engine, p.n_ctx, p.n_threads, error);
  if (cand == NULL)
    goto fail;
  ref = lb_eval_backend_new (cells->model, p.engine, p.n_ctx, p.n_threads, error);
  if (ref == NULL)
    goto fail;
  res = lb_eval_run_backends (cand, ref, chunks, n_used, &p, NULL, NULL, cancellable, error);
  if (res == NULL)
    goto fail;

  g_mutex_lock (&cells->lock);
  cells->chunks = g_steal_pointer (&chunks);
  cells->n_chunks_used = n_used;
  cells->ref_path = g_steal_pointer (&ref_path);
  cells->base_kld = res->mean_kld;
  cells->prepared = TRUE;
  g_mutex_unlock (&cells->lock);
  ok = TRUE;
  goto out;

fail:
  g_unlink (ref_path);
out:
  g_mutex_unlock (&cells->run_lock);
  return ok;
}

double
lb_kld_cells_get_base_kld (LbKldCells *cells)
{
  double v;

  g_mutex_lock (&cells->lock);
  v = cells->base_kld;
  g_mutex_unlock (&cells->lock);
  return v;
}

static char *
cell_key (const char *tensor, LbType type)
{
  return g_strdup_printf ("%s@%s", tensor, lb_type_get_name (type));
}

double
lb_kld_cells_lookup (LbKldCells *cells, const char *tensor, LbType type)
{
  g_autofree char *key = cell_key (tensor, type);
  const double *v;
  double value;

  g_mutex_lock (&cells->lock);
  v = g_hash_table_lookup (cells->cells, key);
  value = v != NULL ? *v : NAN;
  g_mutex_unlock (&cells->lock);
  return value;
}

double
lb_kld_cells_measure (LbKldCells    *cells,
                      const char    *tensor,
                      LbType         type,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autofree char *key = cell_key (tensor, type);
  g_autoptr (GHashTable) overrides = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (LbModel) variant = NULL;
  g_autoptr (LbEvalBackend) backend = NULL;
  g_autoptr (LbEvalResult) res = NULL;
  LbEvalParams p;
  double value = lb_kld_cells_lookup (cells, tensor, type);

  if (!isnan (value))
    return value;
  g_mutex_lock (&cells->lock);
  if (!cells->prepared)
    {
      g_mutex_unlock (&cells->lock);
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "the reference over %s has not been run", cells->text_path);
      return NAN;
    }
  g_mutex_unlock (&cells->lock);

  g_hash_table_insert (overrides, (gpointer) tensor, GINT_TO_POINTER (type));
  variant = lb_variant_build (cells->model, overrides, cells->imatrix, cells->n_threads, NULL, NULL,
                              cancellable, error);
  if (variant == NULL)
    return NAN;
  fill_params (cells, &p);
  p.reference_cache = cells->ref_path;
  backend = lb_eval_backend_new (variant, p.engine, p.n_ctx, p.n_threads, error);
  if (backend == NULL)
    return NAN;
  res = lb_eval_run_backends (backend, NULL, cells->chunks, cells->n_chunks_used, &p, NULL, NULL,
                              cancellable, error);
  if (res == NULL)
    return NAN;
  value = res->mean_kld - cells->base_kld;

  g_mutex_lock (&cells->lock);
  g_hash_table_replace (cells->cells, g_steal_pointer (&key), g_memdup2 (&value, sizeof value));
  g_mutex_unlock (&cells->lock);
  return value;
}
