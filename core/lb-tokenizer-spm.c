/* lb-tokenizer-spm.c: the "llama" tokenizer, SentencePiece BPE as llama.cpp
 * and llama2.c run it: a dummy-prefix space, spaces escaped as U+2581, the
 * text split into characters, then the adjacent pair whose concatenation is
 * the best-scoring vocabulary piece merged first (ties: leftmost), and what
 * is left outside the vocabulary spelled with <0xXX> byte tokens.
 *
 * Merge candidates sit in a binary heap, so a text of n characters costs
 * O(n log n); stale candidates are skipped when popped.
 *
 * USER_DEFINED pieces are matched whole (longest first) before merging, as
 * SentencePiece does; the dummy prefix is added once, at the very start.
 *
 * Speed: one heap over a whole 1 MB text thrashes the cache, so the text is
 * also cut before each U+2581 that no merge can ever reach across: when no
 * mergeable piece contains the bytes of the preceding character followed by
 * U+2581, no symbol can span that boundary, and merging the two sides apart
 * gives the same result (the order of merges within each side is the same). */
#include <string.h>

#include "lb-error.h"
#include "lb-tokenizer-private.h"

#define SPACE_ESCAPE     "\xE2\x96\x81"   /* U+2581 LOWER ONE EIGHTH BLOCK */
#define SPACE_ESCAPE_LEN 3

typedef struct {
  const char *p;
  gsize       n;
} Span;

/* open addressing: the hot path does millions of lookups per megabyte */
typedef struct {
  guint32 hash;
  gint32  id;       /* -1: empty */
} Slot;

typedef struct {
  const LbVocabEntry *entries;
  Slot       *slots;         /* pieces text may merge into */
  guint32     mask;          /* n_slots - 1 */
  gsize       max_piece_len;
  gint32      byte_ids[256]; /* <0xXX> tokens, -1 when absent */
  gboolean    add_space_prefix;
  GArray     *user_ids;      /* USER_DEFINED ids by first byte, then longest first */
  guint       user_first[257]; /* user_ids[user_first[b] .. user_first[b + 1]] start with b */
  GHashTable *space_joins;   /* Span*: a character + U+2581 found inside a piece */
} SpmState;

static inline guint32
bytes_hash (const char *p, gsize n)
{
  guint32 h = 2166136261u;   /* FNV-1a */

  for (gsize i = 0; i < n; i++)
    h = (h ^ (guint8) p[i]) * 16777619u;
  return h;
}

static guint
span_hash (gconstpointer key)
{
  const Span *s = key;
  return bytes_hash (s->p, s->n);
}

static gboolean
span_equal (gconstpointer a, gconstpointer b)
{
  const Span *x = a, *y = b;
  return x->n == y->n && memcmp (x->p, y->p, x->n) == 0;
}

static gint32
lookup_piece (const SpmState *st, const char *p, gsize n)
{
  guint32 h, i;

  if (n > st->max_piece_len || n == 0)
    return -1;
  h = bytes_hash (p, n);
  for (i = h & st->mask; st->slots[i].id >= 0; i = (i + 1) & st->mask)
    {
      const LbVocabEntry *e = &st->entries[st->slots[i].id];
      if (st->slots[i].hash == h && e->len == n && memcmp (e->text, p, n) == 0)
        return st->slots[i].id;
    }
  return -1;
}

/* first occurrence wins, as in the shared text_to_id map */
static void
insert_piece (SpmState *st, gint32 id)
{
  const LbVocabEntry *e = &st->entries[id];
  guint32 h, i;

  st->max_piece_len = MAX (st->max_piece_len, e->len);
  if (lookup_piece (st, e->text, e->len) >= 0)
    return;
  h = bytes_hash (e->text, e->len);
  for (i = h & st->mask; st->slots[i].id >= 0; i = (i + 1) & st->mask)
    ;
  st->slots[i].hash = h;
  st->slots[i].id = id;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  return g_ascii_tolower (c) - 'a' + 10;
}

