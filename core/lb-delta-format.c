/* lb-delta-format.c: the .lbdelta container: prefix, manifest, verification */
#include "lb-delta-format.h"

#include <string.h>

#include "lb-error.h"

#define MANIFEST_FIXED 144   /* bytes before the notes */
#define EXTENT_FIXED   56    /* bytes of an extent entry before its name */

static const char *const mode_names[LB_DELTA_N_MODES] = {
  "copy", "full", "xor", "sub", "prefixed",
};

const char *
lb_delta_mode_name (LbDeltaMode mode)
{
  return (guint) mode < LB_DELTA_N_MODES ? mode_names[mode] : "unknown";
}

static void
extent_clear (gpointer p)
{
  LbDeltaExtent *e = p;

  g_free (e->name);
}

LbDeltaManifest *
lb_delta_manifest_new (LbDeltaKind kind)
{
  LbDeltaManifest *m = g_new0 (LbDeltaManifest, 1);

  m->kind = kind;
  m->notes = g_strdup ("");
  m->extents = g_array_new (FALSE, TRUE, sizeof (LbDeltaExtent));
  g_array_set_clear_func (m->extents, extent_clear);
  return m;
}

void
lb_delta_manifest_free (LbDeltaManifest *m)
{
  if (m == NULL)
    return;
  g_free (m->notes);
  g_array_unref (m->extents);
  g_free (m);
}

void
lb_delta_manifest_add_extent (LbDeltaManifest *m, LbDeltaExtent *e)
{
  g_array_append_vals (m->extents, e, 1);
}

/* ---- little-endian helpers --------------------------------------------- */

static void
put_u32 (GByteArray *b, guint32 v)
{
  guint8 x[4];

  for (int i = 0; i < 4; i++)
    x[i] = (guint8) (v >> (8 * i));
  g_byte_array_append (b, x, 4);
}

static void
put_u64 (GByteArray *b, guint64 v)
{
  guint8 x[8];

  for (int i = 0; i < 8; i++)
    x[i] = (guint8) (v >> (8 * i));
  g_byte_array_append (b, x, 8);
}

static guint32
get_u32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static guint64
get_u64 (const guint8 *p)
{
  return (guint64) get_u32 (p) | (guint64) get_u32 (p + 4) << 32;
}

GBytes *
lb_delta_manifest_serialize (const LbDeltaManifest *m)
{
  GByteArray *b = g_byte_array_new ();
  gsize notes_len = strlen (m->notes);

  put_u64 (b, m->version);
  put_u64 (b, m->created);
  put_u64 (b, m->base_size);
  g_byte_array_append (b, m->base_sha256.bytes, LB_SHA256_BYTES);
  put_u64 (b, m->target_size);
  g_byte_array_append (b, m->target_sha256.bytes, LB_SHA256_BYTES);
  put_u64 (b, m->payload_size);
  g_byte_array_append (b, m->payload_sha256.bytes, LB_SHA256_BYTES);
  put_u32 (b, m->extents->len);
  put_u32 (b, (guint32) notes_len);
  g_assert (b->len == MANIFEST_FIXED);
  g_byte_array_append (b, (const guint8 *) m->notes, (guint) notes_len);
  for (guint i = 0; i < m->extents->len; i++)
    {
      const LbDeltaExtent *e = &g_array_index (m->extents, LbDeltaExtent, i);
      gsize name_len = e->name ? strlen (e->name) : 0;

      put_u32 (b, e->mode);
      put_u32 (b, (guint32) name_len);
      put_u64 (b, e->target_offset);
      put_u64 (b, e->size);
      put_u64 (b, e->base_offset);
      put_u64 (b, e->base_size);
      put_u64 (b, e->payload_offset);
      put_u64 (b, e->payload_size);
      if (name_len)
        g_byte_array_append (b, (const guint8 *) e->name, (guint) name_len);
    }
  return g_byte_array_free_to_bytes (b);
}

/* ---- parsing ------------------------------------------------------------ */

#define BAD(...) \
  G_STMT_START { g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, __VA_ARGS__); goto fail; } G_STMT_END

