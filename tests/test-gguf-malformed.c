/* test-gguf-malformed.c: hostile and broken GGUF files, built here byte by
 * byte from a small valid one, must each be refused with
 * LB_ERROR_INVALID_FILE and a message that names what is wrong. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "lowbit.h"
#include "lb-test-util.h"

/* ---- building a small GGUF by hand --------------------------------------- */

typedef struct {
  gboolean dup_key;       /* the fourth key repeats the first */
  gboolean align_u64;     /* general.alignment stored as a uint64 */
  guint    nest_depth;    /* depth of the nested array in the fourth key (>= 2) */
  guint64  nest_outer_n;  /* overrides the outer count of that array when non-zero */
} Options;

/* Byte offsets of the fields the cases patch. */
typedef struct {
  gsize version, n_tensors, n_kv;
  gsize key0_len, kv0_type, kv0_str_len;
  gsize align_type, align_value;
  gsize tokens_elem_type, tokens_n, tokens_str1_len;
  gsize nested_outer_n;
  gsize w_info, w_name, w_n_dims, w_dims, w_type, w_offset;
  gsize b_name, b_offset;
  gsize infos_end, data_start, w_data, b_data, b_end, size;
} Layout;

static void
put (GByteArray *b, const void *p, gsize n)
{
  g_byte_array_append (b, p, (guint) n);
}

static void
put_u32 (GByteArray *b, guint32 v)
{
  v = GUINT32_TO_LE (v);
  put (b, &v, 4);
}

static void
put_u64 (GByteArray *b, guint64 v)
{
  v = GUINT64_TO_LE (v);
  put (b, &v, 8);
}

static void
put_str (GByteArray *b, const char *s)
{
  put_u64 (b, strlen (s));
  put (b, s, strlen (s));
}

static void
pad_to (GByteArray *b, gsize align)
{
  while (b->len % align != 0)
    g_byte_array_append (b, (const guint8 *) "", 1);
}

/*   general.architecture = "test"
 *   general.alignment    = 32 (uint32)
 *   tokenizer.ggml.tokens = ["a", "bc"]
 *   x.nested = [[1, 2]] (uint8 inside arrays, nest_depth levels)
 *   tensor w: Q8_0 [32, 2] at 0 (68 bytes); tensor b: F32 [4] at 96 (16 bytes) */
static GByteArray *
build (const Options *opt, Layout *l)
{
  GByteArray *b = g_byte_array_new ();
  guint depth = opt && opt->nest_depth ? opt->nest_depth : 2;

  memset (l, 0, sizeof *l);
  put (b, "GGUF", 4);
  l->version = b->len;
  put_u32 (b, 3);
  l->n_tensors = b->len;
  put_u64 (b, 2);
  l->n_kv = b->len;
  put_u64 (b, 4);

  l->key0_len = b->len;
  put_str (b, "general.architecture");
  l->kv0_type = b->len;
  put_u32 (b, 8);
  l->kv0_str_len = b->len;
  put_str (b, "test");

  put_str (b, "general.alignment");
  l->align_type = b->len;
  if (opt && opt->align_u64)
    {
      put_u32 (b, 10);
      l->align_value = b->len;
      put_u64 (b, 32);
    }
  else
    {
      put_u32 (b, 4);
      l->align_value = b->len;
      put_u32 (b, 32);
    }

  put_str (b, "tokenizer.ggml.tokens");
  put_u32 (b, 9);
  l->tokens_elem_type = b->len;
  put_u32 (b, 8);
  l->tokens_n = b->len;
  put_u64 (b, 2);
  put_str (b, "a");
  l->tokens_str1_len = b->len;
  put_str (b, "bc");

  put_str (b, opt && opt->dup_key ? "general.architecture" : "x.nested");
  put_u32 (b, 9);
  for (guint d = 1; d < depth; d++)
    {
      put_u32 (b, 9);
      if (d == 1)
        l->nested_outer_n = b->len;
      put_u64 (b, d == 1 && opt && opt->nest_outer_n ? opt->nest_outer_n : 1);
    }
  put_u32 (b, 0);
  put_u64 (b, 2);
  g_byte_array_append (b, (const guint8 *) "\1\2", 2);

  l->w_info = l->w_name = b->len;
  put_str (b, "w");
  l->w_n_dims = b->len;
  put_u32 (b, 2);
  l->w_dims = b->len;
  put_u64 (b, 32);
  put_u64 (b, 2);
  l->w_type = b->len;
  put_u32 (b, LB_TYPE_Q8_0);
  l->w_offset = b->len;
  put_u64 (b, 0);

  l->b_name = b->len;
  put_str (b, "b");
  put_u32 (b, 1);
  put_u64 (b, 4);
  put_u32 (b, LB_TYPE_F32);
  l->b_offset = b->len;
  put_u64 (b, 96);
  l->infos_end = b->len;

  pad_to (b, 32);
  l->data_start = b->len;
  l->w_data = b->len;
  for (guint i = 0; i < 68; i++)
    g_byte_array_append (b, (const guint8 *) "\x11", 1);
  pad_to (b, 32);
  l->b_data = b->len;
  g_assert_cmpuint (l->b_data - l->data_start, ==, 96);
  for (guint i = 0; i < 16; i++)
    g_byte_array_append (b, (const guint8 *) "\x22", 1);
  l->b_end = b->len;
  pad_to (b, 32);
  l->size = b->len;
  return b;
}

