/* lb-planner.c: from a sensitivity table and a budget to a recipe */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lb-error.h"
#include "lb-planner.h"
#include "lb-quantize.h"
#include "lb-variant.h"

typedef struct {
  char         *name;        /* the table's group */
  guint         group;       /* its index in the table */
  GPtrArray    *tensors;     /* LbSensTarget*, the group's tensors not pinned */
  double        share;       /* their part of the group's parameters */
  LbPlanOption *options;     /* one per planner type */
} Item;

struct _LbPlanner {
  LbModel       *model;
  LbSensitivity *sens;
  LbImatrix     *imatrix;
  char          *imatrix_path;
  char          *name;
  gboolean       use_proxy;
  guint          n_types;
  LbType        *types;      /* the planner's types */
  guint         *column;     /* their columns in the table */
  GPtrArray     *targets;    /* LbSensTarget*, types as above */
  GHashTable    *by_name;    /* tensor name -> LbSensTarget* */
  GHashTable    *group_of;   /* tensor name -> GUINT_TO_POINTER (group + 1) */
  GHashTable    *share;      /* tensor name -> double* share of its group */
  GHashTable    *pinned;     /* tensor name -> GINT_TO_POINTER (type) */
  double         pinned_value;
  GArray        *items;      /* Item */
  guint64        alignment;
  guint64        fixed;      /* file bytes outside the items' tensors */
  guint64        n_params;
};

static void
item_clear (Item *it)
{
  g_free (it->name);
  g_ptr_array_unref (it->tensors);
  g_free (it->options);
}

void
lb_planner_free (LbPlanner *p)
{
  if (p == NULL)
    return;
  g_clear_object (&p->model);
  g_clear_pointer (&p->sens, lb_sensitivity_unref);
  g_clear_pointer (&p->imatrix, lb_imatrix_unref);
  g_free (p->imatrix_path);
  g_free (p->name);
  g_free (p->types);
  g_free (p->column);
  g_clear_pointer (&p->targets, g_ptr_array_unref);
  g_clear_pointer (&p->by_name, g_hash_table_unref);
  g_clear_pointer (&p->group_of, g_hash_table_unref);
  g_clear_pointer (&p->share, g_hash_table_unref);
  g_clear_pointer (&p->pinned, g_hash_table_unref);
  if (p->items)
    {
      for (guint i = 0; i < p->items->len; i++)
        item_clear (&g_array_index (p->items, Item, i));
      g_array_unref (p->items);
    }
  g_free (p);
}

void
lb_planner_result_free (LbPlannerResult *r)
{
  if (r == NULL)
    return;
  g_clear_pointer (&r->recipe, lb_recipe_unref);
  g_clear_pointer (&r->plan, lb_quant_plan_unref);
  g_free (r);
}

static guint64
align_up (guint64 n, guint64 a)
{
  return (n + a - 1) / a * a;
}

/* what the planner minimizes for a cell: measured loss (never below 0:
 * quantizing does not improve on the reference, a negative figure is
 * noise) or the weight proxy */
static gboolean
cell_value (LbPlanner *p, guint group, guint column, double *out, GError **error)
{
  const LbSensCell *c = lb_sensitivity_get_cell (p->sens, group, column);

  if (p->use_proxy)
    {
      *out = isfinite (c->err) ? c->err : 0;
      return TRUE;
    }
  if (!c->measured || !isfinite (c->delta_kld))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "the sensitivity table has no measured KLD for %s as %s (measure it with "
                   "--text, or plan with the weight proxy)",
                   lb_sensitivity_get_group_name (p->sens, group), lb_type_get_name (c->type));
      return FALSE;
    }
  *out = MAX (c->delta_kld, 0.0);
  return TRUE;
}

static double
tensor_share (LbPlanner *p, const char *name)
{
  double *s = g_hash_table_lookup (p->share, name);
  return s ? *s : 0;
}

static guint
tensor_group (LbPlanner *p, const char *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (p->group_of, name)) - 1;
}

/* the planner type whose effective type for t is type; -1 when none */
static gint
column_for (LbPlanner *p, const LbSensTarget *t, LbType type)
{
  for (guint j = 0; j < p->n_types; j++)
    if (t->types[j] == type)
      return (gint) j;
  return -1;
}

/* ---- recipes from choices ---------------------------------------------------- */

static char *
escape_pattern (const char *name)
{
  GString *s = g_string_new (NULL);

  for (const char *c = name; *c; c++)
    {
      if (strchr ("*?[]\\", *c))
        g_string_append_c (s, '\\');
      g_string_append_c (s, *c);
    }
  return g_string_free (s, FALSE);
}

