/* lb-safetensors.c: the .safetensors container: an 8-byte little-endian
 * header length, a JSON object {name: {dtype, shape, data_offsets}, and
 * "__metadata__": {string: string}}, then the data section, to which
 * data_offsets [begin, end) are relative. */
#include "lb-safetensors.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "lb-error.h"

#define HEADER_MAX_BYTES  (100u * 1024 * 1024)
#define JSON_MAX_DEPTH    32

struct _LbSafetensors {
  char       *path;
  GBytes     *bytes;
  const guint8 *base;
  gsize       size;
  GArray     *tensors;    /* LbSafetensorsTensor, sorted by offset */
  GHashTable *by_name;    /* name -> index + 1 */
  GHashTable *metadata;   /* char* -> char* */
};

static const struct {
  const char *name;
  guint       bits;
  gboolean    lb_ok;
  LbType      lb_type;
} dtype_info[LB_SAFETENSORS_DTYPE_N] = {
  [LB_SAFETENSORS_DTYPE_F32]     = { "F32", 32, TRUE, LB_TYPE_F32 },
  [LB_SAFETENSORS_DTYPE_F16]     = { "F16", 16, TRUE, LB_TYPE_F16 },
  [LB_SAFETENSORS_DTYPE_BF16]    = { "BF16", 16, TRUE, LB_TYPE_BF16 },
  [LB_SAFETENSORS_DTYPE_F64]     = { "F64", 64, FALSE, 0 },
  [LB_SAFETENSORS_DTYPE_I64]     = { "I64", 64, FALSE, 0 },
  [LB_SAFETENSORS_DTYPE_I32]     = { "I32", 32, FALSE, 0 },
  [LB_SAFETENSORS_DTYPE_I16]     = { "I16", 16, FALSE, 0 },
  [LB_SAFETENSORS_DTYPE_I8]      = { "I8", 8, FALSE, 0 },
  [LB_SAFETENSORS_DTYPE_U64]     = { "U64", 64, FALSE, 0 },
  [LB_SAFETENSORS_DTYPE_U32]     = { "U32", 32, FALSE, 0 },
  [LB_SAFETENSORS_DTYPE_U16]     = { "U16", 16, FALSE, 0 },
  [LB_SAFETENSORS_DTYPE_U8]      = { "U8", 8, FALSE, 0 },
  [LB_SAFETENSORS_DTYPE_BOOL]    = { "BOOL", 8, FALSE, 0 },
  [LB_SAFETENSORS_DTYPE_F8_E4M3] = { "F8_E4M3", 8, FALSE, 0 },
  [LB_SAFETENSORS_DTYPE_F8_E5M2] = { "F8_E5M2", 8, FALSE, 0 },
  [LB_SAFETENSORS_DTYPE_F8_E8M0] = { "F8_E8M0", 8, FALSE, 0 },
  [LB_SAFETENSORS_DTYPE_F6_E2M3] = { "F6_E2M3", 6, FALSE, 0 },
  [LB_SAFETENSORS_DTYPE_F6_E3M2] = { "F6_E3M2", 6, FALSE, 0 },
  [LB_SAFETENSORS_DTYPE_F4]      = { "F4", 4, FALSE, 0 },
};

const char *
lb_safetensors_dtype_name (LbSafetensorsDtype dtype)
{
  return (guint) dtype < LB_SAFETENSORS_DTYPE_N ? dtype_info[dtype].name : "?";
}

guint
lb_safetensors_dtype_bits (LbSafetensorsDtype dtype)
{
  return (guint) dtype < LB_SAFETENSORS_DTYPE_N ? dtype_info[dtype].bits : 0;
}

gboolean
lb_safetensors_dtype_to_type (LbSafetensorsDtype dtype, LbType *out)
{
  if ((guint) dtype >= LB_SAFETENSORS_DTYPE_N || !dtype_info[dtype].lb_ok)
    return FALSE;
  if (out)
    *out = dtype_info[dtype].lb_type;
  return TRUE;
}

