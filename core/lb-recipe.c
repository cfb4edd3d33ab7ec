/* lb-recipe.c: recipes in memory and as JSON; the bundled presets */
#include "config.h"

#include "lb-recipe-private.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "lb-atomic-file.h"
#include "lb-error.h"

#define RECIPE_FORMAT_VERSION 1

/* ---- llama.cpp file types ------------------------------------------------ */

static const struct {
  const char *name;
  guint32     ftype;
} llama_ftypes[] = {
  { "F32", 0 }, { "F16", 1 }, { "Q4_0", 2 }, { "Q4_1", 3 }, { "Q8_0", 7 }, { "Q5_0", 8 },
  { "Q5_1", 9 }, { "Q2_K", 10 }, { "Q3_K_S", 11 }, { "Q3_K_M", 12 }, { "Q3_K_L", 13 },
  { "Q4_K_S", 14 }, { "Q4_K_M", 15 }, { "Q5_K_S", 16 }, { "Q5_K_M", 17 }, { "Q6_K", 18 },
  { "IQ2_XXS", 19 }, { "IQ2_XS", 20 }, { "Q2_K_S", 21 }, { "IQ3_XS", 22 }, { "IQ3_XXS", 23 },
  { "IQ1_S", 24 }, { "IQ4_NL", 25 }, { "IQ3_S", 26 }, { "IQ3_M", 27 }, { "IQ2_S", 28 },
  { "IQ2_M", 29 }, { "IQ4_XS", 30 }, { "IQ1_M", 31 }, { "BF16", 32 }, { "TQ1_0", 36 },
  { "TQ2_0", 37 },
};

gboolean
lb_llama_ftype_from_name (const char *name, guint32 *out)
{
  g_return_val_if_fail (name != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (llama_ftypes); i++)
    if (g_ascii_strcasecmp (llama_ftypes[i].name, name) == 0)
      {
        *out = llama_ftypes[i].ftype;
        return TRUE;
      }
  return FALSE;
}

const char *
lb_llama_ftype_to_name (guint32 ftype)
{
  for (guint i = 0; i < G_N_ELEMENTS (llama_ftypes); i++)
    if (llama_ftypes[i].ftype == ftype)
      return llama_ftypes[i].name;
  return NULL;
}

gboolean
lb_recipe_type_allowed (LbType type)
{
  const LbTypeTraits *traits = lb_type_get_traits (type);

  if (traits == NULL)
    return FALSE;
  if (type == LB_TYPE_F32 || type == LB_TYPE_F16 || type == LB_TYPE_BF16)
    return TRUE;
  /* block formats, without the activation-only ones */
  return traits->quantized && type != LB_TYPE_Q8_1 && type != LB_TYPE_Q8_K;
}

/* ---- construction -------------------------------------------------------- */

static void
rule_free (gpointer p)
{
  LbRecipeRule *rule = p;

  g_free (rule->pattern);
  g_free (rule->layers);
  g_free (rule->when);
  g_free (rule->comment);
  g_free (rule);
}

static void
profile_free (gpointer p)
{
  LbRecipeProfile *profile = p;

  g_free (profile->name);
  g_free (profile->description);
  g_ptr_array_unref (profile->rules);
  g_free (profile);
}

LbRecipe *
lb_recipe_new (const char *name)
{
  LbRecipe *recipe = g_new0 (LbRecipe, 1);

  recipe->ref_count = 1;
  recipe->name = g_strdup (name ? name : "recipe");
  recipe->base = LB_TYPE_Q8_0;
  recipe->embedding = LB_RECIPE_TYPE_UNSET;
  recipe->output = LB_RECIPE_TYPE_UNSET;
  recipe->norms = LB_TYPE_F32;
  recipe->rules = g_ptr_array_new_with_free_func (rule_free);
  recipe->profiles = g_ptr_array_new_with_free_func (profile_free);
  return recipe;
}

LbRecipe *
lb_recipe_ref (LbRecipe *recipe)
{
  g_return_val_if_fail (recipe != NULL, NULL);
  g_atomic_int_inc (&recipe->ref_count);
  return recipe;
}

