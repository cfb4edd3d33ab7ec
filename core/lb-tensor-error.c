/* lb-tensor-error.c: weight error of a tensor under a type, and error maps */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lb-error.h"
#include "lb-tensor-error.h"
#include "lb-variant.h"

/* rows are split into this many groups (a multiple of the map's row
 * bands), each summed on its own and merged in order: the same result
 * whatever the number of threads */
#define MIN_GROUPS 64

/* ---- accumulator ---------------------------------------------------------- */

void
lb_error_accum_init (LbErrorAccum *acc)
{
  memset (acc, 0, sizeof *acc);
}

void
lb_error_accum_add (LbErrorAccum *acc, const float *x, const float *y, const float *w,
                    gsize n)
{
  double sx2 = 0, sy2 = 0, sxy = 0, sd2 = 0, mx = acc->max_abs;

  for (gsize i = 0; i < n; i++)
    {
      double a = x[i], b = y[i], d = a - b;
      sx2 += a * a;
      sy2 += b * b;
      sxy += a * b;
      sd2 += d * d;
      if (fabs (d) > mx)
        mx = fabs (d);
    }
  acc->sum_x2 += sx2;
  acc->sum_y2 += sy2;
  acc->sum_xy += sxy;
  acc->sum_d2 += sd2;
  acc->max_abs = mx;
  acc->n += (gint64) n;
  if (w)
    {
      double sw = 0, swx2 = 0, swd2 = 0;
      for (gsize i = 0; i < n; i++)
        {
          double a = x[i], d = a - (double) y[i];
          sw += w[i];
          swx2 += w[i] * a * a;
          swd2 += w[i] * d * d;
        }
      acc->sum_w += sw;
      acc->sum_wx2 += swx2;
      acc->sum_wd2 += swd2;
      acc->weighted = TRUE;
    }
}

void
lb_error_accum_merge (LbErrorAccum *acc, const LbErrorAccum *other)
{
  acc->n += other->n;
  acc->sum_x2 += other->sum_x2;
  acc->sum_y2 += other->sum_y2;
  acc->sum_xy += other->sum_xy;
  acc->sum_d2 += other->sum_d2;
  acc->max_abs = MAX (acc->max_abs, other->max_abs);
  acc->sum_w += other->sum_w;
  acc->sum_wx2 += other->sum_wx2;
  acc->sum_wd2 += other->sum_wd2;
  acc->weighted = acc->weighted || other->weighted;
}

double
lb_snr_db (double signal, double noise)
{
  if (noise <= 0.0)
    return INFINITY;
  if (signal <= 0.0)
    return -INFINITY;
  return 10.0 * log10 (signal / noise);
}

void
lb_error_accum_finish (const LbErrorAccum *acc, LbTensorError *out)
{
  memset (out, 0, sizeof *out);
  out->n_elements = acc->n;
  out->mse = acc->n ? acc->sum_d2 / (double) acc->n : 0.0;
  out->rms = acc->n ? sqrt (acc->sum_x2 / (double) acc->n) : 0.0;
  out->snr_db = lb_snr_db (acc->sum_x2, acc->sum_d2);
  if (acc->sum_x2 == 0.0 && acc->sum_y2 == 0.0)
    out->cosine = 1.0;
  else if (acc->sum_x2 == 0.0 || acc->sum_y2 == 0.0)
    out->cosine = 0.0;
  else
    out->cosine = CLAMP (acc->sum_xy / sqrt (acc->sum_x2 * acc->sum_y2), -1.0, 1.0);
  out->max_abs = acc->max_abs;
  out->weighted = acc->weighted;
  if (acc->weighted)
    {
      out->weighted_mse = acc->sum_w > 0.0 ? acc->sum_wd2 / acc->sum_w : 0.0;
      out->weighted_snr_db = lb_snr_db (acc->sum_wx2, acc->sum_wd2);
    }
  else
    {
      out->weighted_mse = NAN;
      out->weighted_snr_db = NAN;
    }
}

