/* lb-gguf-reader.c: a validating GGUF v2/v3 reader over a memory mapping.
 *
 * Layout (little-endian): "GGUF", u32 version, u64 n_tensors, u64 n_kv,
 * n_kv x (string key, u32 type, value), n_tensors x (string name, u32 n_dims,
 * n_dims x u64 ne, u32 type, u64 offset), zero padding up to the alignment,
 * then the data section; each tensor's offset is relative to its start.
 * A string is a u64 length and that many bytes (no NUL).
 *
 * The file is hostile until proven otherwise: every count and length is
 * checked against the bytes that remain before anything is allocated, and
 * every error names the field and its byte offset. */
#include "lb-gguf.h"

#include <string.h>

#include "lb-error.h"

/* arrays of arrays deeper than this are refused (a stack bomb otherwise) */
#define MAX_ARRAY_DEPTH 8

/* smallest encodings, used to bound hostile counts before allocating */
#define MIN_KV_BYTES          (8 + 4 + 1)        /* empty key, u32 type, u8 value */
#define MIN_TENSOR_INFO_BYTES (8 + 4 + 8 + 4 + 8) /* empty name, 1 dim, type, offset */
#define MIN_STRING_BYTES      8
#define MIN_ARRAY_BYTES       (4 + 8)

typedef struct {
  LbTensor tensor;     /* data set once the data section is known */
  guint64  offset;     /* relative to the data section */
  gsize    info_offset;
} TensorInfo;

struct _LbGgufReader {
  GBytes       *bytes;
  const guint8 *base;
  gsize         size;
  guint32       version;
  gsize         alignment;
  gsize         data_offset;
  LbMeta       *meta;
  TensorInfo   *tensors;
  guint         n_tensors;
  GHashTable   *by_name;   /* name -> TensorInfo* */
};

/* Parsing state. ctx describes what is being read, for error messages. */
typedef struct {
  const guint8 *base;
  gsize         size;
  gsize         pos;
  GString      *ctx;
  GError       *error;
} Parser;

/* Sets p's error, "<context>: <message>", unless one is set already.
 * Returns FALSE for the caller to return. */