void
lb_recipe_unref (LbRecipe *recipe)
{
  if (recipe == NULL || !g_atomic_int_dec_and_test (&recipe->ref_count))
    return;
  g_free (recipe->name);
  g_free (recipe->description);
  g_free (recipe->llama_ftype);
  g_free (recipe->importance);
  g_ptr_array_unref (recipe->rules);
  g_ptr_array_unref (recipe->profiles);
  g_free (recipe);
}

LbRecipeProfile *
lb_recipe_find_profile (LbRecipe *recipe, const char *name)
{
  for (guint i = 0; i < recipe->profiles->len; i++)
    {
      LbRecipeProfile *profile = g_ptr_array_index (recipe->profiles, i);
      if (strcmp (profile->name, name) == 0)
        return profile;
    }
  return NULL;
}

const char *
lb_recipe_get_name (LbRecipe *recipe)
{
  g_return_val_if_fail (recipe != NULL, NULL);
  return recipe->name;
}

const char *
lb_recipe_get_description (LbRecipe *recipe)
{
  g_return_val_if_fail (recipe != NULL, NULL);
  return recipe->description;
}

void
lb_recipe_set_description (LbRecipe *recipe, const char *description)
{
  g_return_if_fail (recipe != NULL);
  g_free (recipe->description);
  recipe->description = g_strdup (description);
}

const char *
lb_recipe_get_llama_ftype (LbRecipe *recipe)
{
  g_return_val_if_fail (recipe != NULL, NULL);
  return recipe->llama_ftype;
}

gboolean
lb_recipe_set_llama_ftype (LbRecipe *recipe, const char *ftype, GError **error)
{
  guint32 num;

  g_return_val_if_fail (recipe != NULL, FALSE);

  if (ftype != NULL && !lb_llama_ftype_from_name (ftype, &num))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "unknown llama.cpp file type \"%s\" (Q8_0, Q6_K, Q5_K_M, Q4_K_M, Q4_0, "
                   "Q3_K_M, Q2_K, IQ4_NL, ...)", ftype);
      return FALSE;
    }
  g_free (recipe->llama_ftype);
  /* stored as llama.cpp spells it */
  recipe->llama_ftype = ftype ? g_strdup (lb_llama_ftype_to_name (num)) : NULL;
  return TRUE;
}

#define TYPE_ACCESSORS(field)                                                 \
  LbType lb_recipe_get_##field##_type (LbRecipe *recipe)                      \
  {                                                                           \
    g_return_val_if_fail (recipe != NULL, LB_RECIPE_TYPE_UNSET);              \
    return recipe->field;                                                     \
  }                                                                           \
  void lb_recipe_set_##field##_type (LbRecipe *recipe, LbType type)           \
  {                                                                           \
    g_return_if_fail (recipe != NULL);                                        \
    recipe->field = type;                                                     \
  }

TYPE_ACCESSORS (base)
TYPE_ACCESSORS (embedding)
TYPE_ACCESSORS (output)

LbType
lb_recipe_get_norm_type (LbRecipe *recipe)
{
  g_return_val_if_fail (recipe != NULL, LB_TYPE_F32);
  return recipe->norms;
}

void
lb_recipe_set_norm_type (LbRecipe *recipe, LbType type)
{
  g_return_if_fail (recipe != NULL);
  recipe->norms = type;
}

const char *
lb_recipe_get_importance (LbRecipe *recipe)
{
  g_return_val_if_fail (recipe != NULL, NULL);
  return recipe->importance;
}

void
lb_recipe_set_importance (LbRecipe *recipe, const char *path)
{
  g_return_if_fail (recipe != NULL);
  g_free (recipe->importance);
  recipe->importance = g_strdup (path);
}

static GPtrArray *
rules_of (LbRecipe *recipe, const char *profile)
{
  LbRecipeProfile *p;

  if (profile == NULL)
    return recipe->rules;
  p = lb_recipe_find_profile (recipe, profile);
  return p ? p->rules : NULL;
}

guint
lb_recipe_get_n_rules (LbRecipe *recipe, const char *profile)
{
  GPtrArray *rules;

  g_return_val_if_fail (recipe != NULL, 0);
  rules = rules_of (recipe, profile);
  return rules ? rules->len : 0;
}

const LbRecipeRule *
lb_recipe_get_rule (LbRecipe *recipe, const char *profile, guint i)
{
  GPtrArray *rules;

  g_return_val_if_fail (recipe != NULL, NULL);
  rules = rules_of (recipe, profile);
  if (rules == NULL || i >= rules->len)
    return NULL;
  return g_ptr_array_index (rules, i);
}

