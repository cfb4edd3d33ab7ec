/* test-profile-switch.c: switching mini-qwen2 between brief-mixed's
 * profiles under running engines.
 *
 * The oracles: llama.cpp's own quantizations of the same f16 file
 * (llamacpp-quants/mini-Q4_0.gguf, mini-Q8_0.gguf) hold every tensor of both
 * profiles block for block; the files `lowbit quantize --profile` writes
 * (lb_quantize_model, a separate streaming code path) give the same bytes
 * and so bit-identical logits; transformers' logits (ref-logits.f32) bound
 * how far the accuracy profile may drift. The recipe defines which tensors
 * differ between the profiles: attention int4 / int8 and the other block
 * matrices int8 / 16-bit, 7 matrices in each of the 8 blocks. */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "lowbit.h"
#include "lb-quantize.h"
#include "lb-test-util.h"

#define N_CTX 64

static LbModel *
load_path (const char *path)
{
  GError *error = NULL;
  LbModel *model = lb_model_load (path, NULL, NULL, &error);

  g_assert_no_error (error);
  return model;
}

static LbModel *
load_shared (const char *dir, const char *file)
{
  g_autofree char *path = lb_test_shared_path ("models", dir, file, NULL);

  return path ? load_path (path) : NULL;
}

#define LOAD_F16() load_shared ("mini-qwen2", "mini-qwen2-f16.gguf")

static LbProfileSwitch *
new_switch (LbModel *source)
{
  g_autoptr (LbRecipe) recipe = NULL;
  GError *error = NULL;
  LbProfileSwitch *sw;

  recipe = lb_recipe_load_preset ("brief-mixed", &error);
  g_assert_no_error (error);
  sw = lb_profile_switch_new (source, recipe, NULL, &error);
  g_assert_no_error (error);
  lb_profile_switch_set_n_threads (sw, 2);
  return sw;
}

