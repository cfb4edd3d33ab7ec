/* lb-spm-proto.c: a minimal protobuf wire-format reader for SentencePiece's
 * ModelProto. Field numbers from sentencepiece_model.proto:
 *   ModelProto     { pieces = 1 (repeated SentencePiece); trainer_spec = 2;
 *                    normalizer_spec = 3 }
 *   SentencePiece  { piece = 1 (string); score = 2 (float); type = 3 (enum) }
 *   TrainerSpec    { model_type = 3; vocab_size = 4; treat_whitespace_as_suffix = 24;
 *                    split_digits = 25; byte_fallback = 35;
 *                    unk_id = 40; bos_id = 41; eos_id = 42; pad_id = 43 }
 *   NormalizerSpec { name = 1; precompiled_charsmap = 2; add_dummy_prefix = 3;
 *                    remove_extra_whitespaces = 4; escape_whitespaces = 5 }
 * Everything else is skipped by wire type. */
#include "lb-spm-proto.h"

#include <string.h>

#include "lb-error.h"

enum {
  WIRE_VARINT = 0,
  WIRE_FIXED64 = 1,
  WIRE_LEN = 2,
  WIRE_GROUP_START = 3,
  WIRE_GROUP_END = 4,
  WIRE_FIXED32 = 5,
};

#define MAX_GROUP_DEPTH 32

/* A window [pos, end) of the whole buffer; offsets in errors are absolute. */
typedef struct {
  const guint8 *base;
  gsize         pos;
  gsize         end;
} Reader;

static gboolean
fail (GError **error, gsize offset, const char *what)
{
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
               "%s at byte %" G_GSIZE_FORMAT, what, offset);
  return FALSE;
}

static gboolean
read_varint (Reader *r, guint64 *out, GError **error)
{
  gsize start = r->pos;
  guint64 v = 0;

  for (guint i = 0; i < 10; i++)
    {
      guint8 b;
      if (r->pos >= r->end)
        return fail (error, start, "truncated varint");
      b = r->base[r->pos++];
      if (i == 9 && b > 1)
        return fail (error, start, "varint longer than 64 bits");
      v |= (guint64) (b & 0x7f) << (7 * i);
      if (!(b & 0x80))
        {
          *out = v;
          return TRUE;
        }
    }
  return fail (error, start, "varint longer than 10 bytes");
}

static gboolean
read_tag (Reader *r, guint32 *field, guint *wire, GError **error)
{
  gsize start = r->pos;
  guint64 v;

  if (!read_varint (r, &v, error))
    return FALSE;
  if (v >> 3 == 0 || v >> 3 > 0x1fffffff)
    return fail (error, start, "invalid field number");
  *field = (guint32) (v >> 3);
  *wire = (guint) (v & 7);
  return TRUE;
}

static gboolean
read_fixed (Reader *r, gsize n, guint8 *out, GError **error)
{
  if (r->end - r->pos < n)
    return fail (error, r->pos, "truncated fixed-size field");
  if (out)
    memcpy (out, r->base + r->pos, n);
  r->pos += n;
  return TRUE;
}

/* Reads a length prefix and returns the window it covers; r moves past it. */
static gboolean
read_len (Reader *r, Reader *sub, GError **error)
{
  gsize start = r->pos;
  guint64 n;

  if (!read_varint (r, &n, error))
    return FALSE;
  if (n > r->end - r->pos)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "length %" G_GUINT64_FORMAT " at byte %" G_GSIZE_FORMAT
                   " runs past the end of its message (%" G_GSIZE_FORMAT " bytes left)",
                   n, start, r->end - r->pos);
      return FALSE;
    }
  sub->base = r->base;
  sub->pos = r->pos;
  sub->end = r->pos + (gsize) n;
  r->pos = sub->end;
  return TRUE;
}

static gboolean
skip_field (Reader *r, guint32 field, guint wire, guint depth, GError **error)
{
  guint64 v;
  Reader sub;

  switch (wire)
    {
    case WIRE_VARINT:
      return read_varint (r, &v, error);
    case WIRE_FIXED64:
      return read_fixed (r, 8, NULL, error);
    case WIRE_FIXED32:
      return read_fixed (r, 4, NULL, error);
    case WIRE_LEN:
      return read_len (r, &sub, error);
    case WIRE_GROUP_START:
      if (depth >= MAX_GROUP_DEPTH)
        return fail (error, r->pos, "groups nested too deeply");
      while (TRUE)
        {
          guint32 f;
          guint w;
          gsize at = r->pos;

          if (r->pos >= r->end)
            return fail (error, at, "unterminated group");
          if (!read_tag (r, &f, &w, error))
            return FALSE;
          if (w == WIRE_GROUP_END)
            {
              if (f != field)
                return fail (error, at, "group end does not match its start");
              return TRUE;
            }
          if (!skip_field (r, f, w, depth + 1, error))
            return FALSE;
        }
    case WIRE_GROUP_END:
      return fail (error, r->pos, "group end without a start");
    default:
      return fail (error, r->pos, "invalid wire type");
    }
}