/* types: tensor name -> GINT_TO_POINTER (type) for every target */
static LbRecipe *
recipe_from_types (LbPlanner *p, GHashTable *types, GError **error)
{
  g_autoptr (LbRecipe) r = lb_recipe_new (p->name);
  guint counts[LB_TYPE_COUNT] = { 0 };
  LbType base = LB_TYPE_COUNT;

  for (guint i = 0; i < p->targets->len; i++)
    {
      LbSensTarget *t = p->targets->pdata[i];
      counts[GPOINTER_TO_INT (g_hash_table_lookup (types, t->tensor->name))]++;
    }
  for (guint k = 0; k < LB_TYPE_COUNT; k++)
    if (counts[k] > 0 && (base == LB_TYPE_COUNT || counts[k] > counts[base]))
      base = k;
  lb_recipe_set_base_type (r, base);
  if (p->imatrix_path)
    lb_recipe_set_importance (r, p->imatrix_path);
  for (guint i = 0; i < p->targets->len; i++)
    {
      LbSensTarget *t = p->targets->pdata[i];
      LbType type = GPOINTER_TO_INT (g_hash_table_lookup (types, t->tensor->name));
      g_autofree char *pattern = NULL;
      LbRecipeRule rule = { 0 };

      if (type == base)
        continue;
      pattern = escape_pattern (t->tensor->name);
      rule.pattern = pattern;
      rule.type = type;
      if (!lb_recipe_add_rule (r, NULL, &rule, error))
        return NULL;
    }
  return g_steal_pointer (&r);
}

static GHashTable *
types_of_choice (LbPlanner *p, const guint *choice)
{
  GHashTable *types = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter it;
  gpointer k, v;

  g_hash_table_iter_init (&it, p->pinned);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_hash_table_insert (types, k, v);
  for (guint i = 0; i < p->items->len; i++)
    {
      Item *item = &g_array_index (p->items, Item, i);
      for (guint k2 = 0; k2 < item->tensors->len; k2++)
        {
          LbSensTarget *t = item->tensors->pdata[k2];
          g_hash_table_insert (types, t->tensor->name, GINT_TO_POINTER (t->types[choice[i]]));
        }
    }
  return types;
}

static LbPlannerResult *
result_for_choice (LbPlanner *p, const guint *choice, GError **error)
{
  g_autoptr (GHashTable) types = types_of_choice (p, choice);
  g_autoptr (LbPlannerResult) res = g_new0 (LbPlannerResult, 1);

  res->recipe = recipe_from_types (p, types, error);
  if (res->recipe == NULL || !lb_recipe_resolve (res->recipe, p->model, NULL, &res->plan, error))
    return NULL;
  /* the recipe must give every tensor the type chosen */
  for (guint i = 0; i < p->targets->len; i++)
    {
      LbSensTarget *t = p->targets->pdata[i];
      const LbPlanEntry *e = lb_quant_plan_find (res->plan, t->tensor->name);
      LbType want = GPOINTER_TO_INT (g_hash_table_lookup (types, t->tensor->name));

      if (e == NULL || e->type != want)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                       "tensor %s: the planned recipe gives %s instead of %s", t->tensor->name,
                       e ? lb_type_get_name (e->type) : "nothing", lb_type_get_name (want));
          return NULL;
        }
    }
  res->file_bytes = lb_quantize_get_file_size (res->plan, p->imatrix);
  res->predicted_delta = p->pinned_value;
  for (guint i = 0; i < p->items->len; i++)
    res->predicted_delta += g_array_index (p->items, Item, i).options[choice[i]].value;
  res->predicted_kld = res->predicted_delta
                       + (isfinite (lb_sensitivity_get_base_kld (p->sens))
                          ? lb_sensitivity_get_base_kld (p->sens) : 0);
  return g_steal_pointer (&res);
}

/* ---- construction -------------------------------------------------------------- */

