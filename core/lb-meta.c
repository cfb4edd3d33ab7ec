/* lb-meta.c: an ordered, refcounted store of typed GGUF-style key/values.
 *
 * Entries live in a GPtrArray (file order is kept, and matters for byte
 * identical re-writes); a hash table indexes them by key. */
#include "lb-meta.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "lb-error.h"

typedef struct {
  char    *key;
  LbValue  value;
} Entry;

struct _LbMeta {
  gint        ref_count;
  GPtrArray  *entries;   /* Entry*, in order */
  GHashTable *index;     /* key (owned by the entry) -> Entry* */
};

/* ---- values ----------------------------------------------------------- */

gsize
lb_value_type_size (LbValueType t)
{
  switch (t)
    {
    case LB_VALUE_UINT8:
    case LB_VALUE_INT8:
    case LB_VALUE_BOOL:
      return 1;
    case LB_VALUE_UINT16:
    case LB_VALUE_INT16:
      return 2;
    case LB_VALUE_UINT32:
    case LB_VALUE_INT32:
    case LB_VALUE_FLOAT32:
      return 4;
    case LB_VALUE_UINT64:
    case LB_VALUE_INT64:
    case LB_VALUE_FLOAT64:
      return 8;
    case LB_VALUE_STRING:
    case LB_VALUE_ARRAY:
    case LB_VALUE_N_TYPES:
    default:
      return 0;
    }
}

const char *
lb_value_type_name (LbValueType t)
{
  static const char *const names[LB_VALUE_N_TYPES] = {
    [LB_VALUE_UINT8] = "uint8",
    [LB_VALUE_INT8] = "int8",
    [LB_VALUE_UINT16] = "uint16",
    [LB_VALUE_INT16] = "int16",
    [LB_VALUE_UINT32] = "uint32",
    [LB_VALUE_INT32] = "int32",
    [LB_VALUE_FLOAT32] = "float32",
    [LB_VALUE_BOOL] = "bool",
    [LB_VALUE_STRING] = "string",
    [LB_VALUE_ARRAY] = "array",
    [LB_VALUE_UINT64] = "uint64",
    [LB_VALUE_INT64] = "int64",
    [LB_VALUE_FLOAT64] = "float64",
  };

  if ((guint) t >= LB_VALUE_N_TYPES)
    return "(unknown type)";
  return names[t];
}

static gboolean
type_is_unsigned (LbValueType t)
{
  return t == LB_VALUE_UINT8 || t == LB_VALUE_UINT16 || t == LB_VALUE_UINT32 || t == LB_VALUE_UINT64;
}

static gboolean
type_is_signed (LbValueType t)
{
  return t == LB_VALUE_INT8 || t == LB_VALUE_INT16 || t == LB_VALUE_INT32 || t == LB_VALUE_INT64;
}

static gboolean
type_is_float (LbValueType t)
{
  return t == LB_VALUE_FLOAT32 || t == LB_VALUE_FLOAT64;
}

void
lb_value_clear (LbValue *v)
{
  if (v == NULL)
    return;

  if (v->type == LB_VALUE_STRING)
    g_free (v->s.data);
  else if (v->type == LB_VALUE_ARRAY)
    {
      if (v->arr.elem_type == LB_VALUE_STRING && v->arr.strings != NULL)
        {
          for (gsize i = 0; i < v->arr.n; i++)
            g_free (v->arr.strings[i].data);
        }
      else if (v->arr.elem_type == LB_VALUE_ARRAY && v->arr.values != NULL)
        {
          for (gsize i = 0; i < v->arr.n; i++)
            lb_value_clear (&v->arr.values[i]);
        }
      g_free (v->arr.data);
    }
  memset (v, 0, sizeof *v);
}

static void
bytes_copy (const LbBytes *src, LbBytes *dst)
{
  dst->data = g_malloc (src->len + 1);
  if (src->len > 0)
    memcpy (dst->data, src->data, src->len);
  dst->data[src->len] = '\0';
  dst->len = src->len;
}

void
lb_value_copy (const LbValue *src, LbValue *dst)
{
  g_return_if_fail (src != NULL && dst != NULL);

  *dst = *src;
  if (src->type == LB_VALUE_STRING)
    bytes_copy (&src->s, &dst->s);
  else if (src->type == LB_VALUE_ARRAY)
    {
      gsize n = src->arr.n;

      dst->arr.data = NULL;
      if (n == 0)
        return;
      if (src->arr.elem_type == LB_VALUE_STRING)
        {
          dst->arr.strings = g_new0 (LbBytes, n);
          for (gsize i = 0; i < n; i++)
            bytes_copy (&src->arr.strings[i], &dst->arr.strings[i]);
        }
      else if (src->arr.elem_type == LB_VALUE_ARRAY)
        {
          dst->arr.values = g_new0 (LbValue, n);
          for (gsize i = 0; i < n; i++)
            lb_value_copy (&src->arr.values[i], &dst->arr.values[i]);
        }
      else
        dst->arr.data = g_memdup2 (src->arr.data, n * lb_value_type_size (src->arr.elem_type));
    }
}

