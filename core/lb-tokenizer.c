/* lb-tokenizer.c: the vocabulary shared by all tokenizer backends, the
 * dispatch on tokenizer.ggml.model, BOS/EOS handling and streaming decode. */
#include <math.h>
#include <string.h>

#include "lb-error.h"
#include "lb-tokenizer-private.h"

struct _LbTokenizer {
  GObject                   parent_instance;
  char                     *model_name;
  const LbTokenizerBackend *backend;
  gpointer                  state;
  LbVocab                   vocab;
};

G_DEFINE_FINAL_TYPE (LbTokenizer, lb_tokenizer, G_TYPE_OBJECT)

static const LbTokenizerBackend * const backends[] = {
  &lb_tokenizer_backend_spm,
  &lb_tokenizer_backend_bpe,
};

static void
lb_tokenizer_finalize (GObject *object)
{
  LbTokenizer *self = LB_TOKENIZER (object);

  /* the backend state may point into the vocabulary: free it first */
  if (self->state != NULL && self->backend != NULL && self->backend->destroy != NULL)
    self->backend->destroy (self->state);
  g_clear_pointer (&self->vocab.text_to_id, g_hash_table_unref);
  for (guint i = 0; self->vocab.entries != NULL && i < self->vocab.n_vocab; i++)
    g_free (self->vocab.entries[i].text);
  g_free (self->vocab.entries);
  g_free (self->model_name);

  G_OBJECT_CLASS (lb_tokenizer_parent_class)->finalize (object);
}

static void
lb_tokenizer_class_init (LbTokenizerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lb_tokenizer_finalize;
}

static void
lb_tokenizer_init (LbTokenizer *self)
{
  self->vocab.bos = self->vocab.eos = self->vocab.unk = self->vocab.pad = -1;
}

/* ---- UTF-8 ------------------------------------------------------------- */

LbUtf8Check
lb_utf8_check (const guint8 *p, gsize avail, gsize *n)
{
  guint8 c = p[0];
  gsize need, i;
  guint8 lo = 0x80, hi = 0xBF;  /* allowed range of the second byte */

  if (c < 0x80)
    {
      *n = 1;
      return LB_UTF8_COMPLETE;
    }
  if (c >= 0xC2 && c <= 0xDF)
    need = 2;
  else if (c >= 0xE0 && c <= 0xEF)
    {
      need = 3;
      if (c == 0xE0)
        lo = 0xA0;        /* no overlong forms */
      else if (c == 0xED)
        hi = 0x9F;        /* no surrogates */
    }
  else if (c >= 0xF0 && c <= 0xF4)
    {
      need = 4;
      if (c == 0xF0)
        lo = 0x90;
      else if (c == 0xF4)
        hi = 0x8F;        /* nothing above U+10FFFF */
    }
  else
    {
      *n = 1;
      return LB_UTF8_INVALID;
    }

  for (i = 1; i < need && i < avail; i++)
    {
      guint8 b = p[i];
      gboolean ok = i == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
      if (!ok)
        {
          *n = i;
          return LB_UTF8_INVALID;
        }
    }
  *n = i;
  return i == need ? LB_UTF8_COMPLETE : LB_UTF8_INCOMPLETE;
}

/* ---- building the vocabulary -------------------------------------------- */

static gboolean
array_int_at (const LbValue *arr, gsize i, gint64 *out)
{
  const guint8 *d = arr->arr.data;

  switch (arr->arr.elem_type)
    {
    case LB_VALUE_UINT8: *out = ((const guint8 *) d)[i]; return TRUE;
    case LB_VALUE_INT8: *out = ((const gint8 *) d)[i]; return TRUE;
    case LB_VALUE_UINT16: *out = ((const guint16 *) d)[i]; return TRUE;
    case LB_VALUE_INT16: *out = ((const gint16 *) d)[i]; return TRUE;
    case LB_VALUE_UINT32: *out = ((const guint32 *) d)[i]; return TRUE;
    case LB_VALUE_INT32: *out = ((const gint32 *) d)[i]; return TRUE;
    case LB_VALUE_INT64: *out = ((const gint64 *) d)[i]; return TRUE;
    case LB_VALUE_UINT64:
      *out = (gint64) MIN (((const guint64 *) d)[i], (guint64) G_MAXINT64);
      return TRUE;
    default:
      return FALSE;
    }
}

