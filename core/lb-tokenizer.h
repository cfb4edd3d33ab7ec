/* lb-tokenizer.h: text <-> token ids, built from GGUF-shaped metadata
 * (tokenizer.ggml.*). Backends: "llama" (SentencePiece-style scored merges
 * with byte fallback) and, later, "gpt2" (byte-level BPE). */
#pragma once

#include <glib-object.h>

#include "lb-meta.h"

G_BEGIN_DECLS

/* GGUF token types (same numbering as SentencePiece piece types) */
typedef enum {
  LB_TOKEN_TYPE_UNDEFINED = 0,
  LB_TOKEN_TYPE_NORMAL = 1,
  LB_TOKEN_TYPE_UNKNOWN = 2,
  LB_TOKEN_TYPE_CONTROL = 3,
  LB_TOKEN_TYPE_USER_DEFINED = 4,
  LB_TOKEN_TYPE_UNUSED = 5,
  LB_TOKEN_TYPE_BYTE = 6,
} LbTokenType;

#define LB_TYPE_TOKENIZER (lb_tokenizer_get_type ())
G_DECLARE_FINAL_TYPE (LbTokenizer, lb_tokenizer, LB, TOKENIZER, GObject)

/* Reads tokenizer.ggml.model, .tokens, .scores, .token_type, .merges,
 * .bos_token_id, .eos_token_id, .unknown_token_id, .add_bos_token,
 * .add_eos_token, .pre. An unknown model or pre-tokenizer is refused with
 * an error naming it. */
LbTokenizer *lb_tokenizer_new_from_meta  (const LbMeta *meta, GError **error);

const char  *lb_tokenizer_get_model_name (LbTokenizer *self);  /* "llama", "gpt2" */
guint        lb_tokenizer_get_n_vocab    (LbTokenizer *self);
gint32       lb_tokenizer_get_bos        (LbTokenizer *self);  /* -1 when none */
gint32       lb_tokenizer_get_eos        (LbTokenizer *self);  /* -1 when none */
gboolean     lb_tokenizer_get_add_bos    (LbTokenizer *self);
gboolean     lb_tokenizer_get_add_eos    (LbTokenizer *self);
/* the piece as stored in the vocabulary (e.g. "▁the", "<0x0A>") */
const char  *lb_tokenizer_get_token_text (LbTokenizer *self, gint32 id);
LbTokenType  lb_tokenizer_get_token_type (LbTokenizer *self, gint32 id);
float        lb_tokenizer_get_token_score (LbTokenizer *self, gint32 id);

/* Appends the ids of text (len bytes, or -1 for NUL-terminated) to ids
 * (a GArray of gint32). With add_special, BOS/EOS are added as the
 * tokenizer's settings say. Invalid UTF-8 never crashes or loops; it is
 * encoded through byte fallback where the vocabulary has byte tokens. */
gboolean     lb_tokenizer_encode         (LbTokenizer *self, const char *text, gssize len,
                                          gboolean add_special, GArray *ids, GError **error);

/* Appends the bytes token id stands for, given the previous token (SentencePiece
 * drops the leading space of the first piece after BOS). Control tokens
 * append nothing. Out-of-range ids append nothing. Output may end inside a
 * UTF-8 sequence: callers that print stream through LbDetokenizer. */
void         lb_tokenizer_append_piece   (LbTokenizer *self, gint32 prev, gint32 id, GString *out);
/* Whole-sequence decode (prev of ids[0] is -1). */
char        *lb_tokenizer_decode         (LbTokenizer *self, const gint32 *ids, gsize n);

/* Streaming decode that only releases complete UTF-8 sequences. */
typedef struct _LbDetokenizer LbDetokenizer;
LbDetokenizer *lb_detokenizer_new  (LbTokenizer *tokenizer);
void           lb_detokenizer_free (LbDetokenizer *detok);
/* returns newly complete text (may be ""), owned by detok until the next call */
const char    *lb_detokenizer_push (LbDetokenizer *detok, gint32 id);
/* returns the remaining bytes (incomplete sequences as U+FFFD) */
const char    *lb_detokenizer_flush (LbDetokenizer *detok);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbDetokenizer, lb_detokenizer_free)

G_END_DECLS