/* the byte a <0xXX> piece stands for, or -1 */
static int
byte_of_piece (const LbVocabEntry *e)
{
  if (e->len != 6 || memcmp (e->text, "<0x", 3) != 0 || e->text[5] != '>' ||
      !g_ascii_isxdigit (e->text[3]) || !g_ascii_isxdigit (e->text[4]))
    return -1;
  return hex_value (e->text[3]) * 16 + hex_value (e->text[4]);
}

static gint
cmp_user (gconstpointer a, gconstpointer b, gpointer data)
{
  const LbVocab *vocab = data;
  const LbVocabEntry *x = &vocab->entries[*(const gint32 *) a];
  const LbVocabEntry *y = &vocab->entries[*(const gint32 *) b];
  guint8 fx = (guint8) x->text[0], fy = (guint8) y->text[0];

  if (fx != fy)
    return fx < fy ? -1 : 1;
  return x->len < y->len ? 1 : x->len > y->len ? -1 : 0;
}

/* Every byte string "X" + U+2581 (X of 1 to 4 bytes) inside a mergeable
 * piece at an offset > 0: a superset of the character pairs a merge could
 * join across a space. */
static GHashTable *
collect_space_joins (const SpmState *st, const LbVocab *vocab)
{
  GHashTable *set = g_hash_table_new_full (span_hash, span_equal, g_free, NULL);

  for (guint i = 0; i < vocab->n_vocab; i++)
    {
      const LbVocabEntry *e = &vocab->entries[i];
      gint32 id;

      if (e->len <= SPACE_ESCAPE_LEN)
        continue;
      id = lookup_piece (st, e->text, e->len);
      if (id != (gint32) i)
        continue;   /* not mergeable */
      for (gsize k = 1; k + SPACE_ESCAPE_LEN <= e->len; k++)
        {
          if (memcmp (e->text + k, SPACE_ESCAPE, SPACE_ESCAPE_LEN) != 0)
            continue;
          for (gsize x = 1; x <= 4 && x <= k; x++)
            {
              Span *sp = g_new (Span, 1);
              sp->p = e->text + k - x;
              sp->n = x + SPACE_ESCAPE_LEN;
              g_hash_table_add (set, sp);   /* a duplicate key is freed by the set */
            }
        }
    }
  return set;
}

static void
spm_destroy (gpointer state)
{
  SpmState *st = state;

  if (st == NULL)
    return;
  g_free (st->slots);
  g_clear_pointer (&st->user_ids, g_array_unref);
  g_clear_pointer (&st->space_joins, g_hash_table_unref);
  g_free (st);
}

static gpointer
spm_create (const LbVocab *vocab, const LbMeta *meta, GError **error)
{
  SpmState *st = g_new0 (SpmState, 1);
  GError *local = NULL;

  st->add_space_prefix = TRUE;
  if (!lb_meta_get_bool (meta, "tokenizer.ggml.add_space_prefix", &st->add_space_prefix, &local) &&
      local != NULL)
    {
      g_propagate_error (error, local);
      spm_destroy (st);
      return NULL;
    }

  /* at most half full; n_vocab <= G_MAXINT32 keeps this within 2^32 slots */
  st->entries = vocab->entries;
  st->mask = 1023;
  while (st->mask < 2 * (guint64) vocab->n_vocab)
    st->mask = st->mask * 2 + 1;
  st->slots = g_new (Slot, (gsize) st->mask + 1);
  for (guint32 i = 0; i <= st->mask; i++)
    st->slots[i].id = -1;
  st->user_ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  for (int b = 0; b < 256; b++)
    st->byte_ids[b] = -1;

  for (guint i = 0; i < vocab->n_vocab; i++)
    {
      const LbVocabEntry *e = &vocab->entries[i];
      gint32 id = (gint32) i;

      switch (e->type)
        {
        case LB_TOKEN_TYPE_BYTE:
          {
            int b = byte_of_piece (e);
            if (b >= 0 && st->byte_ids[b] < 0)
              st->byte_ids[b] = id;
          }
          break;
        case LB_TOKEN_TYPE_USER_DEFINED:
          if (e->len > 0)
            g_array_append_val (st->user_ids, id);
          G_GNUC_FALLTHROUGH;
        case LB_TOKEN_TYPE_UNDEFINED:
        case LB_TOKEN_TYPE_NORMAL:
          /* control, unknown, unused and byte pieces are never merged into,
           * as in SentencePiece */
          if (e->len > 0)
            insert_piece (st, id);
          break;
        default:
          break;
        }
    }
  g_array_sort_with_data (st->user_ids, cmp_user, (gpointer) vocab);
  st->space_joins = collect_space_joins (st, vocab);
  for (guint b = 0, k = 0; b <= 256; b++)
    {
      while (k < st->user_ids->len &&
             (guint8) vocab->entries[g_array_index (st->user_ids, gint32, k)].text[0] < b)
        k++;
      st->user_first[b] = b == 256 ? st->user_ids->len : k;
    }
  return st;
}