static void
patch_u32 (GByteArray *b, gsize off, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (b->data + off, &v, 4);
}

static void
patch_u64 (GByteArray *b, gsize off, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (b->data + off, &v, 8);
}

/* ---- checking ----------------------------------------------------------- */

static LbGgufReader *
open_data (const guint8 *data, gsize len, GError **error)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, len);
  return lb_gguf_reader_open_bytes (bytes, error);
}

/* Refused with LB_ERROR_INVALID_FILE; the message contains each of the
 * NULL-terminated substrings. */
static void
assert_rejected (const guint8 *data, gsize len, const char *what, ...) G_GNUC_NULL_TERMINATED;

static void
assert_rejected (const guint8 *data, gsize len, const char *what, ...)
{
  GError *error = NULL;
  LbGgufReader *r = open_data (data, len, &error);
  va_list ap;

  if (r != NULL)
    g_error ("a malformed file (%s, %" G_GSIZE_FORMAT " bytes) was accepted", what, len);
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_test_message ("%s: %s", what, error->message);
  va_start (ap, what);
  for (const char *s = va_arg (ap, const char *); s != NULL; s = va_arg (ap, const char *))
    if (strstr (error->message, s) == NULL)
      g_error ("%s: error \"%s\" does not mention \"%s\"", what, error->message, s);
  va_end (ap);
  g_error_free (error);
}

#define REJECT(b, what, ...) assert_rejected ((b)->data, (b)->len, what, __VA_ARGS__, NULL)

/* ---- cases -------------------------------------------------------------- */

static void
test_valid_base (void)
{
  g_autoptr (GByteArray) b = NULL;
  g_autoptr (LbGgufReader) r = NULL;
  const LbValue *v;
  GError *error = NULL;
  Layout l;

  b = build (NULL, &l);
  r = open_data (b->data, b->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_gguf_reader_get_n_tensors (r), ==, 2);
  g_assert_cmpuint (lb_gguf_reader_get_data_offset (r), ==, l.data_start);
  g_assert_cmpuint (lb_gguf_reader_get_tensor (r, 0)->n_bytes, ==, 68);
  g_assert_cmpuint (lb_gguf_reader_get_tensor (r, 0)->data[67], ==, 0x11);
  g_assert_cmpuint (lb_gguf_reader_get_tensor (r, 1)->data[0], ==, 0x22);
  v = lb_meta_lookup (lb_gguf_reader_get_meta (r), "x.nested");
  g_assert_cmpuint (v->arr.values[0].arr.n, ==, 2);
  g_assert_cmpuint (((const guint8 *) v->arr.values[0].arr.data)[1], ==, 2);
  g_clear_pointer (&r, lb_gguf_reader_free);

  /* a file cut inside the padding after the last tensor still holds every
   * byte of every tensor: accepted, as llama.cpp's loader does */
  r = open_data (b->data, l.b_end, &error);
  g_assert_no_error (error);
}