static gboolean
parse_types (LbPlanner *p, const LbPlannerParams *params, GError **error)
{
  guint n = params->types ? params->n_types : lb_sensitivity_get_n_types (p->sens);

  if (n == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "no candidate types (--types)");
      return FALSE;
    }
  p->types = g_new (LbType, n);
  p->column = g_new (guint, n);
  for (guint j = 0; j < n; j++)
    {
      LbType t = params->types ? params->types[j] : lb_sensitivity_get_type (p->sens, j);
      gint col = lb_sensitivity_find_type (p->sens, t);
      gboolean dup = FALSE;

      if (col < 0)
        {
          g_autoptr (GString) have = g_string_new (NULL);
          for (guint k = 0; k < lb_sensitivity_get_n_types (p->sens); k++)
            g_string_append_printf (have, "%s%s", k ? ", " : "",
                                    lb_type_get_name (lb_sensitivity_get_type (p->sens, k)));
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "--types: %s is not in the sensitivity table (it has %s)",
                       lb_type_get_name (t) ? lb_type_get_name (t) : "?", have->str);
          return FALSE;
        }
      for (guint k = 0; k < p->n_types; k++)
        dup |= p->types[k] == t;
      if (dup)
        continue;
      p->types[p->n_types] = t;
      p->column[p->n_types++] = (guint) col;
    }
  return TRUE;
}

static gboolean
map_groups (LbPlanner *p, GError **error)
{
  guint n_groups = lb_sensitivity_get_n_groups (p->sens);

  for (guint g = 0; g < n_groups; g++)
    {
      const char * const *names = lb_sensitivity_get_group_tensors (p->sens, g);
      guint64 total = 0;

      for (guint i = 0; names[i]; i++)
        {
          LbSensTarget *t = g_hash_table_lookup (p->by_name, names[i]);
          if (t == NULL)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                           "the sensitivity table's group %s names %s, which is not a weight "
                           "matrix of %s", lb_sensitivity_get_group_name (p->sens, g), names[i],
                           lb_model_get_name (p->model));
              return FALSE;
            }
          if (g_hash_table_contains (p->group_of, names[i]))
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                           "the sensitivity table lists %s in two groups", names[i]);
              return FALSE;
            }
          g_hash_table_insert (p->group_of, (gpointer) t->tensor->name, GUINT_TO_POINTER (g + 1));
          total += (guint64) lb_tensor_n_elements (t->tensor);
        }
      for (guint i = 0; names[i]; i++)
        {
          LbSensTarget *t = g_hash_table_lookup (p->by_name, names[i]);
          double *s = g_new (double, 1);
          *s = total ? (double) lb_tensor_n_elements (t->tensor) / (double) total : 0;
          g_hash_table_insert (p->share, (gpointer) t->tensor->name, s);
        }
    }
  for (guint i = 0; i < p->targets->len; i++)
    {
      LbSensTarget *t = p->targets->pdata[i];
      if (!g_hash_table_contains (p->group_of, t->tensor->name))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "tensor %s has no sensitivity data (the table covers %u groups; rerun "
                       "lowbit sensitivity on this model)", t->tensor->name, n_groups);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
pin (LbPlanner *p, const LbPlannerParams *params, GError **error)
{
  for (guint k = 0; k < params->n_protect; k++)
    {
      const LbPlanProtect *pr = &params->protect[k];
      guint matched = 0;

      if (!lb_recipe_pattern_validate (pr->pattern, error))
        return FALSE;
      for (guint i = 0; i < p->targets->len; i++)
        {
          LbSensTarget *t = p->targets->pdata[i];
          LbType type = pr->type == LB_TYPE_COUNT ? t->tensor->type : pr->type;

          if (!lb_recipe_pattern_match (pr->pattern, t->tensor->name))
            continue;
          matched++;
          if (g_hash_table_contains (p->pinned, t->tensor->name))
            continue;   /* the first pattern wins, as in recipes */
          if (lb_tensor_bytes_as (t->tensor, type) == 0)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                           "--protect %s: tensor %s cannot be stored as %s (its rows of %"
                           G_GINT64_FORMAT " do not fit the blocks)", pr->pattern,
                           t->tensor->name, lb_type_get_name (type), t->tensor->ne[0]);
              return FALSE;
            }
          g_hash_table_insert (p->pinned, (gpointer) t->tensor->name, GINT_TO_POINTER (type));
        }
      if (matched == 0)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "--protect %s matches no weight matrix of %s", pr->pattern,
                       lb_model_get_name (p->model));
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
build_items (LbPlanner *p, GError **error)
{
  guint n_groups = lb_sensitivity_get_n_groups (p->sens);
  GHashTableIter it;
  gpointer k, v;

  /* pinned tensors: their predicted loss when the table knows their type */
  g_hash_table_iter_init (&it, p->pinned);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      LbSensTarget *t = g_hash_table_lookup (p->by_name, k);
      gint col = column_for (p, t, GPOINTER_TO_INT (v));
      double value;

      if ((LbType) GPOINTER_TO_INT (v) == t->tensor->type || col < 0)
        continue;
      if (!cell_value (p, tensor_group (p, k), p->column[col], &value, error))
        return FALSE;
      p->pinned_value += value * tensor_share (p, k);
    }

  for (guint g = 0; g < n_groups; g++)
    {
      const char * const *names = lb_sensitivity_get_group_tensors (p->sens, g);
      Item item = { 0 };

      item.tensors = g_ptr_array_new ();
      for (guint i = 0; names[i]; i++)
        if (!g_hash_table_contains (p->pinned, names[i]))
          {
            g_ptr_array_add (item.tensors, g_hash_table_lookup (p->by_name, names[i]));
            item.share += tensor_share (p, names[i]);
          }
      if (item.tensors->len == 0)
        {
          g_ptr_array_unref (item.tensors);
          continue;
        }
      item.name = g_strdup (lb_sensitivity_get_group_name (p->sens, g));
      item.group = g;
      item.options = g_new0 (LbPlanOption, p->n_types);
      for (guint j = 0; j < p->n_types; j++)
        {
          double value;

          if (!cell_value (p, g, p->column[j], &value, error))
            {
              item_clear (&item);
              return FALSE;
            }
          item.options[j].value = value * item.share;
          for (guint i = 0; i < item.tensors->len; i++)
            {
              LbSensTarget *t = item.tensors->pdata[i];
              item.options[j].cost += align_up (t->bytes[j], p->alignment);
            }
        }
      g_array_append_val (p->items, item);
    }
  return TRUE;
}

