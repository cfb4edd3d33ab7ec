/* lb-quant-plan.c: resolving a recipe against a model into a per-tensor
 * plan, and the plan as llama-quantize arguments.
 *
 * The choices mirror llama.cpp's llama-quantize (src/llama-quant.cpp):
 * which tensors are weight matrices, the order it writes tensors in, the
 * tied-embedding rule and the fallback chain for rows that do not fit a
 * block size. The named mixes themselves live in data/recipes/. */
#include "lb-recipe-private.h"

#include <stdlib.h>
#include <string.h>

#include "lb-error.h"

struct _LbQuantPlan {
  gint        ref_count;
  LbModel    *model;
  LbRecipe   *recipe;
  char       *profile;
  GArray     *entries;     /* LbPlanEntry */
  GHashTable *by_name;     /* tensor name -> index + 1 */
  guint64     data_bytes;
  guint       n_fallbacks;
  guint32     file_type;
  gboolean    has_imatrix;
  GPtrArray  *warnings;    /* char*, NULL-terminated */
};

/* ---- what llama-quantize treats as a weight matrix ------------------------ */

static guint
effective_dims (const LbTensor *t)
{
  guint n = 1;

  for (guint d = 1; d < LB_MAX_DIMS; d++)
    if (t->ne[d] > 1)
      n = d + 1;
  return n;
}

static gboolean
is_weight_matrix (const LbTensor *t)
{
  /* llama.cpp's tensor_allows_quantization, for the architectures Lowbit
   * handles (plus the names it excludes for others, harmlessly) */
  static const char * const excluded[] = {
    "_norm.weight", "ffn_gate_inp.weight", "altup", "laurel", "per_layer_model_proj",
    "position_embd", "token_types", "ssm_conv1d", "shortconv.conv.weight",
    "attn_rel_b.weight", ".rel_pos", ".patch_embd",
  };

  if (effective_dims (t) < 2 || !g_str_has_suffix (t->name, "weight"))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (excluded); i++)
    if (strstr (t->name, excluded[i]) != NULL)
      return FALSE;
  return TRUE;
}

static gboolean
is_float_type (LbType t)
{
  return t == LB_TYPE_F32 || t == LB_TYPE_F16 || t == LB_TYPE_BF16;
}

/* llama.cpp's weights_map order: tensors outside blocks first, then by
 * block number; by name within each */
static gint
compare_tensors (gconstpointer a, gconstpointer b)
{
  const LbTensor *ta = *(const LbTensor * const *) a;
  const LbTensor *tb = *(const LbTensor * const *) b;
  guint la, lb;
  gint64 ia = lb_recipe_layer_of (ta->name, &la) ? (gint64) la : -1;
  gint64 ib = lb_recipe_layer_of (tb->name, &lb) ? (gint64) lb : -1;

  if (ia != ib)
    return ia < ib ? -1 : 1;
  return strcmp (ta->name, tb->name);
}

/* ---- fallback -------------------------------------------------------------- */

/* llama.cpp's tensor_type_fallback; F16 where it has none. */
static LbType
fallback_type (LbType t)
{
  switch (t)
    {
    case LB_TYPE_IQ1_S:
    case LB_TYPE_IQ1_M:
    case LB_TYPE_IQ2_XXS:
    case LB_TYPE_IQ2_XS:
    case LB_TYPE_IQ2_S:
    case LB_TYPE_IQ3_XXS:
    case LB_TYPE_IQ3_S:
    case LB_TYPE_IQ4_XS:
      return LB_TYPE_IQ4_NL;
    case LB_TYPE_Q2_K:
    case LB_TYPE_Q3_K:
    case LB_TYPE_TQ1_0:
    case LB_TYPE_TQ2_0:
      return LB_TYPE_Q4_0;
    case LB_TYPE_Q4_K:
      return LB_TYPE_Q5_0;
    case LB_TYPE_Q5_K:
      return LB_TYPE_Q5_1;
    case LB_TYPE_Q6_K:
      return LB_TYPE_Q8_0;
    default:
      return LB_TYPE_F16;
    }
}

