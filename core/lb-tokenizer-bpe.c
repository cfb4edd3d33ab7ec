/* lb-tokenizer-bpe.c: byte-level BPE ("gpt2"), as GPT-2, Qwen2/3, Llama 3
 * and SmolLM ship it.
 *
 * Encoding: added tokens (CONTROL and USER_DEFINED) are cut out of the text
 * first, leftmost and longest; the rest is split by the pre-tokenizer named
 * in tokenizer.ggml.pre; each piece's bytes become the printable characters
 * of GPT-2's byte-to-unicode table, one symbol per byte, and the pair of
 * adjacent symbols with the lowest merge rank is merged until no pair has a
 * rank. Pairs are keyed by token ids in an open-addressing table and taken
 * from a binary heap, so a piece of n bytes costs O(n log n). A small cache
 * maps short pieces to their ids.
 *
 * Decoding maps each character of a token back to its byte. */
#include "lb-error.h"
#include "lb-pretokenizer.h"
#include "lb-tokenizer-private.h"

#include <string.h>

#define CACHE_MAX_KEY     64       /* pieces up to this many bytes are cached */
#define CACHE_MAX_ENTRIES 65536    /* then the cache starts over */
#define MERGE_EMPTY       G_MAXUINT64
#define MAX_MERGES        (1u << 26)   /* real tokenizers have under a million */

typedef struct {
  guint64 key;      /* left id << 32 | right id */
  gint32  rank;
  gint32  id;       /* the merged token */
} MergeSlot;

typedef struct {
  const LbPretokenizer *pre;
  gboolean   ignore_merges;

  gint32     byte_to_id[256];
  char       byte_char[256][3];    /* UTF-8 of the character standing for a byte */
  guint8     byte_char_len[256];
  guint16    cp_to_byte[512];      /* inverse; 0xffff where none */

  MergeSlot *merges;
  guint      merge_bits;

  /* added tokens by first byte, longest first */
  GArray    *special_by_byte[256];
  gboolean   has_special;

  GMutex      cache_lock;
  GHashTable *cache;   /* piece (NUL-terminated) -> gint32[] { n, ids... } */
} BpeState;

typedef struct {
  gint32 id;     /* -1 once merged into its left neighbour */
  gint32 prev, next;
} Sym;

typedef struct {
  gint32 rank, left, right;
  gint32 left_id, right_id, new_id;
} Cand;

typedef struct {
  BpeState      *st;
  const LbVocab *vocab;
  GArray        *ids;
  GArray        *syms;
  GArray        *heap;
  GString       *mapped;
} EncodeCtx;

/* ---- byte <-> unicode ------------------------------------------------- */

/* GPT-2's table: printable Latin-1 bytes stand for themselves, the other 68
 * (controls, space, DEL, NBSP, soft hyphen) for U+0100 onwards in order. */
static void
init_byte_map (BpeState *st)
{
  guint n = 0;

  memset (st->cp_to_byte, 0xff, sizeof st->cp_to_byte);
  for (guint b = 0; b < 256; b++)
    {
      gboolean printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
      gunichar cp = printable ? b : 256 + n++;

      st->byte_char_len[b] = (guint8) g_unichar_to_utf8 (cp, st->byte_char[b]);
      st->cp_to_byte[cp] = (guint16) b;
    }
}

/* ---- merge table ------------------------------------------------------ */

static inline guint
merge_hash (guint64 key, guint bits)
{
  return (guint) ((key * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15)) >> (64 - bits));
}

static inline const MergeSlot *
merge_find (const BpeState *st, gint32 a, gint32 b)
{
  guint64 key = ((guint64) (guint32) a << 32) | (guint32) b;
  guint mask = (1u << st->merge_bits) - 1;
  guint h = merge_hash (key, st->merge_bits);

  while (st->merges[h].key != MERGE_EMPTY)
    {
      if (st->merges[h].key == key)
        return &st->merges[h];
      h = (h + 1) & mask;
    }
  return NULL;
}

