/* fuzz-delta.c: the delta package parser and applier over arbitrary bytes.
 * The harness re-signs whatever it is given (and fixes the payload hash),
 * so the fuzzer reaches the manifest parser and the reconstruction behind
 * the signature check; whatever is accepted must decode to exactly the
 * target size from a base of the declared size. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "lb-delta.h"
#include "lb-error.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean
count_sink (const void *data, gsize n, gpointer user_data, GError **error)
{
  const guint8 *p = data;
  volatile guint8 acc = 0;

  for (gsize i = 0; i < n; i += 4096)
    acc ^= p[i];
  *(guint64 *) user_data += n;
  return TRUE;
}

static void
check_refusal (GError *error)
{
  if (error == NULL || error->domain != LB_ERROR || error->message[0] == '\0'
      || (error->code != LB_ERROR_INVALID_FILE && error->code != LB_ERROR_UNSUPPORTED))
    __builtin_trap ();
  g_error_free (error);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static LbSigningKey *key;
  static LbPublicKey pub;
  LbDeltaPrefix prefix;
  GError *error = NULL;
  guint8 *copy;
  GBytes *bytes;
  LbDeltaPackage *pkg;

  if (key == NULL)
    {
      key = lb_signing_key_generate (NULL);
      lb_signing_key_get_public (key, &pub);
    }
  if (!lb_delta_prefix_parse (data, size, "input", &prefix, &error))
    {
      check_refusal (error);
      return 0;
    }

  /* make the signature and the payload hash hold */
  copy = g_memdup2 (data, size);
  {
    gsize mlen = (gsize) prefix.manifest_len, payload_at = LB_DELTA_PREFIX_SIZE + mlen;
    GBytes *manifest;
    LbSha256 sha;

    if (mlen >= LB_DELTA_MANIFEST_PAYLOAD_SHA_OFFSET + LB_SHA256_BYTES)
      {
        lb_sha256_data (copy + payload_at, size - payload_at, &sha);
        memcpy (copy + LB_DELTA_PREFIX_SIZE + LB_DELTA_MANIFEST_PAYLOAD_SHA_OFFSET, sha.bytes, LB_SHA256_BYTES);
      }
    manifest = g_bytes_new_static (copy + LB_DELTA_PREFIX_SIZE, mlen);
    lb_delta_prefix_build (prefix.kind, manifest, key, copy);
    g_bytes_unref (manifest);
  }
  bytes = g_bytes_new_take (copy, size);
  pkg = lb_delta_package_open_bytes (bytes, "input", &pub, &error);
  g_bytes_unref (bytes);
  if (pkg == NULL)
    {
      check_refusal (error);
      return 0;
    }

  if (pkg->manifest->kind == LB_DELTA_KIND_PACKAGE && pkg->manifest->base_size <= (1u << 20)
      && pkg->manifest->target_size <= (16u << 20))
    {
      gsize base_len = (gsize) pkg->manifest->base_size;
      guint8 *base = g_malloc (base_len + 1);
      guint64 produced = 0;

      for (gsize i = 0; i < base_len; i++)
        base[i] = (guint8) (i * 131 + 7);
      if (lb_delta_reconstruct (pkg->manifest, base, base_len, pkg->payload, pkg->payload_len,
                                count_sink, &produced, NULL, NULL, NULL, &error))
        {
          if (produced != pkg->manifest->target_size)
            __builtin_trap ();
        }
      else
        check_refusal (error);
      g_free (base);
    }
  lb_delta_package_free (pkg);
  return 0;
}