static void
test_truncated (void)
{
  g_autoptr (GByteArray) b = NULL;
  Layout l;
  gsize cuts[] = { 0, 1, 33, 67 };

  b = build (NULL, &l);
  /* every byte boundary of header, metadata, tensor infos and padding */
  for (gsize len = 0; len <= l.data_start; len++)
    {
      GError *error = NULL;
      LbGgufReader *r = open_data (b->data, len, &error);

      if (r != NULL)
        g_error ("the file cut at byte %" G_GSIZE_FORMAT " was accepted", len);
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
      if (len >= 24 && len < l.infos_end
          && !strstr (error->message, "truncated") && !strstr (error->message, "does not fit"))
        g_error ("cut at %" G_GSIZE_FORMAT ": \"%s\" does not say it is truncated",
                 len, error->message);
      g_error_free (error);
    }
  /* inside the data of w and of b */
  for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
    {
      g_autofree char *end = g_strdup_printf ("%" G_GSIZE_FORMAT, l.w_data + 68);
      assert_rejected (b->data, l.w_data + cuts[i], "cut in w's data",
                       "tensor w", "data ends at byte", end, NULL);
    }
  for (gsize len = l.b_data; len < l.b_end; len += 5)
    {
      g_autofree char *has = g_strdup_printf ("the file has %" G_GSIZE_FORMAT " bytes", len);
      assert_rejected (b->data, len, "cut in b's data", "tensor b", has, NULL);
    }
}

static void
test_header (void)
{
  g_autoptr (GByteArray) b = NULL;
  Layout l;
  guint32 versions[] = { 0, 1, 4, 0x7fffffff };

  b = build (NULL, &l);
  b->data[0] = 'X';
  REJECT (b, "bad magic", "not a GGUF file");
  b->data[0] = 'G';
  b->data[3] = 'f';
  REJECT (b, "bad magic", "not a GGUF file");
  b->data[3] = 'F';

  for (guint i = 0; i < G_N_ELEMENTS (versions); i++)
    {
      g_autofree char *v = g_strdup_printf ("version %u", versions[i]);
      patch_u32 (b, l.version, versions[i]);
      REJECT (b, "version", v);
    }
  patch_u32 (b, l.version, 1);
  REJECT (b, "version 1", "version 1", "not supported");
  patch_u32 (b, l.version, 0x03000000);
  REJECT (b, "big-endian", "big-endian");
  patch_u32 (b, l.version, 3);

  /* counts far past the file */
  patch_u64 (b, l.n_kv, G_GUINT64_CONSTANT (1) << 60);
  REJECT (b, "key count", "metadata key count 1152921504606846976", "does not fit");
  patch_u64 (b, l.n_kv, G_MAXUINT64);
  REJECT (b, "key count", "metadata key count");
  patch_u64 (b, l.n_kv, 4);
  patch_u64 (b, l.n_tensors, G_GUINT64_CONSTANT (1) << 60);
  REJECT (b, "tensor count", "tensor count 1152921504606846976", "does not fit");
  patch_u64 (b, l.n_tensors, G_MAXUINT64);
  REJECT (b, "tensor count", "tensor count");

  /* counts one past what the file holds: the parser runs into the next
   * section (tensor w's info reads as key 4 "w" of type 2, uint16; what
   * follows is then nonsense) */
  patch_u64 (b, l.n_tensors, 2);
  patch_u64 (b, l.n_kv, 5);
  REJECT (b, "one key too many", "does not fit");
  patch_u64 (b, l.n_kv, 4);
  patch_u64 (b, l.n_tensors, 3);
  REJECT (b, "one tensor too many", "tensor info 2");
}

