/* lb-sign.c: Ed25519 keys and signatures through libsodium */
#include "lb-sign.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sodium.h>
#include <glib/gstdio.h>

#include "lb-atomic-file.h"
#include "lb-error.h"
#include "lb-sha256.h"

#define SECRET_HEADER "lowbit-ed25519-secret-key"
#define PUBLIC_PREFIX "lowbit-ed25519 "

G_STATIC_ASSERT (crypto_sign_PUBLICKEYBYTES == LB_SIGN_PUBLIC_KEY_BYTES);
G_STATIC_ASSERT (crypto_sign_BYTES == LB_SIGN_SIGNATURE_BYTES);

struct _LbSigningKey {
  guint8 *seed;     /* crypto_sign_SEEDBYTES, sodium_malloc'd */
  guint8 *secret;   /* crypto_sign_SECRETKEYBYTES, sodium_malloc'd */
  LbPublicKey public_key;
};

gboolean
lb_sign_init (GError **error)
{
  static gsize done = 0;
  static gboolean ok = FALSE;

  if (g_once_init_enter (&done))
    {
      ok = sodium_init () >= 0;
      g_once_init_leave (&done, 1);
    }
  if (!ok)
    g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                 "cannot initialize libsodium (no source of randomness?)");
  return ok;
}

static LbSigningKey *
key_from_seed (const guint8 *seed, GError **error)
{
  LbSigningKey *key;

  key = g_new0 (LbSigningKey, 1);
  key->seed = sodium_malloc (crypto_sign_SEEDBYTES);
  key->secret = sodium_malloc (crypto_sign_SECRETKEYBYTES);
  if (key->seed == NULL || key->secret == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED, "cannot allocate guarded memory for a key");
      lb_signing_key_free (key);
      return NULL;
    }
  memcpy (key->seed, seed, crypto_sign_SEEDBYTES);
  crypto_sign_seed_keypair (key->public_key.bytes, key->secret, key->seed);
  return key;
}

LbSigningKey *
lb_signing_key_generate (GError **error)
{
  guint8 seed[crypto_sign_SEEDBYTES];
  LbSigningKey *key;

  if (!lb_sign_init (error))
    return NULL;
  randombytes_buf (seed, sizeof seed);
  key = key_from_seed (seed, error);
  sodium_memzero (seed, sizeof seed);
  return key;
}

void
lb_signing_key_free (LbSigningKey *key)
{
  if (key == NULL)
    return;
  sodium_free (key->seed);    /* wipes the memory */
  sodium_free (key->secret);
  g_free (key);
}

void
lb_signing_key_get_public (LbSigningKey *key, LbPublicKey *out)
{
  *out = key->public_key;
}

void
lb_signing_key_sign (LbSigningKey *key, const void *message, gsize n,
                     guint8 signature[LB_SIGN_SIGNATURE_BYTES])
{
  crypto_sign_detached (signature, NULL, message, n, key->secret);
}

LbSigningKey *
lb_signing_key_load (const char *path, GError **error)
{
  char *contents = NULL;
  gsize len = 0;
  GStatBuf st;
  guint8 seed[crypto_sign_SEEDBYTES];
  gsize seed_len = 0;
  const char *body, *end;
  LbSigningKey *key = NULL;

  if (!lb_sign_init (error))
    return NULL;
  if (g_stat (path, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot read private key %s: %s", path,
                   g_strerror (saved));
      return NULL;
    }
  if ((st.st_mode & 077) != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "private key %s may be read by other users (mode %03o); run 'chmod 600 %s'",
                   path, (unsigned) (st.st_mode & 0777), path);
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &len, NULL))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot read private key %s", path);
      return NULL;
    }
  body = contents;
  if (len < strlen (SECRET_HEADER) + 1 || strncmp (body, SECRET_HEADER "\n", strlen (SECRET_HEADER) + 1) != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s is not a lowbit private key (its first line is not '%s'); "
                   "make one with 'lowbit keygen'", path, SECRET_HEADER);
      goto out;
    }
  body += strlen (SECRET_HEADER) + 1;
  end = contents + len;
  while (end > body && g_ascii_isspace (end[-1]))
    end--;
  if (end - body != (ptrdiff_t) sodium_base64_ENCODED_LEN (crypto_sign_SEEDBYTES, sodium_base64_VARIANT_ORIGINAL) - 1
      || sodium_base642bin (seed, sizeof seed, body, (gsize) (end - body), NULL, &seed_len, NULL,
                            sodium_base64_VARIANT_ORIGINAL) != 0
      || seed_len != sizeof seed)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "private key %s: line 2 must be the base64 of a 32-byte seed", path);
      goto out;
    }
  key = key_from_seed (seed, error);
out:
  sodium_memzero (seed, sizeof seed);
  sodium_memzero (contents, len);
  g_free (contents);
  return key;
}