static LbType
apply_fallback (LbType wanted, gint64 ncols, char **note)
{
  LbType t = wanted;
  guint bs = lb_type_get_traits (t)->block_size;

  if (ncols % bs == 0)
    return t;
  t = fallback_type (wanted);
  if (ncols % lb_type_get_traits (t)->block_size != 0)
    t = LB_TYPE_F16;
  *note = g_strdup_printf ("row length %" G_GINT64_FORMAT " is not a multiple of %s's block "
                           "size %u: falling back to %s", ncols, lb_type_get_name (wanted), bs,
                           lb_type_get_name (t));
  return t;
}

/* ---- the plan --------------------------------------------------------------- */

static void
plan_entry_clear (gpointer p)
{
  LbPlanEntry *e = p;
  g_free (e->note);
}

static LbQuantPlan *
plan_new (LbModel *model, LbRecipe *recipe, const char *profile)
{
  LbQuantPlan *plan = g_new0 (LbQuantPlan, 1);

  plan->ref_count = 1;
  plan->model = g_object_ref (model);
  plan->recipe = lb_recipe_ref (recipe);
  plan->profile = g_strdup (profile);
  plan->entries = g_array_new (FALSE, TRUE, sizeof (LbPlanEntry));
  g_array_set_clear_func (plan->entries, plan_entry_clear);
  plan->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  plan->warnings = g_ptr_array_new_with_free_func (g_free);
  return plan;
}

LbQuantPlan *
lb_quant_plan_ref (LbQuantPlan *plan)
{
  g_return_val_if_fail (plan != NULL, NULL);
  g_atomic_int_inc (&plan->ref_count);
  return plan;
}

void
lb_quant_plan_unref (LbQuantPlan *plan)
{
  if (plan == NULL || !g_atomic_int_dec_and_test (&plan->ref_count))
    return;
  g_array_unref (plan->entries);
  g_hash_table_unref (plan->by_name);
  g_ptr_array_unref (plan->warnings);
  g_free (plan->profile);
  lb_recipe_unref (plan->recipe);
  g_object_unref (plan->model);
  g_free (plan);
}

LbModel *
lb_quant_plan_get_model (LbQuantPlan *plan)
{
  g_return_val_if_fail (plan != NULL, NULL);
  return plan->model;
}

LbRecipe *
lb_quant_plan_get_recipe (LbQuantPlan *plan)
{
  g_return_val_if_fail (plan != NULL, NULL);
  return plan->recipe;
}

const char *
lb_quant_plan_get_profile (LbQuantPlan *plan)
{
  g_return_val_if_fail (plan != NULL, NULL);
  return plan->profile;
}

guint
lb_quant_plan_get_n_entries (LbQuantPlan *plan)
{
  g_return_val_if_fail (plan != NULL, 0);
  return plan->entries->len;
}

const LbPlanEntry *
lb_quant_plan_get_entry (LbQuantPlan *plan, guint i)
{
  g_return_val_if_fail (plan != NULL, NULL);
  if (i >= plan->entries->len)
    return NULL;
  return &g_array_index (plan->entries, LbPlanEntry, i);
}

const LbPlanEntry *
lb_quant_plan_find (LbQuantPlan *plan, const char *tensor_name)
{
  guint idx;

  g_return_val_if_fail (plan != NULL && tensor_name != NULL, NULL);
  idx = GPOINTER_TO_UINT (g_hash_table_lookup (plan->by_name, tensor_name));
  return idx ? &g_array_index (plan->entries, LbPlanEntry, idx - 1) : NULL;
}

guint64
lb_quant_plan_get_data_bytes (LbQuantPlan *plan)
{
  g_return_val_if_fail (plan != NULL, 0);
  return plan->data_bytes;
}

guint
lb_quant_plan_get_n_fallbacks (LbQuantPlan *plan)
{
  g_return_val_if_fail (plan != NULL, 0);
  return plan->n_fallbacks;
}

guint32
lb_quant_plan_get_file_type (LbQuantPlan *plan)
{
  g_return_val_if_fail (plan != NULL, 0);
  return plan->file_type;
}

gboolean
lb_quant_plan_uses_importance (LbQuantPlan *plan)
{
  g_return_val_if_fail (plan != NULL, FALSE);
  return plan->has_imatrix;
}

