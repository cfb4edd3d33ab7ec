/* lb-sensitivity-io.c: the sensitivity table as JSON, and the cell cache */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lb-atomic-file.h"
#include "lb-error.h"
#include "lb-sensitivity-private.h"

/* ---- JSON helpers ------------------------------------------------------------ */

static void
add_number (JsonBuilder *b, const char *key, double v)
{
  if (key)
    json_builder_set_member_name (b, key);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b, const char *key, gint64 v)
{
  json_builder_set_member_name (b, key);
  json_builder_add_int_value (b, v);
}

static void
add_string (JsonBuilder *b, const char *key, const char *v)
{
  json_builder_set_member_name (b, key);
  if (v)
    json_builder_add_string_value (b, v);
  else
    json_builder_add_null_value (b);
}

static char *
to_text (JsonBuilder *b, gboolean pretty)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);

  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, pretty);
  return json_generator_to_data (gen, NULL);
}

static gboolean
write_text (const char *path, const char *text, GError **error)
{
  g_autoptr (LbAtomicFile) file = lb_atomic_file_new (path, error);

  return file != NULL
         && lb_atomic_file_write (file, text, strlen (text), error)
         && lb_atomic_file_commit (file, error);
}

/* a number member (null: NaN); FALSE when present with another type */
static gboolean
get_number (JsonObject *o, const char *key, double *out)
{
  JsonNode *n = json_object_get_member (o, key);

  *out = NAN;
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || (json_node_get_value_type (n) != G_TYPE_DOUBLE
                                     && json_node_get_value_type (n) != G_TYPE_INT64))
    return FALSE;
  *out = json_node_get_double (n);
  return TRUE;
}

/* ---- results ------------------------------------------------------------------ */

char *
lb_sensitivity_to_json (LbSensitivity *s)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_int (b, "lowbit_sensitivity", 1);
  add_string (b, "model", s->model_name);
  add_string (b, "model_fingerprint", s->model_fingerprint);
  add_string (b, "text", s->text_name);
  add_string (b, "engine", s->engine);
  add_string (b, "group_by", lb_sens_group_by_to_string (s->group_by));
  json_builder_set_member_name (b, "measured");
  json_builder_add_boolean_value (b, s->measured);
  add_int (b, "n_ctx", s->n_ctx);
  add_int (b, "chunks", s->n_chunks);
  add_int (b, "positions", (gint64) s->n_positions);
  add_number (b, "base_kld", s->base_kld);
  add_int (b, "evaluated", s->n_evaluated);
  add_int (b, "from_cache", s->n_cached);
  add_number (b, "seconds", s->seconds);
  json_builder_set_member_name (b, "types");
  json_builder_begin_array (b);
  for (guint t = 0; t < s->n_types; t++)
    json_builder_add_string_value (b, lb_type_get_name (s->types[t]));
  json_builder_end_array (b);

  json_builder_set_member_name (b, "groups");
  json_builder_begin_array (b);
  for (guint g = 0; g < s->groups->len; g++)
    {
      LbSensGroup *grp = s->groups->pdata[g];

      json_builder_begin_object (b);
      add_string (b, "name", grp->name);
      json_builder_set_member_name (b, "tensors");
      json_builder_begin_array (b);
      for (guint i = 0; i + 1 < grp->tensors->len; i++)
        json_builder_add_string_value (b, grp->tensors->pdata[i]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "cells");
      json_builder_begin_array (b);
      for (guint t = 0; t < s->n_types; t++)
        {
          const LbSensCell *c = &grp->cells[t];

          json_builder_begin_object (b);
          add_string (b, "type", lb_type_get_name (c->type));
          add_int (b, "bytes", (gint64) c->bytes);
          add_number (b, "kld", c->measured ? c->kld : NAN);
          add_number (b, "delta_kld", c->measured ? c->delta_kld : NAN);
          add_number (b, "same_top1_percent", c->measured ? 100 * c->same_top1 : NAN);
          add_number (b, "err", c->err);
          add_number (b, "rel_err", c->rel_err);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return to_text (b, TRUE);
}

gboolean
lb_sensitivity_save (LbSensitivity *sens, const char *path, GError **error)
{
  g_autofree char *text = lb_sensitivity_to_json (sens);
  return write_text (path, text, error);
}

LbSensitivity *
lb_sensitivity_load (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  return lb_sensitivity_load_from_data (data, (gssize) len, path, error);
}

static gboolean
bad (GError **error, const char *source, const char *what)
{
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "%s: %s", source, what);
  return FALSE;
}