/* An optional array key: NULL when missing; FALSE + error when it is not
 * an array of n elements. */
static gboolean
optional_array (const LbMeta *meta, const char *key, guint n, const LbValue **out,
                GError **error)
{
  const LbValue *v = lb_meta_lookup (meta, key);

  *out = NULL;
  if (v == NULL)
    return TRUE;
  if (v->type != LB_VALUE_ARRAY)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s should be an array but is a %s", key, lb_value_type_name (v->type));
      return FALSE;
    }
  if (v->arr.n != n)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s has %" G_GSIZE_FORMAT " entries but tokenizer.ggml.tokens has %u",
                   key, v->arr.n, n);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

/* "<0xXX>" with two upper- or lower-case hex digits */
static gboolean
is_byte_piece (const char *text, gsize len)
{
  return len == 6 && memcmp (text, "<0x", 3) == 0 && g_ascii_isxdigit (text[3]) &&
         g_ascii_isxdigit (text[4]) && text[5] == '>';
}

static gboolean
read_special_id (const LbMeta *meta, const char *key, guint n_vocab, gint32 *out,
                 GError **error)
{
  GError *local = NULL;
  gint32 id;

  if (!lb_meta_get_i32 (meta, key, &id, &local))
    {
      if (local == NULL)
        return TRUE;    /* absent: keep the default */
      g_propagate_error (error, local);
      return FALSE;
    }
  if (id < 0 || (guint) id >= n_vocab)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s is %d but the vocabulary has %u tokens (ids 0 to %u)",
                   key, id, n_vocab, n_vocab - 1);
      return FALSE;
    }
  *out = id;
  return TRUE;
}