const char * const *
lb_quant_plan_get_warnings (LbQuantPlan *plan)
{
  g_return_val_if_fail (plan != NULL, NULL);
  return (const char * const *) plan->warnings->pdata;
}

char *
lb_plan_entry_describe_source (LbQuantPlan *plan, const LbPlanEntry *e)
{
  const LbRecipeRule *rule;

  g_return_val_if_fail (plan != NULL && e != NULL, NULL);

  switch (e->source)
    {
    case LB_PLAN_FROM_RULE:
      rule = lb_recipe_get_rule (plan->recipe, e->in_profile ? plan->profile : NULL,
                                 (guint) e->rule_index);
      if (e->in_profile)
        return g_strdup_printf ("rule %d of profile %s (%s)", e->rule_index + 1, plan->profile,
                                rule ? rule->pattern : "?");
      return g_strdup_printf ("rule %d (%s)", e->rule_index + 1, rule ? rule->pattern : "?");
    case LB_PLAN_FROM_BASE:
      return g_strdup ("base type");
    case LB_PLAN_FROM_EMBEDDING:
      return g_strdup ("embedding default");
    case LB_PLAN_FROM_OUTPUT:
      return g_strdup ("output default");
    case LB_PLAN_FROM_NORMS:
      return g_strdup ("norms and biases");
    case LB_PLAN_FROM_SOURCE:
    default:
      return g_strdup ("kept as it is");
    }
}

/* ---- resolution --------------------------------------------------------------- */

typedef struct {
  LbRecipe        *recipe;
  LbRecipeProfile *profile;
  guint            n_layer;
  guint            gqa;
  gboolean         has_imatrix;
  gboolean         tied;
  guint           *profile_hits;   /* per rule: tensors whose name the pattern matched */
  guint           *recipe_hits;
} Resolver;

/* First rule of rules matching tensor t (force: only rules that may touch
 * vectors); -1 when none. Counts pattern hits for the warnings. */
static gint
find_rule (const Resolver *r, GPtrArray *rules, guint *hits, const LbTensor *t,
           gboolean vectors_only)
{
  gint found = -1;
  guint layer;
  gboolean has_layer = lb_recipe_layer_of (t->name, &layer);

  for (guint i = 0; i < rules->len; i++)
    {
      const LbRecipeRule *rule = g_ptr_array_index (rules, i);

      if (!lb_recipe_pattern_match (rule->pattern, t->name))
        continue;
      hits[i]++;
      if (found >= 0 || (vectors_only && !rule->force))
        continue;
      if (rule->layers && (!has_layer || !lb_recipe_layers_match (rule->layers, layer, r->n_layer)))
        continue;
      if (rule->when && !lb_recipe_when_holds (rule->when, r->gqa, r->has_imatrix))
        continue;
      found = (gint) i;
    }
  return found;
}

static LbType
pick (LbType profile_type, LbType recipe_type, LbType fallback)
{
  if (profile_type != LB_RECIPE_TYPE_UNSET)
    return profile_type;
  if (recipe_type != LB_RECIPE_TYPE_UNSET)
    return recipe_type;
  return fallback;
}

