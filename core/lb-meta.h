/* lb-meta.h: GGUF-shaped metadata (ordered typed key/values), the common
 * currency of every importer and exporter. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Numbered as GGUF numbers its metadata value types. */
typedef enum {
  LB_VALUE_UINT8 = 0,
  LB_VALUE_INT8 = 1,
  LB_VALUE_UINT16 = 2,
  LB_VALUE_INT16 = 3,
  LB_VALUE_UINT32 = 4,
  LB_VALUE_INT32 = 5,
  LB_VALUE_FLOAT32 = 6,
  LB_VALUE_BOOL = 7,
  LB_VALUE_STRING = 8,
  LB_VALUE_ARRAY = 9,
  LB_VALUE_UINT64 = 10,
  LB_VALUE_INT64 = 11,
  LB_VALUE_FLOAT64 = 12,
  LB_VALUE_N_TYPES = 13,
} LbValueType;

typedef struct _LbValue LbValue;

/* One metadata value. Scalars live in the union; a string is a byte string
 * (GGUF strings are not NUL-free) kept with a trailing NUL for convenience.
 * An array holds n elements of elem_type:
 *   numeric/bool: packed host-endian values of the element's size in `data`
 *   string:       `strings`, n entries of LbBytes
 *   array:        `values`, n nested LbValue (each an ARRAY) */
typedef struct {
  char  *data;
  gsize  len;
} LbBytes;

struct _LbValue {
  LbValueType type;
  union {
    guint64  u;     /* UINT8..UINT64 */
    gint64   i;     /* INT8..INT64 */
    double   f;     /* FLOAT32, FLOAT64 */
    gboolean b;
    LbBytes  s;
    struct {
      LbValueType elem_type;
      gsize       n;
      union {
        gpointer  data;
        LbBytes  *strings;
        LbValue  *values;
      };
    } arr;
  };
};

gsize        lb_value_type_size (LbValueType t);   /* 0 for STRING/ARRAY */
const char  *lb_value_type_name (LbValueType t);
void         lb_value_clear     (LbValue *v);      /* frees contents, not v */
void         lb_value_copy      (const LbValue *src, LbValue *dst);
gboolean     lb_value_equal     (const LbValue *a, const LbValue *b);

typedef struct _LbMeta LbMeta;

LbMeta      *lb_meta_new        (void);
LbMeta      *lb_meta_ref        (LbMeta *meta);
void         lb_meta_unref      (LbMeta *meta);
LbMeta      *lb_meta_copy       (const LbMeta *meta);

guint        lb_meta_get_n_keys (const LbMeta *meta);
const char  *lb_meta_get_key    (const LbMeta *meta, guint i);
const LbValue *lb_meta_get_value (const LbMeta *meta, guint i);
const LbValue *lb_meta_lookup   (const LbMeta *meta, const char *key);
gboolean     lb_meta_contains   (const LbMeta *meta, const char *key);
gboolean     lb_meta_remove     (LbMeta *meta, const char *key);

/* Setters replace an existing key in place (keeping its position) or append. */
void         lb_meta_take_value (LbMeta *meta, const char *key, LbValue *value); /* steals contents */
void         lb_meta_set_string (LbMeta *meta, const char *key, const char *value);
void         lb_meta_set_u32    (LbMeta *meta, const char *key, guint32 value);
void         lb_meta_set_i32    (LbMeta *meta, const char *key, gint32 value);
void         lb_meta_set_u64    (LbMeta *meta, const char *key, guint64 value);
void         lb_meta_set_f32    (LbMeta *meta, const char *key, float value);
void         lb_meta_set_bool   (LbMeta *meta, const char *key, gboolean value);
/* numeric or bool elements, packed host-endian, n * lb_value_type_size (elem) bytes */
void         lb_meta_set_array  (LbMeta *meta, const char *key, LbValueType elem,
                                 gconstpointer data, gsize n);
void         lb_meta_set_strv   (LbMeta *meta, const char *key,
                                 const char * const *strv, gsize n);

/* Typed getters accept any integer type whose value fits (u32 from u8..u64,
 * i32, ...), floats from FLOAT32/FLOAT64. They return FALSE when the key is
 * missing; they set error (naming the key) when it has a wrong type or range. */
gboolean     lb_meta_get_u32    (const LbMeta *meta, const char *key, guint32 *out, GError **error);
gboolean     lb_meta_get_u64    (const LbMeta *meta, const char *key, guint64 *out, GError **error);
gboolean     lb_meta_get_i32    (const LbMeta *meta, const char *key, gint32 *out, GError **error);
gboolean     lb_meta_get_f32    (const LbMeta *meta, const char *key, float *out, GError **error);
gboolean     lb_meta_get_bool   (const LbMeta *meta, const char *key, gboolean *out, GError **error);
/* the string, or NULL when missing or not a string */
const char  *lb_meta_get_string (const LbMeta *meta, const char *key);

/* Convenience for required keys: FALSE and an error naming the key when missing. */
gboolean     lb_meta_require_u32 (const LbMeta *meta, const char *key, guint32 *out, GError **error);
gboolean     lb_meta_require_f32 (const LbMeta *meta, const char *key, float *out, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbMeta, lb_meta_unref)

G_END_DECLS