/* a + b <= limit without overflow */
static gboolean
range_ok (guint64 a, guint64 b, guint64 limit)
{
  return a <= limit && b <= limit - a;
}

static gboolean
check_extent (const LbDeltaManifest *m, const LbDeltaExtent *e, guint i, gsize at,
              guint64 prev_end, guint64 payload_pos, GError **error)
{
  const char *name = e->name;

#define EBAD(fmt, ...) \
  G_STMT_START { \
    g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "manifest extent %u (%s) at byte %" G_GSIZE_FORMAT ": " fmt, \
                 i, name, at, __VA_ARGS__); \
    return FALSE; \
  } G_STMT_END

  if ((guint) e->mode >= LB_DELTA_N_MODES)
    EBAD ("unknown mode %u", (guint) e->mode);
  if (e->size == 0)
    EBAD ("%s", "size is 0");
  if (e->target_offset < prev_end)
    EBAD ("target offset %" G_GUINT64_FORMAT " overlaps or precedes the previous extent, which ends at %"
          G_GUINT64_FORMAT, e->target_offset, prev_end);
  if (!range_ok (e->target_offset, e->size, m->target_size))
    EBAD ("target bytes %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT " run past the target size %" G_GUINT64_FORMAT,
          e->target_offset, e->size, m->target_size);
  if (e->mode == LB_DELTA_MODE_FULL)
    {
      if (e->base_offset != 0 || e->base_size != 0)
        EBAD ("%s", "a full extent must have base offset and size 0");
    }
  else
    {
      if (!range_ok (e->base_offset, e->base_size, m->base_size))
        EBAD ("base bytes %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT " run past the base size %" G_GUINT64_FORMAT,
              e->base_offset, e->base_size, m->base_size);
      if (e->mode != LB_DELTA_MODE_PREFIXED && e->base_size != e->size)
        EBAD ("base size %" G_GUINT64_FORMAT " differs from size %" G_GUINT64_FORMAT " (mode %s)",
              e->base_size, e->size, lb_delta_mode_name (e->mode));
      if (e->mode == LB_DELTA_MODE_PREFIXED && e->base_size == 0)
        EBAD ("%s", "a prefixed extent needs a non-empty base range");
    }
  if (e->mode == LB_DELTA_MODE_COPY)
    {
      if (e->payload_offset != 0 || e->payload_size != 0)
        EBAD ("%s", "a copy extent must have payload offset and size 0");
    }
  else
    {
      if (e->payload_offset != payload_pos)
        EBAD ("payload offset %" G_GUINT64_FORMAT " should be %" G_GUINT64_FORMAT
              " (payload frames are stored in extent order without gaps)", e->payload_offset, payload_pos);
      if (e->payload_size == 0 || !range_ok (e->payload_offset, e->payload_size, m->payload_size))
        EBAD ("payload bytes %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT " are empty or run past the payload size %"
              G_GUINT64_FORMAT, e->payload_offset, e->payload_size, m->payload_size);
    }
  return TRUE;
#undef EBAD
}