static void
choose (const Resolver *r, const LbTensor *t, LbPlanEntry *e)
{
  gboolean matrix = is_weight_matrix (t);
  LbRecipeProfile *p = r->profile;
  LbType base = pick (p ? p->base : LB_RECIPE_TYPE_UNSET, r->recipe->base, LB_TYPE_Q8_0);
  gint idx = -1;

  e->rule_index = -1;
  if (p)
    idx = find_rule (r, p->rules, r->profile_hits, t, !matrix);
  if (idx >= 0)
    {
      e->in_profile = TRUE;
      /* still scanned: a recipe rule the profile overrides matched a name */
      find_rule (r, r->recipe->rules, r->recipe_hits, t, !matrix);
    }
  else
    idx = find_rule (r, r->recipe->rules, r->recipe_hits, t, !matrix);

  if (idx >= 0)
    {
      GPtrArray *rules = e->in_profile ? p->rules : r->recipe->rules;
      e->source = LB_PLAN_FROM_RULE;
      e->rule_index = idx;
      e->wanted = ((const LbRecipeRule *) g_ptr_array_index (rules, idx))->type;
    }
  else if (!matrix)
    {
      /* norms, biases and the like: only float data changes type */
      e->source = is_float_type (t->type) ? LB_PLAN_FROM_NORMS : LB_PLAN_FROM_SOURCE;
      e->wanted = is_float_type (t->type) ? r->recipe->norms : t->type;
    }
  else if (strcmp (t->name, "output.weight") == 0
           || (r->tied && strcmp (t->name, "token_embd.weight") == 0))
    {
      e->source = LB_PLAN_FROM_OUTPUT;
      e->wanted = pick (p ? p->output : LB_RECIPE_TYPE_UNSET, r->recipe->output, base);
    }
  else if (strcmp (t->name, "token_embd.weight") == 0)
    {
      e->source = LB_PLAN_FROM_EMBEDDING;
      e->wanted = pick (p ? p->embedding : LB_RECIPE_TYPE_UNSET, r->recipe->embedding, base);
    }
  else
    {
      e->source = LB_PLAN_FROM_BASE;
      e->wanted = base;
    }
}

static void
add_warnings (LbQuantPlan *plan, GPtrArray *rules, const guint *hits, const char *profile)
{
  for (guint i = 0; i < rules->len; i++)
    {
      const LbRecipeRule *rule = g_ptr_array_index (rules, i);

      if (hits[i] > 0 || rule->optional)
        continue;
      if (profile)
        g_ptr_array_add (plan->warnings,
                         g_strdup_printf ("profile %s, rule %u (\"%s\") matches no tensor of "
                                          "this model", profile, i + 1, rule->pattern));
      else
        g_ptr_array_add (plan->warnings,
                         g_strdup_printf ("rule %u (\"%s\") matches no tensor of this model",
                                          i + 1, rule->pattern));
    }
}

