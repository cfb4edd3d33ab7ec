/* lb-delta-format.h: the .lbdelta container (delta packages and standalone
 * signed manifests): parsing, validation and serialization.
 * docs/delta-format.md is the specification; keep the two in step.
 *
 *   offset  size  field
 *   0       8     magic "LBDELTA\x1a"
 *   8       4     container version (1), u32 little-endian
 *   12      4     kind (1 package, 2 manifest), u32
 *   16      8     signer's key id (first 8 bytes of SHA-256 of the public key)
 *   24      8     manifest length M, u64 (at most LB_DELTA_MAX_MANIFEST)
 *   32      64    Ed25519 signature of bytes [0, 32) followed by the manifest
 *   96      M     manifest
 *   96 + M  P     payload (P = manifest's payload size; the file ends there)
 */
#pragma once

#include <glib.h>

#include "lb-sha256.h"
#include "lb-sign.h"

G_BEGIN_DECLS

#define LB_DELTA_MAGIC             "LBDELTA\x1a"
#define LB_DELTA_MAGIC_LEN         8
#define LB_DELTA_CONTAINER_VERSION 1
#define LB_DELTA_PREFIX_SIGNED     32      /* bytes of the prefix covered by the signature */
#define LB_DELTA_PREFIX_SIZE       96
#define LB_DELTA_MAX_MANIFEST      (64u << 20)
#define LB_DELTA_MAX_NAME          4096
/* zstd frames may need at most a 2^27-byte window to decode */
#define LB_DELTA_WINDOW_LOG_MAX    27

typedef enum {
  LB_DELTA_KIND_PACKAGE = 1,
  LB_DELTA_KIND_MANIFEST = 2,
} LbDeltaKind;

/* How an extent's bytes are produced (docs/delta-format.md, "Extents"). */
typedef enum {
  LB_DELTA_MODE_COPY = 0,      /* base bytes as they are */
  LB_DELTA_MODE_FULL = 1,      /* zstd frame of the new bytes */
  LB_DELTA_MODE_XOR = 2,       /* zstd frame of new XOR base, byte-wise */
  LB_DELTA_MODE_SUB = 3,       /* zstd frame of (new - base) mod 256, byte-wise */
  LB_DELTA_MODE_PREFIXED = 4,  /* zstd frame compressed with the base range as raw prefix */
  LB_DELTA_N_MODES
} LbDeltaMode;

typedef struct {
  char        *name;           /* informational (tensor name, "header", "gap") */
  LbDeltaMode  mode;
  guint64      target_offset;
  guint64      size;
  guint64      base_offset;
  guint64      base_size;
  guint64      payload_offset; /* relative to the start of the payload */
  guint64      payload_size;
} LbDeltaExtent;

typedef struct {
  LbDeltaKind  kind;
  LbKeyId      key_id;
  guint64      version;
  guint64      created;        /* Unix seconds, informational */
  guint64      base_size;
  LbSha256     base_sha256;
  guint64      target_size;
  LbSha256     target_sha256;
  guint64      payload_size;
  LbSha256     payload_sha256;
  char        *notes;          /* UTF-8 summary of the changes, informational */
  GArray      *extents;        /* LbDeltaExtent, sorted by target_offset */
} LbDeltaManifest;

/* byte offset of payload_sha256 inside the manifest (fuzzing re-signs there) */
#define LB_DELTA_MANIFEST_PAYLOAD_SHA_OFFSET 104

const char      *lb_delta_mode_name          (LbDeltaMode mode);

LbDeltaManifest *lb_delta_manifest_new       (LbDeltaKind kind);
void             lb_delta_manifest_free      (LbDeltaManifest *manifest);
/* takes ownership of extent->name */
void             lb_delta_manifest_add_extent (LbDeltaManifest *manifest, LbDeltaExtent *extent);
/* serialized manifest bytes (what follows the prefix) */
GBytes          *lb_delta_manifest_serialize (const LbDeltaManifest *manifest);
/* Parses and validates a manifest: every count, range and mode rule of the
 * specification; errors (LB_ERROR_INVALID_FILE) name the field and its byte
 * offset in the container. kind and key_id come from the prefix. */
LbDeltaManifest *lb_delta_manifest_parse     (const guint8 *data, gsize len, LbDeltaKind kind,
                                              const LbKeyId *key_id, GError **error);

/* The fixed prefix. */
typedef struct {
  LbDeltaKind kind;
  LbKeyId     key_id;
  guint64     manifest_len;
  guint8      signature[LB_SIGN_SIGNATURE_BYTES];
} LbDeltaPrefix;

/* Checks magic, container version, kind and that the manifest fits in len. */
gboolean         lb_delta_prefix_parse       (const guint8 *data, gsize len, const char *what,
                                              LbDeltaPrefix *out, GError **error);
/* Fills the 96-byte prefix for a manifest and signs it. */
void             lb_delta_prefix_build       (LbDeltaKind kind, GBytes *manifest, LbSigningKey *key,
                                              guint8 out[LB_DELTA_PREFIX_SIZE]);

/* A package or manifest whose signature, structure and payload hash were
 * checked, in that order. The signature is verified before anything after
 * the fixed prefix is parsed. */
typedef struct {
  GBytes          *bytes;      /* the whole file (mapped) */
  LbDeltaManifest *manifest;
  const guint8    *payload;
  gsize            payload_len;
} LbDeltaPackage;

LbDeltaPackage  *lb_delta_package_open       (const char *path, const LbPublicKey *key, GError **error);
/* what names the bytes in messages */
LbDeltaPackage  *lb_delta_package_open_bytes (GBytes *bytes, const char *what, const LbPublicKey *key,
                                              GError **error);
void             lb_delta_package_free       (LbDeltaPackage *package);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbDeltaManifest, lb_delta_manifest_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbDeltaPackage, lb_delta_package_free)

G_END_DECLS
