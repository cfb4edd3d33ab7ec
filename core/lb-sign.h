/* lb-sign.h: Ed25519 signing keys (libsodium) for delta packages and
 * manifests: key generation, key files, key ids, signing and verifying.
 *
 * Secret key file (text, mode 0600):
 *   lowbit-ed25519-secret-key
 *   <base64 of the 32-byte seed>
 * Public key (one line of text, also the .pub file's content):
 *   lowbit-ed25519 <base64 of the 32-byte public key>
 * Key id: the first 8 bytes of SHA-256 (public key), shown as 16 hex digits. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LB_SIGN_PUBLIC_KEY_BYTES 32
#define LB_SIGN_SIGNATURE_BYTES  64
#define LB_SIGN_KEY_ID_BYTES     8

typedef struct {
  guint8 bytes[LB_SIGN_PUBLIC_KEY_BYTES];
} LbPublicKey;

typedef struct {
  guint8 bytes[LB_SIGN_KEY_ID_BYTES];
} LbKeyId;

/* The secret half; its bytes live in guarded memory, wiped on free. */
typedef struct _LbSigningKey LbSigningKey;

/* Initializes libsodium once; every function below calls it. */
gboolean      lb_sign_init              (GError **error);

LbSigningKey *lb_signing_key_generate   (GError **error);
/* Refuses a file that others may read (mode & 077) and malformed files. */
LbSigningKey *lb_signing_key_load       (const char *path, GError **error);
/* Written atomically with mode 0600; replaces an existing file. */
gboolean      lb_signing_key_save       (LbSigningKey *key, const char *path, GError **error);
void          lb_signing_key_free       (LbSigningKey *key);
void          lb_signing_key_get_public (LbSigningKey *key, LbPublicKey *out);
void          lb_signing_key_sign       (LbSigningKey *key, const void *message, gsize n,
                                         guint8 signature[LB_SIGN_SIGNATURE_BYTES]);

/* "lowbit-ed25519 <base64>", newly allocated, no newline */
char         *lb_public_key_to_string   (const LbPublicKey *key);
gboolean      lb_public_key_from_string (const char *text, LbPublicKey *out, GError **error);
/* A file holding the public key line, or (when no such file exists) the
 * text of the key itself. */
gboolean      lb_public_key_load        (const char *path_or_text, LbPublicKey *out, GError **error);
gboolean      lb_public_key_save        (const LbPublicKey *key, const char *path, GError **error);
void          lb_public_key_get_id      (const LbPublicKey *key, LbKeyId *out);
gboolean      lb_public_key_verify      (const LbPublicKey *key, const void *message, gsize n,
                                         const guint8 signature[LB_SIGN_SIGNATURE_BYTES]);

gboolean      lb_key_id_equal           (const LbKeyId *a, const LbKeyId *b);
/* 16 lowercase hex digits, newly allocated */
char         *lb_key_id_to_string       (const LbKeyId *id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbSigningKey, lb_signing_key_free)

G_END_DECLS