/* llama.cpp's file type for a whole-model type (the M mix for K types) */
static gboolean
ftype_of_type (LbType t, guint32 *ftype)
{
  static const struct { LbType type; guint32 ftype; } map[] = {
    { LB_TYPE_F32, 0 }, { LB_TYPE_F16, 1 }, { LB_TYPE_Q4_0, 2 }, { LB_TYPE_Q4_1, 3 },
    { LB_TYPE_Q8_0, 7 }, { LB_TYPE_Q5_0, 8 }, { LB_TYPE_Q5_1, 9 }, { LB_TYPE_Q2_K, 10 },
    { LB_TYPE_Q3_K, 12 }, { LB_TYPE_Q4_K, 15 }, { LB_TYPE_Q5_K, 17 }, { LB_TYPE_Q6_K, 18 },
    { LB_TYPE_IQ2_XXS, 19 }, { LB_TYPE_IQ2_XS, 20 }, { LB_TYPE_IQ3_XXS, 23 },
    { LB_TYPE_IQ1_S, 24 }, { LB_TYPE_IQ4_NL, 25 }, { LB_TYPE_IQ3_S, 26 }, { LB_TYPE_IQ2_S, 28 },
    { LB_TYPE_IQ4_XS, 30 }, { LB_TYPE_IQ1_M, 31 }, { LB_TYPE_BF16, 32 }, { LB_TYPE_TQ1_0, 36 },
    { LB_TYPE_TQ2_0, 37 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (map[i].type == t)
      {
        *ftype = map[i].ftype;
        return TRUE;
      }
  return FALSE;
}

/* The type holding the most weight-matrix elements, block formats first
 * (a mostly-F16 file with some Q8_0 is still named after a block type only
 * when it has one); LB_TYPE_COUNT when there are no matrices. */
static LbType
dominant_type (LbQuantPlan *plan)
{
  gint64 elements[LB_TYPE_COUNT] = { 0 };
  LbType best = LB_TYPE_COUNT;

  for (guint i = 0; i < plan->entries->len; i++)
    {
      const LbPlanEntry *e = &g_array_index (plan->entries, LbPlanEntry, i);
      guint32 ft;

      if (e->source != LB_PLAN_FROM_NORMS && e->source != LB_PLAN_FROM_SOURCE
          && ftype_of_type (e->type, &ft))
        elements[e->type] += lb_tensor_n_elements (e->tensor);
    }
  for (int pass = 0; pass < 2 && best == LB_TYPE_COUNT; pass++)
    for (guint t = 0; t < LB_TYPE_COUNT; t++)
      {
        gboolean quantized = lb_type_get_traits (t) && lb_type_get_traits (t)->quantized;

        if (elements[t] > 0 && (pass == 1 || quantized)
            && (best == LB_TYPE_COUNT || elements[t] > elements[best]))
          best = (LbType) t;
      }
  return best;
}

gboolean
lb_recipe_resolve (LbRecipe *recipe, LbModel *model, const char *profile, LbQuantPlan **plan_out,
                   GError **error)
{
  g_autoptr (LbQuantPlan) plan = NULL;
  g_autoptr (GPtrArray) order = NULL;
  const LbHParams *hp;
  Resolver r = { 0 };
  g_autofree guint *profile_hits = NULL;
  g_autofree guint *recipe_hits = NULL;
  guint n;

  g_return_val_if_fail (recipe != NULL, FALSE);
  g_return_val_if_fail (LB_IS_MODEL (model), FALSE);
  g_return_val_if_fail (plan_out != NULL, FALSE);

  r.recipe = recipe;
  if (profile != NULL)
    {
      r.profile = lb_recipe_find_profile (recipe, profile);
      if (r.profile == NULL)
        {
          GString *names = g_string_new (NULL);

          for (guint i = 0; i < recipe->profiles->len; i++)
            g_string_append_printf (names, "%s%s", i ? ", " : "",
                                    lb_recipe_get_profile_name (recipe, i));
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "recipe %s has no profile \"%s\" (%s%s)", recipe->name, profile,
                       names->len ? "profiles: " : "it has no profiles", names->str);
          g_string_free (names, TRUE);
          return FALSE;
        }
    }

  hp = lb_model_get_hparams (model);
  r.n_layer = hp->n_layer;
  r.gqa = hp->n_head_kv > 0 ? hp->n_head / hp->n_head_kv : 0;
  r.has_imatrix = recipe->importance != NULL;
  r.tied = lb_model_find_tensor (model, "output.weight") == NULL;
  profile_hits = g_new0 (guint, r.profile ? r.profile->rules->len + 1 : 1);
  recipe_hits = g_new0 (guint, recipe->rules->len + 1);
  r.profile_hits = profile_hits;
  r.recipe_hits = recipe_hits;

  n = lb_model_get_n_tensors (model);
  order = g_ptr_array_sized_new (n);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (order, (gpointer) lb_model_get_tensor (model, i));
  g_ptr_array_sort (order, compare_tensors);

  plan = plan_new (model, recipe, profile);
  plan->has_imatrix = r.has_imatrix;
  for (guint i = 0; i < n; i++)
    {
      const LbTensor *t = g_ptr_array_index (order, i);
      const LbTypeTraits *src = lb_type_get_traits (t->type);
      const LbTypeTraits *dst;
      LbPlanEntry e = { 0 };
      gsize row_bytes;

      e.tensor = t;
      choose (&r, t, &e);
      e.type = apply_fallback (e.wanted, t->ne[0], &e.note);
      if (e.type != e.wanted)
        plan->n_fallbacks++;
      dst = lb_type_get_traits (e.type);

      if (e.type != t->type)
        {
          if (src == NULL || src->to_float == NULL)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                           "tensor %s: Lowbit cannot read its type %s to convert it to %s",
                           t->name, lb_type_get_name (t->type), lb_type_get_name (e.type));
              g_free (e.note);
              return FALSE;
            }
          if (dst->from_float == NULL)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                           "tensor %s: Lowbit cannot write type %s yet; choose another type "
                           "for it", t->name, dst->name);
              g_free (e.note);
              return FALSE;
            }
          if (src->quantized && e.note == NULL)
            e.note = g_strdup_printf ("requantized from %s", src->name);
        }
      row_bytes = lb_type_row_size (e.type, t->ne[0]);
      e.n_bytes = (guint64) row_bytes * (guint64) lb_tensor_n_rows (t);
      plan->data_bytes += e.n_bytes;
      g_array_append_val (plan->entries, e);
      g_hash_table_insert (plan->by_name, t->name, GUINT_TO_POINTER (plan->entries->len));
    }

  if (r.profile)
    add_warnings (plan, r.profile->rules, profile_hits, r.profile->name);
  add_warnings (plan, recipe->rules, recipe_hits, NULL);
  for (guint i = 0; i < plan->entries->len; i++)
    {
      const LbPlanEntry *e = &g_array_index (plan->entries, LbPlanEntry, i);
      if (e->type != e->wanted)
        g_ptr_array_add (plan->warnings, g_strdup_printf ("%s: %s", e->tensor->name, e->note));
    }
  g_ptr_array_add (plan->warnings, NULL);

  /* general.file_type: the mix's own number unless a profile changed it */
  {
    guint32 ft = 0;
    gboolean profile_changes = r.profile != NULL
      && (r.profile->rules->len > 0 || r.profile->base != LB_RECIPE_TYPE_UNSET
          || r.profile->embedding != LB_RECIPE_TYPE_UNSET
          || r.profile->output != LB_RECIPE_TYPE_UNSET);

    if (recipe->llama_ftype && !profile_changes)
      lb_llama_ftype_from_name (recipe->llama_ftype, &ft);
    else
      {
        LbType dom = dominant_type (plan);
        if (dom == LB_TYPE_COUNT || !ftype_of_type (dom, &ft))
          ft = 0;
      }
    plan->file_type = ft;
  }

  *plan_out = g_steal_pointer (&plan);
  return TRUE;
}