static void
test_strings_and_arrays (void)
{
  g_autoptr (GByteArray) b = NULL;
  Layout l;

  b = build (NULL, &l);
  patch_u64 (b, l.key0_len, G_GUINT64_CONSTANT (1) << 40);
  REJECT (b, "key length", "metadata key 0", "key of 1099511627776 bytes", "offset 24");
  patch_u64 (b, l.key0_len, 0);
  REJECT (b, "empty key", "metadata key 0", "empty");
  patch_u64 (b, l.key0_len, strlen ("general.architecture"));
  b->data[l.key0_len + 8 + 3] = '\0';
  REJECT (b, "key with a NUL", "metadata key 0", "NUL");
  b->data[l.key0_len + 8 + 3] = 'e';

  patch_u64 (b, l.kv0_str_len, (gsize) b->len);
  REJECT (b, "string length", "metadata key 0 (general.architecture)", "string value");
  patch_u64 (b, l.kv0_str_len, G_MAXUINT64);
  REJECT (b, "string length", "general.architecture", "18446744073709551615");
  patch_u64 (b, l.kv0_str_len, 4);

  patch_u64 (b, l.tokens_str1_len, G_GUINT64_CONSTANT (1) << 62);
  REJECT (b, "string in array", "metadata key 2 (tokenizer.ggml.tokens)", "string in array");
  patch_u64 (b, l.tokens_str1_len, 2);

  /* huge array counts: nothing of that size may be allocated */
  patch_u64 (b, l.tokens_n, G_GUINT64_CONSTANT (1) << 40);
  REJECT (b, "huge array", "metadata key 2 (tokenizer.ggml.tokens)",
          "array of 1099511627776 string values", "does not fit");
  patch_u64 (b, l.tokens_n, G_MAXUINT64);
  REJECT (b, "huge array", "tokenizer.ggml.tokens", "does not fit");
  patch_u32 (b, l.tokens_elem_type, LB_VALUE_UINT64);
  patch_u64 (b, l.tokens_n, G_GUINT64_CONSTANT (1) << 61);   /* 2^61 * 8 wraps to 0 */
  REJECT (b, "huge u64 array", "tokenizer.ggml.tokens", "uint64 values", "does not fit");
  patch_u32 (b, l.tokens_elem_type, LB_VALUE_BOOL);
  patch_u64 (b, l.tokens_n, b->len);
  REJECT (b, "long bool array", "tokenizer.ggml.tokens", "bool values");
  patch_u32 (b, l.tokens_elem_type, LB_VALUE_STRING);
  patch_u64 (b, l.tokens_n, 2);

  /* unknown value types */
  patch_u32 (b, l.kv0_type, 13);
  REJECT (b, "value type 13", "general.architecture", "value type 13");
  patch_u32 (b, l.kv0_type, G_MAXUINT32);
  REJECT (b, "value type", "value type 4294967295");
  patch_u32 (b, l.kv0_type, 8);
  patch_u32 (b, l.tokens_elem_type, 99);
  REJECT (b, "array element type", "tokenizer.ggml.tokens", "array element type 99");
  patch_u32 (b, l.tokens_elem_type, LB_VALUE_STRING);

  /* the base is intact again */
  {
    GError *error = NULL;
    LbGgufReader *r = open_data (b->data, b->len, &error);
    g_assert_no_error (error);
    lb_gguf_reader_free (r);
  }
}

static void
test_nested (void)
{
  Options opt = { 0 };
  Layout l;

  /* depth bombs: arrays of arrays of ... */
  opt.nest_depth = 8;
  {
    g_autoptr (GByteArray) b = build (&opt, &l);
    GError *error = NULL;
    LbGgufReader *r = open_data (b->data, b->len, &error);   /* 8 levels are fine */
    g_assert_no_error (error);
    lb_gguf_reader_free (r);
  }
  opt.nest_depth = 9;
  {
    g_autoptr (GByteArray) b = build (&opt, &l);
    REJECT (b, "depth 9", "metadata key 3 (x.nested)", "nested deeper than 8");
  }
  opt.nest_depth = 100000;
  {
    g_autoptr (GByteArray) b = build (&opt, &l);
    REJECT (b, "depth bomb", "x.nested", "nested deeper");
  }
  /* breadth: 2^40 arrays */
  opt.nest_depth = 3;
  opt.nest_outer_n = G_GUINT64_CONSTANT (1) << 40;
  {
    g_autoptr (GByteArray) b = build (&opt, &l);
    REJECT (b, "array of arrays", "x.nested", "array of 1099511627776 array values");
  }
  /* more inner arrays than there are bytes for them */
  opt.nest_outer_n = 3;
  {
    g_autoptr (GByteArray) b = build (&opt, &l);
    REJECT (b, "array of arrays", "x.nested");
  }
}

static void
test_duplicate_key (void)
{
  Options opt = { .dup_key = TRUE };
  Layout l;
  g_autoptr (GByteArray) b = build (&opt, &l);

  REJECT (b, "duplicate key", "metadata key 3 (general.architecture)", "duplicate key");
}