static gboolean
read_flag (const LbMeta *meta, const char *key, gboolean *out, GError **error)
{
  GError *local = NULL;

  if (!lb_meta_get_bool (meta, key, out, &local) && local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  return TRUE;
}

static gboolean
build_vocab (LbTokenizer *self, const LbMeta *meta, GError **error)
{
  LbVocab *vocab = &self->vocab;
  const LbValue *tokens = lb_meta_lookup (meta, "tokenizer.ggml.tokens");
  const LbValue *scores, *types;
  gboolean is_spm = g_strcmp0 (self->model_name, "llama") == 0;
  guint n;

  if (tokens == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "tokenizer.ggml.tokens is missing: the file has no vocabulary");
      return FALSE;
    }
  if (tokens->type != LB_VALUE_ARRAY || tokens->arr.elem_type != LB_VALUE_STRING)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "tokenizer.ggml.tokens should be an array of strings");
      return FALSE;
    }
  if (tokens->arr.n == 0 || tokens->arr.n > G_MAXINT32)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "tokenizer.ggml.tokens has %" G_GSIZE_FORMAT " entries (expected 1 to %d)",
                   tokens->arr.n, G_MAXINT32);
      return FALSE;
    }
  n = (guint) tokens->arr.n;

  if (!optional_array (meta, "tokenizer.ggml.scores", n, &scores, error) ||
      !optional_array (meta, "tokenizer.ggml.token_type", n, &types, error))
    return FALSE;
  if (scores != NULL && scores->arr.elem_type != LB_VALUE_FLOAT32 &&
      scores->arr.elem_type != LB_VALUE_FLOAT64)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "tokenizer.ggml.scores should hold floats, not %s",
                   lb_value_type_name (scores->arr.elem_type));
      return FALSE;
    }
  if (types != NULL)
    {
      gint64 probe;
      if (!array_int_at (types, 0, &probe))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "tokenizer.ggml.token_type should hold integers, not %s",
                       lb_value_type_name (types->arr.elem_type));
          return FALSE;
        }
    }

  vocab->n_vocab = n;
  vocab->entries = g_new0 (LbVocabEntry, n);
  vocab->text_to_id = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < n; i++)
    {
      LbVocabEntry *e = &vocab->entries[i];
      const LbBytes *b = &tokens->arr.strings[i];

      e->len = b->len;
      e->text = g_malloc (b->len + 1);
      if (b->len > 0)
        memcpy (e->text, b->data, b->len);
      e->text[b->len] = '\0';

      if (scores != NULL)
        {
          double s = scores->arr.elem_type == LB_VALUE_FLOAT32
                       ? ((const float *) scores->arr.data)[i]
                       : ((const double *) scores->arr.data)[i];
          if (isnan (s))
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                           "tokenizer.ggml.scores[%u] (token \"%s\") is NaN", i, e->text);
              return FALSE;
            }
          e->score = (float) s;
        }

      if (types != NULL)
        {
          gint64 t = 0;
          array_int_at (types, i, &t);
          if (t < LB_TOKEN_TYPE_UNDEFINED || t > LB_TOKEN_TYPE_BYTE)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                           "tokenizer.ggml.token_type[%u] is %" G_GINT64_FORMAT
                           " (valid types are 0 to 6)", i, t);
              return FALSE;
            }
          e->type = (LbTokenType) t;
        }
      else if (is_spm && is_byte_piece (e->text, e->len))
        e->type = LB_TOKEN_TYPE_BYTE;
      else
        e->type = LB_TOKEN_TYPE_NORMAL;

      /* first occurrence wins; pieces with a NUL inside cannot be keys */
      if (strlen (e->text) == e->len && !g_hash_table_contains (vocab->text_to_id, e->text))
        g_hash_table_insert (vocab->text_to_id, e->text, GINT_TO_POINTER (i + 1));
    }

  /* defaults when the file has no add_bos_token key: SentencePiece models
   * and Llama 3's BPE add BOS, GPT-2-style BPE does not (as llama.cpp does) */
  vocab->add_bos = is_spm || g_strcmp0 (lb_meta_get_string (meta, "tokenizer.ggml.pre"), "llama-bpe") == 0;
  vocab->add_eos = FALSE;
  if (!read_special_id (meta, "tokenizer.ggml.bos_token_id", n, &vocab->bos, error) ||
      !read_special_id (meta, "tokenizer.ggml.eos_token_id", n, &vocab->eos, error) ||
      !read_special_id (meta, "tokenizer.ggml.unknown_token_id", n, &vocab->unk, error) ||
      !read_special_id (meta, "tokenizer.ggml.padding_token_id", n, &vocab->pad, error) ||
      !read_flag (meta, "tokenizer.ggml.add_bos_token", &vocab->add_bos, error) ||
      !read_flag (meta, "tokenizer.ggml.add_eos_token", &vocab->add_eos, error))
    return FALSE;

  /* without an explicit unknown id, use the vocabulary's UNKNOWN piece */
  for (guint i = 0; vocab->unk < 0 && i < n; i++)
    if (vocab->entries[i].type == LB_TOKEN_TYPE_UNKNOWN)
      vocab->unk = (gint32) i;

  return TRUE;
}

