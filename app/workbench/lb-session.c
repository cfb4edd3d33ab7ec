/* lb-session.c */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>

#include "lb-quantize.h"
#include "lb-recipe-edit.h"
#include "lb-session.h"

const char * const lb_session_kinds[LB_SESSION_N_KINDS] = {
  "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down",
};

/* One state of the history: the recipe (NULL: the model's own types) and,
 * once applied, the type of every tensor it gives */
typedef struct {
  gint         ref_count;
  LbRecipe    *recipe;
  char        *profile;
  gboolean     edited;     /* rules changed by hand since the recipe was chosen */
  char        *what;       /* what made this state, for undo/redo tooltips */
  GHashTable  *types;      /* name -> GINT_TO_POINTER (LbType); NULL until applied */
  LbQuantPlan *plan;
  char        *importance; /* the importance data's file (the recipe's too); NULL: none */
  LbImatrix   *imatrix;    /* its data, once read */
  guint64      file_bytes; /* of a quantized export; 0 until applied */
} State;

static State *
state_new (LbRecipe *recipe, const char *profile, gboolean edited, const char *what)
{
  State *state = g_new0 (State, 1);

  state->ref_count = 1;
  state->recipe = recipe != NULL ? lb_recipe_ref (recipe) : NULL;
  state->profile = g_strdup (profile);
  state->edited = edited;
  state->what = g_strdup (what);
  return state;
}

/* path and, when already read, its data (imatrix's path must be path) */
static void
state_set_importance (State *state, const char *path, LbImatrix *imatrix)
{
  g_free (state->importance);
  state->importance = g_strdup (path);
  g_clear_pointer (&state->imatrix, lb_imatrix_unref);
  if (path != NULL && imatrix != NULL)
    state->imatrix = lb_imatrix_ref (imatrix);
}

/* atomic: the worker applying a state may drop the last reference */
static State *
state_ref (State *state)
{
  g_atomic_int_inc (&state->ref_count);
  return state;
}

static void
state_unref (State *state)
{
  if (state == NULL || !g_atomic_int_dec_and_test (&state->ref_count))
    return;
  g_clear_pointer (&state->recipe, lb_recipe_unref);
  g_clear_pointer (&state->types, g_hash_table_unref);
  g_clear_pointer (&state->plan, lb_quant_plan_unref);
  g_clear_pointer (&state->imatrix, lb_imatrix_unref);
  g_free (state->profile);
  g_free (state->what);
  g_free (state->importance);
  g_free (state);
}

struct _LbSession
{
  GObject        parent_instance;

  LbModel       *model;
  LbVariant     *variant;
  guint          n_threads;

  GPtrArray     *history;     /* State *, oldest first */
  guint          current;     /* index of the state the variant has */
  LbJob         *apply_job;   /* the edit being applied, if any */
  guint          revision;

  LbEvalResult  *eval;
  guint          eval_revision;
  char          *eval_label;
  guint64        eval_file_bytes;
  LbBenchResult *bench;
  guint          bench_revision;
  char          *bench_label;
  guint64        bench_memory;
};

G_DEFINE_FINAL_TYPE (LbSession, lb_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BUSY,
  PROP_CAN_UNDO,
  PROP_CAN_REDO,
  PROP_REVISION,
  N_PROPS
};