static gboolean
validate_rule (const LbRecipeRule *rule, GError **error)
{
  if (rule->pattern == NULL || !lb_recipe_pattern_validate (rule->pattern, error))
    {
      if (rule->pattern == NULL)
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "the pattern is missing");
      return FALSE;
    }
  if (!lb_recipe_type_allowed (rule->type))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "type %d is not a weight type", (int) rule->type);
      return FALSE;
    }
  if (rule->layers && !lb_recipe_layers_validate (rule->layers, error))
    return FALSE;
  if (rule->when && !lb_recipe_when_validate (rule->when, error))
    return FALSE;
  return TRUE;
}

gboolean
lb_recipe_add_rule (LbRecipe *recipe, const char *profile, const LbRecipeRule *rule,
                    GError **error)
{
  GPtrArray *rules;
  LbRecipeRule *copy;
  GError *local = NULL;

  g_return_val_if_fail (recipe != NULL, FALSE);
  g_return_val_if_fail (rule != NULL, FALSE);

  rules = rules_of (recipe, profile);
  if (rules == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "the recipe has no profile \"%s\"", profile);
      return FALSE;
    }
  if (!validate_rule (rule, &local))
    {
      g_propagate_prefixed_error (error, local, "rule %u (\"%s\"): ", rules->len + 1,
                                  rule->pattern ? rule->pattern : "");
      return FALSE;
    }
  copy = g_new0 (LbRecipeRule, 1);
  copy->pattern = g_strdup (rule->pattern);
  copy->layers = g_strdup (rule->layers);
  copy->when = g_strdup (rule->when);
  copy->comment = g_strdup (rule->comment);
  copy->type = rule->type;
  copy->force = rule->force;
  copy->optional = rule->optional;
  g_ptr_array_add (rules, copy);
  return TRUE;
}

guint
lb_recipe_get_n_profiles (LbRecipe *recipe)
{
  g_return_val_if_fail (recipe != NULL, 0);
  return recipe->profiles->len;
}

const char *
lb_recipe_get_profile_name (LbRecipe *recipe, guint i)
{
  g_return_val_if_fail (recipe != NULL, NULL);
  if (i >= recipe->profiles->len)
    return NULL;
  return ((LbRecipeProfile *) g_ptr_array_index (recipe->profiles, i))->name;
}

const char *
lb_recipe_get_profile_description (LbRecipe *recipe, const char *profile)
{
  LbRecipeProfile *p;

  g_return_val_if_fail (recipe != NULL && profile != NULL, NULL);
  p = lb_recipe_find_profile (recipe, profile);
  return p ? p->description : NULL;
}

gboolean
lb_recipe_add_profile (LbRecipe *recipe, const char *name, const char *description,
                       GError **error)
{
  LbRecipeProfile *profile;

  g_return_val_if_fail (recipe != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (*name == '\0')
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "a profile has an empty name");
      return FALSE;
    }
  if (lb_recipe_find_profile (recipe, name))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "profile \"%s\" is defined twice", name);
      return FALSE;
    }
  profile = g_new0 (LbRecipeProfile, 1);
  profile->name = g_strdup (name);
  profile->description = g_strdup (description);
  profile->base = profile->embedding = profile->output = LB_RECIPE_TYPE_UNSET;
  profile->rules = g_ptr_array_new_with_free_func (rule_free);
  g_ptr_array_add (recipe->profiles, profile);
  return TRUE;
}

void
lb_recipe_set_profile_types (LbRecipe *recipe, const char *profile, LbType base,
                             LbType embedding, LbType output)
{
  LbRecipeProfile *p;

  g_return_if_fail (recipe != NULL && profile != NULL);
  p = lb_recipe_find_profile (recipe, profile);
  g_return_if_fail (p != NULL);
  p->base = base;
  p->embedding = embedding;
  p->output = output;
}

/* ---- JSON reading --------------------------------------------------------- */

typedef struct {
  const char *source;   /* file name for messages */
  const char *where;    /* "rule 3 (\"blk.*\")" or NULL */
} Ctx;

static gboolean G_GNUC_PRINTF (3, 4)
fail (GError **error, const Ctx *ctx, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (ctx->where)
    g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "%s: %s: %s", ctx->source, ctx->where, msg);
  else
    g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "%s: %s", ctx->source, msg);
  return FALSE;
}

