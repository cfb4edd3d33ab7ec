/* lb-prune-row.c: what pruning does to one row, and the small parsers and
 * checks around it (lb-prune.h). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lb-error.h"
#include "lb-half.h"
#include "lb-prune.h"
#include "lb-recipe.h"

/* A weight's sort key: its score's bits (order-preserving for scores >= 0)
 * above its column, so keys are distinct and equal scores order by column. */
static inline guint64
make_key (float w, const float *importance, gint64 col)
{
  float score = fabsf (w);

  if (importance)
    score *= importance[col] > 0 ? sqrtf (importance[col]) : 0.0f;
  return ((guint64) lb_fp32_to_bits (score) << 32) | (guint64) col;
}

static int
cmp_key (const void *a, const void *b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;

  return x < y ? -1 : x > y;
}

static inline void
swap_key (guint64 *a, guint64 *b)
{
  guint64 t = *a;

  *a = *b;
  *b = t;
}

/* Moves the k smallest of the n distinct keys to the front (quickselect
 * with a median-of-three pivot; a sort if it degenerates). */
static void
select_smallest (guint64 *keys, gsize n, gsize k)
{
  gsize lo = 0, hi = n;
  guint rounds = 0;

  if (k == 0 || k >= n)
    return;
  while (hi - lo > 16)
    {
      guint64 a = keys[lo], b = keys[lo + (hi - lo) / 2], c = keys[hi - 1];
      guint64 pivot = MAX (MIN (a, b), MIN (MAX (a, b), c));
      gsize i = lo;

      if (++rounds > 64)
        break;
      for (gsize j = lo; j < hi; j++)
        if (keys[j] < pivot)
          swap_key (&keys[i++], &keys[j]);
      /* [lo, i) < pivot <= [i, hi): put the pivot itself at i */
      for (gsize j = i; j < hi; j++)
        if (keys[j] == pivot)
          {
            swap_key (&keys[i], &keys[j]);
            break;
          }
      if (k == i || k == i + 1)
        return;
      if (k < i)
        hi = i;
      else
        lo = i + 1;
    }
  qsort (keys + lo, hi - lo, sizeof *keys, cmp_key);
}

guint64
lb_prune_row (float *row, gint64 n, const float *importance, double sparsity, guint64 *keys)
{
  gint64 k;
  guint64 zeros = 0;

  g_return_val_if_fail (n >= 0 && n <= G_MAXUINT32, 0);
  g_return_val_if_fail (n == 0 || (row != NULL && keys != NULL), 0);

  if (!(sparsity > 0))
    k = 0;
  else
    k = MIN ((gint64) llround (sparsity * (double) n), n);
  if (k > 0)
    {
      for (gint64 c = 0; c < n; c++)
        keys[c] = make_key (row[c], importance, c);
      select_smallest (keys, (gsize) n, (gsize) k);
      for (gint64 i = 0; i < k; i++)
        row[keys[i] & G_MAXUINT32] = 0.0f;
    }
  for (gint64 c = 0; c < n; c++)
    zeros += row[c] == 0.0f;
  return zeros;
}

gboolean
lb_prune_row_nm (float *row, gint64 n, const float *importance, guint keep, guint m,
                 guint64 *n_zero)
{
  guint64 keys[LB_PRUNE_MAX_GROUP];
  guint64 zeros = 0;

  g_return_val_if_fail (m >= 1 && m <= LB_PRUNE_MAX_GROUP && keep <= m, FALSE);

  *n_zero = 0;
  if (n < 0 || n % m != 0)
    return FALSE;
  for (gint64 g = 0; g < n; g += m)
    {
      /* insertion sort of the group's keys: m is small */
      for (guint i = 0; i < m; i++)
        {
          guint64 key = make_key (row[g + i], importance ? importance + g : NULL, i);
          guint j = i;
          for (; j > 0 && keys[j - 1] > key; j--)
            keys[j] = keys[j - 1];
          keys[j] = key;
        }
      for (guint i = 0; i < m - keep; i++)
        row[g + (gint64) (keys[i] & G_MAXUINT32)] = 0.0f;
    }
  for (gint64 c = 0; c < n; c++)
    zeros += row[c] == 0.0f;
  *n_zero = zeros;
  return TRUE;
}

