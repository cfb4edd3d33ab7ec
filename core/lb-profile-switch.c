/* lb-profile-switch.c: precision profiles of one model, switched under
 * running engines (see the header for the design and the memory trade-off).
 *
 * One LbVariant of the source model holds the overrides of the profile built
 * last. A switch gives it new types for the tensors whose type changes, so
 * it re-quantizes those alone and keeps the buffers of all the others, and
 * builds a snapshot from it: unchanged tensors keep their pointers. */
#include "config.h"

#include <string.h>

#include "lb-error.h"
#include "lb-profile-switch.h"
#include "lb-variant.h"

struct _LbProfileSwitch
{
  GObject         parent_instance;

  LbModel        *source;
  LbRecipe       *recipe;
  LbImatrix      *imatrix;
  /* index 0: the recipe's own rules; 1 + i: profile i of the recipe */
  guint           n_plans;
  LbQuantPlan   **plans;

  GMutex          switch_lock;   /* serializes switches; held while quantizing */
  LbVariant      *variant;       /* the last built profile (switch_lock) */
  LbModel        *built;         /* its snapshot: the buffers the variant holds (lock) */

  GMutex          lock;          /* guards the rest; never held for long */
  LbProfileCache  cache;
  LbModel        *current;       /* NULL before the first switch */
  gint            current_index; /* -1 before the first switch */
  LbModel       **snapshots;     /* n_plans, LB_PROFILE_CACHE_ALL only, may be NULL */
};

G_DEFINE_FINAL_TYPE (LbProfileSwitch, lb_profile_switch, G_TYPE_OBJECT)

static void
clear_snapshots_locked (LbProfileSwitch *self)
{
  for (guint i = 0; i < self->n_plans; i++)
    g_clear_object (&self->snapshots[i]);
}

static void
lb_profile_switch_finalize (GObject *object)
{
  LbProfileSwitch *self = LB_PROFILE_SWITCH (object);

  if (self->snapshots)
    clear_snapshots_locked (self);
  g_free (self->snapshots);
  for (guint i = 0; i < self->n_plans; i++)
    g_clear_pointer (&self->plans[i], lb_quant_plan_unref);
  g_free (self->plans);
  g_clear_object (&self->current);
  g_clear_object (&self->built);
  g_clear_object (&self->variant);
  g_clear_pointer (&self->imatrix, lb_imatrix_unref);
  g_clear_pointer (&self->recipe, lb_recipe_unref);
  g_clear_object (&self->source);
  g_mutex_clear (&self->switch_lock);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (lb_profile_switch_parent_class)->finalize (object);
}

static void
lb_profile_switch_class_init (LbProfileSwitchClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lb_profile_switch_finalize;
}

static void
lb_profile_switch_init (LbProfileSwitch *self)
{
  g_mutex_init (&self->switch_lock);
  g_mutex_init (&self->lock);
  self->current_index = -1;
}

static const char *
plan_profile_name (LbProfileSwitch *self, guint index)
{
  return index == 0 ? NULL : lb_recipe_get_profile_name (self->recipe, index - 1);
}

/* index of profile in self->plans, or -1 + an error listing the profiles */
static gint
find_profile (LbProfileSwitch *self, const char *profile, GError **error)
{
  g_autoptr (GString) names = NULL;

  if (profile == NULL)
    return 0;
  for (guint i = 1; i < self->n_plans; i++)
    if (strcmp (plan_profile_name (self, i), profile) == 0)
      return (gint) i;

  names = g_string_new (NULL);
  for (guint i = 1; i < self->n_plans; i++)
    g_string_append_printf (names, "%s%s", i > 1 ? ", " : "", plan_profile_name (self, i));
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
               "the recipe %s has no profile named \"%s\" (%s%s)",
               lb_recipe_get_name (self->recipe), profile,
               self->n_plans > 1 ? "its profiles: " : "it has no profiles",
               names->str);
  return -1;
}