static gboolean
load_cell (JsonObject *co, LbSensCell *c, LbType want, const char *source, const char *group,
           guint t, GError **error)
{
  const char *tname = json_object_get_string_member_with_default (co, "type", NULL);
  JsonNode *bytes = json_object_get_member (co, "bytes");
  double top1;
  LbType type;

  lb_sens_cell_init (c, want);
  if (tname == NULL || !lb_type_from_name (tname, &type) || type != want)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: group %s: cell %u has type %s, expected %s", source, group, t,
                   tname ? tname : "(none)", lb_type_get_name (want));
      return FALSE;
    }
  if (bytes == NULL || !JSON_NODE_HOLDS_VALUE (bytes)
      || json_node_get_value_type (bytes) != G_TYPE_INT64 || json_node_get_int (bytes) < 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: group %s: cell %s: \"bytes\" must be a non-negative integer", source,
                   group, tname);
      return FALSE;
    }
  c->bytes = (guint64) json_node_get_int (bytes);
  if (!get_number (co, "kld", &c->kld) || !get_number (co, "delta_kld", &c->delta_kld)
      || !get_number (co, "same_top1_percent", &top1) || !get_number (co, "err", &c->err)
      || !get_number (co, "rel_err", &c->rel_err))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: group %s: cell %s: kld, delta_kld, same_top1_percent, err and rel_err "
                   "must be numbers or null", source, group, tname);
      return FALSE;
    }
  c->same_top1 = top1 / 100;
  c->measured = isfinite (c->delta_kld);
  return TRUE;
}

LbSensitivity *
lb_sensitivity_load_from_data (const char *data, gssize len, const char *source,
                               GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (LbSensitivity) s = NULL;
  g_autofree LbType *types = NULL;
  JsonObject *root;
  JsonArray *jtypes, *jgroups;
  JsonNode *node;
  guint n_types;
  GError *local = NULL;

  if (!json_parser_load_from_data (parser, data, len, &local))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "%s: not JSON: %s", source,
                   local->message);
      g_error_free (local);
      return NULL;
    }
  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return bad (error, source, "expected a JSON object"), NULL;
  root = json_node_get_object (node);
  if (!json_object_has_member (root, "lowbit_sensitivity")
      || json_object_get_int_member_with_default (root, "lowbit_sensitivity", 0) != 1)
    return bad (error, source, "not a lowbit sensitivity file (\"lowbit_sensitivity\": 1 missing)"), NULL;
  node = json_object_get_member (root, "types");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length (json_node_get_array (node)) == 0)
    return bad (error, source, "\"types\" must be a non-empty array of type names"), NULL;
  jtypes = json_node_get_array (node);
  n_types = json_array_get_length (jtypes);
  if (n_types > 64)
    return bad (error, source, "\"types\" lists more than 64 types"), NULL;
  types = g_new (LbType, n_types);
  for (guint t = 0; t < n_types; t++)
    {
      JsonNode *tn = json_array_get_element (jtypes, t);
      const char *name = JSON_NODE_HOLDS_VALUE (tn) && json_node_get_value_type (tn) == G_TYPE_STRING
                         ? json_node_get_string (tn) : NULL;
      if (name == NULL || !lb_type_from_name (name, &types[t]))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "%s: types[%u] is not a type name",
                       source, t);
          return NULL;
        }
    }
  s = lb_sensitivity_alloc (types, n_types);
  s->model_name = g_strdup (json_object_get_string_member_with_default (root, "model", ""));
  g_free (s->model_fingerprint);
  s->model_fingerprint = g_strdup (json_object_get_string_member_with_default (root, "model_fingerprint", ""));
  s->text_name = g_strdup (json_object_get_string_member_with_default (root, "text", ""));
  s->engine = g_strdup (json_object_get_string_member_with_default (root, "engine", ""));
  if (!lb_sens_group_by_from_string (json_object_get_string_member_with_default (root, "group_by", "tensor"),
                                     &s->group_by))
    return bad (error, source, "\"group_by\" must be tensor, layer or kind"), NULL;
  s->measured = json_object_get_boolean_member_with_default (root, "measured", FALSE);
  s->n_ctx = (guint) CLAMP (json_object_get_int_member_with_default (root, "n_ctx", 0), 0, G_MAXUINT32);
  s->n_chunks = (guint) CLAMP (json_object_get_int_member_with_default (root, "chunks", 0), 0, G_MAXUINT32);
  s->n_positions = (guint64) MAX (json_object_get_int_member_with_default (root, "positions", 0), 0);
  if (!get_number (root, "base_kld", &s->base_kld) || !get_number (root, "seconds", &s->seconds))
    return bad (error, source, "\"base_kld\" and \"seconds\" must be numbers"), NULL;
  s->n_evaluated = (guint) CLAMP (json_object_get_int_member_with_default (root, "evaluated", 0), 0, G_MAXUINT32);
  s->n_cached = (guint) CLAMP (json_object_get_int_member_with_default (root, "from_cache", 0), 0, G_MAXUINT32);

  node = json_object_get_member (root, "groups");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return bad (error, source, "\"groups\" must be an array"), NULL;
  jgroups = json_node_get_array (node);
  for (guint g = 0; g < json_array_get_length (jgroups); g++)
    {
      JsonNode *gn = json_array_get_element (jgroups, g);
      JsonObject *go = JSON_NODE_HOLDS_OBJECT (gn) ? json_node_get_object (gn) : NULL;
      const char *name = go ? json_object_get_string_member_with_default (go, "name", NULL) : NULL;
      JsonNode *tn = go ? json_object_get_member (go, "tensors") : NULL;
      JsonNode *cn = go ? json_object_get_member (go, "cells") : NULL;
      JsonArray *ta, *ca;
      LbSensGroup *grp;

      if (name == NULL || *name == '\0')
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: groups[%u] needs a \"name\"", source, g);
          return NULL;
        }
      if (tn == NULL || !JSON_NODE_HOLDS_ARRAY (tn) || json_array_get_length (json_node_get_array (tn)) == 0
          || cn == NULL || !JSON_NODE_HOLDS_ARRAY (cn)
          || json_array_get_length (json_node_get_array (cn)) != n_types)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: group %s needs a non-empty \"tensors\" array and one cell per type (%u)",
                       source, name, n_types);
          return NULL;
        }
      ta = json_node_get_array (tn);
      ca = json_node_get_array (cn);
      grp = lb_sens_group_new (name, n_types);
      g_ptr_array_add (s->groups, grp);
      for (guint i = 0; i < json_array_get_length (ta); i++)
        {
          JsonNode *e = json_array_get_element (ta, i);
          if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                           "%s: group %s: tensors[%u] is not a string", source, name, i);
              return NULL;
            }
          lb_sens_group_add_tensor (grp, json_node_get_string (e));
        }
      for (guint t = 0; t < n_types; t++)
        {
          JsonNode *e = json_array_get_element (ca, t);
          if (!JSON_NODE_HOLDS_OBJECT (e))
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                           "%s: group %s: cells[%u] is not an object", source, name, t);
              return NULL;
            }
          if (!load_cell (json_node_get_object (e), &grp->cells[t], types[t], source, name, t, error))
            return NULL;
        }
    }
  return g_steal_pointer (&s);
}