/* ---- options --------------------------------------------------------------- */

static gboolean
parse_uint (const char *s, const char **end, guint *out)
{
  guint64 v = 0;
  const char *p = s;

  while (*p >= '0' && *p <= '9' && v <= G_MAXUINT)
    v = v * 10 + (guint64) (*p++ - '0');
  if (p == s || v > G_MAXUINT)
    return FALSE;
  *end = p;
  *out = (guint) v;
  return TRUE;
}

gboolean
lb_prune_parse_pattern (const char *text, guint *n, guint *m, GError **error)
{
  const char *p = text;
  guint a, b;

  if (text == NULL || !parse_uint (p, &p, &a) || *p != ':' || !parse_uint (p + 1, &p, &b)
      || *p != '\0')
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "pattern \"%s\": expected N:M, e.g. 2:4 (keep 2 weights of every 4)",
                   text ? text : "");
      return FALSE;
    }
  if (a < 1 || a >= b || b > LB_PRUNE_MAX_GROUP)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "pattern %u:%u: need 1 <= N < M <= %u", a, b, LB_PRUNE_MAX_GROUP);
      return FALSE;
    }
  *n = a;
  *m = b;
  return TRUE;
}

static gboolean
check_patterns (const char * const *patterns, const char *what, GError **error)
{
  for (guint i = 0; patterns && patterns[i]; i++)
    {
      GError *local = NULL;
      if (!lb_recipe_pattern_validate (patterns[i], &local))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "%s pattern \"%s\": %s",
                       what, patterns[i], local->message);
          g_error_free (local);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
lb_prune_params_check (const LbPruneParams *params, GError **error)
{
  g_return_val_if_fail (params != NULL, FALSE);

  if (params->m > 0)
    {
      if (params->n < 1 || params->n >= params->m || params->m > LB_PRUNE_MAX_GROUP)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "pattern %u:%u: need 1 <= N < M <= %u", params->n, params->m,
                       LB_PRUNE_MAX_GROUP);
          return FALSE;
        }
    }
  else if (!(params->sparsity >= 0 && params->sparsity < 1))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "sparsity %g: must be at least 0 and less than 1", params->sparsity);
      return FALSE;
    }
  if (params->n_threads > 1024)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "%u threads: at most 1024", params->n_threads);
      return FALSE;
    }
  return check_patterns (params->include, "include", error)
         && check_patterns (params->exclude, "exclude", error);
}

static gboolean
matches_any (const char * const *patterns, const char *name)
{
  for (guint i = 0; patterns && patterns[i]; i++)
    if (lb_recipe_pattern_match (patterns[i], name))
      return TRUE;
  return FALSE;
}

/* the default set: a block's 2-D weight matrices */
static gboolean
is_block_matrix (const LbTensor *t)
{
  const char *p;

  if (t->n_dims != 2 || t->ne[0] < 2 || t->ne[1] < 2 || !g_str_has_suffix (t->name, ".weight")
      || !g_str_has_prefix (t->name, "blk."))
    return FALSE;
  p = t->name + 4;
  if (*p < '0' || *p > '9')
    return FALSE;
  while (*p >= '0' && *p <= '9')
    p++;
  return *p == '.';
}

gboolean
lb_prune_selects (const LbPruneParams *params, const LbTensor *t)
{
  gboolean in;

  g_return_val_if_fail (params != NULL && t != NULL, FALSE);

  if (params->include && params->include[0])
    in = matches_any (params->include, t->name);
  else
    in = is_block_matrix (t);
  return in && !matches_any (params->exclude, t->name);
}