static void
set_profile (LbProfileSwitch *sw, const char *profile, LbProfileSwitchStats *stats)
{
  GError *error = NULL;

  g_assert_true (lb_profile_switch_set_profile (sw, profile, stats, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

static GArray *
prompt_tokens (void)
{
  g_autofree char *json = lb_test_shared_path ("models", "mini-qwen2", "ref-logits.json", NULL);

  return json ? lb_test_json_int_array (json, "tokens") : NULL;
}

static LbEngine *
new_engine (LbModel *model)
{
  LbEngineParams params = LB_ENGINE_PARAMS_INIT;
  GError *error = NULL;
  LbEngine *engine;

  params.n_ctx = N_CTX;
  params.n_threads = 2;
  engine = lb_engine_new (model, &params, &error);
  g_assert_no_error (error);
  return engine;
}

static void
eval (LbEngine *engine, const gint32 *tokens, guint n, float *logits)
{
  GError *error = NULL;

  g_assert_true (lb_engine_eval (engine, tokens, n, logits, NULL, &error));
  g_assert_no_error (error);
}

/* the logits of every position of tokens, from a fresh engine */
static float *
all_logits (LbModel *model, const GArray *tokens)
{
  g_autoptr (LbEngine) engine = new_engine (model);
  float *logits = g_new (float, (gsize) tokens->len * lb_model_get_hparams (model)->n_vocab);

  eval (engine, (const gint32 *) tokens->data, tokens->len, logits);
  return logits;
}

static gboolean
is_block_matrix (const char *name)
{
  static const char *const kinds[] = { "attn_q", "attn_k", "attn_v", "attn_output",
                                       "ffn_gate", "ffn_up", "ffn_down" };
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *suffix = g_strdup_printf (".%s.weight", kinds[i]);
      if (g_str_has_prefix (name, "blk.") && g_str_has_suffix (name, suffix))
        return TRUE;
    }
  return FALSE;
}

static double
cosine (const float *a, const float *b, gsize n)
{
  double ab = 0, aa = 0, bb = 0;

  for (gsize i = 0; i < n; i++)
    {
      ab += (double) a[i] * b[i];
      aa += (double) a[i] * a[i];
      bb += (double) b[i] * b[i];
    }
  return ab / sqrt (aa * bb);
}

/* ---- a switch swaps exactly the differing tensors ------------------------------- */

static void
test_swap_exact (void)
{
  g_autoptr (LbModel) source = LOAD_F16 ();
  g_autoptr (LbProfileSwitch) sw = NULL;
  g_autoptr (LbModel) perf = NULL, acc = NULL, back = NULL;
  g_auto (GStrv) diff = NULL;
  LbProfileSwitchStats st;
  guint n_block_matrices = 0;

  if (source == NULL)
    return;
  sw = new_switch (source);
  g_assert_false (lb_profile_switch_has_model (sw));
  g_assert_null (lb_profile_switch_dup_model (sw));

  set_profile (sw, "performance", &st);
  perf = lb_profile_switch_dup_model (sw);
  g_assert_false (st.from_cache);
  /* from the f16 source: every matrix is quantized, the norms are views */
  g_assert_cmpuint (st.n_quantized, ==, 8 * 7 + 1);
  g_assert_cmpuint (st.n_changed, ==, st.n_quantized);

  /* the recipe says which tensors differ: the 56 block matrices */
  diff = lb_profile_switch_diff (sw, "performance", "accuracy", NULL);
  g_assert_nonnull (diff);
  for (guint i = 0; diff[i]; i++)
    g_assert_true (is_block_matrix (diff[i]));
  g_assert_cmpuint (g_strv_length (diff), ==, 8 * 7);

  set_profile (sw, "accuracy", &st);
  acc = lb_profile_switch_dup_model (sw);
  g_assert_true (acc != perf);
  {
    g_autofree char *name = lb_profile_switch_dup_profile (sw);
    g_assert_cmpstr (name, ==, "accuracy");
  }
  g_assert_cmpuint (st.n_changed, ==, 8 * 7);
  /* the attention is quantized again; the ffn takes the source's f16 bytes */
  g_assert_cmpuint (st.n_quantized, ==, 8 * 4);
  g_assert_cmpuint (st.n_tensors, ==, lb_model_get_n_tensors (source));

  for (guint i = 0; i < lb_model_get_n_tensors (acc); i++)
    {
      const LbTensor *a = lb_model_get_tensor (acc, i);
      const LbTensor *p = lb_model_find_tensor (perf, a->name);
      const LbTensor *s = lb_model_find_tensor (source, a->name);
      gboolean differs = g_strv_contains ((const char * const *) diff, a->name);

      g_assert_nonnull (p);
      if (differs)
        {
          n_block_matrices++;
          g_assert_cmpint (a->type, !=, p->type);
          g_assert_true (a->data != p->data);
          if (strstr (a->name, ".ffn_") != NULL)
            {
              /* 16-bit: a view of the mapped source, no copy */
              g_assert_cmpint (a->type, ==, LB_TYPE_F16);
              g_assert_true (a->data == s->data);
            }
        }
      else
        {
          /* shared by pointer, whatever it is (Q8_0 embedding, F32 norms) */
          g_assert_cmpint (a->type, ==, p->type);
          g_assert_true (a->data == p->data);
          g_assert_cmpuint (a->n_bytes, ==, p->n_bytes);
        }
    }
  g_assert_cmpuint (n_block_matrices, ==, 8 * 7);
  g_assert_cmpint (lb_model_find_tensor (acc, "token_embd.weight")->type, ==, LB_TYPE_Q8_0);

  /* and back: a new snapshot, the perf one is untouched */
  set_profile (sw, "performance", &st);
  back = lb_profile_switch_dup_model (sw);
  g_assert_cmpuint (st.n_changed, ==, 8 * 7);
  g_assert_cmpuint (st.n_quantized, ==, 8 * 7);
  g_assert_true (lb_model_find_tensor (back, "token_embd.weight")->data
                 == lb_model_find_tensor (perf, "token_embd.weight")->data);
  /* the same profile again does nothing */
  set_profile (sw, "performance", &st);
  g_assert_true (st.from_cache);
  g_assert_cmpuint (st.n_changed, ==, 0);
}

/* ---- the snapshots are the exports ----------------------------------------------- */

/* each tensor of model equals, byte for byte, the tensor of that name and
 * type in one of llama.cpp's files */
static void
check_against_llamacpp (LbModel *model, LbModel *const *oracles, guint n_oracles)
{
  for (guint i = 0; i < lb_model_get_n_tensors (model); i++)
    {
      const LbTensor *t = lb_model_get_tensor (model, i);
      gboolean found = FALSE;

      for (guint o = 0; o < n_oracles && !found; o++)
        {
          const LbTensor *r = lb_model_find_tensor (oracles[o], t->name);

          if (r == NULL || r->type != t->type)
            continue;
          found = TRUE;
          g_assert_cmpuint (r->n_bytes, ==, t->n_bytes);
          if (memcmp (r->data, t->data, t->n_bytes) != 0)
            g_test_fail_printf ("%s (%s) differs from llama.cpp's", t->name,
                                lb_type_get_name (t->type));
        }
      if (!found)
        g_test_fail_printf ("no llama.cpp file has %s as %s", t->name,
                            lb_type_get_name (t->type));
    }
}

static void
test_matches_export (void)
{
  g_autoptr (LbModel) source = LOAD_F16 ();
  g_autoptr (LbModel) q8 = load_shared ("llamacpp-quants", "mini-Q8_0.gguf");
  g_autoptr (LbModel) q4 = load_shared ("llamacpp-quants", "mini-Q4_0.gguf");
  g_autofree char *ref_path = lb_test_shared_path ("models", "mini-qwen2", "ref-logits.f32", NULL);
  g_autoptr (GArray) tokens = prompt_tokens ();
  g_autoptr (LbProfileSwitch) sw = NULL;
  g_autofree char *tmp = lb_test_make_tmpdir ();
  const char *profiles[] = { "accuracy", "performance", "accuracy" };

  if (source == NULL || q8 == NULL || q4 == NULL || ref_path == NULL || tokens == NULL)
    return;
  sw = new_switch (source);
  /* accuracy first from the source, then each through a switch */
  for (guint k = 0; k < G_N_ELEMENTS (profiles); k++)
    {
      LbModel *oracles[] = { q4, q8, source };
      g_autofree char *out = g_build_filename (tmp, "export.gguf", NULL);
      g_autoptr (LbModel) snap = NULL, exported = NULL;
      g_autofree float *a = NULL, *b = NULL;
      GError *error = NULL;
      guint nv = lb_model_get_hparams (source)->n_vocab;

      set_profile (sw, profiles[k], NULL);
      snap = lb_profile_switch_dup_model (sw);
      check_against_llamacpp (snap, oracles, G_N_ELEMENTS (oracles));

      /* what lowbit quantize --profile writes */
      g_assert_true (lb_quantize_model (source, lb_profile_switch_get_plan (sw, profiles[k], NULL),
                                        NULL, out, 2, NULL, NULL, NULL, &error));
      g_assert_no_error (error);
      exported = load_path (out);
      g_assert_cmpuint (lb_model_get_n_tensors (exported), ==, lb_model_get_n_tensors (snap));
      for (guint i = 0; i < lb_model_get_n_tensors (snap); i++)
        {
          const LbTensor *t = lb_model_get_tensor (snap, i);
          const LbTensor *e = lb_model_find_tensor (exported, t->name);

          g_assert_nonnull (e);
          g_assert_cmpint (e->type, ==, t->type);
          g_assert_cmpuint (e->n_bytes, ==, t->n_bytes);
          g_assert_true (memcmp (e->data, t->data, t->n_bytes) == 0);
        }
      a = all_logits (snap, tokens);
      b = all_logits (exported, tokens);
      g_assert_true (memcmp (a, b, (gsize) tokens->len * nv * sizeof (float)) == 0);

      /* and near transformers' fp32 logits */
      {
        gsize n_ref = 0;
        g_autofree float *ref = lb_test_read_f32 (ref_path, &n_ref);

        g_assert_cmpuint (n_ref, ==, (gsize) tokens->len * nv);
        for (guint t = 0; t < tokens->len; t++)
          g_assert_cmpfloat (cosine (a + (gsize) t * nv, ref + (gsize) t * nv, nv), >,
                             g_str_equal (profiles[k], "accuracy") ? 0.999 : 0.99);
      }
      g_object_unref (g_steal_pointer (&exported));
      g_unlink (out);
    }
  lb_test_rmtree (tmp);
}

/* ---- an engine taking a new model keeps its cache -------------------------------- */

static void
test_engine_set_model (void)
{
  g_autoptr (LbModel) source = LOAD_F16 ();
  g_autoptr (GArray) tokens = prompt_tokens ();
  g_autoptr (LbProfileSwitch) sw = NULL;
  g_autoptr (LbModel) perf = NULL, acc = NULL, perf2 = NULL;
  g_autoptr (LbEngine) e = NULL;
  g_autofree float *whole_perf = NULL, *whole_acc = NULL, *x = NULL;
  GError *error = NULL;
  guint nv, n, half;

  if (source == NULL || tokens == NULL)
    return;
  nv = lb_model_get_hparams (source)->n_vocab;
  n = tokens->len;
  half = n / 2;
  sw = new_switch (source);
  set_profile (sw, "performance", NULL);
  perf = lb_profile_switch_dup_model (sw);
  set_profile (sw, "accuracy", NULL);
  acc = lb_profile_switch_dup_model (sw);
  /* another snapshot of the performance profile: other buffers, same bytes */
  set_profile (sw, "performance", NULL);
  perf2 = lb_profile_switch_dup_model (sw);
  g_assert_true (lb_model_find_tensor (perf2, "blk.0.attn_q.weight")->data
                 != lb_model_find_tensor (perf, "blk.0.attn_q.weight")->data);

  whole_perf = all_logits (perf, tokens);
  whole_acc = all_logits (acc, tokens);
  x = g_new (float, (gsize) n * nv);

  /* perf -> acc -> perf in the middle of the sequence: the cache and the
   * constants stay, and the inputs follow the formats the weights read
   * (ffn_down reads Q8_0 activations in Q8_0, f32 ones in F16) */
  e = new_engine (perf);
  eval (e, (const gint32 *) tokens->data, half, x);
  g_assert_true (lb_engine_set_model (e, acc, &error));
  g_assert_no_error (error);
  g_assert_true (lb_engine_get_model (e) == acc);
  g_assert_cmpuint (lb_engine_get_n_past (e), ==, half);
  g_assert_true (lb_engine_set_model (e, perf, &error));
  g_assert_no_error (error);
  eval (e, (const gint32 *) tokens->data + half, n - half, x + (gsize) half * nv);
  g_assert_true (memcmp (x, whole_perf, (gsize) n * nv * sizeof (float)) == 0);

  /* perf -> perf2: the same formats and other buffers */
  lb_engine_reset (e);
  eval (e, (const gint32 *) tokens->data, half, x);
  g_assert_true (lb_engine_set_model (e, perf2, &error));
  g_assert_no_error (error);
  eval (e, (const gint32 *) tokens->data + half, n - half, x + (gsize) half * nv);
  g_assert_true (memcmp (x, whole_perf, (gsize) n * nv * sizeof (float)) == 0);

  /* after a switch and a reset, a fresh engine's results */
  g_assert_true (lb_engine_set_model (e, acc, &error));
  lb_engine_reset (e);
  eval (e, (const gint32 *) tokens->data, n, x);
  g_assert_true (memcmp (x, whole_acc, (gsize) n * nv * sizeof (float)) == 0);

  /* an engine made on acc needs a Q8_0 copy of the ffn activations for
   * perf, once: switching back and forth allocates nothing more */
  {
    g_autoptr (LbEngine) e2 = new_engine (acc);
    LbEngineMemory mem;
    gsize m0 = lb_engine_get_memory_bytes (e2), m1;

    g_assert_true (lb_engine_set_model (e2, perf, &error));
    m1 = lb_engine_get_memory_bytes (e2);
    /* n_batch rows of n_ff values in Q8_0 blocks of 34 bytes per 32 */
    g_assert_cmpuint (m1 - m0, >=, (gsize) N_CTX * lb_model_get_hparams (acc)->n_ff / 32 * 34);
    g_assert_true (lb_engine_set_model (e2, acc, &error));
    g_assert_true (lb_engine_set_model (e2, perf2, &error));
    g_assert_cmpuint (lb_engine_get_memory_bytes (e2), ==, m1);
    lb_engine_get_memory (e2, &mem);
    g_assert_cmpuint (mem.total, >=, m1 - m0);
    eval (e2, (const gint32 *) tokens->data, n, x);
    g_assert_true (memcmp (x, whole_perf, (gsize) n * nv * sizeof (float)) == 0);
  }

  /* a switch in the middle: the second half runs the accuracy weights over
   * the cache the performance weights made: unlike perf alone, near acc */
  lb_engine_reset (e);
  g_assert_true (lb_engine_set_model (e, perf, &error));
  eval (e, (const gint32 *) tokens->data, half, x);
  g_assert_true (lb_engine_set_model (e, acc, &error));
  eval (e, (const gint32 *) tokens->data + half, n - half, x + (gsize) half * nv);
  g_assert_true (memcmp (x + (gsize) (n - 1) * nv, whole_perf + (gsize) (n - 1) * nv,
                         nv * sizeof (float)) != 0);
  g_assert_true (memcmp (x + (gsize) (n - 1) * nv, whole_acc + (gsize) (n - 1) * nv,
                         nv * sizeof (float)) != 0);
  g_assert_cmpfloat (cosine (x + (gsize) (n - 1) * nv, whole_acc + (gsize) (n - 1) * nv, nv),
                     >, 0.99);
}

/* ---- other sessions are not disturbed -------------------------------------------- */

#define N_DECODE 24

typedef struct {
  LbProfileSwitch *sw;
  GArray          *tokens;
  gboolean         follow;       /* pick up new snapshots between evals */
  GMutex           mutex;
  GCond            cond;
  gboolean         prompt_done;
  gboolean         switched;     /* set by the main thread */
  float           *logits;       /* N_DECODE × n_vocab */
  guint            n_pickups;
  LbModel         *final_model;
} Session;

/* greedy decode after the prompt; logits of each step */
static gpointer
session_thread (gpointer data)
{
  Session *s = data;
  g_autoptr (LbModel) model = lb_profile_switch_dup_model (s->sw);
  g_autoptr (LbEngine) engine = new_engine (model);
  guint nv = lb_model_get_hparams (model)->n_vocab;
  g_autofree float *last = g_new (float, nv);
  GError *error = NULL;

  g_assert_true (lb_engine_eval (engine, (const gint32 *) s->tokens->data, s->tokens->len, NULL,
                                 last, &error));
  g_assert_no_error (error);
  g_mutex_lock (&s->mutex);
  s->prompt_done = TRUE;
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->mutex);

  for (guint step = 0; step < N_DECODE; step++)
    {
      gint32 next = 0;

      for (guint i = 1; i < nv; i++)
        if (last[i] > last[next])
          next = (gint32) i;
      /* half way, wait until the main thread has switched */
      if (step == N_DECODE / 2)
        {
          g_mutex_lock (&s->mutex);
          while (!s->switched)
            g_cond_wait (&s->cond, &s->mutex);
          g_mutex_unlock (&s->mutex);
        }
      if (s->follow)
        {
          gboolean picked = FALSE;
          g_assert_true (lb_profile_switch_update_engine (s->sw, engine, &picked, &error));
          g_assert_no_error (error);
          s->n_pickups += picked;
        }
      g_assert_true (lb_engine_eval (engine, &next, 1, NULL, last, &error));
      g_assert_no_error (error);
      memcpy (s->logits + (gsize) step * nv, last, nv * sizeof (float));
    }
  s->final_model = g_object_ref (lb_engine_get_model (engine));
  return NULL;
}

static void
test_concurrent (void)
{
  g_autoptr (LbModel) source = LOAD_F16 ();
  g_autoptr (GArray) tokens = prompt_tokens ();
  g_autoptr (LbProfileSwitch) sw = NULL;
  g_autoptr (LbModel) acc = NULL;
  Session ref = { 0 }, bystander = { 0 }, follower = { 0 };
  Session *sessions[] = { &bystander, &follower };
  GThread *threads[2];
  guint nv;

  if (source == NULL || tokens == NULL)
    return;
  nv = lb_model_get_hparams (source)->n_vocab;
  sw = new_switch (source);
  set_profile (sw, "performance", NULL);

  /* what the performance profile decodes undisturbed */
  ref.sw = sw;
  ref.tokens = tokens;
  ref.switched = TRUE;
  ref.logits = g_new (float, (gsize) N_DECODE * nv);
  g_mutex_init (&ref.mutex);
  g_cond_init (&ref.cond);
  session_thread (&ref);
  /* only the bystander's engine may keep the old snapshot alive */
  g_clear_object (&ref.final_model);

  for (guint i = 0; i < 2; i++)
    {
      Session *s = sessions[i];
      s->sw = sw;
      s->tokens = tokens;
      s->follow = s == &follower;
      s->logits = g_new (float, (gsize) N_DECODE * nv);
      g_mutex_init (&s->mutex);
      g_cond_init (&s->cond);
      threads[i] = g_thread_new ("session", session_thread, s);
    }
  for (guint i = 0; i < 2; i++)
    {
      g_mutex_lock (&sessions[i]->mutex);
      while (!sessions[i]->prompt_done)
        g_cond_wait (&sessions[i]->cond, &sessions[i]->mutex);
      g_mutex_unlock (&sessions[i]->mutex);
    }
  /* three switches while both decode; the last one leaves accuracy current
   * and nothing in the switch holds the performance buffers any more */
  set_profile (sw, "accuracy", NULL);
  set_profile (sw, "performance", NULL);
  set_profile (sw, "accuracy", NULL);
  acc = lb_profile_switch_dup_model (sw);
  for (guint i = 0; i < 2; i++)
    {
      g_mutex_lock (&sessions[i]->mutex);
      sessions[i]->switched = TRUE;
      g_cond_broadcast (&sessions[i]->cond);
      g_mutex_unlock (&sessions[i]->mutex);
    }
  for (guint i = 0; i < 2; i++)
    g_thread_join (threads[i]);

  /* the bystander finished on its snapshot, bit for bit */
  g_assert_true (memcmp (bystander.logits, ref.logits, (gsize) N_DECODE * nv * sizeof (float)) == 0);
  g_assert_true (bystander.final_model != acc);
  g_assert_cmpint (lb_model_find_tensor (bystander.final_model, "blk.0.attn_q.weight")->type,
                   ==, LB_TYPE_Q4_0);
  /* the follower picked up a new snapshot (one to three times, depending on
   * how the switches fell between its steps) and ended on accuracy's */
  g_assert_true (follower.final_model == acc);
  g_assert_cmpuint (follower.n_pickups, >=, 1);
  g_assert_cmpuint (follower.n_pickups, <=, 3);
  g_assert_true (memcmp (follower.logits + (gsize) (N_DECODE - 1) * nv,
                         ref.logits + (gsize) (N_DECODE - 1) * nv, nv * sizeof (float)) != 0);

  for (guint i = 0; i < 3; i++)
    {
      Session *s = i < 2 ? sessions[i] : &ref;
      g_free (s->logits);
      g_clear_object (&s->final_model);
      g_mutex_clear (&s->mutex);
      g_cond_clear (&s->cond);
    }
}

/* ---- keeping every profile resident ---------------------------------------------- */

/* quantized bytes of a plan, as the switch should count them */
static guint64
own_bytes (LbQuantPlan *plan, LbQuantPlan *shared_with)
{
  guint64 n = 0;

  for (guint i = 0; i < lb_quant_plan_get_n_entries (plan); i++)
    {
      const LbPlanEntry *e = lb_quant_plan_get_entry (plan, i);
      const LbPlanEntry *o = shared_with ? lb_quant_plan_find (shared_with, e->tensor->name) : NULL;

      if (e->type != e->tensor->type && (o == NULL || o->type != e->type))
        n += e->n_bytes;
    }
  return n;
}

static void
test_cache_all (void)
{
  g_autoptr (LbModel) source = LOAD_F16 ();
  g_autoptr (LbProfileSwitch) sw = NULL;
  g_autoptr (LbModel) perf = NULL, perf_again = NULL;
  LbQuantPlan *pp, *pa;
  LbProfileSwitchStats st;

  if (source == NULL)
    return;
  sw = new_switch (source);
  pp = lb_profile_switch_get_plan (sw, "performance", NULL);
  pa = lb_profile_switch_get_plan (sw, "accuracy", NULL);
  g_assert_nonnull (pp);
  g_assert_nonnull (pa);

  /* re-quantized on switch: only the current profile's buffers */
  set_profile (sw, "performance", &st);
  g_assert_cmpuint (st.resident_bytes, ==, own_bytes (pp, NULL));
  set_profile (sw, "accuracy", &st);
  g_assert_cmpuint (st.resident_bytes, ==, own_bytes (pa, NULL));
  /* the embedding was shared, not quantized again */
  g_assert_cmpuint (st.shared_bytes, >=,
                    lb_quant_plan_find (pa, "token_embd.weight")->n_bytes);

  /* both resident: the second profile costs its own differing tensors */
  lb_profile_switch_set_cache (sw, LB_PROFILE_CACHE_ALL);
  g_assert_cmpint (lb_profile_switch_get_cache (sw), ==, LB_PROFILE_CACHE_ALL);
  set_profile (sw, "performance", &st);
  perf = lb_profile_switch_dup_model (sw);
  g_assert_false (st.from_cache);
  set_profile (sw, "accuracy", &st);
  g_assert_false (st.from_cache);
  g_assert_cmpuint (st.resident_bytes, ==, own_bytes (pp, NULL) + own_bytes (pa, pp));
  set_profile (sw, "performance", &st);
  g_assert_true (st.from_cache);
  g_assert_cmpuint (st.n_quantized, ==, 0);
  g_assert_cmpuint (st.n_changed, ==, 8 * 7);
  perf_again = lb_profile_switch_dup_model (sw);
  g_assert_true (perf_again == perf);

  /* back to re-quantizing: the other profile is dropped */
  lb_profile_switch_set_cache (sw, LB_PROFILE_CACHE_NONE);
  set_profile (sw, NULL, &st);
  g_assert_null (lb_profile_switch_dup_profile (sw));
  g_assert_false (st.from_cache);
  g_assert_cmpuint (st.resident_bytes, ==,
                    own_bytes (lb_profile_switch_get_plan (sw, NULL, NULL), NULL));
}

/* ---- async --------------------------------------------------------------------------- */

static void
on_switched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbProfileSwitchStats *st = user_data;
  GError *error = NULL;

  g_assert_true (lb_profile_switch_set_profile_finish (LB_PROFILE_SWITCH (source), result, st,
                                                       &error));
  g_assert_no_error (error);
}