LbDeltaManifest *
lb_delta_manifest_parse (const guint8 *data, gsize len, LbDeltaKind kind,
                         const LbKeyId *key_id, GError **error)
{
  LbDeltaManifest *m = lb_delta_manifest_new (kind);
  guint32 n_extents, notes_len;
  guint64 prev_end = 0, payload_pos = 0;
  gsize pos;
  const gsize base = LB_DELTA_PREFIX_SIZE;  /* for byte offsets in messages */

  if (key_id)
    m->key_id = *key_id;
  if (len < MANIFEST_FIXED)
    BAD ("manifest at byte %" G_GSIZE_FORMAT " has %" G_GSIZE_FORMAT " bytes, fewer than the %d of its fixed fields",
         base, len, MANIFEST_FIXED);
  m->version = get_u64 (data);
  m->created = get_u64 (data + 8);
  m->base_size = get_u64 (data + 16);
  memcpy (m->base_sha256.bytes, data + 24, LB_SHA256_BYTES);
  m->target_size = get_u64 (data + 56);
  memcpy (m->target_sha256.bytes, data + 64, LB_SHA256_BYTES);
  m->payload_size = get_u64 (data + 96);
  memcpy (m->payload_sha256.bytes, data + 104, LB_SHA256_BYTES);
  n_extents = get_u32 (data + 136);
  notes_len = get_u32 (data + 140);

  if (m->version == 0)
    BAD ("manifest version at byte %" G_GSIZE_FORMAT " is 0; versions start at 1", base);
  if (kind == LB_DELTA_KIND_MANIFEST && (n_extents != 0 || m->payload_size != 0 || m->base_size != 0))
    BAD ("a standalone manifest must have no base, extents or payload (byte %" G_GSIZE_FORMAT ")", base + 16);
  if (notes_len > len - MANIFEST_FIXED)
    BAD ("manifest notes length %u at byte %" G_GSIZE_FORMAT " runs past the manifest's %" G_GSIZE_FORMAT " bytes",
         notes_len, base + 140, len);
  if (!g_utf8_validate ((const char *) data + MANIFEST_FIXED, notes_len, NULL))
    BAD ("manifest notes at byte %" G_GSIZE_FORMAT " are not valid UTF-8", base + MANIFEST_FIXED);
  g_free (m->notes);
  m->notes = g_strndup ((const char *) data + MANIFEST_FIXED, notes_len);
  pos = MANIFEST_FIXED + notes_len;
  /* each entry takes at least EXTENT_FIXED bytes: bound the count first */
  if (n_extents > (len - pos) / EXTENT_FIXED)
    BAD ("manifest extent count %u at byte %" G_GSIZE_FORMAT " needs more than the %" G_GSIZE_FORMAT
         " bytes left", n_extents, base + 136, len - pos);
  g_array_set_size (m->extents, 0);
  for (guint i = 0; i < n_extents; i++)
    {
      LbDeltaExtent e = { 0 };
      guint32 name_len;
      gsize at = pos;

      if (len - pos < EXTENT_FIXED)
        BAD ("manifest extent %u at byte %" G_GSIZE_FORMAT " is truncated", i, base + at);
      e.mode = (LbDeltaMode) get_u32 (data + pos);
      name_len = get_u32 (data + pos + 4);
      e.target_offset = get_u64 (data + pos + 8);
      e.size = get_u64 (data + pos + 16);
      e.base_offset = get_u64 (data + pos + 24);
      e.base_size = get_u64 (data + pos + 32);
      e.payload_offset = get_u64 (data + pos + 40);
      e.payload_size = get_u64 (data + pos + 48);
      pos += EXTENT_FIXED;
      if (name_len > LB_DELTA_MAX_NAME || name_len > len - pos)
        BAD ("manifest extent %u at byte %" G_GSIZE_FORMAT ": name length %u is over %d or runs past the manifest",
             i, base + at, name_len, LB_DELTA_MAX_NAME);
      if (memchr (data + pos, '\0', name_len) != NULL
          || !g_utf8_validate ((const char *) data + pos, name_len, NULL))
        BAD ("manifest extent %u at byte %" G_GSIZE_FORMAT ": the name is not NUL-free UTF-8", i, base + at);
      e.name = g_strndup ((const char *) data + pos, name_len);
      pos += name_len;
      if (!check_extent (m, &e, i, base + at, prev_end, payload_pos, error))
        {
          g_free (e.name);
          goto fail;
        }
      prev_end = e.target_offset + e.size;
      payload_pos += e.payload_size;
      g_array_append_val (m->extents, e);
    }
  if (pos != len)
    BAD ("manifest has %" G_GSIZE_FORMAT " unexpected bytes after its last extent (byte %" G_GSIZE_FORMAT ")",
         len - pos, base + pos);
  if (payload_pos != m->payload_size)
    BAD ("the extents use %" G_GUINT64_FORMAT " payload bytes but the manifest says %" G_GUINT64_FORMAT,
         payload_pos, m->payload_size);
  return m;

fail:
  lb_delta_manifest_free (m);
  return NULL;
}

/* ---- prefix --------------------------------------------------------------- */