/* keeps the first (lowest) rank of a pair listed twice */
static void
merge_insert (BpeState *st, gint32 a, gint32 b, gint32 rank, gint32 id)
{
  guint64 key = ((guint64) (guint32) a << 32) | (guint32) b;
  guint mask = (1u << st->merge_bits) - 1;
  guint h = merge_hash (key, st->merge_bits);

  while (st->merges[h].key != MERGE_EMPTY)
    {
      if (st->merges[h].key == key)
        return;
      h = (h + 1) & mask;
    }
  st->merges[h].key = key;
  st->merges[h].rank = rank;
  st->merges[h].id = id;
}

static gint32
lookup_id (const LbVocab *vocab, const char *text)
{
  gpointer v = g_hash_table_lookup (vocab->text_to_id, text);

  return v ? GPOINTER_TO_INT (v) - 1 : -1;
}

static gboolean
load_merges (BpeState *st, const LbVocab *vocab, const LbMeta *meta, GError **error)
{
  const char *key = "tokenizer.ggml.merges";
  const LbValue *v = lb_meta_lookup (meta, key);
  GString *buf;
  gsize n, size = 2;

  if (v == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "metadata key %s is required by a byte-level BPE (\"gpt2\") tokenizer but missing",
                   key);
      return FALSE;
    }
  if (v->type != LB_VALUE_ARRAY || v->arr.elem_type != LB_VALUE_STRING)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "metadata key %s: expected an array of strings", key);
      return FALSE;
    }
  n = v->arr.n;
  if (n > MAX_MERGES)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "metadata key %s: %" G_GSIZE_FORMAT " merges is more than a tokenizer can have",
                   key, n);
      return FALSE;
    }
  st->merge_bits = 1;
  while (size < 2 * n + 2)
    size <<= 1, st->merge_bits++;
  st->merges = g_new (MergeSlot, size);
  memset (st->merges, 0xff, size * sizeof (MergeSlot));

  buf = g_string_new (NULL);
  for (gsize i = 0; i < n; i++)
    {
      const LbBytes *m = &v->arr.strings[i];
      const char *sp = m->len > 1 ? memchr (m->data + 1, ' ', m->len - 1) : NULL;
      gsize la, lb;
      gint32 a = -1, b = -1, ab = -1;
      const char *missing = NULL;

      if (sp == NULL || sp + 1 == m->data + m->len || memchr (m->data, '\0', m->len) != NULL)
        {
          char *shown = g_utf8_make_valid (m->data, MIN (m->len, 200));

          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "metadata key %s: entry %" G_GSIZE_FORMAT " (\"%s\") is not two tokens "
                       "separated by a space", key, i, shown);
          g_free (shown);
          g_string_free (buf, TRUE);
          return FALSE;
        }
      la = sp - m->data;
      lb = m->len - la - 1;
      g_string_truncate (buf, 0);
      g_string_append_len (buf, m->data, la);
      if ((a = lookup_id (vocab, buf->str)) < 0)
        missing = "left";
      g_string_truncate (buf, 0);
      g_string_append_len (buf, sp + 1, lb);
      if (missing == NULL && (b = lookup_id (vocab, buf->str)) < 0)
        missing = "right";
      g_string_prepend_len (buf, m->data, la);
      if (missing == NULL && (ab = lookup_id (vocab, buf->str)) < 0)
        missing = "merged";
      if (missing != NULL)
        {
          char *shown = g_utf8_make_valid (m->data, MIN (m->len, 200));

          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "metadata key %s: entry %" G_GSIZE_FORMAT " (\"%s\"): its %s token is not "
                       "in tokenizer.ggml.tokens", key, i, shown, missing);
          g_free (shown);
          g_string_free (buf, TRUE);
          return FALSE;
        }
      merge_insert (st, a, b, (gint32) i, ab);
    }
  g_string_free (buf, TRUE);
  return TRUE;
}

/* ---- added tokens ----------------------------------------------------- */

static gint
cmp_longer_first (gconstpointer pa, gconstpointer pb, gpointer user_data)
{
  const LbVocab *vocab = user_data;
  gint32 a = *(const gint32 *) pa, b = *(const gint32 *) pb;
  gsize la = vocab->entries[a].len, lb = vocab->entries[b].len;

  if (la != lb)
    return la > lb ? -1 : 1;
  return a < b ? -1 : (a > b);
}

