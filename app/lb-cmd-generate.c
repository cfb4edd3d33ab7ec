/* lb-cmd-generate.c: lowbit generate MODEL [-p PROMPT] [-n N] [sampling options]
 *   [--recipe FILE | --preset NAME] [--profile NAME] */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "lb-cli.h"
#include "lb-cli-profile.h"

/* The two engines behind one small interface: the fast engine by default,
 * the fp32 reference engine (the oracle) on request. */
typedef struct {
  LbEngine    *fast;
  LbRefEngine *ref;
} Runner;

static gboolean
runner_eval (Runner *r, const gint32 *ids, guint n, float *last_logits, GError **error)
{
  if (r->fast)
    return lb_engine_eval (r->fast, ids, n, NULL, last_logits, error);
  return lb_ref_engine_eval_batch (r->ref, ids, n, NULL, last_logits, error);
}

static guint
runner_n_past (Runner *r)
{
  return r->fast ? lb_engine_get_n_past (r->fast) : lb_ref_engine_get_n_past (r->ref);
}

static guint
runner_n_ctx (Runner *r)
{
  return r->fast ? lb_engine_get_n_ctx (r->fast) : lb_ref_engine_get_n_ctx (r->ref);
}

static void
runner_clear (Runner *r)
{
  g_clear_pointer (&r->fast, lb_engine_free);
  g_clear_pointer (&r->ref, lb_ref_engine_free);
}