/* ---- the merge loop ------------------------------------------------------ */

typedef struct {
  gsize  start;   /* offset in the escaped text */
  gsize  n;       /* bytes; 0 once merged into its left neighbour */
  gint   prev, next;
  gint32 id;      /* vocabulary id of the whole symbol, or -1 */
} Symbol;

typedef struct {
  float  score;
  gint   left, right;
  gsize  size;    /* bytes of the merged text, to spot stale entries */
  gint32 id;
} Bigram;

typedef struct {
  Bigram *items;
  gsize   len, cap;
} Heap;

/* TRUE when a should be merged before b */
static inline gboolean
bigram_before (const Bigram *a, const Bigram *b)
{
  return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static void
heap_push (Heap *h, const Bigram *b)
{
  gsize i;

  if (h->len == h->cap)
    {
      h->cap = MAX (64, h->cap * 2);
      h->items = g_renew (Bigram, h->items, h->cap);
    }
  i = h->len++;
  while (i > 0)
    {
      gsize parent = (i - 1) / 2;
      if (!bigram_before (b, &h->items[parent]))
        break;
      h->items[i] = h->items[parent];
      i = parent;
    }
  h->items[i] = *b;
}

static Bigram
heap_pop (Heap *h)
{
  Bigram top = h->items[0];
  Bigram last = h->items[--h->len];
  gsize i = 0;

  for (;;)
    {
      gsize c = 2 * i + 1;
      if (c >= h->len)
        break;
      if (c + 1 < h->len && bigram_before (&h->items[c + 1], &h->items[c]))
        c++;
      if (!bigram_before (&h->items[c], &last))
        break;
      h->items[i] = h->items[c];
      i = c;
    }
  if (h->len > 0)
    h->items[i] = last;
  return top;
}

static void
try_bigram (const SpmState *st, const LbVocab *vocab, const char *text, GArray *symbols,
            Heap *heap, gint left, gint right)
{
  const Symbol *l, *r;
  Bigram b;

  if (left < 0 || right < 0)
    return;
  l = &g_array_index (symbols, Symbol, left);
  r = &g_array_index (symbols, Symbol, right);
  b.id = lookup_piece (st, text + l->start, l->n + r->n);
  if (b.id < 0)
    return;
  b.score = vocab->entries[b.id].score;
  b.left = left;
  b.right = right;
  b.size = l->n + r->n;
  heap_push (heap, &b);
}

static gboolean
emit_bytes (const SpmState *st, const LbVocab *vocab, const guint8 *p, gsize n, GArray *ids,
            GError **error)
{
  for (gsize i = 0; i < n; i++)
    {
      gint32 id = st->byte_ids[p[i]];
      if (id < 0)
        id = vocab->unk;
      if (id < 0)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                       "the text has a character the vocabulary cannot spell (byte 0x%02X) "
                       "and the vocabulary has neither byte tokens nor an unknown token",
                       p[i]);
          return FALSE;
        }
      g_array_append_val (ids, id);
    }
  return TRUE;
}