static gboolean
check_members (JsonObject *obj, const char * const *known, const Ctx *ctx, GError **error)
{
  g_autoptr (GList) members = json_object_get_members (obj);

  for (GList *l = members; l; l = l->next)
    if (!g_strv_contains (known, l->data))
      {
        g_autofree char *list = g_strjoinv (", ", (char **) known);
        return fail (error, ctx, "unknown member \"%s\" (known: %s)", (const char *) l->data,
                     list);
      }
  return TRUE;
}

/* member as a string; *out NULL when absent */
static gboolean
get_string (JsonObject *obj, const char *member, const char **out, const Ctx *ctx, GError **error)
{
  JsonNode *node = json_object_get_member (obj, member);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (json_node_get_value_type (node) != G_TYPE_STRING)
    return fail (error, ctx, "\"%s\" must be a string", member);
  *out = json_node_get_string (node);
  return TRUE;
}

static gboolean
get_bool (JsonObject *obj, const char *member, gboolean *out, const Ctx *ctx, GError **error)
{
  JsonNode *node = json_object_get_member (obj, member);

  *out = FALSE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fail (error, ctx, "\"%s\" must be true or false", member);
  *out = json_node_get_boolean (node);
  return TRUE;
}

static char *
known_type_names (void)
{
  GString *s = g_string_new (NULL);

  for (guint t = 0; t < LB_TYPE_COUNT; t++)
    if (lb_recipe_type_allowed (t) && lb_type_get_traits (t)->from_float != NULL)
      g_string_append_printf (s, "%s%s", s->len ? ", " : "", lb_type_get_name (t));
  return g_string_free (s, FALSE);
}

/* member as a type name; UNSET when absent */
static gboolean
get_type (JsonObject *obj, const char *member, gboolean required, LbType *out, const Ctx *ctx,
          GError **error)
{
  const char *name;

  *out = LB_RECIPE_TYPE_UNSET;
  if (!get_string (obj, member, &name, ctx, error))
    return FALSE;
  if (name == NULL)
    return required ? fail (error, ctx, "\"%s\" (a type name) is missing", member) : TRUE;
  if (!lb_type_from_name (name, out) || !lb_recipe_type_allowed (*out))
    {
      g_autofree char *known = known_type_names ();
      *out = LB_RECIPE_TYPE_UNSET;
      return fail (error, ctx, "unknown type \"%s\" in \"%s\" (types Lowbit writes: %s)",
                   name, member, known);
    }
  return TRUE;
}