static void
test_alignment (void)
{
  g_autoptr (GByteArray) b = NULL;
  Layout l;
  guint32 bad[] = { 0, 3, 48, 0x80000001u };

  b = build (NULL, &l);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *s = g_strdup_printf ("%u is not a power of two", bad[i]);
      patch_u32 (b, l.align_value, bad[i]);
      REJECT (b, "alignment", "general.alignment", s);
    }
  patch_u32 (b, l.align_value, 32);
  patch_u32 (b, l.align_type, LB_VALUE_INT32);
  REJECT (b, "alignment int32", "general.alignment", "uint32", "int32");
  patch_u32 (b, l.align_type, LB_VALUE_FLOAT32);
  REJECT (b, "alignment float32", "general.alignment", "float32");
  patch_u32 (b, l.align_type, LB_VALUE_UINT32);

  /* a larger alignment makes the offsets of w and b misaligned... */
  patch_u32 (b, l.align_value, 64);
  REJECT (b, "alignment 64", "tensor b", "not a multiple of the alignment 64");
  patch_u32 (b, l.align_value, 32);
  {
    Options opt = { .align_u64 = TRUE };
    g_autoptr (GByteArray) b64 = build (&opt, &l);
    REJECT (b64, "alignment uint64", "general.alignment", "uint64");
  }
}

static void
test_tensor_infos (void)
{
  g_autoptr (GByteArray) b = NULL;
  Layout l;
  guint32 types[] = { 4, 5, 31, 36, LB_TYPE_COUNT + 100, G_MAXUINT32 };

  b = build (NULL, &l);

  patch_u32 (b, l.w_n_dims, 0);
  REJECT (b, "n_dims 0", "tensor w", "n_dims 0");
  patch_u32 (b, l.w_n_dims, 5);
  REJECT (b, "n_dims 5", "tensor w", "n_dims 5");
  patch_u32 (b, l.w_n_dims, G_MAXUINT32);
  REJECT (b, "n_dims huge", "tensor w", "n_dims 4294967295");
  patch_u32 (b, l.w_n_dims, 2);

  patch_u64 (b, l.w_dims + 8, 0);
  REJECT (b, "dim 0", "tensor w", "dimension 1 is 0");
  patch_u64 (b, l.w_dims + 8, 2);
  patch_u64 (b, l.w_dims, 0);
  REJECT (b, "dim 0", "tensor w", "dimension 0 is 0");
  patch_u64 (b, l.w_dims, G_GUINT64_CONSTANT (1) << 63);
  REJECT (b, "dim 2^63", "tensor w", "dimension 0", "too large");
  patch_u64 (b, l.w_dims, G_GUINT64_CONSTANT (1) << 32);
  patch_u64 (b, l.w_dims + 8, G_GUINT64_CONSTANT (1) << 32);
  REJECT (b, "dims overflow", "tensor w", "overflow");
  /* 2^62 elements of F64: the count fits in 64 bits, the byte size does not */
  patch_u32 (b, l.w_type, LB_TYPE_F64);
  patch_u64 (b, l.w_dims, G_GUINT64_CONSTANT (1) << 31);
  patch_u64 (b, l.w_dims + 8, G_GUINT64_CONSTANT (1) << 31);
  REJECT (b, "bytes overflow", "tensor w", "overflow the size");
  patch_u32 (b, l.w_type, LB_TYPE_Q8_0);
  /* large but representable: the data does not fit in the file */
  patch_u64 (b, l.w_dims, 1 << 20);
  patch_u64 (b, l.w_dims + 8, 1 << 20);
  REJECT (b, "huge tensor", "tensor w", "data ends at byte");
  patch_u64 (b, l.w_dims, 33);
  patch_u64 (b, l.w_dims + 8, 2);
  REJECT (b, "ne[0] not a multiple of the block", "tensor w", "row length 33", "block size 32");
  patch_u64 (b, l.w_dims, 32);

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autofree char *s = g_strdup_printf ("type %u", types[i]);
      patch_u32 (b, l.w_type, types[i]);
      REJECT (b, "unknown tensor type", "tensor w", s, "not a known");
    }
  patch_u32 (b, l.w_type, LB_TYPE_Q8_0);

  /* names */
  b->data[l.b_name + 8] = 'w';
  REJECT (b, "duplicate name", "tensor w", "second tensor");
  b->data[l.b_name + 8] = '\0';
  REJECT (b, "NUL name", "tensor info 1", "NUL");
  b->data[l.b_name + 8] = 'b';
  patch_u64 (b, l.b_name, 0);
  REJECT (b, "empty name", "tensor info 1", "empty");
  patch_u64 (b, l.b_name, G_MAXUINT64);
  REJECT (b, "name length", "tensor info 1", "does not fit");
  patch_u64 (b, l.b_name, 1);
}