enum {
  CHANGED,
  JOB_STARTED,
  FAILED,
  NOTICE,
  MEASURED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static State *
current_state (LbSession *self)
{
  return g_ptr_array_index (self->history, self->current);
}

/* ---- GObject ------------------------------------------------------------ */

static void
lb_session_dispose (GObject *object)
{
  LbSession *self = LB_SESSION (object);

  if (self->apply_job != NULL)
    lb_job_cancel (self->apply_job);
  g_clear_object (&self->apply_job);

  G_OBJECT_CLASS (lb_session_parent_class)->dispose (object);
}

static void
lb_session_finalize (GObject *object)
{
  LbSession *self = LB_SESSION (object);

  g_clear_pointer (&self->history, g_ptr_array_unref);
  g_clear_pointer (&self->eval, lb_eval_result_free);
  g_clear_pointer (&self->bench, lb_bench_result_free);
  g_clear_pointer (&self->eval_label, g_free);
  g_clear_pointer (&self->bench_label, g_free);
  g_clear_object (&self->variant);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (lb_session_parent_class)->finalize (object);
}

static void
lb_session_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  LbSession *self = LB_SESSION (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, lb_session_get_busy (self));
      break;
    case PROP_CAN_UNDO:
      g_value_set_boolean (value, lb_session_can_undo (self));
      break;
    case PROP_CAN_REDO:
      g_value_set_boolean (value, lb_session_can_redo (self));
      break;
    case PROP_REVISION:
      g_value_set_uint (value, self->revision);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_session_class_init (LbSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lb_session_dispose;
  object_class->finalize = lb_session_finalize;
  object_class->get_property = lb_session_get_property;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_UNDO] =
    g_param_spec_boolean ("can-undo", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_REDO] =
    g_param_spec_boolean ("can-redo", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REVISION] =
    g_param_spec_uint ("revision", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* the types changed (an edit, undo or redo landed) */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* an edit started a job: list it */
  signals[JOB_STARTED] =
    g_signal_new ("job-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, LB_TYPE_JOB);
  /* an edit failed: heading, message */
  signals[FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /* short news for a toast */
  signals[NOTICE] =
    g_signal_new ("notice", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* an evaluation or benchmark result arrived */
  signals[MEASURED] =
    g_signal_new ("measured", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
lb_session_init (LbSession *self)
{
  self->history = g_ptr_array_new_with_free_func ((GDestroyNotify) state_unref);
}

static GHashTable *
stored_types (LbModel *model)
{
  GHashTable *types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < lb_model_get_n_tensors (model); i++)
    {
      const LbTensor *t = lb_model_get_tensor (model, i);

      g_hash_table_insert (types, g_strdup (t->name), GINT_TO_POINTER (t->type));
    }
  return types;
}

LbSession *
lb_session_new (LbModel *model)
{
  LbSession *self;
  State *initial;

  g_return_val_if_fail (LB_IS_MODEL (model), NULL);

  self = g_object_new (LB_TYPE_SESSION, NULL);
  self->model = g_object_ref (model);
  self->variant = lb_variant_new (model);
  initial = state_new (NULL, NULL, FALSE, NULL);
  initial->types = stored_types (model);
  g_ptr_array_add (self->history, initial);
  return self;
}

/* ---- getters -------------------------------------------------------------- */

LbModel *
lb_session_get_model (LbSession *self)
{
  g_return_val_if_fail (LB_IS_SESSION (self), NULL);
  return self->model;
}

LbVariant *
lb_session_get_variant (LbSession *self)
{
  g_return_val_if_fail (LB_IS_SESSION (self), NULL);
  return self->variant;
}

void
lb_session_set_n_threads (LbSession *self, guint n_threads)
{
  g_return_if_fail (LB_IS_SESSION (self));
  self->n_threads = n_threads;
  lb_variant_set_n_threads (self->variant, n_threads);
}

guint
lb_session_get_n_threads (LbSession *self)
{
  g_return_val_if_fail (LB_IS_SESSION (self), 0);
  return self->n_threads;
}

LbRecipe *
lb_session_get_recipe (LbSession *self)
{
  g_return_val_if_fail (LB_IS_SESSION (self), NULL);
  return current_state (self)->recipe;
}

const char *
lb_session_get_profile (LbSession *self)
{
  g_return_val_if_fail (LB_IS_SESSION (self), NULL);
  return current_state (self)->profile;
}

LbQuantPlan *
lb_session_get_plan (LbSession *self)
{
  g_return_val_if_fail (LB_IS_SESSION (self), NULL);
  return current_state (self)->plan;
}

LbImatrix *
lb_session_get_imatrix (LbSession *self)
{
  g_return_val_if_fail (LB_IS_SESSION (self), NULL);
  return current_state (self)->imatrix;
}

char *
lb_session_dup_label (LbSession *self)
{
  State *state;
  g_autofree char *name = NULL;

  g_return_val_if_fail (LB_IS_SESSION (self), NULL);

  state = current_state (self);
  if (state->recipe == NULL)
    /* Translators: the model's types, before any quantization */
    return g_strdup (_("As stored"));
  name = lb_recipe_edit_describe (state->recipe, state->profile);
  if (state->edited)
    /* Translators: a recipe name, changed by hand: "Q4_K_M, edited" */
    return g_strdup_printf (_("%s, edited"), name);
  return g_steal_pointer (&name);
}

guint
lb_session_get_revision (LbSession *self)
{
  g_return_val_if_fail (LB_IS_SESSION (self), 0);
  return self->revision;
}

gboolean
lb_session_get_busy (LbSession *self)
{
  g_return_val_if_fail (LB_IS_SESSION (self), FALSE);
  return self->apply_job != NULL;
}

gboolean
lb_session_can_undo (LbSession *self)
{
  g_return_val_if_fail (LB_IS_SESSION (self), FALSE);
  return self->apply_job == NULL && self->current > 0;
}

gboolean
lb_session_can_redo (LbSession *self)
{
  g_return_val_if_fail (LB_IS_SESSION (self), FALSE);
  return self->apply_job == NULL && self->current + 1 < self->history->len;
}

const char *
lb_session_get_undo_label (LbSession *self)
{
  g_return_val_if_fail (LB_IS_SESSION (self), NULL);
  return self->current > 0 ? current_state (self)->what : NULL;
}

const char *
lb_session_get_redo_label (LbSession *self)
{
  State *next;

  g_return_val_if_fail (LB_IS_SESSION (self), NULL);
  if (self->current + 1 >= self->history->len)
    return NULL;
  next = g_ptr_array_index (self->history, self->current + 1);
  return next->what;
}

guint64
lb_session_get_data_bytes (LbSession *self)
{
  g_return_val_if_fail (LB_IS_SESSION (self), 0);
  return lb_variant_get_data_bytes (self->variant);
}

guint64
lb_session_get_file_bytes (LbSession *self)
{
  State *state;

  g_return_val_if_fail (LB_IS_SESSION (self), 0);
  state = current_state (self);
  if (state->plan == NULL)
    return lb_model_get_file_size (self->model);
  return state->file_bytes;
}

LbType
lb_session_get_tensor_type (LbSession *self, const char *name)
{
  g_return_val_if_fail (LB_IS_SESSION (self), LB_TYPE_COUNT);
  return lb_variant_get_tensor_type (self->variant, name);
}

/* ---- applying a state ------------------------------------------------------ */

typedef struct {
  LbModel   *model;
  LbVariant *variant;
  State     *target;
  LbImatrix *old_imatrix;
  LbJob     *job;
} ApplyData;

static void
apply_data_free (gpointer data)
{
  ApplyData *d = data;

  g_clear_object (&d->model);
  g_clear_object (&d->variant);
  g_clear_pointer (&d->target, state_unref);
  g_clear_pointer (&d->old_imatrix, lb_imatrix_unref);
  g_free (d);
}

/* core says "blk.0.attn_q.weight -> Q8_0" */
static void
apply_progress (double fraction, const char *stage, gpointer user_data)
{
  ApplyData *d = user_data;
  g_autofree char *text = NULL;
  const char *arrow = stage != NULL ? strstr (stage, " -> ") : NULL;

  if (arrow != NULL)
    {
      g_autofree char *name = g_strndup (stage, arrow - stage);

      /* Translators: tensor name → type, while quantizing */
      text = g_strdup_printf (_("Quantizing %s to %s"), name, arrow + 4);
    }
  lb_job_report (d->job, fraction, text != NULL ? text : stage);
}

static gboolean
is_quantized (LbType type)
{
  const LbTypeTraits *traits = lb_type_get_traits (type);

  return traits != NULL && traits->quantized;
}

static gpointer
apply_thread (LbJob        *job,
              gpointer      task_data,
              GCancellable *cancellable,
              GError      **error)
{
  ApplyData *d = task_data;
  State *target = d->target;
  g_autoptr (GHashTable) changes = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean new_imatrix;
  GHashTableIter iter;
  gpointer key, value;

  d->job = job;

  /* the plan of a new state */
  if (target->recipe != NULL && target->plan == NULL
      && !lb_recipe_resolve (target->recipe, d->model, target->profile, &target->plan, error))
    return NULL;
  /* and the importance data it names */
  if (target->importance != NULL && target->imatrix == NULL)
    {
      if (d->old_imatrix != NULL
          && g_strcmp0 (lb_imatrix_get_path (d->old_imatrix), target->importance) == 0)
        target->imatrix = lb_imatrix_ref (d->old_imatrix);
      else
        {
          LbImatrix *imatrix;

          lb_job_report (job, -1.0, _("Reading the importance data"));
          imatrix = lb_imatrix_load (target->importance, error);
          if (imatrix == NULL)
            return NULL;
          target->imatrix = imatrix;
        }
    }
  /* LbImatrix works out each entry's means the first time they are asked
   * for, which is not safe from two threads at once: do it here, before
   * the quantizer and the error map share it */
  if (target->imatrix != NULL && target->imatrix != d->old_imatrix)
    for (guint i = 0; i < lb_imatrix_get_n_entries (target->imatrix); i++)
      lb_imatrix_get_importance (target->imatrix, lb_imatrix_get_entry_name (target->imatrix, i),
                                 NULL);
  /* the metadata of a large vocabulary takes a while to size: here, not
   * on the main thread */
  if (target->plan != NULL && target->file_bytes == 0)
    target->file_bytes = lb_quantize_get_file_size (target->plan, target->imatrix);
  if (target->types == NULL)
    {
      target->types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; i < lb_quant_plan_get_n_entries (target->plan); i++)
        {
          const LbPlanEntry *e = lb_quant_plan_get_entry (target->plan, i);

          g_hash_table_insert (target->types, g_strdup (e->tensor->name),
                               GINT_TO_POINTER (e->type));
        }
    }

  /* re-quantize what changes; everything quantized when the importance does */
  new_imatrix = target->imatrix != d->old_imatrix;
  g_hash_table_iter_init (&iter, target->types);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      LbType type = GPOINTER_TO_INT (value);

      if (type != lb_variant_get_tensor_type (d->variant, key)
          || (new_imatrix && is_quantized (type) && lb_variant_is_overridden (d->variant, key)))
        g_hash_table_insert (changes, key, value);
    }

  lb_job_report (job, 0.0, g_hash_table_size (changes) > 0 ? _("Quantizing") : _("Nothing to quantize"));
  if (new_imatrix)
    lb_variant_set_imatrix (d->variant, target->imatrix);
  if (!lb_variant_set_types (d->variant, changes, apply_progress, d, cancellable, error))
    {
      if (new_imatrix)
        lb_variant_set_imatrix (d->variant, d->old_imatrix);
      return NULL;
    }
  return GUINT_TO_POINTER (g_hash_table_size (changes) + 1);
}

static void
notify_state (LbSession *self)
{
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_UNDO]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_REDO]);
  g_object_thaw_notify (G_OBJECT (self));
}