LbProfileSwitch *
lb_profile_switch_new (LbModel *source, LbRecipe *recipe, LbImatrix *imatrix, GError **error)
{
  g_autoptr (LbProfileSwitch) self = NULL;

  g_return_val_if_fail (LB_IS_MODEL (source), NULL);
  g_return_val_if_fail (recipe != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (LB_TYPE_PROFILE_SWITCH, NULL);
  self->source = g_object_ref (source);
  self->recipe = lb_recipe_ref (recipe);
  self->imatrix = imatrix ? lb_imatrix_ref (imatrix) : NULL;
  self->n_plans = 1 + lb_recipe_get_n_profiles (recipe);
  self->plans = g_new0 (LbQuantPlan *, self->n_plans);
  self->snapshots = g_new0 (LbModel *, self->n_plans);

  for (guint i = 0; i < self->n_plans; i++)
    {
      const char *profile = plan_profile_name (self, i);
      GError *local = NULL;

      if (!lb_recipe_resolve (recipe, source, profile, &self->plans[i], &local))
        {
          if (profile)
            g_propagate_prefixed_error (error, local, "profile %s: ", profile);
          else
            g_propagate_error (error, local);
          return NULL;
        }
      /* the snapshots must hold what lb_quantize_model would write */
      if (lb_quant_plan_uses_importance (self->plans[i]) && imatrix == NULL)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "the recipe %s uses importance data (%s), but none was loaded",
                       lb_recipe_get_name (recipe), lb_recipe_get_importance (recipe));
          return NULL;
        }
      if (!lb_quant_plan_uses_importance (self->plans[i]) && imatrix != NULL)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "importance data was given, but the recipe %s names none; set the "
                       "recipe's importance to use it", lb_recipe_get_name (recipe));
          return NULL;
        }
    }

  self->variant = lb_variant_new (source);
  lb_variant_set_imatrix (self->variant, imatrix);
  return g_steal_pointer (&self);
}

void
lb_profile_switch_set_cache (LbProfileSwitch *self, LbProfileCache cache)
{
  g_return_if_fail (LB_IS_PROFILE_SWITCH (self));
  g_return_if_fail (cache == LB_PROFILE_CACHE_NONE || cache == LB_PROFILE_CACHE_ALL);

  g_mutex_lock (&self->lock);
  self->cache = cache;
  if (cache == LB_PROFILE_CACHE_NONE)
    clear_snapshots_locked (self);
  g_mutex_unlock (&self->lock);
}

LbProfileCache
lb_profile_switch_get_cache (LbProfileSwitch *self)
{
  LbProfileCache cache;

  g_return_val_if_fail (LB_IS_PROFILE_SWITCH (self), LB_PROFILE_CACHE_NONE);

  g_mutex_lock (&self->lock);
  cache = self->cache;
  g_mutex_unlock (&self->lock);
  return cache;
}

void
lb_profile_switch_set_n_threads (LbProfileSwitch *self, guint n_threads)
{
  g_return_if_fail (LB_IS_PROFILE_SWITCH (self));
  lb_variant_set_n_threads (self->variant, n_threads);
}

LbModel *
lb_profile_switch_get_source (LbProfileSwitch *self)
{
  g_return_val_if_fail (LB_IS_PROFILE_SWITCH (self), NULL);
  return self->source;
}

LbRecipe *
lb_profile_switch_get_recipe (LbProfileSwitch *self)
{
  g_return_val_if_fail (LB_IS_PROFILE_SWITCH (self), NULL);
  return self->recipe;
}

LbQuantPlan *
lb_profile_switch_get_plan (LbProfileSwitch *self, const char *profile, GError **error)
{
  gint i;

  g_return_val_if_fail (LB_IS_PROFILE_SWITCH (self), NULL);

  i = find_profile (self, profile, error);
  return i < 0 ? NULL : self->plans[i];
}

/* ---- switching ------------------------------------------------------------------ */

/* Quantized bytes the switch keeps: the buffers of the current and cached
 * snapshots and of the variant (after swaps between cached profiles it may
 * hold another profile than the current one) that are not views of the
 * source, each counted once. */
