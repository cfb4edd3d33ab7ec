/* lb-logit-cache.h: a file of a reference model's scored log-probabilities,
 * so repeated evaluations against the same reference do not rerun it.
 *
 * It holds what llama.cpp's --kl-divergence-base file holds, minus what the
 * KL divergence never reads: per scored position the 16-bit scale and
 * offset, the q of the next token, the reference's top-5 ids, and q only for
 * the tokens whose stored log-probability is above -16 (the others cannot
 * enter the sum), marked by a bitmap over the vocabulary or, when shorter, by
 * a list of ids. Every figure computed from it is bit-identical to a run
 * with the reference live. The evaluated tokens (BOS already in place) are
 * stored too, so the text is optional when reading.
 *
 * Layout, little-endian: "LBREFLP\0", u32 version (1), u32 n_vocab, n_ctx,
 * n_chunks, first, n_scored, top_k, name_len, name bytes, i32 tokens
 * [n_chunks * n_ctx]; then n_chunks * n_scored records of: f32 scale,
 * f32 min_log_prob, u16 q_target, u8 encoding (0 bitmap, 1 id list), u8
 * n_top, u32 top[5], u32 n_kept, then a bitmap of ceil(n_vocab / 8) bytes
 * (bit i of byte i / 8, low bit first) or n_kept u32 ids ascending, then
 * n_kept u16 q in id order. */
#pragma once

#include <gio/gio.h>

#include "lb-eval-metrics.h"

G_BEGIN_DECLS

typedef struct {
  guint32 n_vocab;
  guint32 n_ctx;
  guint32 n_chunks;
  guint32 first;      /* n_ctx / 2: first scored position of a chunk */
  guint32 n_scored;   /* n_ctx - 1 - first */
} LbLogitCacheInfo;

typedef struct _LbLogitCacheWriter LbLogitCacheWriter;
typedef struct _LbLogitCacheReader LbLogitCacheReader;

/* tokens: n_chunks * n_ctx ids as evaluated. The file appears only on
 * commit, after exactly n_chunks * n_scored positions were added. */
LbLogitCacheWriter *lb_logit_cache_writer_new    (const char *path, const LbLogitCacheInfo *info,
                                                  const char *reference_name,
                                                  const gint32 *tokens, GError **error);
gboolean            lb_logit_cache_writer_add    (LbLogitCacheWriter *writer,
                                                  const LbEvalBasePos *pos, GError **error);
gboolean            lb_logit_cache_writer_commit (LbLogitCacheWriter *writer, GError **error);
/* deletes the temporary file unless committed */
void                lb_logit_cache_writer_free   (LbLogitCacheWriter *writer);

/* Reads and validates the header and tokens; records are read one by one. */
LbLogitCacheReader *lb_logit_cache_reader_open   (const char *path, GCancellable *cancellable,
                                                  GError **error);
const LbLogitCacheInfo *lb_logit_cache_reader_get_info (LbLogitCacheReader *reader);
const char         *lb_logit_cache_reader_get_reference_name (LbLogitCacheReader *reader);
const gint32       *lb_logit_cache_reader_get_tokens (LbLogitCacheReader *reader);
/* The next position; pos points into buffers owned by the reader, valid
 * until the next call. Errors name the file and byte offset. */
gboolean            lb_logit_cache_reader_next   (LbLogitCacheReader *reader, LbEvalBasePos *pos,
                                                  GCancellable *cancellable, GError **error);
void                lb_logit_cache_reader_free   (LbLogitCacheReader *reader);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbLogitCacheWriter, lb_logit_cache_writer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbLogitCacheReader, lb_logit_cache_reader_free)

G_END_DECLS