/* What the main thread needs once the job is done */
typedef struct {
  LbSession *session;
  State     *target;
  gint       index;
} ApplyDone;

static void
on_applied (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  LbJob *job = LB_JOB (source);
  ApplyDone *d = user_data;
  LbSession *self = d->session;
  g_autoptr (GError) error = NULL;

  lb_job_run_finish (job, result, &error);
  if (self->apply_job == job)
    g_clear_object (&self->apply_job);

  if (error != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_signal_emit (self, signals[NOTICE], 0, _("The change was cancelled; the types are as they were"));
      else
        g_signal_emit (self, signals[FAILED], 0, _("Could Not Change the Types"), error->message);
      notify_state (self);
      goto out;
    }

  if (d->index >= 0)
    self->current = (guint) d->index;
  else
    {
      g_ptr_array_set_size (self->history, self->current + 1);
      g_ptr_array_add (self->history, state_ref (d->target));
      self->current = self->history->len - 1;
    }
  self->revision++;
  notify_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REVISION]);
  g_signal_emit (self, signals[CHANGED], 0);

out:
  state_unref (d->target);
  g_object_unref (d->session);
  g_free (d);
}

static gboolean
start_apply (LbSession *self, State *target, gint index, const char *title)
{
  g_autoptr (LbJob) job = NULL;
  ApplyData *d;
  ApplyDone *done;

  if (self->apply_job != NULL)
    return FALSE;

  d = g_new0 (ApplyData, 1);
  d->model = g_object_ref (self->model);
  d->variant = g_object_ref (self->variant);
  d->target = state_ref (target);
  d->old_imatrix = current_state (self)->imatrix != NULL
                   ? lb_imatrix_ref (current_state (self)->imatrix) : NULL;

  job = lb_job_new (title);
  lb_job_report (job, -1.0, _("Choosing the type of each tensor"));
  self->apply_job = g_object_ref (job);
  done = g_new0 (ApplyDone, 1);
  done->session = g_object_ref (self);
  done->target = state_ref (target);
  done->index = index;
  notify_state (self);
  g_signal_emit (self, signals[JOB_STARTED], 0, job);
  lb_job_run_async (job, apply_thread, d, apply_data_free, NULL, on_applied, done);
  return TRUE;
}