void
lb_error_map_free (LbErrorMap *map)
{
  if (map == NULL)
    return;
  g_free (map->snr_db);
  g_free (map);
}

/* ---- the row loop ------------------------------------------------------------------ */

typedef struct {
  LbErrorAccum acc;
  double      *cells;      /* map_cols pairs (sum x^2, sum d^2), or NULL */
  gboolean     bad;        /* a non-finite value at (bad_row, bad_col) */
  gint64       bad_row, bad_col;
  gboolean     bad_in_candidate;
} Group;

typedef struct {
  const LbTensor     *ref;
  const LbTensor     *cand;    /* NULL: quantize the reference to type */
  LbType              type;
  const LbTypeTraits *ref_traits, *cand_traits, *q_traits;
  gsize               ref_row, cand_row, q_row;
  const float        *imp;
  gboolean            per_matrix;
  gint64              n_rows, ne0, ne1;
  guint               n_groups;
  guint               map_cols;
  float             **x, **y;  /* per thread, ne0 floats */
  guint8            **q;       /* per thread, one row in type */
  Group              *groups;
  GCancellable       *cancellable;
  gint                cancelled;
} Job;

static gint64
find_non_finite (const float *v, gint64 n)
{
  for (gint64 i = 0; i < n; i++)
    if (!isfinite (v[i]))
      return i;
  return -1;
}

static void
run_group (Job *j, guint g, guint thread)
{
  Group *grp = &j->groups[g];
  gint64 r0 = j->n_rows * g / j->n_groups;
  gint64 r1 = j->n_rows * (g + 1) / j->n_groups;
  float *x = j->x[thread], *y = j->y[thread];

  for (gint64 r = r0; r < r1; r++)
    {
      const float *w = j->imp;
      gint64 bad;

      if ((r - r0) % 64 == 0 && g_cancellable_is_cancelled (j->cancellable))
        {
          g_atomic_int_set (&j->cancelled, 1);
          return;
        }
      j->ref_traits->to_float (j->ref->data + (gsize) r * j->ref_row, x, j->ne0);
      if ((bad = find_non_finite (x, j->ne0)) >= 0)
        {
          grp->bad = TRUE;
          grp->bad_row = r;
          grp->bad_col = bad;
          return;
        }
      if (w && j->per_matrix)
        w += (r / j->ne1) * j->ne0;
      if (j->cand)
        {
          j->cand_traits->to_float (j->cand->data + (gsize) r * j->cand_row, y, j->ne0);
          if ((bad = find_non_finite (y, j->ne0)) >= 0)
            {
              grp->bad = TRUE;
              grp->bad_row = r;
              grp->bad_col = bad;
              grp->bad_in_candidate = TRUE;
              return;
            }
        }
      else
        {
          j->q_traits->from_float (x, j->q[thread], j->ne0, w);
          j->q_traits->to_float (j->q[thread], y, j->ne0);
        }
      lb_error_accum_add (&grp->acc, x, y, w, (gsize) j->ne0);
      if (grp->cells)
        for (guint c = 0; c < j->map_cols; c++)
          {
            gint64 c0 = j->ne0 * c / j->map_cols, c1 = j->ne0 * (c + 1) / j->map_cols;
            double sx2 = 0, sd2 = 0;
            for (gint64 i = c0; i < c1; i++)
              {
                double d = (double) x[i] - y[i];
                sx2 += (double) x[i] * x[i];
                sd2 += d * d;
              }
            grp->cells[2 * c] += sx2;
            grp->cells[2 * c + 1] += sd2;
          }
    }
}

static void
run_groups (gsize begin, gsize end, guint thread, gpointer user_data)
{
  Job *j = user_data;

  for (gsize g = begin; g < end; g++)
    if (!g_atomic_int_get (&j->cancelled))
      run_group (j, (guint) g, thread);
}