static gboolean
bytes_equal (const LbBytes *a, const LbBytes *b)
{
  return a->len == b->len && (a->len == 0 || memcmp (a->data, b->data, a->len) == 0);
}

/* Floats compare by bit pattern: a value read back from a file equals the
 * one written, NaN included. */
gboolean
lb_value_equal (const LbValue *a, const LbValue *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (a->type != b->type)
    return FALSE;

  switch (a->type)
    {
    case LB_VALUE_UINT8:
    case LB_VALUE_UINT16:
    case LB_VALUE_UINT32:
    case LB_VALUE_UINT64:
      return a->u == b->u;
    case LB_VALUE_INT8:
    case LB_VALUE_INT16:
    case LB_VALUE_INT32:
    case LB_VALUE_INT64:
      return a->i == b->i;
    case LB_VALUE_FLOAT32:
    case LB_VALUE_FLOAT64:
      return memcmp (&a->f, &b->f, sizeof a->f) == 0;
    case LB_VALUE_BOOL:
      return (!a->b) == (!b->b);
    case LB_VALUE_STRING:
      return bytes_equal (&a->s, &b->s);
    case LB_VALUE_ARRAY:
      if (a->arr.elem_type != b->arr.elem_type || a->arr.n != b->arr.n)
        return FALSE;
      if (a->arr.n == 0)
        return TRUE;
      if (a->arr.elem_type == LB_VALUE_STRING)
        {
          for (gsize i = 0; i < a->arr.n; i++)
            if (!bytes_equal (&a->arr.strings[i], &b->arr.strings[i]))
              return FALSE;
          return TRUE;
        }
      if (a->arr.elem_type == LB_VALUE_ARRAY)
        {
          for (gsize i = 0; i < a->arr.n; i++)
            if (!lb_value_equal (&a->arr.values[i], &b->arr.values[i]))
              return FALSE;
          return TRUE;
        }
      return memcmp (a->arr.data, b->arr.data, a->arr.n * lb_value_type_size (a->arr.elem_type)) == 0;
    case LB_VALUE_N_TYPES:
    default:
      return FALSE;
    }
}

/* ---- the store -------------------------------------------------------- */

static void
entry_free (gpointer p)
{
  Entry *e = p;

  lb_value_clear (&e->value);
  g_free (e->key);
  g_free (e);
}

LbMeta *
lb_meta_new (void)
{
  LbMeta *meta = g_new0 (LbMeta, 1);

  meta->ref_count = 1;
  meta->entries = g_ptr_array_new_with_free_func (entry_free);
  meta->index = g_hash_table_new (g_str_hash, g_str_equal);
  return meta;
}

LbMeta *
lb_meta_ref (LbMeta *meta)
{
  g_return_val_if_fail (meta != NULL, NULL);

  g_atomic_int_inc (&meta->ref_count);
  return meta;
}

void
lb_meta_unref (LbMeta *meta)
{
  if (meta == NULL)
    return;
  if (!g_atomic_int_dec_and_test (&meta->ref_count))
    return;
  g_hash_table_destroy (meta->index);
  g_ptr_array_unref (meta->entries);
  g_free (meta);
}

LbMeta *
lb_meta_copy (const LbMeta *meta)
{
  LbMeta *copy;

  g_return_val_if_fail (meta != NULL, NULL);

  copy = lb_meta_new ();
  for (guint i = 0; i < meta->entries->len; i++)
    {
      const Entry *e = g_ptr_array_index (meta->entries, i);
      LbValue v;

      lb_value_copy (&e->value, &v);
      lb_meta_take_value (copy, e->key, &v);
    }
  return copy;
}

guint
lb_meta_get_n_keys (const LbMeta *meta)
{
  g_return_val_if_fail (meta != NULL, 0);
  return meta->entries->len;
}

const char *
lb_meta_get_key (const LbMeta *meta, guint i)
{
  g_return_val_if_fail (meta != NULL, NULL);
  g_return_val_if_fail (i < meta->entries->len, NULL);
  return ((const Entry *) g_ptr_array_index (meta->entries, i))->key;
}

const LbValue *
lb_meta_get_value (const LbMeta *meta, guint i)
{
  g_return_val_if_fail (meta != NULL, NULL);
  g_return_val_if_fail (i < meta->entries->len, NULL);
  return &((const Entry *) g_ptr_array_index (meta->entries, i))->value;
}