/* Merges one stretch of escaped text (no user-defined pieces inside). */
static gboolean
encode_segment (const SpmState *st, const LbVocab *vocab, const char *text, gsize start,
                gsize end, GArray *symbols, Heap *heap, GArray *ids, GError **error)
{
  const guint8 *u = (const guint8 *) text;
  gint n_sym;

  g_array_set_size (symbols, 0);
  heap->len = 0;

  /* characters; an ill-formed byte is a symbol of its own */
  for (gsize pos = start; pos < end;)
    {
      Symbol s;
      gsize n;

      if (lb_utf8_check (u + pos, end - pos, &n) != LB_UTF8_COMPLETE)
        n = 1;
      s.start = pos;
      s.n = n;
      s.prev = (gint) symbols->len - 1;
      s.next = pos + n < end ? (gint) symbols->len + 1 : -1;
      s.id = lookup_piece (st, text + pos, n);
      g_array_append_val (symbols, s);
      pos += n;
    }
  n_sym = (gint) symbols->len;

  for (gint i = 1; i < n_sym; i++)
    try_bigram (st, vocab, text, symbols, heap, i - 1, i);

  while (heap->len > 0)
    {
      Bigram b = heap_pop (heap);
      Symbol *l = &g_array_index (symbols, Symbol, b.left);
      Symbol *r = &g_array_index (symbols, Symbol, b.right);

      if (l->n == 0 || r->n == 0 || l->next != b.right || l->n + r->n != b.size)
        continue;   /* one side changed since this candidate was queued */

      l->n += r->n;
      l->id = b.id;
      r->n = 0;
      l->next = r->next;
      if (r->next >= 0)
        g_array_index (symbols, Symbol, r->next).prev = b.left;

      try_bigram (st, vocab, text, symbols, heap, l->prev, b.left);
      try_bigram (st, vocab, text, symbols, heap, b.left, l->next);
    }

  for (gint i = n_sym > 0 ? 0 : -1; i >= 0; i = g_array_index (symbols, Symbol, i).next)
    {
      const Symbol *s = &g_array_index (symbols, Symbol, i);
      if (s->id >= 0)
        g_array_append_val (ids, s->id);
      else if (!emit_bytes (st, vocab, u + s->start, s->n, ids, error))
        return FALSE;
    }
  return TRUE;
}

/* Cuts [start, end) before each U+2581 no merge can reach across and merges
 * the pieces separately. */
static gboolean
encode_words (const SpmState *st, const LbVocab *vocab, const char *text, gsize start,
              gsize end, GArray *symbols, Heap *heap, GArray *ids, GError **error)
{
  const guint8 *u = (const guint8 *) text;
  gsize word = start, prev_char = start, pos = start;
  gboolean check = g_hash_table_size (st->space_joins) > 0;

  while (pos < end)
    {
      gsize n;

      if (lb_utf8_check (u + pos, end - pos, &n) != LB_UTF8_COMPLETE)
        n = 1;
      if (pos > word && n == SPACE_ESCAPE_LEN &&
          memcmp (text + pos, SPACE_ESCAPE, SPACE_ESCAPE_LEN) == 0)
        {
          Span join = { text + prev_char, pos - prev_char + SPACE_ESCAPE_LEN };
          if (!check || !g_hash_table_contains (st->space_joins, &join))
            {
              if (!encode_segment (st, vocab, text, word, pos, symbols, heap, ids, error))
                return FALSE;
              word = pos;
            }
        }
      prev_char = pos;
      pos += n;
    }
  return word >= end ||
         encode_segment (st, vocab, text, word, end, symbols, heap, ids, error);
}

