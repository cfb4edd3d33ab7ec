/* lb-spm-proto.h: reading a SentencePiece tokenizer.model (a protobuf
 * ModelProto) without libprotobuf */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* SentencePiece piece types; the same numbers as GGUF token types. */
typedef enum {
  LB_SPM_PIECE_NORMAL = 1,
  LB_SPM_PIECE_UNKNOWN = 2,
  LB_SPM_PIECE_CONTROL = 3,
  LB_SPM_PIECE_USER_DEFINED = 4,
  LB_SPM_PIECE_UNUSED = 5,
  LB_SPM_PIECE_BYTE = 6,
} LbSpmPieceType;

typedef enum {
  LB_SPM_MODEL_UNIGRAM = 1,
  LB_SPM_MODEL_BPE = 2,
  LB_SPM_MODEL_WORD = 3,
  LB_SPM_MODEL_CHAR = 4,
} LbSpmModelType;

typedef struct {
  char           *piece;   /* the bytes, NUL-terminated (may hold NULs: use len) */
  gsize           len;
  float           score;
  LbSpmPieceType  type;
} LbSpmPiece;

/* Fields absent from the file keep the defaults of sentencepiece_model.proto. */
typedef struct {
  LbSpmPiece     *pieces;
  guint           n_pieces;

  /* trainer_spec */
  LbSpmModelType  model_type;                  /* UNIGRAM */
  gint32          vocab_size;                  /* 8000 */
  gboolean        byte_fallback;               /* FALSE */
  gboolean        treat_whitespace_as_suffix;  /* FALSE */
  gboolean        split_digits;                /* FALSE */
  gint32          unk_id, bos_id, eos_id, pad_id;   /* 0, 1, 2, -1 */

  /* normalizer_spec */
  char           *normalizer_name;             /* NULL when absent */
  gsize           precompiled_charsmap_len;    /* 0 when absent */
  const guint8   *precompiled_charsmap;        /* copy owned by the model */
  gboolean        add_dummy_prefix;            /* TRUE */
  gboolean        remove_extra_whitespaces;    /* TRUE */
  gboolean        escape_whitespaces;          /* TRUE */
} LbSpmModel;

/* Every length, tag and varint is bounds-checked; unknown fields of every
 * wire type are skipped. Errors (LB_ERROR_INVALID_FILE) name the field and
 * the byte offset. */
LbSpmModel *lb_spm_model_parse (const guint8 *data, gsize len, GError **error);
/* Reads path; errors start with the path. */
LbSpmModel *lb_spm_model_load  (const char *path, GError **error);
void        lb_spm_model_free  (LbSpmModel *model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbSpmModel, lb_spm_model_free)

G_END_DECLS
