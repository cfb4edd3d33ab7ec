/* lb-cli-profile.c: precision profiles on the command line */
#include "config.h"

#include <stdio.h>

#include "lb-cli-profile.h"

void
lb_cli_profile_add_entries (GOptionContext *ctx, LbCliProfileOptions *opts)
{
  GOptionEntry entries[] = {
    { "recipe", 0, 0, G_OPTION_ARG_FILENAME, &opts->recipe_path,
      "Run MODEL quantized in memory by a recipe JSON file (MODEL: the precision it is "
      "quantized from, e.g. F16)", "FILE" },
    { "preset", 0, 0, G_OPTION_ARG_STRING, &opts->preset,
      "The same with a bundled recipe (see lowbit quantize --list-presets)", "NAME" },
    { "profile", 0, 0, G_OPTION_ARG_STRING, &opts->profile,
      "One of the recipe's precision profiles (e.g. performance, accuracy)", "NAME" },
    { "imatrix", 0, 0, G_OPTION_ARG_FILENAME, &opts->imatrix_path,
      "Importance data for the recipe (as for lowbit quantize)", "FILE" },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
}

void
lb_cli_profile_options_clear (LbCliProfileOptions *opts)
{
  g_clear_pointer (&opts->recipe_path, g_free);
  g_clear_pointer (&opts->preset, g_free);
  g_clear_pointer (&opts->profile, g_free);
  g_clear_pointer (&opts->imatrix_path, g_free);
}

gboolean
lb_cli_profile_requested (const LbCliProfileOptions *opts)
{
  return opts->recipe_path != NULL || opts->preset != NULL;
}

int
lb_cli_profile_check_usage (const char *cmd, const LbCliProfileOptions *opts)
{
  if (opts->recipe_path != NULL && opts->preset != NULL)
    return lb_cli_usage_error (cmd, "give --recipe or --preset, not both");
  if (!lb_cli_profile_requested (opts) && opts->profile != NULL)
    return lb_cli_usage_error (cmd, "--profile needs the recipe that defines it "
                                    "(--recipe FILE or --preset NAME)");
  if (!lb_cli_profile_requested (opts) && opts->imatrix_path != NULL)
    return lb_cli_usage_error (cmd, "--imatrix is only used with --recipe or --preset");
  return LB_EXIT_OK;
}

LbProfileSwitch *
lb_cli_profile_open (LbModel *source, const LbCliProfileOptions *opts, guint n_threads,
                     LbProfileSwitchStats *stats, GError **error)
{
  g_autoptr (LbRecipe) recipe = NULL;
  g_autoptr (LbImatrix) imatrix = NULL;
  g_autoptr (LbProfileSwitch) sw = NULL;
  LbProfileSwitchStats st;
  const char *importance;
  gboolean ok;

  recipe = opts->preset ? lb_recipe_load_preset (opts->preset, error)
                        : lb_recipe_load (opts->recipe_path, error);
  if (recipe == NULL)
    return NULL;
  /* as lowbit quantize: a relative importance path is relative to the recipe */
  importance = lb_recipe_get_importance (recipe);
  if (importance && opts->recipe_path && !g_path_is_absolute (importance))
    {
      g_autofree char *dir = g_path_get_dirname (opts->recipe_path);
      g_autofree char *full = g_build_filename (dir, importance, NULL);
      lb_recipe_set_importance (recipe, full);
    }
  if (opts->imatrix_path)
    lb_recipe_set_importance (recipe, opts->imatrix_path);
  if (lb_recipe_get_importance (recipe))
    {
      imatrix = lb_imatrix_load (lb_recipe_get_importance (recipe), error);
      if (imatrix == NULL)
        return NULL;
    }

  sw = lb_profile_switch_new (source, recipe, imatrix, error);
  if (sw == NULL)
    return NULL;
  lb_profile_switch_set_n_threads (sw, n_threads);
  ok = lb_profile_switch_set_profile (sw, opts->profile, &st, lb_cli_progress, NULL,
                                      lb_cli_get_cancellable (), error);
  lb_cli_progress_end ();
  if (!ok)
    return NULL;
  {
    g_autofree char *size = lb_cli_format_size (st.quantized_bytes);
    fprintf (stderr, "profile %s of %s: %u of %u tensors quantized (%s) in %.0f ms\n",
             opts->profile ? opts->profile : "(none)", lb_recipe_get_name (recipe),
             st.n_quantized, st.n_tensors, size, st.total_ms);
  }
  if (stats)
    *stats = st;
  return g_steal_pointer (&sw);
}

/* ---- measuring a switch ---------------------------------------------------------- */

void
lb_cli_switch_timing_clear (LbCliSwitchTiming *timing)
{
  g_clear_pointer (&timing->from, g_free);
  g_clear_pointer (&timing->to, g_free);
}

static double
ms_since (gint64 t0)
{
  return (double) (g_get_monotonic_time () - t0) / 1000.0;
}

static gboolean
switch_and_update (LbProfileSwitch *sw, const char *profile, LbEngine *engine,
                   LbProfileSwitchStats *stats, double *engine_ms, GError **error)
{
  gint64 t0;

  if (!lb_profile_switch_set_profile (sw, profile, stats, NULL, NULL,
                                      lb_cli_get_cancellable (), error))
    return FALSE;
  t0 = g_get_monotonic_time ();
  if (!lb_profile_switch_update_engine (sw, engine, NULL, error))
    return FALSE;
  *engine_ms = ms_since (t0);
  return TRUE;
}

gboolean
lb_cli_profile_measure_switch (LbProfileSwitch *sw, const char *to, guint n_prompt,
                               guint n_ctx, guint n_threads, LbCliSwitchTiming *timing,
                               GError **error)
{
  g_autoptr (LbModel) model = lb_profile_switch_dup_model (sw);
  g_autofree char *from = lb_profile_switch_dup_profile (sw);
  g_autoptr (LbEngine) engine = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (1234);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  LbEngineParams ep = LB_ENGINE_PARAMS_INIT;
  LbProfileSwitchStats st;
  guint n_vocab;
  gint32 next;
  gint64 t0;
  double ignored;

  g_return_val_if_fail (model != NULL, FALSE);

  /* the names first: a bad one fails before anything runs */
  if (lb_profile_switch_get_plan (sw, to, error) == NULL)
    return FALSE;
  timing->from = g_strdup (from ? from : "(recipe)");
  timing->to = g_strdup (to ? to : "(recipe)");

  /* an engine with a prompt in its cache, as a live session has */
  n_vocab = lb_model_get_hparams (model)->n_vocab;
  n_prompt = MAX (n_prompt, 1);
  for (guint i = 0; i < n_prompt; i++)
    {
      gint32 id = (gint32) g_rand_int_range (rand, 0, (gint32) n_vocab);
      g_array_append_val (ids, id);
    }
  ep.n_ctx = MAX (n_ctx, n_prompt + 1);
  ep.n_threads = n_threads;
  engine = lb_engine_new (model, &ep, error);
  if (engine == NULL
      || !lb_engine_eval (engine, (gint32 *) ids->data, ids->len, NULL, NULL, error))
    return FALSE;
  timing->n_past = lb_engine_get_n_past (engine);
  timing->n_ctx = lb_engine_get_n_ctx (engine);

  /* re-quantized on switch, there and back */
  lb_profile_switch_set_cache (sw, LB_PROFILE_CACHE_NONE);
  if (!lb_profile_switch_set_profile (sw, from, &st, NULL, NULL, NULL, error))
    return FALSE;
  timing->resident_from = st.resident_bytes;
  if (!switch_and_update (sw, to, engine, &timing->forward, &timing->forward_engine_ms, error))
    return FALSE;
  timing->resident_to = timing->forward.resident_bytes;
  timing->peak_requantize = timing->resident_from + timing->forward.quantized_bytes;
  next = ids->len > 0 ? g_array_index (ids, gint32, 0) : 0;
  t0 = g_get_monotonic_time ();
  if (!lb_engine_eval (engine, &next, 1, NULL, NULL, error))
    return FALSE;
  timing->next_token_ms = ms_since (t0);
  if (!lb_engine_set_n_past (engine, timing->n_past, error)
      || !switch_and_update (sw, from, engine, &timing->back, &timing->back_engine_ms, error))
    return FALSE;
  timing->peak_requantize = MAX (timing->peak_requantize,
                                 timing->resident_to + timing->back.quantized_bytes);

  /* both resident: build `to` once more, then the switch back and forth is a swap */
  lb_profile_switch_set_cache (sw, LB_PROFILE_CACHE_ALL);
  if (!lb_profile_switch_set_profile (sw, from, NULL, NULL, NULL, NULL, error)
      || !switch_and_update (sw, to, engine, &st, &ignored, error)
      || !switch_and_update (sw, from, engine, &st, &ignored, error)
      || !switch_and_update (sw, to, engine, &timing->cached, &timing->cached_engine_ms, error))
    return FALSE;
  timing->resident_both = timing->cached.resident_bytes;

  /* leave the switch as it was */
  lb_profile_switch_set_cache (sw, LB_PROFILE_CACHE_NONE);
  return lb_profile_switch_set_profile (sw, from, NULL, NULL, NULL, NULL, error);
}

void
lb_cli_switch_timing_print (const LbCliSwitchTiming *t)
{
  const LbProfileSwitchStats *dirs[] = { &t->forward, &t->back };
  const double engine_ms[] = { t->forward_engine_ms, t->back_engine_ms };
  g_autofree char *from = lb_cli_format_size (t->resident_from);
  g_autofree char *to = lb_cli_format_size (t->resident_to);
  g_autofree char *both = lb_cli_format_size (t->resident_both);
  g_autofree char *peak = lb_cli_format_size (t->peak_requantize);

  for (guint i = 0; i < 2; i++)
    {
      const LbProfileSwitchStats *s = dirs[i];
      g_autofree char *q = lb_cli_format_size (s->quantized_bytes);

      printf ("switch        %s -> %s: %u of %u tensors change, %u re-quantized (%s) in "
              "%.1f ms, snapshot %.1f ms, total %.1f ms; engine %.2f ms (%u of %u cached "
              "positions kept)\n", i == 0 ? t->from : t->to, i == 0 ? t->to : t->from,
              s->n_changed, s->n_tensors, s->n_quantized, q, s->quantize_ms, s->build_ms,
              s->total_ms, engine_ms[i], t->n_past, t->n_ctx);
    }
  printf ("switch        first token after it %.1f ms; both profiles resident: %s -> %s in "
          "%.2f ms, engine %.2f ms\n", t->next_token_ms, t->from, t->to, t->cached.total_ms,
          t->cached_engine_ms);
  printf ("switch memory quantized buffers: %s %s, %s %s; re-quantize on switch keeps one, "
          "at most %s during a switch; both resident %s\n", t->from, from, t->to, to, peak,
          both);
}

static void
add_stats (JsonBuilder *b, const char *name, const LbProfileSwitchStats *s, double engine_ms)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "n_tensors");
  json_builder_add_int_value (b, s->n_tensors);
  json_builder_set_member_name (b, "n_changed");
  json_builder_add_int_value (b, s->n_changed);
  json_builder_set_member_name (b, "n_quantized");
  json_builder_add_int_value (b, s->n_quantized);
  json_builder_set_member_name (b, "from_cache");
  json_builder_add_boolean_value (b, s->from_cache);
  json_builder_set_member_name (b, "changed_bytes");
  json_builder_add_int_value (b, (gint64) s->changed_bytes);
  json_builder_set_member_name (b, "quantized_bytes");
  json_builder_add_int_value (b, (gint64) s->quantized_bytes);
  json_builder_set_member_name (b, "shared_bytes");
  json_builder_add_int_value (b, (gint64) s->shared_bytes);
  json_builder_set_member_name (b, "quantize_ms");
  json_builder_add_double_value (b, s->quantize_ms);
  json_builder_set_member_name (b, "snapshot_ms");
  json_builder_add_double_value (b, s->build_ms);
  json_builder_set_member_name (b, "total_ms");
  json_builder_add_double_value (b, s->total_ms);
  json_builder_set_member_name (b, "engine_ms");
  json_builder_add_double_value (b, engine_ms);
  json_builder_end_object (b);
}