static void
index_special (BpeState *st, const LbVocab *vocab)
{
  for (guint i = 0; i < vocab->n_vocab; i++)
    {
      const LbVocabEntry *e = &vocab->entries[i];
      guchar first;
      gint32 id = (gint32) i;

      if ((e->type != LB_TOKEN_TYPE_CONTROL && e->type != LB_TOKEN_TYPE_USER_DEFINED)
          || e->len == 0 || e->text == NULL)
        continue;
      first = (guchar) e->text[0];
      if (st->special_by_byte[first] == NULL)
        st->special_by_byte[first] = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_array_append_val (st->special_by_byte[first], id);
      st->has_special = TRUE;
    }
  for (guint b = 0; b < 256; b++)
    if (st->special_by_byte[b] != NULL)
      g_array_sort_with_data (st->special_by_byte[b], cmp_longer_first, (gpointer) vocab);
}

/* the leftmost, then longest, added token in text[from..len) */
static gboolean
find_special (const BpeState *st, const LbVocab *vocab, const char *text, gsize from, gsize len,
              gsize *at, gint32 *id)
{
  if (!st->has_special)
    return FALSE;
  for (gsize i = from; i < len; i++)
    {
      GArray *cands = st->special_by_byte[(guchar) text[i]];

      if (cands == NULL)
        continue;
      for (guint k = 0; k < cands->len; k++)
        {
          gint32 cid = g_array_index (cands, gint32, k);
          const LbVocabEntry *e = &vocab->entries[cid];

          if (e->len <= len - i && memcmp (text + i, e->text, e->len) == 0)
            {
              *at = i;
              *id = cid;
              return TRUE;
            }
        }
    }
  return FALSE;
}

/* ---- the merge loop --------------------------------------------------- */

static inline gboolean
cand_before (const Cand *a, const Cand *b)
{
  return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

static void
heap_push (GArray *heap, const Cand *c)
{
  Cand *h;
  guint i;

  g_array_append_val (heap, *c);
  h = (Cand *) heap->data;
  i = heap->len - 1;
  while (i > 0)
    {
      guint parent = (i - 1) / 2;
      Cand tmp;

      if (!cand_before (&h[i], &h[parent]))
        break;
      tmp = h[i], h[i] = h[parent], h[parent] = tmp;
      i = parent;
    }
}

static Cand
heap_pop (GArray *heap)
{
  Cand *h = (Cand *) heap->data;
  Cand top = h[0];
  guint n = heap->len - 1, i = 0;

  h[0] = h[n];
  g_array_set_size (heap, n);
  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, best = i;
      Cand tmp;

      if (l < n && cand_before (&h[l], &h[best]))
        best = l;
      if (r < n && cand_before (&h[r], &h[best]))
        best = r;
      if (best == i)
        break;
      tmp = h[i], h[i] = h[best], h[best] = tmp;
      i = best;
    }
  return top;
}

static void
push_pair (EncodeCtx *ctx, gint32 left, gint32 right)
{
  const Sym *syms = (const Sym *) ctx->syms->data;
  const MergeSlot *m = merge_find (ctx->st, syms[left].id, syms[right].id);
  Cand c;

  if (m == NULL)
    return;
  c.rank = m->rank;
  c.left = left;
  c.right = right;
  c.left_id = syms[left].id;
  c.right_id = syms[right].id;
  c.new_id = m->id;
  heap_push (ctx->heap, &c);
}

static void
merge_symbols (EncodeCtx *ctx)
{
  Sym *syms = (Sym *) ctx->syms->data;

  g_array_set_size (ctx->heap, 0);
  for (guint i = 0; i + 1 < ctx->syms->len; i++)
    push_pair (ctx, (gint32) i, (gint32) i + 1);
  while (ctx->heap->len > 0)
    {
      Cand c = heap_pop (ctx->heap);
      Sym *l = &syms[c.left], *r = &syms[c.right];

      /* stale: one side already merged into something else */
      if (l->id != c.left_id || r->id != c.right_id || l->next != c.right)
        continue;
      l->id = c.new_id;
      r->id = -1;
      l->next = r->next;
      if (r->next >= 0)
        syms[r->next].prev = c.left;
      if (l->prev >= 0)
        push_pair (ctx, l->prev, c.left);
      if (l->next >= 0)
        push_pair (ctx, c.left, l->next);
    }
}