static gboolean
dtype_from_name (const char *name, LbSafetensorsDtype *out)
{
  for (guint i = 0; i < LB_SAFETENSORS_DTYPE_N; i++)
    if (strcmp (dtype_info[i].name, name) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

void
lb_safetensors_free (LbSafetensors *st)
{
  if (st == NULL)
    return;
  if (st->tensors)
    {
      for (guint i = 0; i < st->tensors->len; i++)
        g_free ((char *) g_array_index (st->tensors, LbSafetensorsTensor, i).name);
      g_array_unref (st->tensors);
    }
  g_clear_pointer (&st->by_name, g_hash_table_unref);
  g_clear_pointer (&st->metadata, g_hash_table_unref);
  g_clear_pointer (&st->bytes, g_bytes_unref);
  g_free (st->path);
  g_free (st);
}

/* json-glib recurses per nesting level: refuse deep nesting before parsing. */
static gboolean
json_depth_ok (const guint8 *p, gsize n, gsize *bad_at)
{
  int depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < n; i++)
    {
      guint8 c = p[i];
      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        {
          if (++depth > JSON_MAX_DEPTH)
            {
              *bad_at = i;
              return FALSE;
            }
        }
      else if (c == '}' || c == ']')
        depth--;
    }
  return TRUE;
}

/* A JSON integer (not a float, not a string) that is >= 0. */
static gboolean
node_get_uint (JsonNode *node, gint64 *out)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (node);
  return *out >= 0;
}

static gboolean
parse_tensor (LbSafetensors *st, const char *name, JsonNode *node,
              gsize data_start, LbSafetensorsTensor *t, GError **error)
{
  const char *path = st->path;
  JsonObject *obj;
  JsonNode *dtype_node, *shape_node, *off_node;
  JsonArray *shape, *offs;
  const char *dtype_name;
  gint64 begin, end, n = 1;
  guint64 bits;
  gsize data_size = st->size - data_start;

  memset (t, 0, sizeof *t);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: tensor %s: header entry is not a JSON object", path, name);
      return FALSE;
    }
  obj = json_node_get_object (node);

  dtype_node = json_object_get_member (obj, "dtype");
  if (dtype_node == NULL || !JSON_NODE_HOLDS_VALUE (dtype_node)
      || json_node_get_value_type (dtype_node) != G_TYPE_STRING)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: tensor %s: \"dtype\" is missing or not a string", path, name);
      return FALSE;
    }
  dtype_name = json_node_get_string (dtype_node);
  if (!dtype_from_name (dtype_name, &t->dtype))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: tensor %s: unknown dtype \"%s\"", path, name, dtype_name);
      return FALSE;
    }

  shape_node = json_object_get_member (obj, "shape");
  if (shape_node == NULL || !JSON_NODE_HOLDS_ARRAY (shape_node))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: tensor %s: \"shape\" is missing or not an array", path, name);
      return FALSE;
    }
  shape = json_node_get_array (shape_node);
  if (json_array_get_length (shape) > LB_SAFETENSORS_MAX_DIMS)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: tensor %s: %u dimensions, more than the %d supported",
                   path, name, json_array_get_length (shape), LB_SAFETENSORS_MAX_DIMS);
      return FALSE;
    }
  t->n_dims = json_array_get_length (shape);
  for (guint d = 0; d < t->n_dims; d++)
    {
      gint64 dim;
      if (!node_get_uint (json_array_get_element (shape, d), &dim))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: tensor %s: shape[%u] is not a non-negative integer", path, name, d);
          return FALSE;
        }
      if (dim != 0 && n > G_MAXINT64 / 64 / dim)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: tensor %s: the shape's element count overflows", path, name);
          return FALSE;
        }
      t->shape[d] = dim;
      n *= dim;
    }
  t->n_elements = n;
  bits = (guint64) n * dtype_info[t->dtype].bits;
  if (bits % 8 != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: tensor %s: %" G_GINT64_FORMAT " elements of %s do not fill whole bytes",
                   path, name, n, dtype_name);
      return FALSE;
    }

  off_node = json_object_get_member (obj, "data_offsets");
  if (off_node == NULL || !JSON_NODE_HOLDS_ARRAY (off_node)
      || json_array_get_length (offs = json_node_get_array (off_node)) != 2
      || !node_get_uint (json_array_get_element (offs, 0), &begin)
      || !node_get_uint (json_array_get_element (offs, 1), &end))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: tensor %s: \"data_offsets\" is not an array of two non-negative integers",
                   path, name);
      return FALSE;
    }
  if (begin > end)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: tensor %s: data_offsets begin %" G_GINT64_FORMAT
                   " is after end %" G_GINT64_FORMAT, path, name, begin, end);
      return FALSE;
    }
  if ((guint64) end > data_size)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: tensor %s: data ends at byte %" G_GUINT64_FORMAT
                   " but the file has %" G_GSIZE_FORMAT " bytes",
                   path, name, (guint64) data_start + (guint64) end, st->size);
      return FALSE;
    }
  if ((guint64) (end - begin) != bits / 8)
    {
      char *shape_str = g_strdup ("[");
      for (guint d = 0; d < t->n_dims; d++)
        {
          char *s = g_strdup_printf ("%s%s%" G_GINT64_FORMAT, shape_str, d ? ", " : "", t->shape[d]);
          g_free (shape_str);
          shape_str = s;
        }
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: tensor %s: data at byte %" G_GUINT64_FORMAT " has %" G_GINT64_FORMAT
                   " bytes but shape %s] of %s needs %" G_GUINT64_FORMAT,
                   path, name, (guint64) data_start + (guint64) begin, end - begin,
                   shape_str, dtype_name, bits / 8);
      g_free (shape_str);
      return FALSE;
    }
  t->offset = data_start + (gsize) begin;
  t->data = st->base + t->offset;
  t->n_bytes = (gsize) (end - begin);
  return TRUE;
}