static void
test_async (void)
{
  g_autoptr (LbModel) source = LOAD_F16 ();
  g_autoptr (LbProfileSwitch) sw = NULL;
  LbProfileSwitchStats st = { 0 };
  g_autofree char *name = NULL;

  if (source == NULL)
    return;
  sw = new_switch (source);
  lb_profile_switch_set_profile_async (sw, "accuracy", NULL, on_switched, &st);
  while (st.n_tensors == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (st.n_quantized, ==, 8 * 4 + 1);
  name = lb_profile_switch_dup_profile (sw);
  g_assert_cmpstr (name, ==, "accuracy");
}

/* ---- errors ---------------------------------------------------------------------- */

static void
test_errors (void)
{
  g_autoptr (LbModel) source = LOAD_F16 ();
  g_autoptr (LbModel) tiny = load_shared ("tiny-archs", "tiny-qwen2-bpe");
  g_autoptr (LbModel) llama = load_shared ("tiny-archs", "tiny-llama3");
  g_autoptr (LbProfileSwitch) sw = NULL;
  g_autoptr (LbModel) perf = NULL;
  g_autoptr (LbEngine) engine = NULL;
  g_autoptr (LbRecipe) recipe = NULL;
  GError *error = NULL;
  gint32 bos = 1;
  float *none = NULL;

  if (source == NULL || tiny == NULL || llama == NULL)
    return;
  sw = new_switch (source);

  /* an unknown profile names itself and the recipe's */
  g_assert_false (lb_profile_switch_set_profile (sw, "turbo", NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "\"turbo\""));
  g_assert_nonnull (strstr (error->message, "performance, accuracy"));
  g_clear_error (&error);
  g_assert_null (lb_profile_switch_diff (sw, "performance", "fast", &error));
  g_assert_nonnull (strstr (error->message, "\"fast\""));
  g_clear_error (&error);
  g_assert_false (lb_profile_switch_has_model (sw));

  /* no profile chosen yet */
  engine = new_engine (source);
  g_assert_false (lb_profile_switch_update_engine (sw, engine, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "no profile"));
  g_clear_error (&error);

  /* an engine on another shape is refused and keeps running its model */
  set_profile (sw, "performance", NULL);
  perf = lb_profile_switch_dup_model (sw);
  eval (engine, &bos, 1, none);
  g_assert_false (lb_engine_set_model (engine, tiny, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "embedding length is 64"));
  g_assert_nonnull (strstr (error->message, "has 256"));
  g_clear_error (&error);
  g_assert_false (lb_engine_set_model (engine, llama, &error));
  g_assert_nonnull (strstr (error->message, "llama model"));
  g_clear_error (&error);
  g_assert_true (lb_engine_get_model (engine) == source);
  g_assert_cmpuint (lb_engine_get_n_past (engine), ==, 1);
  g_assert_true (lb_profile_switch_update_engine (sw, engine, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (lb_engine_get_model (engine) == perf);

  /* a switch whose source has another shape than the engine */
  {
    g_autoptr (LbEngine) small = new_engine (tiny);
    g_assert_false (lb_profile_switch_update_engine (sw, small, NULL, &error));
    g_assert_nonnull (strstr (error->message, "embedding length"));
    g_clear_error (&error);
  }

  /* a recipe that wants importance data it was not given */
  recipe = lb_recipe_load_preset ("brief-mixed", &error);
  g_assert_no_error (error);
  lb_recipe_set_importance (recipe, "/nonexistent/imatrix.gguf");
  g_assert_null (lb_profile_switch_new (source, recipe, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "importance"));
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/profile-switch/swap-exact", test_swap_exact);
  g_test_add_func ("/lowbit/profile-switch/matches-export", test_matches_export);
  g_test_add_func ("/lowbit/profile-switch/engine-set-model", test_engine_set_model);
  g_test_add_func ("/lowbit/profile-switch/concurrent", test_concurrent);
  g_test_add_func ("/lowbit/profile-switch/cache-all", test_cache_all);
  g_test_add_func ("/lowbit/profile-switch/async", test_async);
  g_test_add_func ("/lowbit/profile-switch/errors", test_errors);
  return g_test_run ();
}