/* ---- the cache ----------------------------------------------------------------- */

typedef struct {
  gboolean    has_base;
  double      base;
  char       *description;
  GHashTable *cells;      /* char* -> LbSensCachedCell* */
} Setup;

struct _LbSensCache {
  GHashTable *setups;     /* key -> Setup* */
  GHashTable *proxies;    /* key -> GHashTable (char* -> LbSensCachedProxy*) */
};

static void
setup_free (Setup *s)
{
  g_free (s->description);
  g_hash_table_unref (s->cells);
  g_free (s);
}

static Setup *
get_setup (LbSensCache *cache, const char *key, gboolean create)
{
  Setup *s = g_hash_table_lookup (cache->setups, key);

  if (s == NULL && create)
    {
      s = g_new0 (Setup, 1);
      s->cells = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (cache->setups, g_strdup (key), s);
    }
  return s;
}

static GHashTable *
get_proxies (LbSensCache *cache, const char *key, gboolean create)
{
  GHashTable *p = g_hash_table_lookup (cache->proxies, key);

  if (p == NULL && create)
    {
      p = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (cache->proxies, g_strdup (key), p);
    }
  return p;
}

static LbSensCache *
cache_new (void)
{
  LbSensCache *c = g_new0 (LbSensCache, 1);

  c->setups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) setup_free);
  c->proxies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) g_hash_table_unref);
  return c;
}

void
lb_sens_cache_free (LbSensCache *cache)
{
  if (cache == NULL)
    return;
  g_hash_table_unref (cache->setups);
  g_hash_table_unref (cache->proxies);
  g_free (cache);
}