static gboolean
spm_encode (gpointer state, const LbVocab *vocab, const char *text, gsize len, GArray *ids,
            GError **error)
{
  const SpmState *st = state;
  GString *esc;
  GArray *symbols;
  Heap heap = { 0 };
  gsize seg_start = 0, pos = 0;
  gboolean ok = TRUE;

  if (len == 0)
    return TRUE;
  if (len > (G_MAXINT - SPACE_ESCAPE_LEN) / SPACE_ESCAPE_LEN)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "the text is too long to tokenize at once (%" G_GSIZE_FORMAT " bytes)", len);
      return FALSE;
    }

  esc = g_string_sized_new (len + len / 4 + SPACE_ESCAPE_LEN);
  if (st->add_space_prefix)
    g_string_append_len (esc, SPACE_ESCAPE, SPACE_ESCAPE_LEN);
  for (gsize i = 0; i < len; i++)
    {
      if (text[i] == ' ')
        g_string_append_len (esc, SPACE_ESCAPE, SPACE_ESCAPE_LEN);
      else
        g_string_append_c (esc, text[i]);
    }

  symbols = g_array_new (FALSE, FALSE, sizeof (Symbol));

  /* user-defined pieces split the text; the stretches between them merge */
  while (ok && pos < esc->len)
    {
      gint32 match = -1;
      guint8 first = (guint8) esc->str[pos];

      for (guint k = st->user_first[first]; k < st->user_first[first + 1]; k++)
        {
          gint32 id = g_array_index (st->user_ids, gint32, k);
          const LbVocabEntry *e = &vocab->entries[id];
          if (e->len <= esc->len - pos && memcmp (esc->str + pos, e->text, e->len) == 0)
            {
              match = id;
              break;
            }
        }
      if (match < 0)
        {
          pos++;
          continue;
        }
      if (pos > seg_start)
        ok = encode_words (st, vocab, esc->str, seg_start, pos, symbols, &heap, ids, error);
      if (ok)
        g_array_append_val (ids, match);
      pos += vocab->entries[match].len;
      seg_start = pos;
    }
  if (ok && seg_start < esc->len)
    ok = encode_words (st, vocab, esc->str, seg_start, esc->len, symbols, &heap, ids, error);

  g_free (heap.items);
  g_array_unref (symbols);
  g_string_free (esc, TRUE);
  return ok;
}

/* ---- decoding ------------------------------------------------------------ */

static void
spm_append_piece (gpointer state, const LbVocab *vocab, gint32 prev, gint32 id, GString *out)
{
  const SpmState *st = state;
  const LbVocabEntry *e = &vocab->entries[id];
  const char *p = e->text, *end = e->text + e->len;

  switch (e->type)
    {
    case LB_TOKEN_TYPE_CONTROL:
    case LB_TOKEN_TYPE_UNKNOWN:
    case LB_TOKEN_TYPE_UNUSED:
      return;
    case LB_TOKEN_TYPE_BYTE:
      {
        int b = byte_of_piece (e);
        if (b >= 0)
          {
            g_string_append_c (out, (char) b);
            return;
          }
      }
      break;
    default:
      break;
    }

  /* SentencePiece drops the dummy-prefix space of the first piece of a text */
  if (st->add_space_prefix && (prev < 0 || prev == vocab->bos) &&
      e->len >= SPACE_ESCAPE_LEN && memcmp (p, SPACE_ESCAPE, SPACE_ESCAPE_LEN) == 0)
    p += SPACE_ESCAPE_LEN;

  while (p < end)
    {
      const char *hit = memchr (p, SPACE_ESCAPE[0], end - p);
      if (hit == NULL)
        {
          g_string_append_len (out, p, end - p);
          break;
        }
      g_string_append_len (out, p, hit - p);
      if ((gsize) (end - hit) >= SPACE_ESCAPE_LEN && memcmp (hit, SPACE_ESCAPE, SPACE_ESCAPE_LEN) == 0)
        {
          g_string_append_c (out, ' ');
          p = hit + SPACE_ESCAPE_LEN;
        }
      else
        {
          g_string_append_c (out, *hit);
          p = hit + 1;
        }
    }
}

const LbTokenizerBackend lb_tokenizer_backend_spm = {
  .model_name = "llama",
  .create = spm_create,
  .destroy = spm_destroy,
  .encode = spm_encode,
  .append_piece = spm_append_piece,
};