static gboolean
expect_wire (guint wire, guint want, gsize at, const char *field_name, GError **error)
{
  if (wire == want)
    return TRUE;
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
               "field %s at byte %" G_GSIZE_FORMAT " has wire type %u, expected %u",
               field_name, at, wire, want);
  return FALSE;
}

static gboolean
read_varint_field (Reader *r, guint wire, gsize at, const char *name, guint64 *out, GError **error)
{
  return expect_wire (wire, WIRE_VARINT, at, name, error) && read_varint (r, out, error);
}

static gboolean
parse_piece (Reader *r, guint index, LbSpmPiece *p, GError **error)
{
  p->type = LB_SPM_PIECE_NORMAL;
  while (r->pos < r->end)
    {
      gsize at = r->pos;
      guint32 field;
      guint wire;
      guint64 v;
      Reader s;

      if (!read_tag (r, &field, &wire, error))
        return FALSE;
      switch (field)
        {
        case 1:
          if (!expect_wire (wire, WIRE_LEN, at, "SentencePiece.piece", error)
              || !read_len (r, &s, error))
            return FALSE;
          g_free (p->piece);
          p->len = s.end - s.pos;
          p->piece = g_malloc (p->len + 1);
          memcpy (p->piece, s.base + s.pos, p->len);
          p->piece[p->len] = '\0';
          break;
        case 2:
          {
            guint32 bits;
            if (!expect_wire (wire, WIRE_FIXED32, at, "SentencePiece.score", error)
                || !read_fixed (r, 4, (guint8 *) &bits, error))
              return FALSE;
            bits = GUINT32_FROM_LE (bits);
            memcpy (&p->score, &bits, 4);
          }
          break;
        case 3:
          if (!read_varint_field (r, wire, at, "SentencePiece.type", &v, error))
            return FALSE;
          if (v < LB_SPM_PIECE_NORMAL || v > LB_SPM_PIECE_BYTE)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                           "piece %u has unknown type %" G_GUINT64_FORMAT " at byte %" G_GSIZE_FORMAT,
                           index, v, at);
              return FALSE;
            }
          p->type = (LbSpmPieceType) v;
          break;
        default:
          if (!skip_field (r, field, wire, 0, error))
            return FALSE;
        }
    }
  if (p->piece == NULL)
    p->piece = g_strdup ("");
  return TRUE;
}