const LbValue *
lb_meta_lookup (const LbMeta *meta, const char *key)
{
  const Entry *e;

  g_return_val_if_fail (meta != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  e = g_hash_table_lookup (meta->index, key);
  return e ? &e->value : NULL;
}

gboolean
lb_meta_contains (const LbMeta *meta, const char *key)
{
  return lb_meta_lookup (meta, key) != NULL;
}

gboolean
lb_meta_remove (LbMeta *meta, const char *key)
{
  Entry *e;

  g_return_val_if_fail (meta != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  e = g_hash_table_lookup (meta->index, key);
  if (e == NULL)
    return FALSE;
  g_hash_table_remove (meta->index, key);
  /* order is kept: the entries after it move up */
  g_ptr_array_remove (meta->entries, e);
  return TRUE;
}

void
lb_meta_take_value (LbMeta *meta, const char *key, LbValue *value)
{
  Entry *e;

  g_return_if_fail (meta != NULL);
  g_return_if_fail (key != NULL);
  g_return_if_fail (value != NULL);

  e = g_hash_table_lookup (meta->index, key);
  if (e != NULL)
    lb_value_clear (&e->value);
  else
    {
      e = g_new0 (Entry, 1);
      e->key = g_strdup (key);
      g_ptr_array_add (meta->entries, e);
      g_hash_table_insert (meta->index, e->key, e);
    }
  e->value = *value;
  memset (value, 0, sizeof *value);
}

static void
set_scalar (LbMeta *meta, const char *key, LbValue *v)
{
  lb_meta_take_value (meta, key, v);
}

void
lb_meta_set_string (LbMeta *meta, const char *key, const char *value)
{
  LbValue v = { .type = LB_VALUE_STRING };

  g_return_if_fail (value != NULL);

  v.s.len = strlen (value);
  v.s.data = g_strndup (value, v.s.len);
  set_scalar (meta, key, &v);
}

void
lb_meta_set_u32 (LbMeta *meta, const char *key, guint32 value)
{
  LbValue v = { .type = LB_VALUE_UINT32, .u = value };
  set_scalar (meta, key, &v);
}

void
lb_meta_set_i32 (LbMeta *meta, const char *key, gint32 value)
{
  LbValue v = { .type = LB_VALUE_INT32, .i = value };
  set_scalar (meta, key, &v);
}

void
lb_meta_set_u64 (LbMeta *meta, const char *key, guint64 value)
{
  LbValue v = { .type = LB_VALUE_UINT64, .u = value };
  set_scalar (meta, key, &v);
}

void
lb_meta_set_f32 (LbMeta *meta, const char *key, float value)
{
  LbValue v = { .type = LB_VALUE_FLOAT32, .f = value };
  set_scalar (meta, key, &v);
}

void
lb_meta_set_bool (LbMeta *meta, const char *key, gboolean value)
{
  LbValue v = { .type = LB_VALUE_BOOL, .b = value ? TRUE : FALSE };
  set_scalar (meta, key, &v);
}

void
lb_meta_set_array (LbMeta *meta, const char *key, LbValueType elem,
                   gconstpointer data, gsize n)
{
  LbValue v = { .type = LB_VALUE_ARRAY };
  gsize size = lb_value_type_size (elem);

  g_return_if_fail (size > 0);
  g_return_if_fail (n == 0 || data != NULL);
  g_return_if_fail (n <= G_MAXSIZE / size);

  v.arr.elem_type = elem;
  v.arr.n = n;
  v.arr.data = n > 0 ? g_memdup2 (data, n * size) : NULL;
  set_scalar (meta, key, &v);
}

void
lb_meta_set_strv (LbMeta *meta, const char *key, const char * const *strv, gsize n)
{
  LbValue v = { .type = LB_VALUE_ARRAY };

  g_return_if_fail (n == 0 || strv != NULL);

  v.arr.elem_type = LB_VALUE_STRING;
  v.arr.n = n;
  v.arr.strings = n > 0 ? g_new0 (LbBytes, n) : NULL;
  for (gsize i = 0; i < n; i++)
    {
      const char *s = strv[i] ? strv[i] : "";
      v.arr.strings[i].len = strlen (s);
      v.arr.strings[i].data = g_strndup (s, v.arr.strings[i].len);
    }
  set_scalar (meta, key, &v);
}

/* ---- typed getters ---------------------------------------------------- */

static gboolean
wrong_type (const char *key, const LbValue *v, const char *wanted, GError **error)
{
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
               "metadata key %s: expected %s but found a value of type %s",
               key, wanted, lb_value_type_name (v->type));
  return FALSE;
}

static gboolean
out_of_range (const char *key, const LbValue *v, const char *wanted, GError **error)
{
  if (type_is_signed (v->type))
    g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                 "metadata key %s: value %" G_GINT64_FORMAT " does not fit in %s",
                 key, v->i, wanted);
  else if (type_is_float (v->type))
    g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                 "metadata key %s: value %g does not fit in %s", key, v->f, wanted);
  else
    g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                 "metadata key %s: value %" G_GUINT64_FORMAT " does not fit in %s",
                 key, v->u, wanted);
  return FALSE;
}