static gboolean
save_text (const char *path, const char *text, int mode, GError **error)
{
  g_autoptr (LbAtomicFile) f = lb_atomic_file_new (path, error);

  if (f == NULL)
    return FALSE;
  /* set the mode while the temporary file is still empty */
  if (fchmod (fileno (lb_atomic_file_get_stream (f)), mode) != 0)
    {
      int saved = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot set the mode of %s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  return lb_atomic_file_write (f, text, strlen (text), error)
         && lb_atomic_file_commit (f, error);
}

gboolean
lb_signing_key_save (LbSigningKey *key, const char *path, GError **error)
{
  gsize b64_len = sodium_base64_ENCODED_LEN (crypto_sign_SEEDBYTES, sodium_base64_VARIANT_ORIGINAL);
  gsize text_len = strlen (SECRET_HEADER) + 1 + b64_len + 1;
  char *text = sodium_malloc (text_len);
  gboolean ok;

  if (text == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED, "cannot allocate guarded memory for a key");
      return FALSE;
    }
  strcpy (text, SECRET_HEADER "\n");
  sodium_bin2base64 (text + strlen (SECRET_HEADER) + 1, b64_len, key->seed, crypto_sign_SEEDBYTES,
                     sodium_base64_VARIANT_ORIGINAL);
  strcat (text, "\n");
  ok = save_text (path, text, 0600, error);
  sodium_free (text);
  return ok;
}

char *
lb_public_key_to_string (const LbPublicKey *key)
{
  char b64[sodium_base64_ENCODED_LEN (LB_SIGN_PUBLIC_KEY_BYTES, sodium_base64_VARIANT_ORIGINAL)];

  sodium_bin2base64 (b64, sizeof b64, key->bytes, sizeof key->bytes, sodium_base64_VARIANT_ORIGINAL);
  return g_strconcat (PUBLIC_PREFIX, b64, NULL);
}

gboolean
lb_public_key_from_string (const char *text, LbPublicKey *out, GError **error)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));
  const char *b64;
  gsize n = 0;

  if (!lb_sign_init (error))
    return FALSE;
  b64 = copy;
  if (g_str_has_prefix (b64, PUBLIC_PREFIX))
    b64 += strlen (PUBLIC_PREFIX);
  if (strlen (b64) != sodium_base64_ENCODED_LEN (LB_SIGN_PUBLIC_KEY_BYTES, sodium_base64_VARIANT_ORIGINAL) - 1
      || sodium_base642bin (out->bytes, sizeof out->bytes, b64, strlen (b64), NULL, &n, NULL,
                            sodium_base64_VARIANT_ORIGINAL) != 0
      || n != sizeof out->bytes)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "not a lowbit public key: expected '" PUBLIC_PREFIX "<44 base64 characters>' "
                   "as printed by 'lowbit keygen'");
      return FALSE;
    }
  return TRUE;
}

gboolean
lb_public_key_load (const char *path_or_text, LbPublicKey *out, GError **error)
{
  g_autofree char *contents = NULL;
  GError *local = NULL;

  if (!g_file_test (path_or_text, G_FILE_TEST_EXISTS))
    {
      if (g_str_has_prefix (path_or_text, PUBLIC_PREFIX))
        return lb_public_key_from_string (path_or_text, out, error);
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "public key file %s does not exist", path_or_text);
      return FALSE;
    }
  if (!g_file_get_contents (path_or_text, &contents, NULL, &local))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot read public key %s: %s", path_or_text,
                   local->message);
      g_error_free (local);
      return FALSE;
    }
  if (g_str_has_prefix (contents, "lowbit-ed25519-secret-key"))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "%s is a private key; pass the public key (%s.pub)", path_or_text, path_or_text);
      return FALSE;
    }
  if (!lb_public_key_from_string (contents, out, &local))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "%s: %s", path_or_text, local->message);
      g_error_free (local);
      return FALSE;
    }
  return TRUE;
}

gboolean
lb_public_key_save (const LbPublicKey *key, const char *path, GError **error)
{
  g_autofree char *line = lb_public_key_to_string (key);
  g_autofree char *text = g_strconcat (line, "\n", NULL);

  return save_text (path, text, 0644, error);
}

void
lb_public_key_get_id (const LbPublicKey *key, LbKeyId *out)
{
  LbSha256 digest;

  lb_sha256_data (key->bytes, sizeof key->bytes, &digest);
  memcpy (out->bytes, digest.bytes, LB_SIGN_KEY_ID_BYTES);
}

gboolean
lb_public_key_verify (const LbPublicKey *key, const void *message, gsize n,
                      const guint8 signature[LB_SIGN_SIGNATURE_BYTES])
{
  if (!lb_sign_init (NULL))
    return FALSE;
  return crypto_sign_verify_detached (signature, message, n, key->bytes) == 0;
}

gboolean
lb_key_id_equal (const LbKeyId *a, const LbKeyId *b)
{
  return memcmp (a->bytes, b->bytes, LB_SIGN_KEY_ID_BYTES) == 0;
}

char *
lb_key_id_to_string (const LbKeyId *id)
{
  GString *s = g_string_sized_new (2 * LB_SIGN_KEY_ID_BYTES);

  for (guint i = 0; i < LB_SIGN_KEY_ID_BYTES; i++)
    g_string_append_printf (s, "%02x", id->bytes[i]);
  return g_string_free (s, FALSE);
}