static int
compare_offset (gconstpointer a, gconstpointer b)
{
  const LbSafetensorsTensor *ta = a, *tb = b;
  if (ta->offset != tb->offset)
    return ta->offset < tb->offset ? -1 : 1;
  return ta->n_bytes < tb->n_bytes ? -1 : ta->n_bytes > tb->n_bytes;
}

static gboolean
parse_metadata (LbSafetensors *st, JsonNode *node, GError **error)
{
  JsonObject *obj;
  GList *members, *l;
  gboolean ok = TRUE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: \"__metadata__\" is not a JSON object", st->path);
      return FALSE;
    }
  obj = json_node_get_object (node);
  members = json_object_get_members (obj);
  for (l = members; l != NULL; l = l->next)
    {
      JsonNode *v = json_object_get_member (obj, l->data);
      if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: \"__metadata__\" entry \"%s\" is not a string",
                       st->path, (const char *) l->data);
          ok = FALSE;
          break;
        }
      g_hash_table_replace (st->metadata, g_strdup (l->data), g_strdup (json_node_get_string (v)));
    }
  g_list_free (members);
  return ok;
}

static gboolean
parse_header (LbSafetensors *st, GError **error)
{
  const char *path = st->path;
  guint64 hlen;
  gsize data_start, bad_at = 0, i;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) json_error = NULL;
  JsonNode *root;
  JsonObject *obj;
  GList *members, *l;
  gboolean ok = TRUE;

  if (st->size < 8)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: the file has %" G_GSIZE_FORMAT " bytes, too short for the "
                   "8-byte safetensors header length", path, st->size);
      return FALSE;
    }
  memcpy (&hlen, st->base, 8);
  hlen = GUINT64_FROM_LE (hlen);
  if (hlen > st->size - 8)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: the header length at byte 0 says %" G_GUINT64_FORMAT
                   " bytes, past the end of the file (%" G_GSIZE_FORMAT " bytes): "
                   "truncated or not a safetensors file", path, hlen, st->size);
      return FALSE;
    }
  if (hlen > HEADER_MAX_BYTES)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: the header length at byte 0 says %" G_GUINT64_FORMAT
                   " bytes, more than the %u MB limit", path, hlen, HEADER_MAX_BYTES >> 20);
      return FALSE;
    }
  data_start = 8 + (gsize) hlen;
  for (i = 8; i < data_start && g_ascii_isspace (st->base[i]); i++)
    ;
  if (i == data_start || st->base[i] != '{')
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: the header at byte 8 is not a JSON object", path);
      return FALSE;
    }
  if (memchr (st->base + 8, 0, hlen) != NULL
      || !g_utf8_validate ((const char *) st->base + 8, hlen, NULL))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: the JSON header (bytes 8 to %" G_GSIZE_FORMAT ") is not valid UTF-8 text",
                   path, data_start);
      return FALSE;
    }
  if (!json_depth_ok (st->base + 8, hlen, &bad_at))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: the JSON header nests deeper than %d levels at byte %" G_GSIZE_FORMAT,
                   path, JSON_MAX_DEPTH, 8 + bad_at);
      return FALSE;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, (const char *) st->base + 8, (gssize) hlen, &json_error))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: the header (bytes 8 to %" G_GSIZE_FORMAT ") is not valid JSON: %s",
                   path, data_start, json_error->message);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: the header at byte 8 is not a JSON object", path);
      return FALSE;
    }
  obj = json_node_get_object (root);
  members = json_object_get_members (obj);
  for (l = members; l != NULL && ok; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (obj, name);
      LbSafetensorsTensor t;

      if (strcmp (name, "__metadata__") == 0)
        {
          ok = parse_metadata (st, node, error);
          continue;
        }
      if (name[0] == '\0')
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: a tensor has an empty name", path);
          ok = FALSE;
          break;
        }
      if (!parse_tensor (st, name, node, data_start, &t, error))
        {
          ok = FALSE;
          break;
        }
      t.name = g_strdup (name);
      g_array_append_val (st->tensors, t);
    }
  g_list_free (members);
  if (!ok)
    return FALSE;

  /* Sorted by offset, two tensors with bytes overlap when one starts
   * before the previous one ends; empty tensors hold no bytes. */
  g_array_sort (st->tensors, compare_offset);
  {
    const LbSafetensorsTensor *prev = NULL;
    for (guint k = 0; k < st->tensors->len; k++)
      {
        const LbSafetensorsTensor *t = &g_array_index (st->tensors, LbSafetensorsTensor, k);
        if (t->n_bytes == 0)
          continue;
        if (prev != NULL && t->offset < prev->offset + prev->n_bytes)
          {
            g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                         "%s: tensor %s: data at byte %" G_GSIZE_FORMAT
                         " overlaps tensor %s (bytes %" G_GSIZE_FORMAT " to %" G_GSIZE_FORMAT ")",
                         path, t->name, t->offset, prev->name, prev->offset,
                         prev->offset + prev->n_bytes);
            return FALSE;
          }
        prev = t;
      }
  }
  for (guint k = 0; k < st->tensors->len; k++)
    g_hash_table_insert (st->by_name,
                         (gpointer) g_array_index (st->tensors, LbSafetensorsTensor, k).name,
                         GUINT_TO_POINTER (k + 1));
  return TRUE;
}