/* the bytes of the file that do not depend on the items' choices */
static gboolean
measure_fixed (LbPlanner *p, GError **error)
{
  g_autofree guint *choice = g_new0 (guint, MAX (p->items->len, 1));
  g_autoptr (LbPlannerResult) r = NULL;
  g_autoptr (LbMeta) meta = NULL;
  guint64 items = 0;
  guint32 a;

  r = result_for_choice (p, choice, error);
  if (r == NULL)
    return FALSE;
  meta = lb_quantize_build_meta (r->plan, p->imatrix);
  p->alignment = lb_meta_get_u32 (meta, "general.alignment", &a, NULL) && a > 0 ? a : 32;
  for (guint i = 0; i < p->items->len; i++)
    {
      Item *item = &g_array_index (p->items, Item, i);
      for (guint j = 0; j < p->n_types; j++)
        {
          item->options[j].cost = 0;
          for (guint k = 0; k < item->tensors->len; k++)
            item->options[j].cost += align_up (((LbSensTarget *) item->tensors->pdata[k])->bytes[j],
                                               p->alignment);
        }
      items += item->options[0].cost;
    }
  p->fixed = r->file_bytes - items;
  return TRUE;
}

LbPlanner *
lb_planner_new (LbModel *model, LbSensitivity *sens, const LbPlannerParams *params,
                GError **error)
{
  g_autoptr (LbPlanner) p = g_new0 (LbPlanner, 1);
  const char *fp = lb_sensitivity_get_model_fingerprint (sens);

  g_return_val_if_fail (LB_IS_MODEL (model) && sens != NULL && params != NULL, NULL);

  p->model = g_object_ref (model);
  p->sens = lb_sensitivity_ref (sens);
  p->imatrix = params->imatrix ? lb_imatrix_ref (params->imatrix) : NULL;
  p->imatrix_path = g_strdup (params->imatrix_path);
  p->name = g_strdup (params->name ? params->name : "planned");
  p->use_proxy = params->use_proxy;
  p->n_params = lb_model_get_n_params (model);
  p->alignment = 32;
  p->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  p->group_of = g_hash_table_new (g_str_hash, g_str_equal);
  p->share = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  p->pinned = g_hash_table_new (g_str_hash, g_str_equal);
  p->items = g_array_new (FALSE, TRUE, sizeof (Item));

  if (fp && *fp)
    {
      g_autofree char *mine = lb_sensitivity_fingerprint_model (model);
      if (strcmp (mine, fp) != 0)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "the sensitivity table was measured on another model (fingerprint %.12s, "
                       "this one is %.12s)", fp, mine);
          return NULL;
        }
    }
  if (!parse_types (p, params, error))
    return NULL;
  p->targets = lb_sensitivity_list_targets (model, p->types, p->n_types, error);
  if (p->targets == NULL)
    return NULL;
  for (guint i = 0; i < p->targets->len; i++)
    {
      LbSensTarget *t = p->targets->pdata[i];
      g_hash_table_insert (p->by_name, (gpointer) t->tensor->name, t);
    }
  if (!map_groups (p, error) || !pin (p, params, error) || !build_items (p, error)
      || !measure_fixed (p, error))
    return NULL;
  return g_steal_pointer (&p);
}