gboolean
lb_session_apply_recipe (LbSession  *self,
                         LbRecipe   *recipe,
                         const char *profile,
                         const char *what)
{
  g_autoptr (GString) title = NULL;
  g_autofree char *name = NULL;
  State *target;
  gboolean ok;

  g_return_val_if_fail (LB_IS_SESSION (self), FALSE);
  g_return_val_if_fail (recipe != NULL, FALSE);

  name = lb_recipe_edit_describe (recipe, profile);
  if (lb_recipe_get_importance (recipe) == NULL && current_state (self)->importance != NULL)
    {
      /* the importance data chosen stays chosen */
      g_autoptr (LbRecipe) with = lb_recipe_edit_with_importance (recipe,
                                                                 current_state (self)->importance);

      target = state_new (with, profile, FALSE, what != NULL ? what : name);
      state_set_importance (target, current_state (self)->importance, current_state (self)->imatrix);
    }
  else
    {
      target = state_new (recipe, profile, FALSE, what != NULL ? what : name);
      state_set_importance (target, lb_recipe_get_importance (recipe),
                            g_strcmp0 (lb_recipe_get_importance (recipe),
                                       current_state (self)->importance) == 0
                            ? current_state (self)->imatrix : NULL);
    }
  title = g_string_new (NULL);
  /* Translators: a recipe name, "Applying Q4_K_M" */
  g_string_printf (title, _("Applying %s"), name);
  ok = start_apply (self, target, -1, title->str);
  state_unref (target);
  return ok;
}

