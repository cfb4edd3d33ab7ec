/* lb-bench-json.c: a bench result as JSON */
#include "config.h"

#include <string.h>
#include <sys/utsname.h>
#include <json-glib/json-glib.h>

#include "lb-bench.h"

/* "AMD EPYC ..." from /proc/cpuinfo, or NULL */
static char *
cpu_model_name (void)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/cpuinfo", &text, NULL, NULL))
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "model name"))
      {
        const char *colon = strchr (lines[i], ':');
        if (colon)
          return g_strstrip (g_strdup (colon + 1));
      }
  return NULL;
}

static void
add_double (JsonBuilder *b, const char *key, double v)
{
  json_builder_set_member_name (b, key);
  json_builder_add_double_value (b, v);
}

static void
add_int (JsonBuilder *b, const char *key, gint64 v)
{
  json_builder_set_member_name (b, key);
  json_builder_add_int_value (b, v);
}

static void
add_string (JsonBuilder *b, const char *key, const char *v)
{
  json_builder_set_member_name (b, key);
  if (v)
    json_builder_add_string_value (b, v);
  else
    json_builder_add_null_value (b);
}

char *
lb_bench_result_to_json (const LbBenchResult *r, LbModel *model)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *cpu = cpu_model_name ();
  struct utsname un;

  json_builder_begin_object (b);
  if (model)
    {
      add_string (b, "model", lb_model_get_path (model));
      add_string (b, "name", lb_model_get_name (model));
      add_string (b, "architecture", lb_model_get_architecture (model));
      add_int (b, "n_params", (gint64) lb_model_get_n_params (model));
    }
  add_int (b, "file_size", (gint64) r->model_file_size);

  json_builder_set_member_name (b, "machine");
  json_builder_begin_object (b);
  add_string (b, "cpu", cpu);
  add_int (b, "n_cpus", g_get_num_processors ());
  add_string (b, "kernel", uname (&un) == 0 ? un.release : NULL);
  add_string (b, "arch", uname (&un) == 0 ? un.machine : NULL);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "params");
  json_builder_begin_object (b);
  add_int (b, "n_prompt", r->params.n_prompt);
  add_int (b, "n_gen", r->params.n_gen);
  add_int (b, "n_repeat", r->params.n_repeat);
  add_int (b, "n_threads", r->params.n_threads);
  add_int (b, "n_ctx", r->params.n_ctx);
  add_string (b, "kv_type", lb_type_get_name (r->params.kv_type));
  add_int (b, "sample_interval_ms", r->params.sample_interval_ms);
  json_builder_end_object (b);

  add_double (b, "prompt_tok_s", r->prompt_tok_s);
  add_double (b, "prompt_tok_s_stddev", r->prompt_tok_s_stddev);
  add_double (b, "prompt_tok_s_best", r->prompt_tok_s_best);
  add_double (b, "ttft_ms", r->ttft_ms);
  add_double (b, "decode_tok_s", r->decode_tok_s);
  add_double (b, "decode_tok_s_stddev", r->decode_tok_s_stddev);
  add_double (b, "decode_tok_s_best", r->decode_tok_s_best);
  json_builder_set_member_name (b, "decode_ms");
  json_builder_begin_object (b);
  add_double (b, "mean", r->decode_ms_mean);
  add_double (b, "p50", r->decode_ms_p50);
  add_double (b, "p95", r->decode_ms_p95);
  json_builder_end_object (b);
  add_double (b, "load_ms", r->load_ms);

  json_builder_set_member_name (b, "memory");
  json_builder_begin_object (b);
  add_int (b, "peak_rss", (gint64) r->peak_rss);
  add_int (b, "peak_anon", (gint64) r->peak_anon);
  add_int (b, "peak_file", (gint64) r->peak_file);
  add_int (b, "base_anon", (gint64) r->base_anon);
  add_int (b, "pool", (gint64) r->pool_bytes);
  add_int (b, "kv_cache", (gint64) r->kv_bytes);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "cpu");
  json_builder_begin_object (b);
  add_double (b, "seconds", r->cpu_seconds);
  add_double (b, "wall_seconds", r->wall_seconds);
  add_double (b, "cores_busy", r->cpu_cores_busy);
  add_double (b, "util_pct", r->cpu_util_pct);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "roofline");
  json_builder_begin_object (b);
  add_int (b, "weight_bytes_per_token", (gint64) r->weight_bytes_per_token);
  add_double (b, "bandwidth_gb_s", r->bandwidth_bytes_s / 1e9);
  add_int (b, "bandwidth_threads", r->bandwidth_threads);
  add_double (b, "limit_tok_s", r->roofline_tok_s);
  add_double (b, "pct", r->roofline_pct);
  json_builder_end_object (b);

  /* the memory series as parallel arrays: compact and easy to plot */
  json_builder_set_member_name (b, "samples");
  json_builder_begin_object (b);
  {
    static const char *keys[] = { "t", "anon", "file", "cpu" };
    for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
      {
        json_builder_set_member_name (b, keys[k]);
        json_builder_begin_array (b);
        for (guint i = 0; r->samples && i < r->samples->len; i++)
          {
            const LbMemSample *s = &g_array_index (r->samples, LbMemSample, i);
            switch (k)
              {
              case 0: json_builder_add_double_value (b, s->t); break;
              case 1: json_builder_add_int_value (b, (gint64) s->rss_anon); break;
              case 2: json_builder_add_int_value (b, (gint64) s->rss_file); break;
              default: json_builder_add_double_value (b, s->cpu); break;
              }
          }
        json_builder_end_array (b);
      }
  }
  json_builder_end_object (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}