static LbSafetensors *
open_common (GBytes *bytes, const char *path, GError **error)
{
  LbSafetensors *st = g_new0 (LbSafetensors, 1);

  st->path = g_strdup (path);
  st->bytes = bytes;
  st->base = g_bytes_get_data (bytes, &st->size);
  st->tensors = g_array_new (FALSE, FALSE, sizeof (LbSafetensorsTensor));
  st->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  st->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (!parse_header (st, error))
    {
      lb_safetensors_free (st);
      return NULL;
    }
  return st;
}

LbSafetensors *
lb_safetensors_open (const char *path, GError **error)
{
  GMappedFile *mf;
  GError *local = NULL;
  GBytes *bytes;

  g_return_val_if_fail (path != NULL, NULL);

  mf = g_mapped_file_new (path, FALSE, &local);
  if (mf == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "%s", local->message);
      g_error_free (local);
      return NULL;
    }
  bytes = g_mapped_file_get_bytes (mf);
  g_mapped_file_unref (mf);
  return open_common (bytes, path, error);
}

LbSafetensors *
lb_safetensors_open_bytes (GBytes *bytes, GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  return open_common (g_bytes_ref (bytes), "<memory>", error);
}

const char *
lb_safetensors_get_path (LbSafetensors *st)
{
  return st->path;
}

gsize
lb_safetensors_get_file_size (LbSafetensors *st)
{
  return st->size;
}

guint
lb_safetensors_get_n_tensors (LbSafetensors *st)
{
  return st->tensors->len;
}

const LbSafetensorsTensor *
lb_safetensors_get_tensor (LbSafetensors *st, guint i)
{
  g_return_val_if_fail (i < st->tensors->len, NULL);
  return &g_array_index (st->tensors, LbSafetensorsTensor, i);
}

const LbSafetensorsTensor *
lb_safetensors_find_tensor (LbSafetensors *st, const char *name)
{
  guint k = GPOINTER_TO_UINT (g_hash_table_lookup (st->by_name, name));
  return k ? &g_array_index (st->tensors, LbSafetensorsTensor, k - 1) : NULL;
}

const char *
lb_safetensors_get_metadata (LbSafetensors *st, const char *key)
{
  return g_hash_table_lookup (st->metadata, key);
}

GBytes *
lb_safetensors_ref_bytes (LbSafetensors *st)
{
  return g_bytes_ref (st->bytes);
}