/* Range-checks an integer value against [min, max] given as a signed lower
 * bound (0 or G_MININT64..) and an unsigned upper bound. */
static gboolean
get_integer (const LbMeta *meta, const char *key, gint64 min, guint64 max,
             const char *wanted, guint64 *out_bits, GError **error)
{
  const LbValue *v;

  g_return_val_if_fail (meta != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  v = lb_meta_lookup (meta, key);
  if (v == NULL)
    return FALSE;
  if (type_is_unsigned (v->type))
    {
      if (v->u > max)
        return out_of_range (key, v, wanted, error);
      *out_bits = v->u;
      return TRUE;
    }
  if (type_is_signed (v->type))
    {
      if (v->i < min || (v->i >= 0 && (guint64) v->i > max))
        return out_of_range (key, v, wanted, error);
      *out_bits = (guint64) v->i;
      return TRUE;
    }
  return wrong_type (key, v, wanted, error);
}

gboolean
lb_meta_get_u32 (const LbMeta *meta, const char *key, guint32 *out, GError **error)
{
  guint64 bits;

  if (!get_integer (meta, key, 0, G_MAXUINT32, "an unsigned 32-bit integer", &bits, error))
    return FALSE;
  if (out)
    *out = (guint32) bits;
  return TRUE;
}

gboolean
lb_meta_get_u64 (const LbMeta *meta, const char *key, guint64 *out, GError **error)
{
  guint64 bits;

  if (!get_integer (meta, key, 0, G_MAXUINT64, "an unsigned 64-bit integer", &bits, error))
    return FALSE;
  if (out)
    *out = bits;
  return TRUE;
}

gboolean
lb_meta_get_i32 (const LbMeta *meta, const char *key, gint32 *out, GError **error)
{
  guint64 bits;

  if (!get_integer (meta, key, G_MININT32, G_MAXINT32, "a signed 32-bit integer", &bits, error))
    return FALSE;
  if (out)
    *out = (gint32) (gint64) bits;
  return TRUE;
}

/* FLOAT32 and FLOAT64 (a finite double beyond float's range is an error);
 * integers are accepted too, since a writer may store 10000 as an integer. */
gboolean
lb_meta_get_f32 (const LbMeta *meta, const char *key, float *out, GError **error)
{
  const LbValue *v;
  float f;

  g_return_val_if_fail (meta != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  v = lb_meta_lookup (meta, key);
  if (v == NULL)
    return FALSE;
  if (type_is_float (v->type))
    {
      if (isfinite (v->f) && fabs (v->f) > FLT_MAX)
        return out_of_range (key, v, "a 32-bit float", error);
      f = (float) v->f;
    }
  else if (type_is_unsigned (v->type))
    f = (float) v->u;
  else if (type_is_signed (v->type))
    f = (float) v->i;
  else
    return wrong_type (key, v, "a floating-point number", error);
  if (out)
    *out = f;
  return TRUE;
}

gboolean
lb_meta_get_bool (const LbMeta *meta, const char *key, gboolean *out, GError **error)
{
  const LbValue *v;

  g_return_val_if_fail (meta != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  v = lb_meta_lookup (meta, key);
  if (v == NULL)
    return FALSE;
  if (v->type != LB_VALUE_BOOL)
    return wrong_type (key, v, "a bool", error);
  if (out)
    *out = v->b ? TRUE : FALSE;
  return TRUE;
}

const char *
lb_meta_get_string (const LbMeta *meta, const char *key)
{
  const LbValue *v = lb_meta_lookup (meta, key);

  if (v == NULL || v->type != LB_VALUE_STRING)
    return NULL;
  return v->s.data;
}

static gboolean
missing (const char *key, GError **error)
{
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
               "metadata key %s is required but missing", key);
  return FALSE;
}

gboolean
lb_meta_require_u32 (const LbMeta *meta, const char *key, guint32 *out, GError **error)
{
  GError *local = NULL;

  if (lb_meta_get_u32 (meta, key, out, &local))
    return TRUE;
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  return missing (key, error);
}

gboolean
lb_meta_require_f32 (const LbMeta *meta, const char *key, float *out, GError **error)
{
  GError *local = NULL;

  if (lb_meta_get_f32 (meta, key, out, &local))
    return TRUE;
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  return missing (key, error);
}