gboolean
lb_delta_prefix_parse (const guint8 *data, gsize len, const char *what,
                       LbDeltaPrefix *out, GError **error)
{
  guint32 version, kind;

  if (len < LB_DELTA_PREFIX_SIZE || memcmp (data, LB_DELTA_MAGIC, LB_DELTA_MAGIC_LEN) != 0)
    {
      if (len >= LB_DELTA_MAGIC_LEN && memcmp (data, LB_DELTA_MAGIC, LB_DELTA_MAGIC_LEN) == 0)
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                     "%s is truncated: %" G_GSIZE_FORMAT " bytes, fewer than the %d-byte prefix",
                     what, len, LB_DELTA_PREFIX_SIZE);
      else
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                     "%s is not a lowbit delta package or manifest (no LBDELTA magic at byte 0)", what);
      return FALSE;
    }
  version = get_u32 (data + 8);
  kind = get_u32 (data + 12);
  if (version != LB_DELTA_CONTAINER_VERSION)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "%s: container version %u at byte 8 is not supported (this lowbit reads version %d)",
                   what, version, LB_DELTA_CONTAINER_VERSION);
      return FALSE;
    }
  if (kind != LB_DELTA_KIND_PACKAGE && kind != LB_DELTA_KIND_MANIFEST)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: kind %u at byte 12 is neither 1 (package) nor 2 (manifest)", what, kind);
      return FALSE;
    }
  out->kind = (LbDeltaKind) kind;
  memcpy (out->key_id.bytes, data + 16, LB_SIGN_KEY_ID_BYTES);
  out->manifest_len = get_u64 (data + 24);
  memcpy (out->signature, data + 32, LB_SIGN_SIGNATURE_BYTES);
  if (out->manifest_len > LB_DELTA_MAX_MANIFEST || out->manifest_len > len - LB_DELTA_PREFIX_SIZE)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s is truncated or corrupt: the manifest length %" G_GUINT64_FORMAT " at byte 24 "
                   "runs past the file's %" G_GSIZE_FORMAT " bytes (or over the %u limit)",
                   what, out->manifest_len, len, LB_DELTA_MAX_MANIFEST);
      return FALSE;
    }
  return TRUE;
}

static guint8 *
signed_message (const guint8 *prefix, const guint8 *manifest, gsize manifest_len, gsize *len)
{
  guint8 *msg = g_malloc (LB_DELTA_PREFIX_SIGNED + manifest_len);

  memcpy (msg, prefix, LB_DELTA_PREFIX_SIGNED);
  memcpy (msg + LB_DELTA_PREFIX_SIGNED, manifest, manifest_len);
  *len = LB_DELTA_PREFIX_SIGNED + manifest_len;
  return msg;
}

void
lb_delta_prefix_build (LbDeltaKind kind, GBytes *manifest, LbSigningKey *key,
                       guint8 out[LB_DELTA_PREFIX_SIZE])
{
  LbPublicKey pub;
  LbKeyId id;
  gsize mlen = g_bytes_get_size (manifest), msg_len;
  g_autofree guint8 *msg = NULL;

  lb_signing_key_get_public (key, &pub);
  lb_public_key_get_id (&pub, &id);
  memset (out, 0, LB_DELTA_PREFIX_SIZE);
  memcpy (out, LB_DELTA_MAGIC, LB_DELTA_MAGIC_LEN);
  for (int i = 0; i < 4; i++)
    {
      out[8 + i] = (guint8) ((guint32) LB_DELTA_CONTAINER_VERSION >> (8 * i));
      out[12 + i] = (guint8) ((guint32) kind >> (8 * i));
    }
  memcpy (out + 16, id.bytes, LB_SIGN_KEY_ID_BYTES);
  for (int i = 0; i < 8; i++)
    out[24 + i] = (guint8) ((guint64) mlen >> (8 * i));
  msg = signed_message (out, g_bytes_get_data (manifest, NULL), mlen, &msg_len);
  lb_signing_key_sign (key, msg, msg_len, out + LB_DELTA_PREFIX_SIGNED);
}

/* ---- verified opening ------------------------------------------------------ */