LbTokenizer *
lb_tokenizer_new_from_meta (const LbMeta *meta, GError **error)
{
  g_autoptr (LbTokenizer) self = NULL;
  const char *model;
  GError *local = NULL;

  g_return_val_if_fail (meta != NULL, NULL);

  model = lb_meta_get_string (meta, "tokenizer.ggml.model");
  if (model == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   lb_meta_contains (meta, "tokenizer.ggml.model")
                     ? "tokenizer.ggml.model should be a string"
                     : "tokenizer.ggml.model is missing: the file has no tokenizer");
      return NULL;
    }

  self = g_object_new (LB_TYPE_TOKENIZER, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (backends); i++)
    if (strcmp (backends[i]->model_name, model) == 0)
      self->backend = backends[i];
  if (self->backend == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "tokenizer model \"%s\" (tokenizer.ggml.model) is not supported; Lowbit "
                   "reads \"llama\" (SentencePiece) and \"gpt2\" (byte-level BPE) tokenizers",
                   model);
      return NULL;
    }
  self->model_name = g_strdup (model);

  if (!build_vocab (self, meta, error))
    return NULL;

  self->state = self->backend->create (&self->vocab, meta, &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  return g_steal_pointer (&self);
}

/* ---- getters -------------------------------------------------------------- */

static const LbVocabEntry *
entry (LbTokenizer *self, gint32 id)
{
  if (id < 0 || (guint) id >= self->vocab.n_vocab)
    return NULL;
  return &self->vocab.entries[id];
}

const char *
lb_tokenizer_get_model_name (LbTokenizer *self)
{
  g_return_val_if_fail (LB_IS_TOKENIZER (self), NULL);
  return self->model_name;
}

guint
lb_tokenizer_get_n_vocab (LbTokenizer *self)
{
  g_return_val_if_fail (LB_IS_TOKENIZER (self), 0);
  return self->vocab.n_vocab;
}

gint32
lb_tokenizer_get_bos (LbTokenizer *self)
{
  g_return_val_if_fail (LB_IS_TOKENIZER (self), -1);
  return self->vocab.bos;
}

gint32
lb_tokenizer_get_eos (LbTokenizer *self)
{
  g_return_val_if_fail (LB_IS_TOKENIZER (self), -1);
  return self->vocab.eos;
}

gboolean
lb_tokenizer_get_add_bos (LbTokenizer *self)
{
  g_return_val_if_fail (LB_IS_TOKENIZER (self), FALSE);
  return self->vocab.add_bos;
}

gboolean
lb_tokenizer_get_add_eos (LbTokenizer *self)
{
  g_return_val_if_fail (LB_IS_TOKENIZER (self), FALSE);
  return self->vocab.add_eos;
}

const char *
lb_tokenizer_get_token_text (LbTokenizer *self, gint32 id)
{
  const LbVocabEntry *e;

  g_return_val_if_fail (LB_IS_TOKENIZER (self), NULL);
  e = entry (self, id);
  return e != NULL ? e->text : NULL;
}

LbTokenType
lb_tokenizer_get_token_type (LbTokenizer *self, gint32 id)
{
  const LbVocabEntry *e;

  g_return_val_if_fail (LB_IS_TOKENIZER (self), LB_TOKEN_TYPE_UNDEFINED);
  e = entry (self, id);
  return e != NULL ? e->type : LB_TOKEN_TYPE_UNDEFINED;
}

float
lb_tokenizer_get_token_score (LbTokenizer *self, gint32 id)
{
  const LbVocabEntry *e;

  g_return_val_if_fail (LB_IS_TOKENIZER (self), 0.0f);
  e = entry (self, id);
  return e != NULL ? e->score : 0.0f;
}

/* ---- encode / decode ------------------------------------------------------ */

gboolean
lb_tokenizer_encode (LbTokenizer *self, const char *text, gssize len, gboolean add_special,
                     GArray *ids, GError **error)
{
  guint old_len;
  gsize n;

  g_return_val_if_fail (LB_IS_TOKENIZER (self), FALSE);
  g_return_val_if_fail (ids != NULL && g_array_get_element_size (ids) == sizeof (gint32), FALSE);
  g_return_val_if_fail (text != NULL || len == 0, FALSE);

  n = len < 0 ? strlen (text) : (gsize) len;
  old_len = ids->len;

  if (add_special && self->vocab.add_bos && self->vocab.bos >= 0)
    g_array_append_val (ids, self->vocab.bos);
  if (n > 0)
    {
      if (self->backend->encode == NULL)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                       "the \"%s\" tokenizer cannot encode text yet", self->model_name);
          g_array_set_size (ids, old_len);
          return FALSE;
        }
      if (!self->backend->encode (self->state, &self->vocab, text, n, ids, error))
        {
          g_array_set_size (ids, old_len);
          return FALSE;
        }
    }
  if (add_special && self->vocab.add_eos && self->vocab.eos >= 0)
    g_array_append_val (ids, self->vocab.eos);
  return TRUE;
}