gboolean
lb_session_reset (LbSession *self)
{
  State *target;
  gboolean ok;

  g_return_val_if_fail (LB_IS_SESSION (self), FALSE);

  if (current_state (self)->recipe == NULL)
    return FALSE;
  target = state_new (NULL, NULL, FALSE, _("Back to the model’s own types"));
  target->types = stored_types (self->model);
  state_set_importance (target, current_state (self)->importance, current_state (self)->imatrix);
  ok = start_apply (self, target, -1, _("Restoring the model’s own types"));
  state_unref (target);
  return ok;
}

static gboolean
apply_rules (LbSession *self, LbRecipe *base, GPtrArray *rules, const char *what,
             const char *title)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LbRecipe) recipe = lb_recipe_edit_with_rules (base, rules, &error);
  State *target;
  gboolean ok;

  if (recipe == NULL)
    {
      g_signal_emit (self, signals[FAILED], 0, _("Could Not Change the Rules"), error->message);
      return FALSE;
    }
  /* a recipe made from the model's own types does not know the importance data yet */
  if (lb_recipe_get_importance (recipe) == NULL && current_state (self)->importance != NULL)
    lb_recipe_set_importance (recipe, current_state (self)->importance);
  target = state_new (recipe, current_state (self)->profile, TRUE, what);
  state_set_importance (target, lb_recipe_get_importance (recipe),
                        g_strcmp0 (lb_recipe_get_importance (recipe),
                                   current_state (self)->importance) == 0
                        ? current_state (self)->imatrix : NULL);
  ok = start_apply (self, target, -1, title);
  state_unref (target);
  return ok;
}

gboolean
lb_session_set_rules (LbSession  *self,
                      GPtrArray  *rules,
                      const char *what)
{
  g_autoptr (LbRecipe) base = NULL;
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (LB_IS_SESSION (self), FALSE);
  g_return_val_if_fail (rules != NULL, FALSE);

  if (self->apply_job != NULL)
    return FALSE;
  if (current_state (self)->recipe != NULL)
    base = lb_recipe_ref (current_state (self)->recipe);
  else
    base = lb_recipe_edit_from_types (self->model, current_state (self)->types, "custom", &error);
  if (base == NULL)
    {
      g_signal_emit (self, signals[FAILED], 0, _("Could Not Change the Rules"), error->message);
      return FALSE;
    }
  return apply_rules (self, base, rules, what, what);
}