JsonNode *
lb_cli_switch_timing_to_json (const LbCliSwitchTiming *t)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "from");
  json_builder_add_string_value (b, t->from);
  json_builder_set_member_name (b, "to");
  json_builder_add_string_value (b, t->to);
  json_builder_set_member_name (b, "n_past");
  json_builder_add_int_value (b, t->n_past);
  json_builder_set_member_name (b, "n_ctx");
  json_builder_add_int_value (b, t->n_ctx);
  add_stats (b, "forward", &t->forward, t->forward_engine_ms);
  add_stats (b, "back", &t->back, t->back_engine_ms);
  add_stats (b, "both_resident", &t->cached, t->cached_engine_ms);
  json_builder_set_member_name (b, "next_token_ms");
  json_builder_add_double_value (b, t->next_token_ms);
  json_builder_set_member_name (b, "resident_from_bytes");
  json_builder_add_int_value (b, (gint64) t->resident_from);
  json_builder_set_member_name (b, "resident_to_bytes");
  json_builder_add_int_value (b, (gint64) t->resident_to);
  json_builder_set_member_name (b, "resident_both_bytes");
  json_builder_add_int_value (b, (gint64) t->resident_both);
  json_builder_set_member_name (b, "peak_requantize_bytes");
  json_builder_add_int_value (b, (gint64) t->peak_requantize);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