/* ---- llama-quantize arguments ------------------------------------------------- */

static char *
regex_escape (const char *s)
{
  GString *out = g_string_new (NULL);

  for (; *s; s++)
    {
      if (strchr ("\\^$.|?*+()[]{}", *s))
        g_string_append_c (out, '\\');
      g_string_append_c (out, *s);
    }
  return g_string_free (out, FALSE);
}

static char *
lower_type_name (LbType t)
{
  return g_ascii_strdown (lb_type_get_name (t), -1);
}

/* --tensor-type overrides for every weight matrix (but token_embd and
 * output) whose type differs from base: one regex per name suffix and type,
 * listing the blocks. */
static void
add_tensor_type_args (LbQuantPlan *plan, LbType base, GPtrArray *args)
{
  /* suffix -> (type -> GString of block numbers) kept in first-seen order */
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify) g_ptr_array_unref);

  for (guint i = 0; i < plan->entries->len; i++)
    {
      const LbPlanEntry *e = &g_array_index (plan->entries, LbPlanEntry, i);
      const char *name = e->tensor->name;
      guint layer;
      g_autofree char *key = NULL;
      GPtrArray *blocks;

      if (!is_weight_matrix (e->tensor) || e->type == base
          || strcmp (name, "token_embd.weight") == 0 || strcmp (name, "output.weight") == 0)
        continue;
      if (lb_recipe_layer_of (name, &layer))
        key = g_strdup_printf ("%d\t%s", e->type, strchr (name + 4, '.') + 1);
      else
        key = g_strdup_printf ("%d\t\t%s", e->type, name);
      blocks = g_hash_table_lookup (groups, key);
      if (blocks == NULL)
        {
          blocks = g_ptr_array_new_with_free_func (g_free);
          g_ptr_array_add (keys, g_strdup (key));
          g_hash_table_insert (groups, g_ptr_array_index (keys, keys->len - 1), blocks);
        }
      if (strstr (key, "\t\t") == NULL)
        g_ptr_array_add (blocks, g_strdup_printf ("%u", layer));
    }

  for (guint k = 0; k < keys->len; k++)
    {
      const char *key = g_ptr_array_index (keys, k);
      GPtrArray *blocks = g_hash_table_lookup (groups, key);
      char *tab = strchr (key, '\t');
      LbType type = (LbType) atoi (key);
      g_autofree char *tname = lower_type_name (type);
      g_autofree char *regex = NULL;

      if (tab[1] == '\t')
        {
          g_autofree char *esc = regex_escape (tab + 2);
          regex = g_strdup_printf ("^%s$", esc);
        }
      else
        {
          g_autofree char *esc = regex_escape (tab + 1);
          g_autofree char *alts = NULL;

          g_ptr_array_add (blocks, NULL);
          alts = g_strjoinv ("|", (char **) blocks->pdata);
          regex = g_strdup_printf ("^blk\\.(%s)\\.%s$", alts, esc);
        }
      g_ptr_array_add (args, g_strdup ("--tensor-type"));
      g_ptr_array_add (args, g_strdup_printf ("%s=%s", regex, tname));
    }
}