static void
test_tensor_offsets (void)
{
  g_autoptr (GByteArray) b = NULL;
  Layout l;

  b = build (NULL, &l);
  patch_u64 (b, l.b_offset, 97);
  REJECT (b, "misaligned", "tensor b", "data offset 97", "not a multiple of the alignment 32");
  patch_u64 (b, l.b_offset, 128);
  REJECT (b, "past the end", "tensor b", "data ends at byte", "but the file has");
  patch_u64 (b, l.b_offset, G_MAXUINT64 - 31);
  REJECT (b, "offset near 2^64", "tensor b", "data ends at byte 18446744073709551615");
  patch_u64 (b, l.b_offset, G_GUINT64_CONSTANT (1) << 62);
  REJECT (b, "offset 2^62", "tensor b", "data ends at byte");

  /* overlapping: b inside w, b on w, w after b overlapping it */
  patch_u64 (b, l.b_offset, 64);
  REJECT (b, "overlap", "tensor b", "overlaps tensor w");
  patch_u64 (b, l.b_offset, 0);
  REJECT (b, "same offset", "overlaps");
  patch_u64 (b, l.b_offset, 96);
  patch_u64 (b, l.w_offset, 32);
  REJECT (b, "overlap", "tensor b", "overlaps tensor w");
  patch_u64 (b, l.w_offset, 0);

  /* b's data moved to the end: valid, infos need not be in data order */
  patch_u64 (b, l.w_offset, 32 * 4);
  patch_u64 (b, l.b_offset, 0);
  {
    GError *error = NULL;
    g_autoptr (GByteArray) longer = g_byte_array_sized_new (b->len + 128);
    LbGgufReader *r;

    put (longer, b->data, b->len);
    for (guint i = 0; i < 128; i++)
      g_byte_array_append (longer, (const guint8 *) "", 1);
    r = open_data (longer->data, longer->len, &error);
    g_assert_no_error (error);
    {
      g_autoptr (GBytes) kept = lb_gguf_reader_ref_bytes (r);
      const guint8 *base = g_bytes_get_data (kept, NULL);
      g_assert_true (lb_gguf_reader_find_tensor (r, "b")->data == base + l.data_start);
      g_assert_true (lb_gguf_reader_find_tensor (r, "w")->data == base + l.data_start + 128);
    }
    lb_gguf_reader_free (r);
  }
}

/* Through a real file: the message starts with the path. */
static void
test_path_prefix (void)
{
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "bad.gguf", NULL);
  g_autoptr (GByteArray) b = NULL;
  GError *error = NULL;
  Layout l;

  b = build (NULL, &l);
  patch_u64 (b, l.tokens_n, G_GUINT64_CONSTANT (1) << 40);
  g_assert_true (g_file_set_contents (path, (const char *) b->data, b->len, NULL));
  g_assert_null (lb_gguf_reader_open (path, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, "tokenizer.ggml.tokens"));
  g_clear_error (&error);
  lb_test_rmtree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/gguf-malformed/valid-base", test_valid_base);
  g_test_add_func ("/lowbit/gguf-malformed/truncated", test_truncated);
  g_test_add_func ("/lowbit/gguf-malformed/header", test_header);
  g_test_add_func ("/lowbit/gguf-malformed/strings-and-arrays", test_strings_and_arrays);
  g_test_add_func ("/lowbit/gguf-malformed/nested", test_nested);
  g_test_add_func ("/lowbit/gguf-malformed/duplicate-key", test_duplicate_key);
  g_test_add_func ("/lowbit/gguf-malformed/alignment", test_alignment);
  g_test_add_func ("/lowbit/gguf-malformed/tensor-infos", test_tensor_infos);
  g_test_add_func ("/lowbit/gguf-malformed/tensor-offsets", test_tensor_offsets);
  g_test_add_func ("/lowbit/gguf-malformed/path-prefix", test_path_prefix);
  return g_test_run ();
}