static void
bpe_piece_uncached (EncodeCtx *ctx, const char *piece, gsize n)
{
  const BpeState *st = ctx->st;
  Sym *syms;

  if (st->ignore_merges)
    {
      gint32 whole;

      g_string_truncate (ctx->mapped, 0);
      for (gsize i = 0; i < n; i++)
        {
          guchar b = (guchar) piece[i];

          g_string_append_len (ctx->mapped, st->byte_char[b], st->byte_char_len[b]);
        }
      whole = lookup_id (ctx->vocab, ctx->mapped->str);
      if (whole >= 0)
        {
          g_array_append_val (ctx->ids, whole);
          return;
        }
    }

  g_array_set_size (ctx->syms, 0);
  for (gsize i = 0; i < n; i++)
    {
      Sym s = { st->byte_to_id[(guchar) piece[i]], -1, -1 };

      /* a byte whose character is not in the vocabulary: unknown, or dropped
       * when there is no unknown token (as the tokenizers library does) */
      if (s.id < 0)
        s.id = ctx->vocab->unk;
      if (s.id < 0)
        continue;
      g_array_append_val (ctx->syms, s);
    }
  syms = (Sym *) ctx->syms->data;
  for (guint i = 0; i < ctx->syms->len; i++)
    {
      syms[i].prev = (gint32) i - 1;
      syms[i].next = i + 1 < ctx->syms->len ? (gint32) i + 1 : -1;
    }
  merge_symbols (ctx);
  if (ctx->syms->len > 0)
    for (gint32 i = 0; i >= 0; i = syms[i].next)
      g_array_append_val (ctx->ids, syms[i].id);
}

static void
bpe_piece (const char *piece, gsize n, gpointer user_data)
{
  EncodeCtx *ctx = user_data;
  BpeState *st = ctx->st;
  char key[CACHE_MAX_KEY + 1];
  gboolean cacheable = n <= CACHE_MAX_KEY && memchr (piece, '\0', n) == NULL;
  guint start = ctx->ids->len;

  if (cacheable)
    {
      const gint32 *hit;

      memcpy (key, piece, n);
      key[n] = '\0';
      g_mutex_lock (&st->cache_lock);
      hit = g_hash_table_lookup (st->cache, key);
      if (hit != NULL)
        g_array_append_vals (ctx->ids, hit + 1, (guint) hit[0]);
      g_mutex_unlock (&st->cache_lock);
      if (hit != NULL)
        return;
    }
  bpe_piece_uncached (ctx, piece, n);
  if (cacheable)
    {
      guint count = ctx->ids->len - start;
      gint32 *val = g_new (gint32, count + 1);

      val[0] = (gint32) count;
      memcpy (val + 1, &g_array_index (ctx->ids, gint32, start), count * sizeof (gint32));
      g_mutex_lock (&st->cache_lock);
      if (g_hash_table_size (st->cache) >= CACHE_MAX_ENTRIES)
        g_hash_table_remove_all (st->cache);
      g_hash_table_replace (st->cache, g_strdup (key), val);
      g_mutex_unlock (&st->cache_lock);
    }
}

/* ---- backend ---------------------------------------------------------- */

static void
bpe_destroy (gpointer state)
{
  BpeState *st = state;

  if (st == NULL)
    return;
  g_free (st->merges);
  for (guint b = 0; b < 256; b++)
    if (st->special_by_byte[b] != NULL)
      g_array_unref (st->special_by_byte[b]);
  if (st->cache != NULL)
    g_hash_table_unref (st->cache);
  g_mutex_clear (&st->cache_lock);
  g_free (st);
}