static gboolean
parse_trainer (Reader *r, LbSpmModel *m, GError **error)
{
  while (r->pos < r->end)
    {
      gsize at = r->pos;
      guint32 field;
      guint wire;
      guint64 v;

      if (!read_tag (r, &field, &wire, error))
        return FALSE;
      switch (field)
        {
        case 3:
          if (!read_varint_field (r, wire, at, "TrainerSpec.model_type", &v, error))
            return FALSE;
          if (v < LB_SPM_MODEL_UNIGRAM || v > LB_SPM_MODEL_CHAR)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                           "unknown model_type %" G_GUINT64_FORMAT " at byte %" G_GSIZE_FORMAT, v, at);
              return FALSE;
            }
          m->model_type = (LbSpmModelType) v;
          break;
        case 4:
          if (!read_varint_field (r, wire, at, "TrainerSpec.vocab_size", &v, error))
            return FALSE;
          m->vocab_size = (gint32) (guint32) v;
          break;
        case 24:
        case 25:
        case 35:
          if (!read_varint_field (r, wire, at, "TrainerSpec (bool)", &v, error))
            return FALSE;
          if (field == 24)
            m->treat_whitespace_as_suffix = v != 0;
          else if (field == 25)
            m->split_digits = v != 0;
          else
            m->byte_fallback = v != 0;
          break;
        case 40:
        case 41:
        case 42:
        case 43:
          if (!read_varint_field (r, wire, at, "TrainerSpec (special id)", &v, error))
            return FALSE;
          /* int32 negatives arrive sign-extended to 64 bits */
          *(field == 40 ? &m->unk_id : field == 41 ? &m->bos_id
            : field == 42 ? &m->eos_id : &m->pad_id) = (gint32) (guint32) v;
          break;
        default:
          if (!skip_field (r, field, wire, 0, error))
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean
parse_normalizer (Reader *r, LbSpmModel *m, GError **error)
{
  while (r->pos < r->end)
    {
      gsize at = r->pos;
      guint32 field;
      guint wire;
      guint64 v;
      Reader s;

      if (!read_tag (r, &field, &wire, error))
        return FALSE;
      switch (field)
        {
        case 1:
        case 2:
          if (!expect_wire (wire, WIRE_LEN, at, "NormalizerSpec (bytes)", error)
              || !read_len (r, &s, error))
            return FALSE;
          if (field == 1)
            {
              g_free (m->normalizer_name);
              m->normalizer_name = g_strndup ((const char *) s.base + s.pos, s.end - s.pos);
            }
          else
            {
              g_free ((gpointer) m->precompiled_charsmap);
              m->precompiled_charsmap_len = s.end - s.pos;
              m->precompiled_charsmap = g_memdup2 (s.base + s.pos, s.end - s.pos);
            }
          break;
        case 3:
        case 4:
        case 5:
          if (!read_varint_field (r, wire, at, "NormalizerSpec (bool)", &v, error))
            return FALSE;
          if (field == 3)
            m->add_dummy_prefix = v != 0;
          else if (field == 4)
            m->remove_extra_whitespaces = v != 0;
          else
            m->escape_whitespaces = v != 0;
          break;
        default:
          if (!skip_field (r, field, wire, 0, error))
            return FALSE;
        }
    }
  return TRUE;
}

void
lb_spm_model_free (LbSpmModel *model)
{
  if (model == NULL)
    return;
  for (guint i = 0; i < model->n_pieces; i++)
    g_free (model->pieces[i].piece);
  g_free (model->pieces);
  g_free (model->normalizer_name);
  g_free ((gpointer) model->precompiled_charsmap);
  g_free (model);
}

LbSpmModel *
lb_spm_model_parse (const guint8 *data, gsize len, GError **error)
{
  LbSpmModel *m = g_new0 (LbSpmModel, 1);
  GArray *pieces = g_array_new (FALSE, TRUE, sizeof (LbSpmPiece));
  Reader r = { data, 0, len };
  gboolean ok = TRUE;

  m->model_type = LB_SPM_MODEL_UNIGRAM;
  m->vocab_size = 8000;
  m->unk_id = 0;
  m->bos_id = 1;
  m->eos_id = 2;
  m->pad_id = -1;
  m->add_dummy_prefix = TRUE;
  m->remove_extra_whitespaces = TRUE;
  m->escape_whitespaces = TRUE;

  while (ok && r.pos < r.end)
    {
      gsize at = r.pos;
      guint32 field;
      guint wire;
      Reader s;

      if (!read_tag (&r, &field, &wire, error))
        {
          ok = FALSE;
          break;
        }
      switch (field)
        {
        case 1:
          {
            LbSpmPiece p = { 0 };
            ok = expect_wire (wire, WIRE_LEN, at, "ModelProto.pieces", error)
                 && read_len (&r, &s, error);
            if (ok)
              {
                ok = parse_piece (&s, pieces->len, &p, error);
                if (ok)
                  g_array_append_val (pieces, p);
                else
                  g_free (p.piece);
              }
          }
          break;
        case 2:
          ok = expect_wire (wire, WIRE_LEN, at, "ModelProto.trainer_spec", error)
               && read_len (&r, &s, error) && parse_trainer (&s, m, error);
          break;
        case 3:
          ok = expect_wire (wire, WIRE_LEN, at, "ModelProto.normalizer_spec", error)
               && read_len (&r, &s, error) && parse_normalizer (&s, m, error);
          break;
        default:
          ok = skip_field (&r, field, wire, 0, error);
        }
    }

  m->n_pieces = pieces->len;
  m->pieces = (LbSpmPiece *) g_array_free (pieces, FALSE);
  if (ok && m->n_pieces == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "no pieces: not a SentencePiece model");
      ok = FALSE;
    }
  if (!ok)
    {
      lb_spm_model_free (m);
      return NULL;
    }
  return m;
}

LbSpmModel *
lb_spm_model_load (const char *path, GError **error)
{
  g_autoptr(GMappedFile) mf = NULL;
  GError *local = NULL;
  LbSpmModel *m;

  mf = g_mapped_file_new (path, FALSE, &local);
  if (mf == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "%s", local->message);
      g_error_free (local);
      return NULL;
    }
  m = lb_spm_model_parse ((const guint8 *) g_mapped_file_get_contents (mf),
                          g_mapped_file_get_length (mf), error);
  if (m == NULL)
    g_prefix_error (error, "%s: ", path);
  return m;
}
