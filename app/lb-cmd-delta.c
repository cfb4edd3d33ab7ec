/* lb-cmd-delta.c: signed delta updates from the command line:
 *   lowbit keygen -o KEY
 *   lowbit delta OLD.gguf NEW.gguf --sign KEY -o UPDATE.lbdelta [--version N] [--manifest M]
 *   lowbit apply MODEL.gguf UPDATE.lbdelta --pubkey PUB [-o OUT] [--allow-downgrade]
 *   lowbit rollback MODEL.gguf
 *   lowbit verify MODEL --pubkey PUB --manifest MANIFEST */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lb-cli.h"
#include "lb-delta.h"
#include "lb-error.h"

int
lb_cmd_keygen (int argc, char **argv)
{
  char *output = NULL;
  gboolean force = FALSE;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Private key file to write (required); the public key goes to KEY.pub", "KEY" },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force, "Replace an existing key file", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("keygen", "-o KEY",
                        "Make an Ed25519 key pair for signing delta packages and manifests.",
                        "The private key is written with mode 0600; keep it off devices. The public key "
                        "(KEY.pub, also printed) and its key id go to the devices that check updates.");
  g_autoptr (LbSigningKey) key = NULL;
  g_autofree char *pub_path = NULL, *pub_text = NULL, *id_text = NULL;
  LbPublicKey pub;
  LbKeyId id;
  GError *error = NULL;
  int code = LB_EXIT_OK;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if (argc != 1)
    code = lb_cli_usage_error ("keygen", "expected no arguments besides -o KEY");
  else if (output == NULL)
    code = lb_cli_usage_error ("keygen", "--output is required");
  else if (!force && g_file_test (output, G_FILE_TEST_EXISTS))
    code = lb_cli_usage_error ("keygen", "%s exists; pass --force to replace it", output);
  if (code != LB_EXIT_OK)
    goto out;

  pub_path = g_strconcat (output, ".pub", NULL);
  key = lb_signing_key_generate (&error);
  if (key == NULL || !lb_signing_key_save (key, output, &error))
    {
      code = lb_cli_fail (error);
      goto out;
    }
  lb_signing_key_get_public (key, &pub);
  if (!lb_public_key_save (&pub, pub_path, &error))
    {
      code = lb_cli_fail (error);
      goto out;
    }
  lb_public_key_get_id (&pub, &id);
  pub_text = lb_public_key_to_string (&pub);
  id_text = lb_key_id_to_string (&id);
  printf ("%s\n", pub_text);
  fprintf (stderr, "wrote %s (private, mode 0600) and %s; key id %s\n", output, pub_path, id_text);
out:
  g_free (output);
  return code;
}

static void
print_stats (const char *out, const char *new_path, const LbDeltaStats *s, guint64 version, LbSigningKey *key)
{
  g_autofree char *pkg = lb_cli_format_size (s->package_size);
  g_autofree char *full = lb_cli_format_size (s->target_size);
  g_autofree char *id_text = NULL;
  LbPublicKey pub;
  LbKeyId id;

  lb_signing_key_get_public (key, &pub);
  lb_public_key_get_id (&pub, &id);
  id_text = lb_key_id_to_string (&id);
  printf ("wrote %s: %s (%" G_GUINT64_FORMAT " bytes), %.2f%% of the full %s (%s, %" G_GUINT64_FORMAT " bytes)\n",
          out, pkg, s->package_size,
          s->target_size ? 100.0 * (double) s->package_size / (double) s->target_size : 0.0,
          new_path, full, s->target_size);
  printf ("version %" G_GUINT64_FORMAT ", signed by key %s\n", version, id_text);
  printf ("metadata: %u added, %u changed, %u removed\n", s->n_meta_added, s->n_meta_changed, s->n_meta_removed);
  printf ("tensors: %u in the new file: %u unchanged, %u as xor difference, %u as subtract difference, "
          "%u in full; %u added, %u removed\n", s->n_tensors, s->n_unchanged, s->n_xor, s->n_sub, s->n_full,
          s->n_added, s->n_removed);
}