static guint64
resident_bytes_locked (LbProfileSwitch *self)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  guint64 total = 0;

  for (guint s = 0; s < self->n_plans + 2; s++)
    {
      LbModel *m = s < self->n_plans ? self->snapshots[s]
                   : s == self->n_plans ? self->current : self->built;

      if (m == NULL)
        continue;
      for (guint i = 0; i < lb_model_get_n_tensors (m); i++)
        {
          const LbTensor *t = lb_model_get_tensor (m, i);
          const LbTensor *src = lb_model_find_tensor (self->source, t->name);

          if (src != NULL && src->data == t->data)
            continue;
          if (g_hash_table_add (seen, (gpointer) t->data))
            total += t->n_bytes;
        }
    }
  return total;
}

/* What changed from prev (the source before the first switch) to next. */
static void
compare_snapshots (LbModel *prev, LbModel *next, LbProfileSwitchStats *stats)
{
  stats->n_tensors = lb_model_get_n_tensors (next);
  for (guint i = 0; i < stats->n_tensors; i++)
    {
      const LbTensor *t = lb_model_get_tensor (next, i);
      const LbTensor *p = lb_model_find_tensor (prev, t->name);

      if (p == NULL || p->type != t->type)
        {
          stats->n_changed++;
          stats->changed_bytes += t->n_bytes;
        }
      else if (p->data == t->data)
        stats->shared_bytes += t->n_bytes;
    }
}

static double
ms_since (gint64 t0)
{
  return (double) (g_get_monotonic_time () - t0) / 1000.0;
}