/* ---- queries ------------------------------------------------------------------- */

static guint64
items_bytes (LbPlanner *p, gboolean largest)
{
  guint64 sum = 0;

  for (guint i = 0; i < p->items->len; i++)
    {
      Item *item = &g_array_index (p->items, Item, i);
      guint64 best = item->options[0].cost;
      for (guint j = 1; j < p->n_types; j++)
        best = largest ? MAX (best, item->options[j].cost) : MIN (best, item->options[j].cost);
      sum += best;
    }
  return sum;
}

guint64
lb_planner_get_min_bytes (LbPlanner *p)
{
  return p->fixed + items_bytes (p, FALSE);
}

guint64
lb_planner_get_max_bytes (LbPlanner *p)
{
  return p->fixed + items_bytes (p, TRUE);
}

guint64
lb_planner_get_n_params (LbPlanner *p)
{
  return p->n_params;
}

guint64
lb_planner_bytes_for_bpw (LbPlanner *p, double bpw)
{
  double b = bpw * (double) p->n_params / 8.0;
  return b > 0 && isfinite (b) ? (guint64) floor (b) : 0;
}

LbPlannerResult *
lb_planner_plan (LbPlanner *p, guint64 budget, GError **error)
{
  g_autofree LbPlanItem *items = g_new0 (LbPlanItem, MAX (p->items->len, 1));
  g_autofree guint *choice = g_new0 (guint, MAX (p->items->len, 1));
  guint64 min = lb_planner_get_min_bytes (p), data_budget;

  if (budget < min)
    {
      g_autofree char *what = g_strdup_printf ("%.3f", 8.0 * (double) min / (double) p->n_params);
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "a budget of %" G_GUINT64_FORMAT " bytes is below the smallest file the "
                   "types allow, %" G_GUINT64_FORMAT " bytes (%s bits per weight); add smaller "
                   "types or protect less", budget, min, what);
      return NULL;
    }
  for (guint i = 0; i < p->items->len; i++)
    {
      items[i].n_options = p->n_types;
      items[i].options = g_array_index (p->items, Item, i).options;
    }
  data_budget = budget - p->fixed;
  /* the constant part is exact, so one round normally does; the loop
   * guards against a header that changes with the mix */
  for (guint round = 0; round < 4; round++)
    {
      g_autoptr (LbPlannerResult) r = NULL;

      if (!lb_planner_solve (items, p->items->len, data_budget, 0, choice, error))
        return NULL;
      r = result_for_choice (p, choice, error);
      if (r == NULL)
        return NULL;
      r->budget_bytes = budget;
      if (r->file_bytes <= budget)
        return g_steal_pointer (&r);
      if (r->file_bytes - budget > data_budget)
        break;
      data_budget -= r->file_bytes - budget;
    }
  g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
               "no plan within %" G_GUINT64_FORMAT " bytes could be resolved", budget);
  return NULL;
}

GPtrArray *
lb_planner_front (LbPlanner *p, guint n_points, GError **error)
{
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_planner_result_free);
  guint64 lo = lb_planner_get_min_bytes (p), hi = lb_planner_get_max_bytes (p);

  n_points = MAX (n_points, 2);
  for (guint k = 0; k < n_points; k++)
    {
      guint64 budget = lo + (guint64) ((double) (hi - lo) * k / (n_points - 1));
      LbPlannerResult *r = lb_planner_plan (p, budget, error);
      LbPlannerResult *last = out->len ? out->pdata[out->len - 1] : NULL;

      if (r == NULL)
        return NULL;
      if (last && last->file_bytes == r->file_bytes && last->predicted_delta == r->predicted_delta)
        lb_planner_result_free (r);
      else
        g_ptr_array_add (out, r);
    }
  return g_steal_pointer (&out);
}

gboolean
lb_planner_predict (LbPlanner *p, LbQuantPlan *plan, double *delta)
{
  gboolean complete = TRUE;
  double sum = 0;

  for (guint i = 0; i < p->targets->len; i++)
    {
      LbSensTarget *t = p->targets->pdata[i];
      const LbPlanEntry *e = lb_quant_plan_find (plan, t->tensor->name);
      gint col;
      double v;

      if (e == NULL || e->type == t->tensor->type)
        continue;
      col = column_for (p, t, e->type);
      if (col < 0 || !cell_value (p, tensor_group (p, t->tensor->name), p->column[col], &v, NULL))
        {
          complete = FALSE;
          continue;
        }
      sum += v * tensor_share (p, t->tensor->name);
    }
  *delta = sum;
  return complete;
}
