/* lb-tokenizer-private.h: the backend interface behind LbTokenizer */
#pragma once

#include "lb-tokenizer.h"

G_BEGIN_DECLS

typedef struct {
  char        *text;
  gsize        len;
  float        score;
  LbTokenType  type;
} LbVocabEntry;

/* The vocabulary every backend shares, owned by LbTokenizer. */
typedef struct {
  LbVocabEntry *entries;
  guint        n_vocab;
  GHashTable  *text_to_id;  /* char* (NUL-terminated piece) -> GINT_TO_POINTER(id + 1) */
  gint32       bos, eos, unk, pad;
  gboolean     add_bos, add_eos;
} LbVocab;

typedef struct _LbTokenizerBackend LbTokenizerBackend;
struct _LbTokenizerBackend {
  const char *model_name;
  /* create backend state from metadata; vocab is already filled */
  gpointer  (*create) (const LbVocab *vocab, const LbMeta *meta, GError **error);
  void      (*destroy) (gpointer state);
  /* encode text without BOS/EOS */
  gboolean  (*encode) (gpointer state, const LbVocab *vocab, const char *text, gsize len,
                       GArray *ids, GError **error);
  void      (*append_piece) (gpointer state, const LbVocab *vocab, gint32 prev, gint32 id,
                             GString *out);
};

/* UTF-8 helper shared by the backends and LbDetokenizer (lb-tokenizer.c).
 * Looks at the bytes at p (avail >= 1): returns LB_UTF8_COMPLETE with *n the
 * length (1-4) of the well-formed sequence there, LB_UTF8_INCOMPLETE when all
 * avail bytes are a valid start of a longer one (*n = avail), or
 * LB_UTF8_INVALID with *n >= 1 the length of the ill-formed part (its maximal
 * valid prefix, as Unicode recommends replacing with one U+FFFD). */
typedef enum {
  LB_UTF8_COMPLETE,
  LB_UTF8_INCOMPLETE,
  LB_UTF8_INVALID,
} LbUtf8Check;
LbUtf8Check lb_utf8_check (const guint8 *p, gsize avail, gsize *n);

extern const LbTokenizerBackend lb_tokenizer_backend_spm;   /* lb-tokenizer-spm.c: "llama" */
extern const LbTokenizerBackend lb_tokenizer_backend_bpe;   /* lb-tokenizer-bpe.c: "gpt2" */

G_END_DECLS