gboolean
lb_profile_switch_set_profile (LbProfileSwitch *self, const char *profile,
                               LbProfileSwitchStats *stats, LbProgressFunc progress,
                               gpointer progress_data, GCancellable *cancellable,
                               GError **error)
{
  LbProfileSwitchStats st = { 0 };
  g_autoptr (LbModel) prev = NULL;
  g_autoptr (LbModel) next = NULL;
  gint64 t0 = g_get_monotonic_time ();
  gint index;

  g_return_val_if_fail (LB_IS_PROFILE_SWITCH (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (stats)
    *stats = st;
  index = find_profile (self, profile, error);
  if (index < 0)
    return FALSE;

  g_mutex_lock (&self->switch_lock);
  g_mutex_lock (&self->lock);
  prev = self->current ? g_object_ref (self->current) : NULL;
  if (self->current_index == index)
    next = g_object_ref (self->current);
  else if (self->snapshots[index] != NULL)
    next = g_object_ref (self->snapshots[index]);
  g_mutex_unlock (&self->lock);

  if (next != NULL)
    st.from_cache = TRUE;
  else
    {
      LbQuantPlan *plan = self->plans[index];
      g_autoptr (GHashTable) types = g_hash_table_new (g_str_hash, g_str_equal);
      gint64 t1;

      /* only what differs from the variant's current state is quantized */
      for (guint i = 0; i < lb_quant_plan_get_n_entries (plan); i++)
        {
          const LbPlanEntry *e = lb_quant_plan_get_entry (plan, i);

          if (lb_variant_get_tensor_type (self->variant, e->tensor->name) != e->type)
            {
              g_hash_table_insert (types, e->tensor->name, GINT_TO_POINTER (e->type));
              if (e->type != e->tensor->type)
                {
                  st.n_quantized++;
                  st.quantized_bytes += e->n_bytes;
                }
            }
        }
      t1 = g_get_monotonic_time ();
      if (!lb_variant_set_types (self->variant, types, progress, progress_data, cancellable,
                                 error))
        {
          g_mutex_unlock (&self->switch_lock);
          return FALSE;
        }
      st.quantize_ms = ms_since (t1);
      t1 = g_get_monotonic_time ();
      next = lb_variant_build_model (self->variant, error);
      st.build_ms = ms_since (t1);
      if (next == NULL)
        {
          g_mutex_unlock (&self->switch_lock);
          return FALSE;
        }
    }

  g_mutex_lock (&self->lock);
  if (!st.from_cache)
    g_set_object (&self->built, next);
  g_set_object (&self->current, next);
  self->current_index = index;
  if (self->cache == LB_PROFILE_CACHE_ALL)
    g_set_object (&self->snapshots[index], next);
  st.resident_bytes = resident_bytes_locked (self);
  g_mutex_unlock (&self->lock);
  g_mutex_unlock (&self->switch_lock);

  compare_snapshots (prev ? prev : self->source, next, &st);
  st.total_ms = ms_since (t0);
  if (stats)
    *stats = st;
  return TRUE;
}

static void
set_profile_thread (GTask *task, gpointer source, gpointer task_data,
                    GCancellable *cancellable)
{
  LbProfileSwitchStats *stats = g_new0 (LbProfileSwitchStats, 1);
  GError *error = NULL;

  if (lb_profile_switch_set_profile (source, task_data, stats, NULL, NULL, cancellable, &error))
    g_task_return_pointer (task, stats, g_free);
  else
    {
      g_free (stats);
      g_task_return_error (task, error);
    }
}

void
lb_profile_switch_set_profile_async (LbProfileSwitch *self, const char *profile,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (LB_IS_PROFILE_SWITCH (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lb_profile_switch_set_profile_async);
  g_task_set_task_data (task, g_strdup (profile), g_free);
  g_task_run_in_thread (task, set_profile_thread);
}

gboolean
lb_profile_switch_set_profile_finish (LbProfileSwitch *self, GAsyncResult *result,
                                      LbProfileSwitchStats *stats, GError **error)
{
  g_autofree LbProfileSwitchStats *st = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                        == lb_profile_switch_set_profile_async, FALSE);

  st = g_task_propagate_pointer (G_TASK (result), error);
  if (st == NULL)
    return FALSE;
  if (stats)
    *stats = *st;
  return TRUE;
}

/* ---- the current profile -------------------------------------------------------- */

char *
lb_profile_switch_dup_profile (LbProfileSwitch *self)
{
  char *name = NULL;

  g_return_val_if_fail (LB_IS_PROFILE_SWITCH (self), NULL);

  g_mutex_lock (&self->lock);
  if (self->current_index > 0)
    name = g_strdup (plan_profile_name (self, (guint) self->current_index));
  g_mutex_unlock (&self->lock);
  return name;
}

gboolean
lb_profile_switch_has_model (LbProfileSwitch *self)
{
  gboolean has;

  g_return_val_if_fail (LB_IS_PROFILE_SWITCH (self), FALSE);

  g_mutex_lock (&self->lock);
  has = self->current != NULL;
  g_mutex_unlock (&self->lock);
  return has;
}

LbModel *
lb_profile_switch_dup_model (LbProfileSwitch *self)
{
  LbModel *model;

  g_return_val_if_fail (LB_IS_PROFILE_SWITCH (self), NULL);

  g_mutex_lock (&self->lock);
  model = self->current ? g_object_ref (self->current) : NULL;
  g_mutex_unlock (&self->lock);
  return model;
}

gboolean
lb_profile_switch_update_engine (LbProfileSwitch *self, LbEngine *engine, gboolean *switched,
                                 GError **error)
{
  g_autoptr (LbModel) model = NULL;

  g_return_val_if_fail (LB_IS_PROFILE_SWITCH (self), FALSE);
  g_return_val_if_fail (engine != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (switched)
    *switched = FALSE;
  model = lb_profile_switch_dup_model (self);
  if (model == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "no profile of the recipe %s has been chosen yet",
                   lb_recipe_get_name (self->recipe));
      return FALSE;
    }
  if (lb_engine_get_model (engine) == model)
    return TRUE;
  if (!lb_engine_set_model (engine, model, error))
    return FALSE;
  if (switched)
    *switched = TRUE;
  return TRUE;
}

char **
lb_profile_switch_diff (LbProfileSwitch *self, const char *from, const char *to,
                        GError **error)
{
  GPtrArray *names;
  gint a, b;

  g_return_val_if_fail (LB_IS_PROFILE_SWITCH (self), NULL);

  a = find_profile (self, from, error);
  b = a < 0 ? -1 : find_profile (self, to, error);
  if (b < 0)
    return NULL;
  names = g_ptr_array_new ();
  for (guint i = 0; i < lb_model_get_n_tensors (self->source); i++)
    {
      const char *name = lb_model_get_tensor (self->source, i)->name;
      const LbPlanEntry *ea = lb_quant_plan_find (self->plans[a], name);
      const LbPlanEntry *eb = lb_quant_plan_find (self->plans[b], name);

      if (ea != NULL && eb != NULL && ea->type != eb->type)
        g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}