static gboolean fail (Parser *p, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (Parser *p, const char *format, ...)
{
  va_list args;
  char *msg;

  if (p->error != NULL)
    return FALSE;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  if (p->ctx->len > 0)
    g_set_error (&p->error, LB_ERROR, LB_ERROR_INVALID_FILE, "%s: %s", p->ctx->str, msg);
  else
    g_set_error_literal (&p->error, LB_ERROR, LB_ERROR_INVALID_FILE, msg);
  g_free (msg);
  return FALSE;
}

static gsize
remaining (const Parser *p)
{
  return p->size - p->pos;
}

/* Checks that n bytes of `what` are there at the current position. */
static gboolean
need (Parser *p, gsize n, const char *what)
{
  if (remaining (p) >= n)
    return TRUE;
  return fail (p, "%s needs %" G_GSIZE_FORMAT " bytes at offset %" G_GSIZE_FORMAT
               " but the file ends at byte %" G_GSIZE_FORMAT " (truncated?)",
               what, n, p->pos, p->size);
}

static gboolean
read_u8 (Parser *p, const char *what, guint8 *out)
{
  if (!need (p, 1, what))
    return FALSE;
  *out = p->base[p->pos++];
  return TRUE;
}

static gboolean
read_u16 (Parser *p, const char *what, guint16 *out)
{
  guint16 v;

  if (!need (p, 2, what))
    return FALSE;
  memcpy (&v, p->base + p->pos, 2);
  p->pos += 2;
  *out = GUINT16_FROM_LE (v);
  return TRUE;
}

static gboolean
read_u32 (Parser *p, const char *what, guint32 *out)
{
  guint32 v;

  if (!need (p, 4, what))
    return FALSE;
  memcpy (&v, p->base + p->pos, 4);
  p->pos += 4;
  *out = GUINT32_FROM_LE (v);
  return TRUE;
}

static gboolean
read_u64 (Parser *p, const char *what, guint64 *out)
{
  guint64 v;

  if (!need (p, 8, what))
    return FALSE;
  memcpy (&v, p->base + p->pos, 8);
  p->pos += 8;
  *out = GUINT64_FROM_LE (v);
  return TRUE;
}

/* A GGUF string into a NUL-terminated copy. */
static gboolean
read_string (Parser *p, const char *what, LbBytes *out)
{
  gsize len_pos = p->pos;
  guint64 len;

  if (!read_u64 (p, what, &len))
    return FALSE;
  if (len > remaining (p))
    return fail (p, "%s of %" G_GUINT64_FORMAT " bytes (length at offset %" G_GSIZE_FORMAT
                 ") does not fit in the %" G_GSIZE_FORMAT " remaining bytes",
                 what, len, len_pos, remaining (p));
  out->len = (gsize) len;
  out->data = g_malloc (out->len + 1);
  memcpy (out->data, p->base + p->pos, out->len);
  out->data[out->len] = '\0';
  p->pos += out->len;
  return TRUE;
}

/* Keys and tensor names are C strings in Lowbit: no NUL inside, not empty. */
static gboolean
read_name (Parser *p, const char *what, char **out)
{
  gsize start = p->pos;
  LbBytes b;

  if (!read_string (p, what, &b))
    return FALSE;
  if (b.len == 0 || memchr (b.data, '\0', b.len) != NULL)
    {
      g_free (b.data);
      return fail (p, "%s at offset %" G_GSIZE_FORMAT " is %s", what, start,
                   b.len == 0 ? "empty" : "not a text (it holds a NUL byte)");
    }
  *out = b.data;
  return TRUE;
}

static gboolean read_value (Parser *p, guint32 type, LbValue *out, guint depth);

static gboolean
check_value_type (Parser *p, guint32 type, gsize at, const char *what)
{
  if (type < LB_VALUE_N_TYPES)
    return TRUE;
  return fail (p, "%s %u at offset %" G_GSIZE_FORMAT " is not a GGUF value type (0..12)",
               what, type, at);
}

/* Fills elements of a numeric or bool array, converting from little-endian. */
static void
read_packed (Parser *p, LbValueType elem, gsize n, void *dst)
{
  gsize size = lb_value_type_size (elem);

  memcpy (dst, p->base + p->pos, n * size);
  p->pos += n * size;
#if G_BYTE_ORDER == G_BIG_ENDIAN
  for (gsize i = 0; i < n; i++)
    {
      guint8 *e = (guint8 *) dst + i * size;
      for (gsize a = 0, b = size - 1; a < b; a++, b--)
        {
          guint8 t = e[a];
          e[a] = e[b];
          e[b] = t;
        }
    }
#endif
}

static gboolean
read_array (Parser *p, LbValue *out, guint depth)
{
  gsize start = p->pos;
  guint32 elem;
  guint64 n;
  gsize min_size;

  if (depth >= MAX_ARRAY_DEPTH)
    return fail (p, "arrays nested deeper than %d levels at offset %" G_GSIZE_FORMAT,
                 MAX_ARRAY_DEPTH, start);
  if (!read_u32 (p, "array element type", &elem))
    return FALSE;
  if (!check_value_type (p, elem, start, "array element type"))
    return FALSE;
  if (!read_u64 (p, "array length", &n))
    return FALSE;

  if (elem == LB_VALUE_STRING)
    min_size = MIN_STRING_BYTES;
  else if (elem == LB_VALUE_ARRAY)
    min_size = MIN_ARRAY_BYTES;
  else
    min_size = lb_value_type_size (elem);
  if (n > remaining (p) / min_size)
    return fail (p, "array of %" G_GUINT64_FORMAT " %s values (at offset %" G_GSIZE_FORMAT
                 ") does not fit in the %" G_GSIZE_FORMAT " remaining bytes",
                 n, lb_value_type_name (elem), start, remaining (p));

  /* set up first so that lb_value_clear frees a partly read array */
  out->type = LB_VALUE_ARRAY;
  out->arr.elem_type = elem;
  out->arr.n = (gsize) n;
  out->arr.data = NULL;
  if (n == 0)
    return TRUE;

  if (elem == LB_VALUE_STRING)
    {
      out->arr.strings = g_new0 (LbBytes, n);
      for (gsize i = 0; i < n; i++)
        if (!read_string (p, "string in array", &out->arr.strings[i]))
          return FALSE;
    }
  else if (elem == LB_VALUE_ARRAY)
    {
      out->arr.values = g_new0 (LbValue, n);
      for (gsize i = 0; i < n; i++)
        if (!read_array (p, &out->arr.values[i], depth + 1))
          return FALSE;
    }
  else
    {
      out->arr.data = g_malloc (n * min_size);
      read_packed (p, elem, (gsize) n, out->arr.data);
    }
  return TRUE;
}

static gboolean
read_value (Parser *p, guint32 type, LbValue *out, guint depth)
{
  guint8 u8;
  guint16 u16;
  guint32 u32;
  guint64 u64;

  memset (out, 0, sizeof *out);
  switch ((LbValueType) type)
    {
    case LB_VALUE_UINT8:
      if (!read_u8 (p, "uint8 value", &u8))
        return FALSE;
      out->u = u8;
      break;
    case LB_VALUE_INT8:
      if (!read_u8 (p, "int8 value", &u8))
        return FALSE;
      out->i = (gint8) u8;
      break;
    case LB_VALUE_UINT16:
      if (!read_u16 (p, "uint16 value", &u16))
        return FALSE;
      out->u = u16;
      break;
    case LB_VALUE_INT16:
      if (!read_u16 (p, "int16 value", &u16))
        return FALSE;
      out->i = (gint16) u16;
      break;
    case LB_VALUE_UINT32:
      if (!read_u32 (p, "uint32 value", &u32))
        return FALSE;
      out->u = u32;
      break;
    case LB_VALUE_INT32:
      if (!read_u32 (p, "int32 value", &u32))
        return FALSE;
      out->i = (gint32) u32;
      break;
    case LB_VALUE_FLOAT32:
      {
        float f;
        if (!read_u32 (p, "float32 value", &u32))
          return FALSE;
        memcpy (&f, &u32, 4);
        out->f = f;
      }
      break;
    case LB_VALUE_BOOL:
      if (!read_u8 (p, "bool value", &u8))
        return FALSE;
      out->b = u8 != 0;
      break;
    case LB_VALUE_STRING:
      if (!read_string (p, "string value", &out->s))
        return FALSE;
      break;
    case LB_VALUE_ARRAY:
      out->type = LB_VALUE_ARRAY;
      return read_array (p, out, depth);
    case LB_VALUE_UINT64:
      if (!read_u64 (p, "uint64 value", &u64))
        return FALSE;
      out->u = u64;
      break;
    case LB_VALUE_INT64:
      if (!read_u64 (p, "int64 value", &u64))
        return FALSE;
      out->i = (gint64) u64;
      break;
    case LB_VALUE_FLOAT64:
      if (!read_u64 (p, "float64 value", &u64))
        return FALSE;
      memcpy (&out->f, &u64, 8);
      break;
    case LB_VALUE_N_TYPES:
    default:
      return fail (p, "value type %u is not a GGUF value type (0..12)", type);
    }
  out->type = (LbValueType) type;
  return TRUE;
}

static gboolean
parse_header (Parser *p, LbGgufReader *r, guint64 *n_tensors, guint64 *n_kv)
{
  guint32 version;

  if (p->size < 4 || memcmp (p->base, "GGUF", 4) != 0)
    {
      if (p->size < 4)
        return fail (p, "the file is %" G_GSIZE_FORMAT " bytes long, too short to be a GGUF file",
                     p->size);
      return fail (p, "not a GGUF file: bytes 0..3 are %02x %02x %02x %02x, not \"GGUF\"",
                   p->base[0], p->base[1], p->base[2], p->base[3]);
    }
  p->pos = 4;
  if (!read_u32 (p, "GGUF version", &version))
    return FALSE;
  if (version == 1)
    return fail (p, "GGUF version 1 (at offset 4) is not supported: it is the 2023 draft "
                 "format with 32-bit counts; convert the model again with a current llama.cpp");
  if (version != 2 && version != 3)
    {
      if (GUINT32_SWAP_LE_BE (version) == 2 || GUINT32_SWAP_LE_BE (version) == 3)
        return fail (p, "this is a big-endian GGUF file (version at offset 4 reads %u); "
                     "only little-endian GGUF files are supported", version);
      return fail (p, "GGUF version %u at offset 4 is not supported (only versions 2 and 3 are)",
                   version);
    }
  r->version = version;

  if (!read_u64 (p, "tensor count", n_tensors) || !read_u64 (p, "metadata key count", n_kv))
    return FALSE;
  /* a first bound; each is checked again where its section starts */
  if (*n_kv > remaining (p) / MIN_KV_BYTES)
    return fail (p, "metadata key count %" G_GUINT64_FORMAT " (at offset 16) does not fit in the "
                 "%" G_GSIZE_FORMAT " remaining bytes", *n_kv, remaining (p));
  if (*n_tensors > (remaining (p) - *n_kv * MIN_KV_BYTES) / MIN_TENSOR_INFO_BYTES)
    return fail (p, "tensor count %" G_GUINT64_FORMAT " (at offset 8) does not fit in the "
                 "%" G_GSIZE_FORMAT " remaining bytes", *n_tensors, remaining (p));
  return TRUE;
}

static gboolean
parse_metadata (Parser *p, LbGgufReader *r, guint64 n_kv)
{
  for (guint64 k = 0; k < n_kv; k++)
    {
      gsize key_pos = p->pos;
      g_autofree char *key = NULL;
      guint32 type;
      gsize type_pos;
      LbValue value;

      g_string_printf (p->ctx, "metadata key %" G_GUINT64_FORMAT, k);
      if (!read_name (p, "key", &key))
        return FALSE;
      g_string_append_printf (p->ctx, " (%s)", key);
      if (lb_meta_contains (r->meta, key))
        return fail (p, "duplicate key at offset %" G_GSIZE_FORMAT, key_pos);
      type_pos = p->pos;
      if (!read_u32 (p, "value type", &type))
        return FALSE;
      if (!check_value_type (p, type, type_pos, "value type"))
        return FALSE;
      if (!read_value (p, type, &value, 0))
        {
          lb_value_clear (&value);
          return FALSE;
        }
      lb_meta_take_value (r->meta, key, &value);
    }
  g_string_truncate (p->ctx, 0);
  return TRUE;
}

static gboolean
parse_alignment (Parser *p, LbGgufReader *r)
{
  const LbValue *v = lb_meta_lookup (r->meta, "general.alignment");

  r->alignment = LB_GGUF_DEFAULT_ALIGNMENT;
  if (v == NULL)
    return TRUE;
  g_string_assign (p->ctx, "metadata key general.alignment");
  if (v->type != LB_VALUE_UINT32)
    return fail (p, "must be of type uint32, not %s", lb_value_type_name (v->type));
  if (v->u == 0 || (v->u & (v->u - 1)) != 0)
    return fail (p, "%" G_GUINT64_FORMAT " is not a power of two", v->u);
  r->alignment = (gsize) v->u;
  g_string_truncate (p->ctx, 0);
  return TRUE;
}

static gboolean
parse_tensor_info (Parser *p, LbGgufReader *r, guint i, TensorInfo *ti)
{
  LbTensor *t = &ti->tensor;
  guint32 n_dims, type;
  const LbTypeTraits *traits;
  gint64 n_elements = 1;
  gsize pos;

  ti->info_offset = p->pos;
  g_string_printf (p->ctx, "tensor info %u", i);
  if (!read_name (p, "tensor name", &t->name))
    return FALSE;
  g_string_printf (p->ctx, "tensor %s", t->name);
  if (g_hash_table_contains (r->by_name, t->name))
    return fail (p, "a second tensor of this name at offset %" G_GSIZE_FORMAT, ti->info_offset);

  pos = p->pos;
  if (!read_u32 (p, "n_dims", &n_dims))
    return FALSE;
  if (n_dims < 1 || n_dims > LB_MAX_DIMS)
    return fail (p, "n_dims %u at offset %" G_GSIZE_FORMAT " is not between 1 and %d",
                 n_dims, pos, LB_MAX_DIMS);
  t->n_dims = n_dims;
  for (guint d = 0; d < LB_MAX_DIMS; d++)
    t->ne[d] = 1;
  for (guint d = 0; d < n_dims; d++)
    {
      guint64 ne;

      pos = p->pos;
      if (!read_u64 (p, "dimension", &ne))
        return FALSE;
      if (ne == 0 || ne > G_MAXINT64)
        return fail (p, "dimension %u is %" G_GUINT64_FORMAT " (at offset %" G_GSIZE_FORMAT ")%s",
                     d, ne, pos, ne == 0 ? "; empty tensors are not allowed" : "; too large");
      if ((gint64) ne > G_MAXINT64 / n_elements)
        return fail (p, "the dimensions overflow 64 bits at dimension %u (offset %"
                     G_GSIZE_FORMAT ")", d, pos);
      t->ne[d] = (gint64) ne;
      n_elements *= (gint64) ne;
    }

  pos = p->pos;
  if (!read_u32 (p, "tensor type", &type))
    return FALSE;
  traits = lb_type_get_traits (type);
  if (traits == NULL)
    return fail (p, "type %u at offset %" G_GSIZE_FORMAT " is not a known GGUF tensor type",
                 type, pos);
  t->type = (LbType) type;
  if (t->ne[0] % traits->block_size != 0)
    return fail (p, "row length %" G_GINT64_FORMAT " is not a multiple of %s's block size %u",
                 t->ne[0], traits->name, traits->block_size);
  if ((guint64) (n_elements / traits->block_size) > G_MAXSIZE / traits->type_size)
    return fail (p, "%" G_GINT64_FORMAT " elements of %s overflow the size of a tensor",
                 n_elements, traits->name);
  t->n_bytes = (gsize) (n_elements / traits->block_size) * traits->type_size;

  ti->info_offset = p->pos;   /* from here on: where the offset field is */
  if (!read_u64 (p, "tensor data offset", &ti->offset))
    return FALSE;
  g_hash_table_insert (r->by_name, t->name, ti);
  return TRUE;
}

static int
compare_by_offset (gconstpointer a, gconstpointer b)
{
  const TensorInfo *x = *(TensorInfo * const *) a;
  const TensorInfo *y = *(TensorInfo * const *) b;

  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Offsets aligned, data inside the file, no two tensors overlapping. */
static gboolean
place_tensors (Parser *p, LbGgufReader *r)
{
  g_autofree TensorInfo **sorted = NULL;
  gsize data_offset;

  /* the data section starts at the first aligned byte after the infos */
  if (p->pos > G_MAXSIZE - (r->alignment - 1))
    return fail (p, "the data section offset overflows");
  data_offset = (p->pos + r->alignment - 1) & ~(r->alignment - 1);
  r->data_offset = data_offset;

  for (guint i = 0; i < r->n_tensors; i++)
    {
      TensorInfo *ti = &r->tensors[i];
      LbTensor *t = &ti->tensor;
      guint64 end;

      g_string_printf (p->ctx, "tensor %s", t->name);
      if (ti->offset % r->alignment != 0)
        return fail (p, "data offset %" G_GUINT64_FORMAT " (at byte %" G_GSIZE_FORMAT
                     ") is not a multiple of the alignment %" G_GSIZE_FORMAT,
                     ti->offset, ti->info_offset, r->alignment);
      if (ti->offset > p->size || data_offset > p->size - ti->offset
          || t->n_bytes > p->size - data_offset - ti->offset)
        {
          /* report the end in full, saturating instead of wrapping */
          end = ti->offset > G_MAXUINT64 - data_offset ? G_MAXUINT64 : ti->offset + data_offset;
          end = t->n_bytes > G_MAXUINT64 - end ? G_MAXUINT64 : end + t->n_bytes;
          return fail (p, "data ends at byte %" G_GUINT64_FORMAT " but the file has %"
                       G_GSIZE_FORMAT " bytes (offset field at byte %" G_GSIZE_FORMAT ")",
                       end, p->size, ti->info_offset);
        }
      t->data = p->base + data_offset + ti->offset;
    }

  sorted = g_new (TensorInfo *, MAX (r->n_tensors, 1));
  for (guint i = 0; i < r->n_tensors; i++)
    sorted[i] = &r->tensors[i];
  qsort (sorted, r->n_tensors, sizeof *sorted, compare_by_offset);
  for (guint i = 1; i < r->n_tensors; i++)
    {
      const TensorInfo *a = sorted[i - 1], *b = sorted[i];

      if (a->offset + a->tensor.n_bytes > b->offset)
        {
          g_string_printf (p->ctx, "tensor %s", b->tensor.name);
          return fail (p, "data at offset %" G_GUINT64_FORMAT " overlaps tensor %s "
                       "(bytes %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT " of the data section)",
                       b->offset, a->tensor.name, a->offset, a->offset + a->tensor.n_bytes);
        }
    }
  g_string_truncate (p->ctx, 0);
  return TRUE;
}

static gboolean
parse (LbGgufReader *r, GError **error)
{
  Parser parser = { r->base, r->size, 0, g_string_new (NULL), NULL };
  Parser *p = &parser;
  guint64 n_tensors = 0, n_kv = 0;
  gboolean ok = FALSE;

  if (!parse_header (p, r, &n_tensors, &n_kv))
    goto out;
  if (!parse_metadata (p, r, n_kv))
    goto out;
  if (!parse_alignment (p, r))
    goto out;
  if (n_tensors > remaining (p) / MIN_TENSOR_INFO_BYTES || n_tensors > G_MAXUINT)
    {
      fail (p, "tensor count %" G_GUINT64_FORMAT " (at offset 8) does not fit in the %"
            G_GSIZE_FORMAT " bytes after the metadata (offset %" G_GSIZE_FORMAT ")",
            n_tensors, remaining (p), p->pos);
      goto out;
    }
  r->tensors = g_new0 (TensorInfo, MAX (n_tensors, 1));
  for (guint i = 0; i < n_tensors; i++)
    {
      /* counted as they are read, so that free releases exactly those */
      r->n_tensors = i + 1;
      if (!parse_tensor_info (p, r, i, &r->tensors[i]))
        goto out;
    }
  if (!place_tensors (p, r))
    goto out;
  ok = TRUE;

out:
  if (!ok)
    g_propagate_error (error, p->error);
  g_string_free (p->ctx, TRUE);
  return ok;
}

LbGgufReader *
lb_gguf_reader_open_bytes (GBytes *bytes, GError **error)
{
  LbGgufReader *r;
  gsize size = 0;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  r = g_new0 (LbGgufReader, 1);
  r->bytes = g_bytes_ref (bytes);
  r->base = g_bytes_get_data (bytes, &size);
  r->size = size;
  r->meta = lb_meta_new ();
  r->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  r->alignment = LB_GGUF_DEFAULT_ALIGNMENT;
  if (r->base == NULL)
    r->base = (const guint8 *) "";
  if (!parse (r, error))
    {
      lb_gguf_reader_free (r);
      return NULL;
    }
  return r;
}

LbGgufReader *
lb_gguf_reader_open (const char *path, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (GBytes) bytes = NULL;
  GMappedFile *mf;
  LbGgufReader *r;

  g_return_val_if_fail (path != NULL, NULL);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "%s: is a folder, not a GGUF file", path);
      return NULL;
    }
  mf = g_mapped_file_new (path, FALSE, &local);
  if (mf == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "%s", local->message);
      return NULL;
    }
  bytes = g_mapped_file_get_bytes (mf);
  g_mapped_file_unref (mf);
  r = lb_gguf_reader_open_bytes (bytes, error);
  if (r == NULL)
    g_prefix_error (error, "%s: ", path);
  return r;
}