int
lb_cmd_generate (int argc, char **argv)
{
  g_autofree char *prompt = NULL;
  g_autofree char *tokenizer = NULL;
  int n_predict = 128, top_k = 0, n_ctx = 0;
  double temp = 0.0, top_p = 1.0;
  gint64 seed = 42;
  gboolean stats = FALSE;
  g_autofree char *engine_name = NULL;
  g_autofree char *kv_name = NULL;
  int n_threads = 0;
  GOptionEntry entries[] = {
    { "prompt", 'p', 0, G_OPTION_ARG_STRING, &prompt, "Text to continue (default: start from BOS alone)", "TEXT" },
    { "n-predict", 'n', 0, G_OPTION_ARG_INT, &n_predict, "Tokens to generate (default 128)", "N" },
    { "temp", 0, 0, G_OPTION_ARG_DOUBLE, &temp, "Sampling temperature; 0 is greedy (default 0)", "T" },
    { "top-k", 0, 0, G_OPTION_ARG_INT, &top_k, "Keep only the K most likely tokens (0: off)", "K" },
    { "top-p", 0, 0, G_OPTION_ARG_DOUBLE, &top_p, "Nucleus sampling threshold (1: off)", "P" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed (default 42)", "S" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT, &n_ctx, "Context length (default: prompt + N, at most the model's)", "N" },
    { "tokenizer", 't', 0, G_OPTION_ARG_FILENAME, &tokenizer, "Tokenizer of a llama2.c checkpoint", "FILE" },
    { "engine", 'e', 0, G_OPTION_ARG_STRING, &engine_name, "fast (default) or ref (the fp32 reference)", "NAME" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &n_threads, "Threads of the fast engine (default: all cores)", "N" },
    { "kv-type", 0, 0, G_OPTION_ARG_STRING, &kv_name, "KV cache type of the fast engine: f16 (default), f32 or q8_0", "TYPE" },
    { "stats", 0, 0, G_OPTION_ARG_NONE, &stats, "Print token counts and speed on stderr", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("generate", "MODEL", "Generate text (fast engine by default, or the fp32 reference engine).",
                        "Only the generated text is printed on stdout. Generation stops after N "
                        "tokens or at the end-of-sequence token. With --recipe or --preset, "
                        "MODEL is quantized in memory by the recipe (and --profile) first: the "
                        "text is that of `lowbit quantize --profile NAME`'s file.");
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbProfileSwitch) profiles = NULL;
  g_auto (LbCliProfileOptions) popts = { NULL };
  Runner engine = { NULL, NULL };
  LbEngineParams ep = LB_ENGINE_PARAMS_INIT;
  gboolean use_ref = FALSE;
  g_autoptr (LbSampler) sampler = NULL;
  g_autoptr (LbDetokenizer) detok = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree float *logits = NULL;
  LbSamplerParams sp = LB_SAMPLER_PARAMS_INIT;
  LbTokenizer *tok;
  GError *error = NULL;
  gint64 t_start;
  int n_generated = 0;
  guint n_vocab;
  int code;

  g_option_context_add_main_entries (ctx, entries, NULL);
  lb_cli_profile_add_entries (ctx, &popts);
  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if ((code = lb_cli_profile_check_usage ("generate", &popts)) != LB_EXIT_OK)
    return code;
  if (argc != 2)
    return lb_cli_usage_error ("generate", "expected one MODEL argument");
  if (n_predict < 0)
    return lb_cli_usage_error ("generate", "--n-predict must be 0 or more, not %d", n_predict);
  if (temp < 0.0 || !isfinite (temp))
    return lb_cli_usage_error ("generate", "--temp must be 0 or more");
  if (top_k < 0)
    return lb_cli_usage_error ("generate", "--top-k must be 0 or more");
  if (!(top_p > 0.0 && top_p <= 1.0))
    return lb_cli_usage_error ("generate", "--top-p must be in (0, 1]");
  if (n_ctx < 0)
    return lb_cli_usage_error ("generate", "--ctx must be positive");
  if (n_threads < 0)
    return lb_cli_usage_error ("generate", "--threads must be positive");
  if (engine_name && !g_str_equal (engine_name, "fast") && !(use_ref = g_str_equal (engine_name, "ref")))
    return lb_cli_usage_error ("generate", "unknown --engine '%s' (fast or ref)", engine_name);
  if (kv_name)
    {
      LbType kv;
      if (!lb_type_from_name (kv_name, &kv) || (kv != LB_TYPE_F16 && kv != LB_TYPE_F32 && kv != LB_TYPE_Q8_0))
        return lb_cli_usage_error ("generate", "unknown --kv-type '%s' (f16, f32 or q8_0)", kv_name);
      ep.kv_type = kv;
    }

  model = lb_cli_load_model (argv[1], tokenizer, &error);
  if (model == NULL)
    return lb_cli_fail (error);
  if (lb_cli_profile_requested (&popts))
    {
      /* MODEL is the source; the profile's model, quantized in memory, runs */
      profiles = lb_cli_profile_open (model, &popts, (guint) n_threads, NULL, &error);
      if (profiles == NULL)
        return lb_cli_fail (error);
      g_object_unref (model);
      model = lb_profile_switch_dup_model (profiles);
    }
  tok = lb_model_get_tokenizer (model);
  n_vocab = lb_model_get_hparams (model)->n_vocab;

  if (prompt != NULL && *prompt != '\0')
    {
      if (!lb_tokenizer_encode (tok, prompt, -1, TRUE, ids, &error))
        return lb_cli_fail (error);
    }
  else
    {
      gint32 bos = lb_tokenizer_get_bos (tok);
      if (bos < 0)
        return lb_cli_usage_error ("generate", "this model's tokenizer has no BOS token: give a --prompt");
      g_array_append_val (ids, bos);
    }
  if (ids->len == 0)
    return lb_cli_usage_error ("generate", "the prompt encodes to no tokens");

  if (n_ctx == 0)
    n_ctx = (int) MIN ((guint) ids->len + (guint) n_predict, lb_model_get_hparams (model)->n_ctx_train);
  if ((guint) n_ctx < ids->len)
    return lb_cli_usage_error ("generate", "the prompt has %u tokens but the context is %d",
                               ids->len, n_ctx);

  ep.n_ctx = (guint) n_ctx;
  ep.n_threads = (guint) n_threads;
  if (use_ref)
    engine.ref = lb_ref_engine_new (model, (guint) n_ctx, &error);
  else
    engine.fast = lb_engine_new (model, &ep, &error);
  if (engine.ref == NULL && engine.fast == NULL)
    return lb_cli_fail (error);
  sp.temperature = (float) temp;
  sp.top_k = (guint) top_k;
  sp.top_p = (float) top_p;
  sp.seed = (guint64) seed;
  sampler = lb_sampler_new (&sp);
  detok = lb_detokenizer_new (tok);
  logits = g_new (float, n_vocab);

  t_start = g_get_monotonic_time ();
  /* the prompt's pieces set the detokenizer's state but are not printed */
  for (guint i = 0; i < ids->len; i++)
    lb_detokenizer_push (detok, g_array_index (ids, gint32, i));
  if (!runner_eval (&engine, (gint32 *) ids->data, ids->len, logits, &error))
    {
      runner_clear (&engine);
      return lb_cli_fail (error);
    }

  for (n_generated = 0; n_generated < n_predict; n_generated++)
    {
      gint32 next = lb_sampler_sample (sampler, logits, n_vocab);

      if (g_cancellable_is_cancelled (lb_cli_get_cancellable ()))
        break;
      if (next == lb_tokenizer_get_eos (tok) || next == lb_tokenizer_get_bos (tok))
        break;
      fputs (lb_detokenizer_push (detok, next), stdout);
      fflush (stdout);
      if (n_generated + 1 == n_predict)
        {
          n_generated++;
          break;
        }
      if (runner_n_past (&engine) >= runner_n_ctx (&engine))
        {
          n_generated++;
          fprintf (stderr, "\nlowbit: the context of %u tokens is full\n", runner_n_ctx (&engine));
          break;
        }
      if (!runner_eval (&engine, &next, 1, logits, &error))
        {
          runner_clear (&engine);
          return lb_cli_fail (error);
        }
    }
  runner_clear (&engine);
  fputs (lb_detokenizer_flush (detok), stdout);
  fputc ('\n', stdout);

  if (stats)
    {
      double secs = (g_get_monotonic_time () - t_start) / 1e6;
      fprintf (stderr, "prompt %u tokens, generated %d tokens in %.3f s (%.1f tokens/s)\n",
               ids->len, n_generated, secs, secs > 0 ? (ids->len + n_generated) / secs : 0.0);
    }
  if (g_cancellable_is_cancelled (lb_cli_get_cancellable ()))
    return LB_EXIT_CANCELLED;
  return LB_EXIT_OK;
}