int
lb_cmd_delta (int argc, char **argv)
{
  char *output = NULL, *sign = NULL, *manifest = NULL;
  gint64 version = 0;
  int level = 0;
  gboolean verbose = FALSE;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Package to write", "UPDATE.lbdelta" },
    { "sign", 's', 0, G_OPTION_ARG_FILENAME, &sign, "Private key to sign with (required)", "KEY" },
    { "version", 0, 0, G_OPTION_ARG_INT64, &version,
      "Version of the package, larger than any before (default: the current Unix time)", "N" },
    { "level", 'l', 0, G_OPTION_ARG_INT, &level, "zstd level 1-19 (default 9)", "L" },
    { "manifest", 'm', 0, G_OPTION_ARG_FILENAME, &manifest,
      "Also write a standalone signed manifest of NEW (for lowbit verify)", "FILE" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "List every change", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("delta", "OLD.gguf NEW.gguf --sign KEY -o UPDATE.lbdelta",
                        "Make a signed package that turns OLD into NEW byte for byte.",
                        "The package carries the metadata changes and the changed tensors only, each as "
                        "an XOR or subtract difference or in full, whichever zstd compresses smallest. "
                        "With one file (NEW.gguf --manifest FILE) only the signed manifest is written.");
  g_autoptr (LbSigningKey) key = NULL;
  GError *error = NULL;
  int code = LB_EXIT_OK;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if (argc != 3 && !(argc == 2 && manifest != NULL))
    code = lb_cli_usage_error ("delta", "expected OLD.gguf NEW.gguf (or NEW.gguf --manifest FILE)");
  else if (sign == NULL)
    code = lb_cli_usage_error ("delta", "--sign KEY is required (make one with lowbit keygen)");
  else if (argc == 3 && output == NULL)
    code = lb_cli_usage_error ("delta", "--output is required");
  else if (version < 0)
    code = lb_cli_usage_error ("delta", "--version must be positive");
  if (code != LB_EXIT_OK)
    goto out;
  if (version == 0)
    version = g_get_real_time () / G_USEC_PER_SEC;

  key = lb_signing_key_load (sign, &error);
  if (key == NULL)
    {
      code = lb_cli_fail (error);
      goto out;
    }
  if (argc == 3)
    {
      LbDeltaStats stats;

      if (!lb_delta_create (argv[1], argv[2], output, key, (guint64) version, level, &stats,
                            lb_cli_progress, NULL, lb_cli_get_cancellable (), &error))
        {
          lb_cli_progress_end ();
          code = lb_cli_fail (error);
          goto out;
        }
      lb_cli_progress_end ();
      print_stats (output, argv[2], &stats, (guint64) version, key);
      if (verbose)
        {
          LbPublicKey pub;
          g_autoptr (LbDeltaPackage) pkg = NULL;

          lb_signing_key_get_public (key, &pub);
          pkg = lb_delta_package_open (output, &pub, &error);
          if (pkg == NULL)
            {
              code = lb_cli_fail (error);
              goto out;
            }
          fputs (pkg->manifest->notes, stdout);
        }
    }
  if (manifest)
    {
      const char *model = argv[argc - 1];

      if (!lb_delta_write_manifest (model, manifest, key, (guint64) version, lb_cli_get_cancellable (), &error))
        {
          code = lb_cli_fail (error);
          goto out;
        }
      printf ("wrote %s: signed manifest of %s, version %" G_GINT64_FORMAT "\n", manifest, model, version);
    }
out:
  g_free (output);
  g_free (sign);
  g_free (manifest);
  return code;
}

int
lb_cmd_apply (int argc, char **argv)
{
  char *output = NULL, *pubkey = NULL;
  gboolean allow_downgrade = FALSE;
  GOptionEntry entries[] = {
    { "pubkey", 'k', 0, G_OPTION_ARG_FILENAME, &pubkey, "Public key of the signer (file or its text; required)", "PUB" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the updated model here and leave MODEL alone", "OUT" },
    { "allow-downgrade", 0, 0, G_OPTION_ARG_NONE, &allow_downgrade,
      "Accept a package whose version is not newer than the installed one", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("apply", "MODEL.gguf UPDATE.lbdelta --pubkey PUB",
                        "Check and apply a signed delta package.",
                        "Order of checks: signature, package integrity, version (MODEL.lbversion), base "
                        "SHA-256; the new model is built in MODEL.lbpartial, its SHA-256 checked, then it "
                        "replaces MODEL atomically and the old file is kept as MODEL.prev (lowbit rollback). "
                        "On any failure MODEL is left as it was.");
  LbPublicKey key;
  LbDeltaApplyResult result = { 0 };
  GError *error = NULL;
  int code = LB_EXIT_OK;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if (argc != 3)
    code = lb_cli_usage_error ("apply", "expected MODEL.gguf UPDATE.lbdelta");
  else if (pubkey == NULL)
    code = lb_cli_usage_error ("apply", "--pubkey is required");
  if (code != LB_EXIT_OK)
    goto out;

  if (!lb_public_key_load (pubkey, &key, &error)
      || !lb_delta_apply (argv[1], argv[2], &key, output, allow_downgrade, &result,
                          lb_cli_progress, NULL, lb_cli_get_cancellable (), &error))
    {
      lb_cli_progress_end ();
      code = lb_cli_fail (error);
      goto out;
    }
  lb_cli_progress_end ();
  if (result.already_applied)
    printf ("%s already is the target of %s (version %" G_GUINT64_FORMAT "); nothing to do\n",
            argv[1], argv[2], result.version);
  else
    printf ("updated %s to version %" G_GUINT64_FORMAT " (was %s%" G_GUINT64_FORMAT ")%s\n",
            result.output_path, result.version, result.previous_version ? "" : "unknown: ",
            result.previous_version,
            output == NULL ? "; the previous file is kept for lowbit rollback" : "");
out:
  lb_delta_apply_result_clear (&result);
  g_free (output);
  g_free (pubkey);
  return code;
}

int
lb_cmd_rollback (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("rollback", "MODEL.gguf",
                        "Put back the model that the last 'lowbit apply' replaced (MODEL.prev).", NULL);
  GError *error = NULL;
  guint64 version = 0;

  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if (argc != 2)
    return lb_cli_usage_error ("rollback", "expected one MODEL argument");
  if (!lb_delta_rollback (argv[1], &version, lb_cli_get_cancellable (), &error))
    return lb_cli_fail (error);
  if (version)
    printf ("rolled %s back to version %" G_GUINT64_FORMAT "\n", argv[1], version);
  else
    printf ("rolled %s back to the previous file (its version is not recorded)\n", argv[1]);
  return LB_EXIT_OK;
}

int
lb_cmd_verify (int argc, char **argv)
{
  char *pubkey = NULL, *manifest = NULL;
  GOptionEntry entries[] = {
    { "pubkey", 'k', 0, G_OPTION_ARG_FILENAME, &pubkey, "Public key of the signer (required)", "PUB" },
    { "manifest", 'm', 0, G_OPTION_ARG_FILENAME, &manifest,
      "Signed manifest (lowbit delta --manifest) or delta package whose target MODEL should be", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("verify", "MODEL --pubkey PUB --manifest MANIFEST",
                        "Check an installed model against a signed manifest.",
                        "Exit status 3 when the signature or the model does not match.");
  LbPublicKey key;
  GError *error = NULL;
  guint64 version = 0;
  int code = LB_EXIT_OK;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if (argc != 2)
    code = lb_cli_usage_error ("verify", "expected one MODEL argument");
  else if (pubkey == NULL || manifest == NULL)
    code = lb_cli_usage_error ("verify", "--pubkey and --manifest are required");
  if (code != LB_EXIT_OK)
    goto out;
  if (!lb_public_key_load (pubkey, &key, &error)
      || !lb_delta_verify_model (argv[1], manifest, &key, &version, lb_cli_get_cancellable (), &error))
    {
      gboolean mismatch = g_error_matches (error, LB_ERROR, LB_ERROR_INVALID_FILE);

      code = lb_cli_fail (error);
      if (mismatch)
        code = LB_EXIT_CHECK_FAILED;
      goto out;
    }
  printf ("%s matches the signed manifest %s (version %" G_GUINT64_FORMAT ")\n", argv[1], manifest, version);
out:
  g_free (pubkey);
  g_free (manifest);
  return code;
}