/* an object member, NULL when absent or of another type */
static JsonObject *
get_object (JsonObject *o, const char *key)
{
  JsonNode *n = json_object_get_member (o, key);
  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

/* a [a, b] pair of numbers (null: NaN) */
static gboolean
get_pair (JsonNode *n, double *a, double *b)
{
  JsonArray *arr;
  double v[2];

  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n))
    return FALSE;
  arr = json_node_get_array (n);
  if (json_array_get_length (arr) != 2)
    return FALSE;
  for (guint i = 0; i < 2; i++)
    {
      JsonNode *e = json_array_get_element (arr, i);
      if (JSON_NODE_HOLDS_NULL (e))
        v[i] = NAN;
      else if (JSON_NODE_HOLDS_VALUE (e) && (json_node_get_value_type (e) == G_TYPE_DOUBLE
                                             || json_node_get_value_type (e) == G_TYPE_INT64))
        v[i] = json_node_get_double (e);
      else
        return FALSE;
    }
  *a = v[0];
  *b = v[1];
  return TRUE;
}

static gboolean
cache_parse (LbSensCache *cache, JsonNode *node, const char *path, GError **error)
{
  JsonObject *root, *setups, *proxies;
  GList *keys;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return bad (error, path, "the sensitivity cache is not a JSON object");
  root = json_node_get_object (node);
  if (json_object_get_int_member_with_default (root, "lowbit_sensitivity_cache", 0) != 1)
    return bad (error, path, "not a lowbit sensitivity cache (\"lowbit_sensitivity_cache\": 1 missing)");
  setups = get_object (root, "setups");
  proxies = get_object (root, "proxies");

  keys = setups ? json_object_get_members (setups) : NULL;
  for (GList *k = keys; k; k = k->next)
    {
      JsonNode *sn = json_object_get_member (setups, k->data);
      JsonObject *so = JSON_NODE_HOLDS_OBJECT (sn) ? json_node_get_object (sn) : NULL;
      JsonObject *cells = so ? get_object (so, "cells") : NULL;
      Setup *s;
      GList *ck;

      if (cells == NULL)
        {
          g_list_free (keys);
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: setup %s has no \"cells\" object", path, (const char *) k->data);
          return FALSE;
        }
      s = get_setup (cache, k->data, TRUE);
      s->description = g_strdup (json_object_get_string_member_with_default (so, "description", NULL));
      if (!get_number (so, "base_kld", &s->base))
        s->base = NAN;
      s->has_base = isfinite (s->base);
      ck = json_object_get_members (cells);
      for (GList *c = ck; c; c = c->next)
        {
          LbSensCachedCell v;
          if (!get_pair (json_object_get_member (cells, c->data), &v.kld, &v.same_top1))
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                           "%s: cell %s must be [kld, same_top1]", path, (const char *) c->data);
              g_list_free (ck);
              g_list_free (keys);
              return FALSE;
            }
          g_hash_table_insert (s->cells, g_strdup (c->data), g_memdup2 (&v, sizeof v));
        }
      g_list_free (ck);
    }
  g_list_free (keys);

  keys = proxies ? json_object_get_members (proxies) : NULL;
  for (GList *k = keys; k; k = k->next)
    {
      JsonNode *pn = json_object_get_member (proxies, k->data);
      JsonObject *po = JSON_NODE_HOLDS_OBJECT (pn) ? json_node_get_object (pn) : NULL;
      GHashTable *p;
      GList *ck;

      if (po == NULL)
        continue;
      p = get_proxies (cache, k->data, TRUE);
      ck = json_object_get_members (po);
      for (GList *c = ck; c; c = c->next)
        {
          LbSensCachedProxy v;
          if (!get_pair (json_object_get_member (po, c->data), &v.err, &v.signal))
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                           "%s: proxy %s must be [err, signal]", path, (const char *) c->data);
              g_list_free (ck);
              g_list_free (keys);
              return FALSE;
            }
          g_hash_table_insert (p, g_strdup (c->data), g_memdup2 (&v, sizeof v));
        }
      g_list_free (ck);
    }
  g_list_free (keys);
  return TRUE;
}

LbSensCache *
lb_sens_cache_load (const char *path, GError **error)
{
  g_autoptr (LbSensCache) cache = cache_new ();
  g_autoptr (JsonParser) parser = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;
  GError *local = NULL;

  if (!g_file_get_contents (path, &data, &len, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_error_free (local);
          return g_steal_pointer (&cache);
        }
      g_propagate_error (error, local);
      return NULL;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, &local))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: the sensitivity cache is not JSON (%s); delete it to start afresh",
                   path, local->message);
      g_error_free (local);
      return NULL;
    }
  if (!cache_parse (cache, json_parser_get_root (parser), path, error))
    return NULL;
  return g_steal_pointer (&cache);
}

