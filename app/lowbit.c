/* lowbit.c: the command-line front end; each subcommand lives in lb-cmd-*.c */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>

#include "lb-cli.h"

static const LbCommand commands[] = {
  { "info",     "MODEL",                         "Show a model's architecture, hyper-parameters and tensors", lb_cmd_info },
  { "generate", "MODEL [-p PROMPT] [-n N]",      "Generate text (fast engine, or --engine ref)", lb_cmd_generate },
  { "convert",  "MODEL -o OUT.gguf",             "Import a Hugging Face folder or llama2.c checkpoint to GGUF", lb_cmd_convert },
  { "quantize", "MODEL -o OUT.gguf (--preset P | --recipe R)", "Quantize to a mixed-precision GGUF following a recipe", lb_cmd_quantize },
  { "calibrate", "MODEL --text FILE -o imatrix.gguf", "Collect importance data (imatrix) over a text", lb_cmd_calibrate },
  { "logits",   "MODEL (--text T | --tokens IDS) -o FILE.f32", "Write the logits at every position", lb_cmd_logits },
  { "tokenize", "MODEL --text T",                "Show the token ids and pieces of a text", lb_cmd_tokenize },
  { "keygen",   "-o KEY",                        "Make an Ed25519 key pair for signing updates", lb_cmd_keygen },
  { "delta",    "OLD.gguf NEW.gguf --sign KEY -o UPDATE.lbdelta", "Make a signed delta update package", lb_cmd_delta },
  { "apply",    "MODEL.gguf UPDATE.lbdelta --pubkey PUB", "Check and apply a signed delta update", lb_cmd_apply },
  { "rollback", "MODEL.gguf",                    "Put back the model the last apply replaced", lb_cmd_rollback },
  { "verify",   "MODEL --pubkey PUB --manifest M", "Check a model against a signed manifest", lb_cmd_verify },
  { "eval",     "CANDIDATE --reference REF --text FILE", "Compare a model with a reference: perplexity, KL divergence, top-1", lb_cmd_eval },
  { "errors",   "MODEL --type T [--layers --text FILE]", "Per-tensor weight error and per-layer output error of a quantization", lb_cmd_errors },
  { "synth",    "--shape SHAPE -o FILE.gguf",    "Write a random-weight model with a real model's shapes", lb_cmd_synth },
  { "bench",    "MODEL [--prompt N] [--gen N]",  "Measure speed, memory and the roofline with the fast engine", lb_cmd_bench },
  { "prune",    "MODEL --sparsity S -o OUT.gguf", "Zero the smallest weights of each row (unstructured or N:M)", lb_cmd_prune },
  { "validate", "CANDIDATE --reference REF --text FILE", "Check size, accuracy, latency and memory targets (exit 3 on a miss)", lb_cmd_validate },
  { "sensitivity", "MODEL --text FILE [--types T,...]", "KLD increase of each tensor (or layer, kind) quantized alone to each type", lb_cmd_sensitivity },
  { "plan",     "MODEL (--size S | --bpw B) -o recipe.json", "Fit a per-tensor precision map to a size budget (least predicted KLD)", lb_cmd_plan },
};

static void
print_usage (FILE *out)
{
  fprintf (out,
           "Usage: lowbit COMMAND [ARGS...]\n\n"
           "Lowbit compresses small language models for phones and edge devices.\n\n"
           "Commands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-12s %s\n", commands[i].name, commands[i].summary);
  fprintf (out,
           "\nMODEL is a GGUF file, a Hugging Face folder (config.json + *.safetensors),\n"
           "or a llama2.c checkpoint .bin (with --tokenizer TOKENIZER.bin).\n\n"
           "Run 'lowbit COMMAND --help' for a command's options.\n"
           "Exit status: 0 success, 1 error, 2 bad usage, 3 a check failed, 130 interrupted.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2)
    {
      print_usage (stderr);
      return LB_EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0)
    {
      if (argc > 2 && strcmp (argv[1], "help") == 0)
        {
          char *sub_argv[] = { argv[2], (char *) "--help", NULL };
          for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
            if (strcmp (commands[i].name, argv[2]) == 0)
              return commands[i].run (2, sub_argv);
        }
      print_usage (stdout);
      return LB_EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("lowbit %s\n", PACKAGE_VERSION);
      return LB_EXIT_OK;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (commands[i].name, argv[1]) == 0)
      return commands[i].run (argc - 1, argv + 1);

  fprintf (stderr, "lowbit: unknown command '%s'\n\n", argv[1]);
  print_usage (stderr);
  return LB_EXIT_USAGE;
}