static gboolean
check_readable (const LbTensor *t, const LbTypeTraits **traits, gsize *row, GError **error)
{
  const LbTypeTraits *tr = lb_type_get_traits (t->type);
  gsize rs;

  if (tr == NULL || tr->to_float == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "tensor %s has type %s, which Lowbit cannot read", t->name,
                   tr ? tr->name : "(unknown)");
      return FALSE;
    }
  rs = lb_type_row_size (t->type, t->ne[0]);
  if (t->ne[0] <= 0 || rs == 0 || t->data == NULL
      || (guint64) lb_tensor_n_rows (t) > t->n_bytes / rs)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "tensor %s: %" G_GSIZE_FORMAT " bytes of data for %" G_GINT64_FORMAT
                   " rows of %" G_GINT64_FORMAT " %s values", t->name, t->n_bytes,
                   lb_tensor_n_rows (t), t->ne[0], tr->name);
      return FALSE;
    }
  *traits = tr;
  *row = rs;
  return TRUE;
}

static gboolean
run (Job *j, const LbTensorErrorParams *params, LbTensorError *out, LbErrorMap **map,
     GError **error)
{
  static const LbTensorErrorParams defaults = LB_TENSOR_ERROR_PARAMS_INIT;
  const LbTensor *t = j->ref;
  guint map_rows = 0, groups_per_band = 1, n_threads;
  gboolean want_map, ok = TRUE;
  LbErrorAccum total;

  if (params == NULL)
    params = &defaults;
  if (!check_readable (t, &j->ref_traits, &j->ref_row, error))
    return FALSE;
  j->n_rows = lb_tensor_n_rows (t);
  j->ne0 = t->ne[0];
  j->ne1 = MAX (t->ne[1], 1);
  if (params->importance)
    {
      gint64 n_mat = t->ne[2] * t->ne[3];
      if (params->n_importance != (gsize) j->ne0
          && params->n_importance != (gsize) (j->ne0 * n_mat))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "tensor %s has %" G_GINT64_FORMAT " columns but its importance data "
                       "has %" G_GSIZE_FORMAT " values", t->name, j->ne0, params->n_importance);
          return FALSE;
        }
      for (gsize i = 0; i < params->n_importance; i++)
        if (!(params->importance[i] >= 0.0f) || !isfinite (params->importance[i]))
          {
            g_set_error (error, LB_ERROR, LB_ERROR_NUMERIC,
                         "tensor %s: importance value %" G_GSIZE_FORMAT " is %g; weights must "
                         "be finite and non-negative", t->name, i, params->importance[i]);
            return FALSE;
          }
      j->imp = params->importance;
      j->per_matrix = params->n_importance != (gsize) j->ne0;
    }

  want_map = map != NULL && params->map_rows > 0 && params->map_cols > 0;
  if (want_map)
    {
      map_rows = (guint) MIN ((gint64) params->map_rows, j->n_rows);
      j->map_cols = (guint) MIN ((gint64) params->map_cols, j->ne0);
      groups_per_band = (MIN_GROUPS + map_rows - 1) / map_rows;
      j->n_groups = map_rows * groups_per_band;
    }
  else
    j->n_groups = MIN_GROUPS;

  n_threads = params->pool ? lb_thread_pool_get_n_threads (params->pool) : 1;
  j->x = g_new0 (float *, n_threads);
  j->y = g_new0 (float *, n_threads);
  j->q = g_new0 (guint8 *, n_threads);
  for (guint i = 0; i < n_threads; i++)
    {
      j->x[i] = g_new (float, j->ne0);
      j->y[i] = g_new (float, j->ne0);
      j->q[i] = g_malloc (MAX (j->q_row, 1));
    }
  j->groups = g_new0 (Group, j->n_groups);
  for (guint g = 0; g < j->n_groups; g++)
    {
      lb_error_accum_init (&j->groups[g].acc);
      if (want_map)
        j->groups[g].cells = g_new0 (double, 2 * j->map_cols);
    }

  if (params->pool)
    lb_thread_pool_run (params->pool, j->n_groups, 1, run_groups, j);
  else
    run_groups (0, j->n_groups, 0, j);

  if (g_atomic_int_get (&j->cancelled))
    ok = !g_cancellable_set_error_if_cancelled (j->cancellable, error);
  for (guint g = 0; ok && g < j->n_groups; g++)
    if (j->groups[g].bad)
      {
        Group *b = &j->groups[g];
        g_set_error (error, LB_ERROR, LB_ERROR_NUMERIC,
                     "tensor %s%s: the value at row %" G_GINT64_FORMAT ", column %"
                     G_GINT64_FORMAT " is not finite", t->name,
                     b->bad_in_candidate ? " (candidate)" : "", b->bad_row, b->bad_col);
        ok = FALSE;
      }

  if (ok)
    {
      lb_error_accum_init (&total);
      for (guint g = 0; g < j->n_groups; g++)
        lb_error_accum_merge (&total, &j->groups[g].acc);
      lb_error_accum_finish (&total, out);
      if (want_map)
        {
          LbErrorMap *m = g_new0 (LbErrorMap, 1);
          m->n_rows = map_rows;
          m->n_cols = j->map_cols;
          m->tensor_rows = j->n_rows;
          m->tensor_cols = j->ne0;
          m->snr_db = g_new (double, (gsize) map_rows * j->map_cols);
          for (guint b = 0; b < map_rows; b++)
            for (guint c = 0; c < j->map_cols; c++)
              {
                double sx2 = 0, sd2 = 0;
                for (guint g = b * groups_per_band; g < (b + 1) * groups_per_band; g++)
                  {
                    sx2 += j->groups[g].cells[2 * c];
                    sd2 += j->groups[g].cells[2 * c + 1];
                  }
                m->snr_db[(gsize) b * j->map_cols + c] = lb_snr_db (sx2, sd2);
              }
          *map = m;
        }
      else if (map)
        *map = NULL;
    }

  for (guint i = 0; i < n_threads; i++)
    {
      g_free (j->x[i]);
      g_free (j->y[i]);
      g_free (j->q[i]);
    }
  g_free (j->x);
  g_free (j->y);
  g_free (j->q);
  for (guint g = 0; g < j->n_groups; g++)
    g_free (j->groups[g].cells);
  g_free (j->groups);
  return ok;
}