gboolean
lb_session_set_types (LbSession          *self,
                      const char * const *names,
                      LbType              type)
{
  const LbHParams *hp;
  g_autoptr (LbRecipe) base = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rules = NULL;
  g_autoptr (GPtrArray) added = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_recipe_rule_free);
  g_autofree gboolean *layers = NULL;
  g_autofree char *what = NULL;
  guint n = 0;

  g_return_val_if_fail (LB_IS_SESSION (self), FALSE);
  g_return_val_if_fail (names != NULL, FALSE);

  if (self->apply_job != NULL || names[0] == NULL)
    return FALSE;

  hp = lb_model_get_hparams (self->model);
  layers = g_new0 (gboolean, MAX (hp->n_layer, 1));

  /* one rule per kind over its selected layers, one per other tensor */
  for (guint k = 0; k < LB_SESSION_N_KINDS; k++)
    {
      g_autofree char *pattern = NULL;
      gboolean any = FALSE;

      memset (layers, 0, sizeof (gboolean) * MAX (hp->n_layer, 1));
      for (guint i = 0; names[i] != NULL; i++)
        {
          guint layer;
          char kind[64];

          if (sscanf (names[i], "blk.%u.%63[^.].weight", &layer, kind) == 2
              && g_str_equal (kind, lb_session_kinds[k]) && layer < hp->n_layer)
            layers[layer] = any = TRUE;
        }
      if (!any)
        continue;
      pattern = lb_recipe_edit_layers_pattern (lb_session_kinds[k], layers, hp->n_layer);
      g_ptr_array_add (added, lb_recipe_rule_copy (&(LbRecipeRule) { .pattern = pattern,
                                                                     .type = type }));
    }
  for (guint i = 0; names[i] != NULL; i++)
    {
      guint layer;
      char kind[64];
      gboolean in_grid = FALSE;

      n++;
      if (sscanf (names[i], "blk.%u.%63[^.].weight", &layer, kind) == 2)
        for (guint k = 0; k < LB_SESSION_N_KINDS; k++)
          in_grid |= g_str_equal (kind, lb_session_kinds[k]);
      if (!in_grid)
        {
          g_autofree char *pattern = lb_recipe_edit_escape_name (names[i]);
          const LbTensor *t = lb_model_find_tensor (self->model, names[i]);

          g_ptr_array_add (added,
                           lb_recipe_rule_copy (&(LbRecipeRule) {
                             .pattern = pattern, .type = type,
                             .force = t != NULL && t->n_dims < 2 }));
        }
    }

  if (current_state (self)->recipe != NULL)
    base = lb_recipe_ref (current_state (self)->recipe);
  else
    base = lb_recipe_edit_from_types (self->model, current_state (self)->types, "custom", &error);
  if (base == NULL)
    {
      g_signal_emit (self, signals[FAILED], 0, _("Could Not Change the Types"), error->message);
      return FALSE;
    }
  rules = lb_recipe_edit_copy_rules (base);
  lb_recipe_edit_prepend_rules (rules, added);

  if (n == 1)
    /* Translators: "Set blk.3.attn_q.weight to Q8_0" */
    what = g_strdup_printf (_("Set %s to %s"), names[0], lb_type_get_name (type));
  else
    /* Translators: "Set 8 tensors to Q8_0" */
    what = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Set %u tensor to %s",
                                         "Set %u tensors to %s", n),
                            n, lb_type_get_name (type));
  return apply_rules (self, base, rules, what, what);
}

const char *
lb_session_get_importance (LbSession *self)
{
  g_return_val_if_fail (LB_IS_SESSION (self), NULL);
  return current_state (self)->importance;
}