static gboolean
parse_rule (JsonNode *node, LbRecipeRule *rule, const Ctx *ctx, GError **error)
{
  static const char * const known[] = {
    "pattern", "type", "layers", "when", "force", "optional", "comment", NULL
  };
  JsonObject *obj;
  const char *s;
  GError *local = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (error, ctx, "a rule must be an object like "
                 "{ \"pattern\": \"blk.*.attn_v.weight\", \"type\": \"Q6_K\" }");
  obj = json_node_get_object (node);
  if (!check_members (obj, known, ctx, error)
      || !get_string (obj, "pattern", &s, ctx, error))
    return FALSE;
  if (s == NULL)
    return fail (error, ctx, "\"pattern\" is missing");
  rule->pattern = g_strdup (s);
  if (!lb_recipe_pattern_validate (s, &local))
    {
      fail (error, ctx, "pattern: %s", local->message);
      g_error_free (local);
      return FALSE;
    }
  if (!get_type (obj, "type", TRUE, &rule->type, ctx, error)
      || !get_bool (obj, "force", &rule->force, ctx, error)
      || !get_bool (obj, "optional", &rule->optional, ctx, error)
      || !get_string (obj, "comment", &s, ctx, error))
    return FALSE;
  rule->comment = g_strdup (s);
  if (!get_string (obj, "layers", &s, ctx, error))
    return FALSE;
  rule->layers = g_strdup (s);
  if (s && !lb_recipe_layers_validate (s, &local))
    {
      fail (error, ctx, "layers: %s", local->message);
      g_error_free (local);
      return FALSE;
    }
  if (!get_string (obj, "when", &s, ctx, error))
    return FALSE;
  rule->when = g_strdup (s);
  if (s && !lb_recipe_when_validate (s, &local))
    {
      fail (error, ctx, "when: %s", local->message);
      g_error_free (local);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_rules (JsonObject *obj, LbRecipe *recipe, const char *profile, const Ctx *outer,
             GError **error)
{
  JsonNode *node = json_object_get_member (obj, "rules");
  JsonArray *arr;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return fail (error, outer, "\"rules\" must be an array of rules");
  arr = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      JsonNode *rnode = json_array_get_element (arr, i);
      LbRecipeRule rule = { 0 };
      g_autofree char *where = NULL;
      Ctx ctx = *outer;
      gboolean ok;
      const char *pattern = NULL;

      if (JSON_NODE_HOLDS_OBJECT (rnode))
        {
          JsonNode *p = json_object_get_member (json_node_get_object (rnode), "pattern");
          if (p && json_node_get_value_type (p) == G_TYPE_STRING)
            pattern = json_node_get_string (p);
        }
      where = pattern
        ? g_strdup_printf ("%s%srule %u (\"%s\")", outer->where ? outer->where : "",
                           outer->where ? ", " : "", i + 1, pattern)
        : g_strdup_printf ("%s%srule %u", outer->where ? outer->where : "",
                           outer->where ? ", " : "", i + 1);
      ctx.where = where;
      ok = parse_rule (rnode, &rule, &ctx, error)
           && lb_recipe_add_rule (recipe, profile, &rule, NULL);
      g_free (rule.pattern);
      g_free (rule.layers);
      g_free (rule.when);
      g_free (rule.comment);
      if (!ok)
        {
          if (error && *error == NULL)
            fail (error, &ctx, "invalid rule");
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
parse_profiles (JsonObject *root, LbRecipe *recipe, const Ctx *outer, GError **error)
{
  static const char * const known[] = {
    "name", "description", "base", "embedding", "output", "rules", NULL
  };
  JsonNode *node = json_object_get_member (root, "profiles");
  JsonArray *arr;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return fail (error, outer, "\"profiles\" must be an array of "
                 "{ \"name\": ..., \"rules\": [...] } objects");
  arr = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      JsonNode *pnode = json_array_get_element (arr, i);
      g_autofree char *where = NULL;
      Ctx ctx = *outer;
      JsonObject *obj;
      const char *name, *description;
      LbType base, embedding, output;
      GError *local = NULL;

      where = g_strdup_printf ("profile %u", i + 1);
      ctx.where = where;
      if (!JSON_NODE_HOLDS_OBJECT (pnode))
        return fail (error, &ctx, "a profile must be an object");
      obj = json_node_get_object (pnode);
      if (!check_members (obj, known, &ctx, error)
          || !get_string (obj, "name", &name, &ctx, error)
          || !get_string (obj, "description", &description, &ctx, error))
        return FALSE;
      if (name == NULL)
        return fail (error, &ctx, "\"name\" is missing");
      g_free (where);
      where = g_strdup_printf ("profile \"%s\"", name);
      ctx.where = where;
      if (!lb_recipe_add_profile (recipe, name, description, &local))
        {
          fail (error, &ctx, "%s", local->message);
          g_error_free (local);
          return FALSE;
        }
      if (!get_type (obj, "base", FALSE, &base, &ctx, error)
          || !get_type (obj, "embedding", FALSE, &embedding, &ctx, error)
          || !get_type (obj, "output", FALSE, &output, &ctx, error))
        return FALSE;
      lb_recipe_set_profile_types (recipe, name, base, embedding, output);
      if (!parse_rules (obj, recipe, name, &ctx, error))
        return FALSE;
    }
  return TRUE;
}

static LbRecipe *
recipe_from_root (JsonNode *root, const char *source, GError **error)
{
  static const char * const known[] = {
    "lowbit_recipe", "name", "description", "llama_ftype", "base", "embedding", "output",
    "norms", "importance", "rules", "profiles", NULL
  };
  Ctx ctx = { source, NULL };
  g_autoptr (LbRecipe) recipe = NULL;
  JsonObject *obj;
  JsonNode *version;
  const char *s;
  LbType t;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      fail (error, &ctx, "a recipe must be a JSON object");
      return NULL;
    }
  obj = json_node_get_object (root);
  if (!check_members (obj, known, &ctx, error))
    return NULL;
  version = json_object_get_member (obj, "lowbit_recipe");
  if (version != NULL
      && (json_node_get_value_type (version) != G_TYPE_INT64
          || json_node_get_int (version) != RECIPE_FORMAT_VERSION))
    {
      fail (error, &ctx, "\"lowbit_recipe\" must be %d (the format version this Lowbit reads)",
            RECIPE_FORMAT_VERSION);
      return NULL;
    }

  if (!get_string (obj, "name", &s, &ctx, error))
    return NULL;
  recipe = lb_recipe_new (s);
  if (!get_string (obj, "description", &s, &ctx, error))
    return NULL;
  recipe->description = g_strdup (s);
  if (!get_string (obj, "importance", &s, &ctx, error))
    return NULL;
  recipe->importance = g_strdup (s);
  if (!get_string (obj, "llama_ftype", &s, &ctx, error))
    return NULL;
  if (s != NULL)
    {
      GError *local = NULL;
      if (!lb_recipe_set_llama_ftype (recipe, s, &local))
        {
          fail (error, &ctx, "llama_ftype: %s", local->message);
          g_error_free (local);
          return NULL;
        }
    }

  if (!get_type (obj, "base", TRUE, &recipe->base, &ctx, error)
      || !get_type (obj, "embedding", FALSE, &recipe->embedding, &ctx, error)
      || !get_type (obj, "output", FALSE, &recipe->output, &ctx, error)
      || !get_type (obj, "norms", FALSE, &t, &ctx, error))
    return NULL;
  if (t != LB_RECIPE_TYPE_UNSET)
    {
      if (t != LB_TYPE_F32 && t != LB_TYPE_F16 && t != LB_TYPE_BF16)
        {
          fail (error, &ctx, "\"norms\" must be a float type (F32, F16 or BF16), not %s",
                lb_type_get_name (t));
          return NULL;
        }
      recipe->norms = t;
    }

  if (!parse_rules (obj, recipe, NULL, &ctx, error)
      || !parse_profiles (obj, recipe, &ctx, error))
    return NULL;
  return g_steal_pointer (&recipe);
}

LbRecipe *
lb_recipe_load_from_data (const char *data, gssize len, const char *source_name, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  GError *local = NULL;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (source_name == NULL)
    source_name = "recipe";
  if (!json_parser_load_from_data (parser, data ? data : "", len, &local))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "%s: not valid JSON: %s",
                   source_name, local->message);
      g_error_free (local);
      return NULL;
    }
  return recipe_from_root (json_parser_get_root (parser), source_name, error);
}