void
lb_tokenizer_append_piece (LbTokenizer *self, gint32 prev, gint32 id, GString *out)
{
  g_return_if_fail (LB_IS_TOKENIZER (self));
  g_return_if_fail (out != NULL);

  if (entry (self, id) == NULL || self->backend->append_piece == NULL)
    return;
  self->backend->append_piece (self->state, &self->vocab, prev, id, out);
}

char *
lb_tokenizer_decode (LbTokenizer *self, const gint32 *ids, gsize n)
{
  GString *out;
  gint32 prev = -1;

  g_return_val_if_fail (LB_IS_TOKENIZER (self), NULL);
  g_return_val_if_fail (ids != NULL || n == 0, NULL);

  out = g_string_new (NULL);
  for (gsize i = 0; i < n; i++)
    {
      lb_tokenizer_append_piece (self, prev, ids[i], out);
      prev = ids[i];
    }
  return g_string_free (out, FALSE);
}

/* ---- streaming decode ---------------------------------------------------- */

struct _LbDetokenizer {
  LbTokenizer *tokenizer;
  gint32       prev;
  GString     *pending;   /* bytes not released yet (an unfinished sequence) */
  GString     *out;       /* what the last push/flush returned */
};

LbDetokenizer *
lb_detokenizer_new (LbTokenizer *tokenizer)
{
  LbDetokenizer *detok;

  g_return_val_if_fail (LB_IS_TOKENIZER (tokenizer), NULL);

  detok = g_new0 (LbDetokenizer, 1);
  detok->tokenizer = g_object_ref (tokenizer);
  detok->prev = -1;
  detok->pending = g_string_new (NULL);
  detok->out = g_string_new (NULL);
  return detok;
}

void
lb_detokenizer_free (LbDetokenizer *detok)
{
  if (detok == NULL)
    return;
  g_object_unref (detok->tokenizer);
  g_string_free (detok->pending, TRUE);
  g_string_free (detok->out, TRUE);
  g_free (detok);
}

#define REPLACEMENT_CHAR "\xEF\xBF\xBD"

/* Moves complete sequences from pending to out; ill-formed bytes become
 * U+FFFD at once; an unfinished sequence at the end stays unless final. */
static void
drain (LbDetokenizer *detok, gboolean final)
{
  const guint8 *p = (const guint8 *) detok->pending->str;
  gsize len = detok->pending->len, i = 0;

  while (i < len)
    {
      gsize n;
      LbUtf8Check c = lb_utf8_check (p + i, len - i, &n);

      if (c == LB_UTF8_COMPLETE)
        g_string_append_len (detok->out, (const char *) p + i, n);
      else if (c == LB_UTF8_INVALID || final)
        g_string_append (detok->out, REPLACEMENT_CHAR);
      else
        break;
      i += n;
    }
  g_string_erase (detok->pending, 0, i);
}

const char *
lb_detokenizer_push (LbDetokenizer *detok, gint32 id)
{
  g_return_val_if_fail (detok != NULL, NULL);

  g_string_truncate (detok->out, 0);
  lb_tokenizer_append_piece (detok->tokenizer, detok->prev, id, detok->pending);
  detok->prev = id;
  drain (detok, FALSE);
  return detok->out->str;
}

const char *
lb_detokenizer_flush (LbDetokenizer *detok)
{
  g_return_val_if_fail (detok != NULL, NULL);

  g_string_truncate (detok->out, 0);
  drain (detok, TRUE);
  return detok->out->str;
}