gboolean
lb_sens_cache_get_cell (LbSensCache *cache, const char *setup, const char *cell,
                        LbSensCachedCell *out)
{
  Setup *s = get_setup (cache, setup, FALSE);
  LbSensCachedCell *v = s ? g_hash_table_lookup (s->cells, cell) : NULL;

  if (v == NULL || !isfinite (v->kld))
    return FALSE;
  *out = *v;
  return TRUE;
}

void
lb_sens_cache_put_cell (LbSensCache *cache, const char *setup, const char *cell,
                        const LbSensCachedCell *value)
{
  Setup *s = get_setup (cache, setup, TRUE);
  g_hash_table_insert (s->cells, g_strdup (cell), g_memdup2 (value, sizeof *value));
}

gboolean
lb_sens_cache_get_base (LbSensCache *cache, const char *setup, double *kld)
{
  Setup *s = get_setup (cache, setup, FALSE);

  if (s == NULL || !s->has_base)
    return FALSE;
  *kld = s->base;
  return TRUE;
}

void
lb_sens_cache_put_base (LbSensCache *cache, const char *setup, double kld, const char *description)
{
  Setup *s = get_setup (cache, setup, TRUE);

  s->base = kld;
  s->has_base = isfinite (kld);
  g_free (s->description);
  s->description = g_strdup (description);
}

gboolean
lb_sens_cache_get_proxy (LbSensCache *cache, const char *key, const char *cell,
                         LbSensCachedProxy *out)
{
  GHashTable *p = get_proxies (cache, key, FALSE);
  LbSensCachedProxy *v = p ? g_hash_table_lookup (p, cell) : NULL;

  if (v == NULL || !isfinite (v->err))
    return FALSE;
  *out = *v;
  return TRUE;
}

void
lb_sens_cache_put_proxy (LbSensCache *cache, const char *key, const char *cell,
                         const LbSensCachedProxy *value)
{
  GHashTable *p = get_proxies (cache, key, TRUE);
  g_hash_table_insert (p, g_strdup (cell), g_memdup2 (value, sizeof *value));
}

static void
add_pair (JsonBuilder *b, const char *key, double x, double y)
{
  json_builder_set_member_name (b, key);
  json_builder_begin_array (b);
  add_number (b, NULL, x);
  add_number (b, NULL, y);
  json_builder_end_array (b);
}

/* members in sorted order, so the file is stable */
static GList *
sorted_keys (GHashTable *h)
{
  return g_list_sort (g_hash_table_get_keys (h), (GCompareFunc) strcmp);
}

gboolean
lb_sens_cache_save (LbSensCache *cache, const char *path, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *text = NULL;
  GList *keys;

  json_builder_begin_object (b);
  add_int (b, "lowbit_sensitivity_cache", 1);
  json_builder_set_member_name (b, "setups");
  json_builder_begin_object (b);
  keys = sorted_keys (cache->setups);
  for (GList *k = keys; k; k = k->next)
    {
      Setup *s = g_hash_table_lookup (cache->setups, k->data);
      GList *ck = sorted_keys (s->cells);

      json_builder_set_member_name (b, k->data);
      json_builder_begin_object (b);
      add_string (b, "description", s->description);
      add_number (b, "base_kld", s->has_base ? s->base : NAN);
      json_builder_set_member_name (b, "cells");
      json_builder_begin_object (b);
      for (GList *c = ck; c; c = c->next)
        {
          LbSensCachedCell *v = g_hash_table_lookup (s->cells, c->data);
          add_pair (b, c->data, v->kld, v->same_top1);
        }
      json_builder_end_object (b);
      json_builder_end_object (b);
      g_list_free (ck);
    }
  g_list_free (keys);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "proxies");
  json_builder_begin_object (b);
  keys = sorted_keys (cache->proxies);
  for (GList *k = keys; k; k = k->next)
    {
      GHashTable *p = g_hash_table_lookup (cache->proxies, k->data);
      GList *ck = sorted_keys (p);

      json_builder_set_member_name (b, k->data);
      json_builder_begin_object (b);
      for (GList *c = ck; c; c = c->next)
        {
          LbSensCachedProxy *v = g_hash_table_lookup (p, c->data);
          add_pair (b, c->data, v->err, v->signal);
        }
      json_builder_end_object (b);
      g_list_free (ck);
    }
  g_list_free (keys);
  json_builder_end_object (b);
  json_builder_end_object (b);

  text = to_text (b, FALSE);
  return write_text (path, text, error);
}