char **
lb_quant_plan_to_llama_quantize_args (LbQuantPlan *plan, const char *in_path, const char *out_path,
                                      GError **error)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  const char *importance;
  gboolean changed_profile;
  LbType base;
  guint32 ft;

  g_return_val_if_fail (plan != NULL, NULL);

  /* llama-quantize keeps norms and other vectors as they are in its input
   * (F32 from llama.cpp's converter) */
  for (guint i = 0; i < plan->entries->len; i++)
    {
      const LbPlanEntry *e = &g_array_index (plan->entries, LbPlanEntry, i);

      if (!is_weight_matrix (e->tensor) && e->type != e->tensor->type && e->type != LB_TYPE_F32)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                       "no llama-quantize equivalent: tensor %s becomes %s, but llama-quantize "
                       "never changes the type of norms, biases and other vectors",
                       e->tensor->name, lb_type_get_name (e->type));
          return NULL;
        }
    }

  importance = lb_recipe_get_importance (plan->recipe);
  if (importance)
    {
      g_ptr_array_add (args, g_strdup ("--imatrix"));
      g_ptr_array_add (args, g_strdup (importance));
    }

  changed_profile = plan->profile != NULL;
  if (lb_recipe_get_llama_ftype (plan->recipe) && !changed_profile)
    {
      /* a named mix: llama-quantize applies the same rules itself */
      g_ptr_array_add (args, g_strdup (in_path));
      g_ptr_array_add (args, g_strdup (out_path));
      g_ptr_array_add (args, g_strdup (lb_recipe_get_llama_ftype (plan->recipe)));
      g_ptr_array_add (args, NULL);
      return (char **) g_ptr_array_steal (args, NULL);
    }

  /* otherwise every choice spelled out: --pure turns the mix logic off */
  base = dominant_type (plan);
  if (base == LB_TYPE_COUNT || !ftype_of_type (base, &ft))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "no llama-quantize equivalent: the plan has no weight matrix of a type "
                   "llama-quantize names a file type after");
      return NULL;
    }
  if (!lb_type_get_traits (base)->quantized)
    {
      /* its --tensor-type overrides only apply when the base type is a block format */
      for (guint i = 0; i < plan->entries->len; i++)
        {
          const LbPlanEntry *e = &g_array_index (plan->entries, LbPlanEntry, i);
          if (is_weight_matrix (e->tensor) && e->type != base)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                           "no llama-quantize equivalent: with no block-format weights, "
                           "llama-quantize cannot give tensors different types");
              return NULL;
            }
        }
    }

  g_ptr_array_add (args, g_strdup ("--pure"));
  {
    const LbPlanEntry *embd = lb_quant_plan_find (plan, "token_embd.weight");
    const LbPlanEntry *out = lb_quant_plan_find (plan, "output.weight");

    if (embd && is_weight_matrix (embd->tensor))
      {
        g_ptr_array_add (args, g_strdup ("--token-embedding-type"));
        g_ptr_array_add (args, lower_type_name (embd->type));
      }
    if (out && is_weight_matrix (out->tensor))
      {
        g_ptr_array_add (args, g_strdup ("--output-tensor-type"));
        g_ptr_array_add (args, lower_type_name (out->type));
      }
  }
  add_tensor_type_args (plan, base, args);
  g_ptr_array_add (args, g_strdup (in_path));
  g_ptr_array_add (args, g_strdup (out_path));
  g_ptr_array_add (args, g_strdup (lb_type_get_name (base)));
  g_ptr_array_add (args, NULL);
  return (char **) g_ptr_array_steal (args, NULL);
}