gboolean
lb_session_set_importance (LbSession  *self,
                           const char *path,
                           LbImatrix  *imatrix)
{
  State *current, *target;
  g_autoptr (LbRecipe) recipe = NULL;
  g_autofree char *base = NULL;
  g_autofree char *what = NULL;
  gboolean ok;

  g_return_val_if_fail (LB_IS_SESSION (self), FALSE);
  g_return_val_if_fail (imatrix == NULL || path != NULL, FALSE);

  current = current_state (self);
  if (self->apply_job != NULL || g_strcmp0 (path, current->importance) == 0)
    return FALSE;
  if (current->recipe != NULL)
    recipe = lb_recipe_edit_with_importance (current->recipe, path);
  if (path != NULL)
    {
      base = g_path_get_basename (path);
      /* Translators: undo/redo and job title, "Use importance data imatrix.gguf" */
      what = g_strdup_printf (_("Use importance data %s"), base);
    }
  else
    what = g_strdup (_("Stop using importance data"));
  target = state_new (recipe, current->profile, current->edited, what);
  state_set_importance (target, path, imatrix);
  /* the model's own types stay; a recipe is resolved again (with or
   * without the importance, its conditions may choose other types) */
  if (current->recipe == NULL)
    target->types = g_hash_table_ref (current->types);
  ok = start_apply (self, target, -1, what);
  state_unref (target);
  return ok;
}

gboolean
lb_session_undo (LbSession *self)
{
  State *target;
  g_autofree char *title = NULL;

  g_return_val_if_fail (LB_IS_SESSION (self), FALSE);

  if (!lb_session_can_undo (self))
    return FALSE;
  target = g_ptr_array_index (self->history, self->current - 1);
  /* Translators: undoing "Set 3 tensors to Q8_0" */
  title = g_strdup_printf (_("Undo: %s"), current_state (self)->what);
  return start_apply (self, target, self->current - 1, title);
}

gboolean
lb_session_redo (LbSession *self)
{
  State *target;
  g_autofree char *title = NULL;

  g_return_val_if_fail (LB_IS_SESSION (self), FALSE);

  if (!lb_session_can_redo (self))
    return FALSE;
  target = g_ptr_array_index (self->history, self->current + 1);
  /* Translators: redoing "Set 3 tensors to Q8_0" */
  title = g_strdup_printf (_("Redo: %s"), target->what);
  return start_apply (self, target, self->current + 1, title);
}

/* ---- measurements ----------------------------------------------------------- */

void
lb_session_set_eval_result (LbSession    *self,
                            LbEvalResult *result,
                            guint         revision,
                            const char   *label,
                            guint64       file_bytes)
{
  g_return_if_fail (LB_IS_SESSION (self));

  g_clear_pointer (&self->eval, lb_eval_result_free);
  self->eval = result;
  self->eval_revision = revision;
  g_free (self->eval_label);
  self->eval_label = g_strdup (label);
  self->eval_file_bytes = file_bytes;
  g_signal_emit (self, signals[MEASURED], 0);
}

void
lb_session_set_bench_result (LbSession     *self,
                             LbBenchResult *result,
                             guint          revision,
                             const char    *label,
                             guint64        memory_bytes)
{
  g_return_if_fail (LB_IS_SESSION (self));

  g_clear_pointer (&self->bench, lb_bench_result_free);
  self->bench = result;
  self->bench_revision = revision;
  g_free (self->bench_label);
  self->bench_label = g_strdup (label);
  self->bench_memory = memory_bytes;
  g_signal_emit (self, signals[MEASURED], 0);
}

const LbEvalResult *
lb_session_get_eval_result (LbSession *self, guint *revision)
{
  g_return_val_if_fail (LB_IS_SESSION (self), NULL);
  if (revision != NULL)
    *revision = self->eval_revision;
  return self->eval;
}

const LbBenchResult *
lb_session_get_bench_result (LbSession *self, guint *revision)
{
  g_return_val_if_fail (LB_IS_SESSION (self), NULL);
  if (revision != NULL)
    *revision = self->bench_revision;
  return self->bench;
}

const char *
lb_session_get_eval_label (LbSession *self)
{
  g_return_val_if_fail (LB_IS_SESSION (self), NULL);
  return self->eval_label;
}

const char *
lb_session_get_bench_label (LbSession *self)
{
  g_return_val_if_fail (LB_IS_SESSION (self), NULL);
  return self->bench_label;
}

guint64
lb_session_get_bench_memory (LbSession *self)
{
  g_return_val_if_fail (LB_IS_SESSION (self), 0);
  return self->bench_memory;
}

double
lb_session_accuracy_loss (const LbEvalResult *result)
{
  if (result == NULL || !isfinite (result->same_top1))
    return NAN;
  return 100.0 * (1.0 - result->same_top1);
}