gboolean
lb_tensor_error_under_type (const LbTensor *tensor, LbType type,
                            const LbTensorErrorParams *params, LbTensorError *out,
                            LbErrorMap **map, GCancellable *cancellable, GError **error)
{
  Job j = { 0 };

  g_return_val_if_fail (tensor != NULL && out != NULL, FALSE);

  if (map)
    *map = NULL;
  if (!lb_tensor_check_convertible (tensor, type, error))
    return FALSE;
  j.ref = tensor;
  j.type = type;
  j.q_traits = lb_type_get_traits (type);
  j.q_row = lb_type_row_size (type, tensor->ne[0]);
  j.cancellable = cancellable;
  return run (&j, params, out, map, error);
}

gboolean
lb_tensor_error_compare (const LbTensor *reference, const LbTensor *candidate,
                         const LbTensorErrorParams *params, LbTensorError *out,
                         LbErrorMap **map, GCancellable *cancellable, GError **error)
{
  Job j = { 0 };

  g_return_val_if_fail (reference != NULL && candidate != NULL && out != NULL, FALSE);

  if (map)
    *map = NULL;
  if (memcmp (reference->ne, candidate->ne, sizeof reference->ne) != 0)
    {
      g_autofree char *a = lb_tensor_shape_string (reference);
      g_autofree char *b = lb_tensor_shape_string (candidate);
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "tensor %s has shape %s but the candidate %s has %s", reference->name, a,
                   candidate->name, b);
      return FALSE;
    }
  if (!check_readable (candidate, &j.cand_traits, &j.cand_row, error))
    return FALSE;
  j.ref = reference;
  j.cand = candidate;
  j.cancellable = cancellable;
  return run (&j, params, out, map, error);
}