void
lb_delta_package_free (LbDeltaPackage *p)
{
  if (p == NULL)
    return;
  g_clear_pointer (&p->bytes, g_bytes_unref);
  lb_delta_manifest_free (p->manifest);
  g_free (p);
}

LbDeltaPackage *
lb_delta_package_open_bytes (GBytes *bytes, const char *what, const LbPublicKey *key, GError **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  LbDeltaPrefix prefix;
  LbKeyId want;
  g_autofree guint8 *msg = NULL;
  gsize msg_len;
  LbDeltaManifest *m;
  LbDeltaPackage *p;
  LbSha256 digest;
  guint64 expected;

  if (data == NULL)
    data = (const guint8 *) "";
  if (!lb_delta_prefix_parse (data, len, what, &prefix, error))
    return NULL;

  /* the signature first: nothing after the prefix is parsed before it holds */
  lb_public_key_get_id (key, &want);
  if (!lb_key_id_equal (&want, &prefix.key_id))
    {
      g_autofree char *got_s = lb_key_id_to_string (&prefix.key_id);
      g_autofree char *want_s = lb_key_id_to_string (&want);
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s is signed by key %s, not by the given public key %s (wrong key, or a forged package)",
                   what, got_s, want_s);
      return NULL;
    }
  msg = signed_message (data, data + LB_DELTA_PREFIX_SIZE, (gsize) prefix.manifest_len, &msg_len);
  if (!lb_public_key_verify (key, msg, msg_len, prefix.signature))
    {
      g_autofree char *id_s = lb_key_id_to_string (&want);
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: the signature does not match key %s: the package was modified or damaged "
                   "(bytes 0-%" G_GUINT64_FORMAT " are signed)", what, id_s,
                   LB_DELTA_PREFIX_SIZE + prefix.manifest_len - 1);
      return NULL;
    }

  m = lb_delta_manifest_parse (data + LB_DELTA_PREFIX_SIZE, (gsize) prefix.manifest_len, prefix.kind,
                               &prefix.key_id, error);
  if (m == NULL)
    {
      g_prefix_error (error, "%s: ", what);
      return NULL;
    }
  expected = LB_DELTA_PREFIX_SIZE + prefix.manifest_len;
  if (m->payload_size > G_MAXUINT64 - expected || expected + m->payload_size != len)
    {
      if (m->payload_size <= G_MAXUINT64 - expected && expected + m->payload_size > len)
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                     "%s is truncated: it should have %" G_GUINT64_FORMAT " bytes but has %" G_GSIZE_FORMAT,
                     what, expected + m->payload_size, len);
      else
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                     "%s has %" G_GSIZE_FORMAT " bytes, more than the %" G_GUINT64_FORMAT " its manifest describes",
                     what, len, expected + m->payload_size);
      lb_delta_manifest_free (m);
      return NULL;
    }
  /* the payload is covered by the signature through its hash */
  lb_sha256_data (data + expected, (gsize) m->payload_size, &digest);
  if (!lb_sha256_equal (&digest, &m->payload_sha256))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: the payload (bytes %" G_GUINT64_FORMAT "-%" G_GSIZE_FORMAT ") does not match its "
                   "signed SHA-256: the package was modified or damaged", what, expected, len ? len - 1 : 0);
      lb_delta_manifest_free (m);
      return NULL;
    }

  p = g_new0 (LbDeltaPackage, 1);
  p->bytes = g_bytes_ref (bytes);
  p->manifest = m;
  p->payload = data + expected;
  p->payload_len = (gsize) m->payload_size;
  return p;
}

LbDeltaPackage *
lb_delta_package_open (const char *path, const LbPublicKey *key, GError **error)
{
  GError *local = NULL;
  GMappedFile *mf = g_mapped_file_new (path, FALSE, &local);
  g_autoptr (GBytes) bytes = NULL;

  if (mf == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot read %s: %s", path, local->message);
      g_error_free (local);
      return NULL;
    }
  bytes = g_mapped_file_get_bytes (mf);
  g_mapped_file_unref (mf);
  return lb_delta_package_open_bytes (bytes, path, key, error);
}