LbRecipe *
lb_recipe_load (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize len;
  GError *local = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &contents, &len, &local))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot read recipe %s: %s", path, local->message);
      g_error_free (local);
      return NULL;
    }
  if (len > G_MAXSSIZE)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "%s: too large", path);
      return NULL;
    }
  return lb_recipe_load_from_data (contents, (gssize) len, path, error);
}

/* ---- JSON writing --------------------------------------------------------- */

static void
add_type (JsonBuilder *b, const char *member, LbType type)
{
  if (type == LB_RECIPE_TYPE_UNSET)
    return;
  json_builder_set_member_name (b, member);
  json_builder_add_string_value (b, lb_type_get_name (type));
}

static void
add_string (JsonBuilder *b, const char *member, const char *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (b, member);
  json_builder_add_string_value (b, value);
}

static void
add_rules (JsonBuilder *b, GPtrArray *rules)
{
  if (rules->len == 0)
    return;
  json_builder_set_member_name (b, "rules");
  json_builder_begin_array (b);
  for (guint i = 0; i < rules->len; i++)
    {
      const LbRecipeRule *rule = g_ptr_array_index (rules, i);

      json_builder_begin_object (b);
      add_string (b, "pattern", rule->pattern);
      add_string (b, "layers", rule->layers);
      add_string (b, "when", rule->when);
      add_type (b, "type", rule->type);
      if (rule->force)
        {
          json_builder_set_member_name (b, "force");
          json_builder_add_boolean_value (b, TRUE);
        }
      if (rule->optional)
        {
          json_builder_set_member_name (b, "optional");
          json_builder_add_boolean_value (b, TRUE);
        }
      add_string (b, "comment", rule->comment);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

char *
lb_recipe_to_data (LbRecipe *recipe)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (recipe != NULL, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "lowbit_recipe");
  json_builder_add_int_value (b, RECIPE_FORMAT_VERSION);
  add_string (b, "name", recipe->name);
  add_string (b, "description", recipe->description);
  add_string (b, "llama_ftype", recipe->llama_ftype);
  add_type (b, "base", recipe->base);
  add_type (b, "embedding", recipe->embedding);
  add_type (b, "output", recipe->output);
  add_type (b, "norms", recipe->norms);
  add_string (b, "importance", recipe->importance);
  add_rules (b, recipe->rules);
  if (recipe->profiles->len > 0)
    {
      json_builder_set_member_name (b, "profiles");
      json_builder_begin_array (b);
      for (guint i = 0; i < recipe->profiles->len; i++)
        {
          LbRecipeProfile *p = g_ptr_array_index (recipe->profiles, i);

          json_builder_begin_object (b);
          add_string (b, "name", p->name);
          add_string (b, "description", p->description);
          add_type (b, "base", p->base);
          add_type (b, "embedding", p->embedding);
          add_type (b, "output", p->output);
          add_rules (b, p->rules);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  text = json_generator_to_data (gen, NULL);
  return g_strconcat (text, "\n", NULL);
}

gboolean
lb_recipe_save (LbRecipe *recipe, const char *path, GError **error)
{
  g_autoptr (LbAtomicFile) file = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (recipe != NULL && path != NULL, FALSE);

  text = lb_recipe_to_data (recipe);
  file = lb_atomic_file_new (path, error);
  return file != NULL
         && lb_atomic_file_write (file, text, strlen (text), error)
         && lb_atomic_file_commit (file, error);
}

/* ---- presets -------------------------------------------------------------- */

static GPtrArray *
preset_dirs (void)
{
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);
  const char *env = g_getenv ("LOWBIT_RECIPES_DIR");

  if (env && *env)
    g_ptr_array_add (dirs, g_strdup (env));
  g_ptr_array_add (dirs, g_build_filename (LB_SOURCE_DATADIR, "recipes", NULL));
  g_ptr_array_add (dirs, g_build_filename (LB_DATADIR, "recipes", NULL));
  return dirs;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_ascii_strcasecmp (*(const char * const *) a, *(const char * const *) b);
}

char **
lb_recipe_list_presets (void)
{
  g_autoptr (GPtrArray) dirs = preset_dirs ();
  GPtrArray *names = g_ptr_array_new ();

  for (guint i = 0; i < dirs->len; i++)
    {
      g_autoptr (GDir) dir = g_dir_open (g_ptr_array_index (dirs, i), 0, NULL);
      const char *entry;

      while (dir && (entry = g_dir_read_name (dir)) != NULL)
        {
          gboolean seen = FALSE;
          char *name;

          if (!g_str_has_suffix (entry, ".json"))
            continue;
          name = g_strndup (entry, strlen (entry) - 5);
          for (guint k = 0; k < names->len && !seen; k++)
            seen = g_ascii_strcasecmp (g_ptr_array_index (names, k), name) == 0;
          if (seen)
            g_free (name);
          else
            g_ptr_array_add (names, name);
        }
      if (names->len > 0)
        break;  /* the first folder that has presets is the one used */
    }
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

LbRecipe *
lb_recipe_load_preset (const char *name, GError **error)
{
  g_autoptr (GPtrArray) dirs = preset_dirs ();

  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < dirs->len; i++)
    {
      const char *folder = g_ptr_array_index (dirs, i);
      g_autoptr (GDir) dir = g_dir_open (folder, 0, NULL);
      const char *entry;

      while (dir && (entry = g_dir_read_name (dir)) != NULL)
        {
          if (g_str_has_suffix (entry, ".json") && strlen (entry) == strlen (name) + 5
              && g_ascii_strncasecmp (entry, name, strlen (name)) == 0)
            {
              g_autofree char *path = g_build_filename (folder, entry, NULL);
              return lb_recipe_load (path, error);
            }
        }
    }
  {
    g_auto (GStrv) known = lb_recipe_list_presets ();
    g_autofree char *list = g_strjoinv (", ", known);

    if (known[0] == NULL)
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "no preset \"%s\": no preset folder found (set LOWBIT_RECIPES_DIR to "
                   "Lowbit's data/recipes)", name);
    else
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "no preset \"%s\" (presets: %s)", name, list);
  }
  return NULL;
}