static gpointer
bpe_create (const LbVocab *vocab, const LbMeta *meta, GError **error)
{
  const LbValue *pre_value = lb_meta_lookup (meta, "tokenizer.ggml.pre");
  const char *pre_name = "gpt-2";
  const LbPretokenizer *pre;
  BpeState *st;

  /* a GGUF made before llama.cpp recorded pre-tokenizers has no key */
  if (pre_value != NULL)
    {
      if (pre_value->type != LB_VALUE_STRING)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "metadata key tokenizer.ggml.pre: expected a string but found a value of type %s",
                       lb_value_type_name (pre_value->type));
          return NULL;
        }
      pre_name = pre_value->s.data;
    }
  pre = lb_pretokenizer_find (pre_name);
  if (pre == NULL)
    {
      char *shown = g_utf8_make_valid (pre_name, MIN (strlen (pre_name), 100));

      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "tokenizer.ggml.pre \"%s\": unknown byte-level BPE pre-tokenizer "
                   "(Lowbit knows %s)", shown, lb_pretokenizer_list_names ());
      g_free (shown);
      return NULL;
    }

  st = g_new0 (BpeState, 1);
  g_mutex_init (&st->cache_lock);
  st->pre = pre;
  st->ignore_merges = lb_pretokenizer_get_ignore_merges (pre);
  init_byte_map (st);
  for (guint b = 0; b < 256; b++)
    {
      char s[4];

      memcpy (s, st->byte_char[b], st->byte_char_len[b]);
      s[st->byte_char_len[b]] = '\0';
      st->byte_to_id[b] = lookup_id (vocab, s);
    }
  if (!load_merges (st, vocab, meta, error))
    {
      bpe_destroy (st);
      return NULL;
    }
  index_special (st, vocab);
  st->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return st;
}

static gboolean
bpe_encode (gpointer state, const LbVocab *vocab, const char *text, gsize len,
            GArray *ids, GError **error)
{
  EncodeCtx ctx = { state, vocab, ids };
  gsize pos = 0;

  g_return_val_if_fail (text != NULL || len == 0, FALSE);

  ctx.syms = g_array_new (FALSE, FALSE, sizeof (Sym));
  ctx.heap = g_array_new (FALSE, FALSE, sizeof (Cand));
  ctx.mapped = g_string_new (NULL);
  while (pos < len)
    {
      gsize at = len;
      gint32 sid = -1;
      gboolean found = find_special (ctx.st, vocab, text, pos, len, &at, &sid);

      lb_pretokenizer_split (ctx.st->pre, text + pos, at - pos, bpe_piece, &ctx);
      if (!found)
        break;
      g_array_append_val (ids, sid);
      pos = at + vocab->entries[sid].len;
    }
  g_array_unref (ctx.syms);
  g_array_unref (ctx.heap);
  g_string_free (ctx.mapped, TRUE);
  return TRUE;
}

static void
bpe_append_piece (gpointer state, const LbVocab *vocab, gint32 prev, gint32 id, GString *out)
{
  const BpeState *st = state;
  const LbVocabEntry *e;
  const char *p, *end;

  if (id < 0 || (guint) id >= vocab->n_vocab)
    return;
  e = &vocab->entries[id];
  if (e->text == NULL)
    return;
  if (e->type == LB_TOKEN_TYPE_USER_DEFINED)
    {
      g_string_append_len (out, e->text, e->len);
      return;
    }
  if (e->type != LB_TOKEN_TYPE_NORMAL && e->type != LB_TOKEN_TYPE_UNDEFINED)
    return;
  p = e->text;
  end = e->text + e->len;
  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);
      const char *next;

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          /* not UTF-8: not a byte-level piece; pass the byte through */
          g_string_append_c (out, *p);
          p++;
          continue;
        }
      next = g_utf8_next_char (p);
      if (c < G_N_ELEMENTS (st->cp_to_byte) && st->cp_to_byte[c] != 0xffff)
        g_string_append_c (out, (char) st->cp_to_byte[c]);
      else
        g_string_append_len (out, p, next - p);
      p = next;
    }
}

const LbTokenizerBackend lb_tokenizer_backend_bpe = {
  .model_name = "gpt2",
  .create = bpe_create,
  .destroy = bpe_destroy,
  .encode = bpe_encode,
  .append_piece = bpe_append_piece,
};