void
lb_gguf_reader_free (LbGgufReader *reader)
{
  if (reader == NULL)
    return;
  for (guint i = 0; i < reader->n_tensors; i++)
    g_free (reader->tensors[i].tensor.name);
  g_free (reader->tensors);
  g_hash_table_destroy (reader->by_name);
  lb_meta_unref (reader->meta);
  g_bytes_unref (reader->bytes);
  g_free (reader);
}

guint32
lb_gguf_reader_get_version (LbGgufReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->version;
}

gsize
lb_gguf_reader_get_alignment (LbGgufReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->alignment;
}

gsize
lb_gguf_reader_get_data_offset (LbGgufReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->data_offset;
}

gsize
lb_gguf_reader_get_file_size (LbGgufReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->size;
}

LbMeta *
lb_gguf_reader_get_meta (LbGgufReader *reader)
{
  g_return_val_if_fail (reader != NULL, NULL);
  return reader->meta;
}

guint
lb_gguf_reader_get_n_tensors (LbGgufReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->n_tensors;
}

const LbTensor *
lb_gguf_reader_get_tensor (LbGgufReader *reader, guint i)
{
  g_return_val_if_fail (reader != NULL, NULL);
  g_return_val_if_fail (i < reader->n_tensors, NULL);
  return &reader->tensors[i].tensor;
}

const LbTensor *
lb_gguf_reader_find_tensor (LbGgufReader *reader, const char *name)
{
  const TensorInfo *ti;

  g_return_val_if_fail (reader != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  ti = g_hash_table_lookup (reader->by_name, name);
  return ti ? &ti->tensor : NULL;
}

GBytes *
lb_gguf_reader_ref_bytes (LbGgufReader *reader)
{
  g_return_val_if_fail (reader != NULL, NULL);
  return g_bytes_ref (reader->bytes);
}
