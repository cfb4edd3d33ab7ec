/* test-sign.c: Ed25519 keys, key files, key ids and SHA-256 (lb-sign.h,
 * lb-sha256.h), against published test vectors. */
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "lb-error.h"
#include "lb-sha256.h"
#include "lb-sign.h"
#include "lb-test-util.h"

static void
hex_to_bytes (const char *hex, guint8 *out, gsize n)
{
  g_assert_cmpuint (strlen (hex), ==, 2 * n);
  for (gsize i = 0; i < n; i++)
    out[i] = (guint8) (g_ascii_xdigit_value (hex[2 * i]) << 4 | g_ascii_xdigit_value (hex[2 * i + 1]));
}

/* FIPS 180-2 examples */
static void
test_sha256_vectors (void)
{
  LbSha256 d, parsed;
  g_autofree char *hex = NULL;
  const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

  lb_sha256_data ("abc", 3, &d);
  hex = lb_sha256_to_hex (&d);
  g_assert_cmpstr (hex, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  g_assert_true (lb_sha256_from_hex (hex, &parsed));
  g_assert_true (lb_sha256_equal (&d, &parsed));
  g_clear_pointer (&hex, g_free);

  lb_sha256_data (msg, strlen (msg), &d);
  hex = lb_sha256_to_hex (&d);
  /* the published digest of the 448-bit message */
  g_assert_cmpstr (hex, ==, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

  g_assert_false (lb_sha256_from_hex ("abc", &parsed));
  g_assert_false (lb_sha256_from_hex ("zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", &parsed));
}

static void
test_sha256_file (void)
{
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "f", NULL);
  g_autofree char *want = NULL, *got_hex = NULL;
  g_autofree guint8 *data = g_malloc (3 * 1024 * 1024 + 17);
  GError *error = NULL;
  LbSha256 got;
  guint64 size = 0;

  for (gsize i = 0; i < 3 * 1024 * 1024 + 17; i++)
    data[i] = (guint8) (i * 2654435761u >> 13);
  g_assert_true (g_file_set_contents (path, (char *) data, 3 * 1024 * 1024 + 17, NULL));
  g_assert_true (lb_sha256_file (path, &got, &size, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (size, ==, 3 * 1024 * 1024 + 17);
  /* GLib's one-shot helper as the second opinion on the chunked reads */
  want = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, 3 * 1024 * 1024 + 17);
  got_hex = lb_sha256_to_hex (&got);
  g_assert_cmpstr (got_hex, ==, want);

  g_assert_false (lb_sha256_file ("/nonexistent/x", &got, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_IO);
  g_clear_error (&error);
  lb_test_rmtree (dir);
}

/* RFC 8032 section 7.1, TEST 1 and TEST 2: a key file holding the seed
 * must give the published public key and signatures. */
static void
test_rfc8032 (void)
{
  static const struct {
    const char *seed, *pub, *msg, *sig;
  } vectors[] = {
    { "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
      "",
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
    { "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
      "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
      "72",
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
  };
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "key", NULL);

  for (guint v = 0; v < G_N_ELEMENTS (vectors); v++)
    {
      guint8 seed[32], pub_want[32], sig_want[64], sig[64], msg[1];
      gsize msg_len = strlen (vectors[v].msg) / 2;
      g_autofree char *b64 = NULL, *text = NULL;
      g_autoptr (LbSigningKey) key = NULL;
      LbPublicKey pub;
      GError *error = NULL;

      hex_to_bytes (vectors[v].seed, seed, 32);
      hex_to_bytes (vectors[v].pub, pub_want, 32);
      hex_to_bytes (vectors[v].sig, sig_want, 64);
      if (msg_len)
        hex_to_bytes (vectors[v].msg, msg, msg_len);
      b64 = g_base64_encode (seed, 32);
      text = g_strdup_printf ("lowbit-ed25519-secret-key\n%s\n", b64);
      g_assert_true (g_file_set_contents (path, text, -1, NULL));
      g_assert_cmpint (g_chmod (path, 0600), ==, 0);

      key = lb_signing_key_load (path, &error);
      g_assert_no_error (error);
      lb_signing_key_get_public (key, &pub);
      g_assert_cmpmem (pub.bytes, 32, pub_want, 32);
      lb_signing_key_sign (key, msg, msg_len, sig);
      g_assert_cmpmem (sig, 64, sig_want, 64);
      g_assert_true (lb_public_key_verify (&pub, msg, msg_len, sig_want));
    }
  lb_test_rmtree (dir);
}

static void
test_sign_verify (void)
{
  GError *error = NULL;
  g_autoptr (LbSigningKey) a = lb_signing_key_generate (&error);
  g_autoptr (LbSigningKey) b = lb_signing_key_generate (&error);
  LbPublicKey pa, pb;
  guint8 sig[64];
  guint8 msg[100];

  g_assert_no_error (error);
  for (guint i = 0; i < sizeof msg; i++)
    msg[i] = (guint8) i;
  lb_signing_key_get_public (a, &pa);
  lb_signing_key_get_public (b, &pb);
  g_assert_false (memcmp (pa.bytes, pb.bytes, 32) == 0);
  lb_signing_key_sign (a, msg, sizeof msg, sig);
  g_assert_true (lb_public_key_verify (&pa, msg, sizeof msg, sig));
  g_assert_false (lb_public_key_verify (&pb, msg, sizeof msg, sig));
  /* any flipped bit of the message or the signature */
  for (guint i = 0; i < sizeof msg; i += 7)
    {
      msg[i] ^= 0x10;
      g_assert_false (lb_public_key_verify (&pa, msg, sizeof msg, sig));
      msg[i] ^= 0x10;
    }
  for (guint i = 0; i < sizeof sig; i++)
    {
      sig[i] ^= 0x01;
      g_assert_false (lb_public_key_verify (&pa, msg, sizeof msg, sig));
      sig[i] ^= 0x01;
    }
  g_assert_false (lb_public_key_verify (&pa, msg, sizeof msg - 1, sig));
}

static void
test_key_files (void)
{
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *priv = g_build_filename (dir, "key", NULL);
  g_autofree char *pub_path = g_build_filename (dir, "key.pub", NULL);
  g_autofree char *text = NULL, *id_hex = NULL, *want_id = NULL;
  g_autoptr (LbSigningKey) key = NULL;
  g_autoptr (LbSigningKey) again = NULL;
  LbPublicKey pub, loaded, parsed;
  LbKeyId id;
  guint8 sig1[64], sig2[64];
  GError *error = NULL;
  GStatBuf st;

  key = lb_signing_key_generate (&error);
  g_assert_no_error (error);
  g_assert_true (lb_signing_key_save (key, priv, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (priv, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);

  again = lb_signing_key_load (priv, &error);
  g_assert_no_error (error);
  lb_signing_key_sign (key, "m", 1, sig1);
  lb_signing_key_sign (again, "m", 1, sig2);
  g_assert_cmpmem (sig1, 64, sig2, 64);   /* Ed25519 signatures are deterministic */

  lb_signing_key_get_public (key, &pub);
  g_assert_true (lb_public_key_save (&pub, pub_path, &error));
  g_assert_no_error (error);
  g_assert_true (lb_public_key_load (pub_path, &loaded, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (loaded.bytes, 32, pub.bytes, 32);

  /* the printed text works in place of the file */
  text = lb_public_key_to_string (&pub);
  g_assert_true (g_str_has_prefix (text, "lowbit-ed25519 "));
  g_assert_true (lb_public_key_load (text, &parsed, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (parsed.bytes, 32, pub.bytes, 32);

  /* key id: the first 8 bytes of SHA-256 of the public key */
  lb_public_key_get_id (&pub, &id);
  id_hex = lb_key_id_to_string (&id);
  want_id = g_compute_checksum_for_data (G_CHECKSUM_SHA256, pub.bytes, 32);
  want_id[16] = '\0';
  g_assert_cmpstr (id_hex, ==, want_id);

  /* a private key others can read is refused */
  g_assert_cmpint (g_chmod (priv, 0644), ==, 0);
  g_assert_null (lb_signing_key_load (priv, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "chmod 600"));
  g_clear_error (&error);

  /* the private key given as a public key */
  g_assert_false (lb_public_key_load (priv, &loaded, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  lb_test_rmtree (dir);
}

static void
test_malformed_keys (void)
{
  static const char *const bad_private[] = {
    "",
    "lowbit-ed25519-secret-key\n",
    "lowbit-ed25519-secret-key\nnot base64!\n",
    "lowbit-ed25519-secret-key\nAAAA\n",
    "ssh-ed25519 AAAA\n",
  };
  static const char *const bad_public[] = {
    "lowbit-ed25519 ",
    "lowbit-ed25519 AAAA",
    "lowbit-ed25519 ###########################################=",
  };
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "bad", NULL);
  GError *error = NULL;
  LbPublicKey pub;

  for (guint i = 0; i < G_N_ELEMENTS (bad_private); i++)
    {
      g_assert_true (g_file_set_contents (path, bad_private[i], -1, NULL));
      g_assert_cmpint (g_chmod (path, 0600), ==, 0);
      g_assert_null (lb_signing_key_load (path, &error));
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
      g_clear_error (&error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_public); i++)
    {
      g_assert_false (lb_public_key_from_string (bad_public[i], &pub, &error));
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
      g_assert_true (g_file_set_contents (path, bad_public[i], -1, NULL));
      g_assert_false (lb_public_key_load (path, &pub, &error));
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
      g_clear_error (&error);
    }
  g_assert_false (lb_public_key_load ("/nonexistent/key.pub", &pub, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_IO);
  g_clear_error (&error);
  g_assert_null (lb_signing_key_load ("/nonexistent/key", &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_IO);
  g_clear_error (&error);
  lb_test_rmtree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/sign/sha256-vectors", test_sha256_vectors);
  g_test_add_func ("/lowbit/sign/sha256-file", test_sha256_file);
  g_test_add_func ("/lowbit/sign/rfc8032", test_rfc8032);
  g_test_add_func ("/lowbit/sign/sign-verify", test_sign_verify);
  g_test_add_func ("/lowbit/sign/key-files", test_key_files);
  g_test_add_func ("/lowbit/sign/malformed-keys", test_malformed_keys);
  return g_test_run ();
}
