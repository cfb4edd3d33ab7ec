/* test-engine-stress.c: the brief's stress test. 100 sessions generate at
 * the same time, each on its own thread with its own LbEngine, all on one
 * loaded model; every session's tokens and final logits must equal what a
 * single session produces alone for the same prompt. Six rounds: the
 * resident memory must stay flat from the second round on (engines and
 * threads are freed between rounds; glibc's per-thread arenas settle in
 * the first two, then wander by a few MB), which with the sanitizer
 * build's leak check covers "no leak". */
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "lowbit.h"
#include "lb-memstat.h"
#include "lb-test-util.h"

#define N_SESSIONS 100
#define N_PROMPTS  10     /* distinct prompts; session i uses prompt i % N_PROMPTS */
#define PROMPT_LEN 24
#define N_GEN      16
#define N_ROUNDS   6

typedef struct {
  LbModel      *model;
  const gint32 *prompt;           /* PROMPT_LEN ids */
  gint32        out[N_GEN];       /* greedy continuation */
  float        *last_logits;      /* after the last step, n_vocab */
  GError       *error;
} Session;

static gpointer
session_run (gpointer data)
{
  Session *s = data;
  LbEngineParams params = LB_ENGINE_PARAMS_INIT;
  guint nv = lb_model_get_hparams (s->model)->n_vocab;
  LbEngine *engine;
  gint32 next;

  params.n_ctx = PROMPT_LEN + N_GEN;
  params.n_threads = 1;   /* the parallelism is the sessions' */
  engine = lb_engine_new (s->model, &params, &s->error);
  if (engine == NULL)
    return NULL;
  if (!lb_engine_eval (engine, s->prompt, PROMPT_LEN, NULL, s->last_logits, &s->error))
    goto out;
  for (guint i = 0; i < N_GEN; i++)
    {
      next = lb_argmax (s->last_logits, nv);
      s->out[i] = next;
      if (i + 1 < N_GEN && !lb_engine_eval (engine, &next, 1, NULL, s->last_logits, &s->error))
        goto out;
    }
out:
  lb_engine_free (engine);
  return NULL;
}

/* N_PROMPTS windows of a real text, BOS first */
static gint32 *
make_prompts (LbModel *model)
{
  g_autofree char *path = lb_test_shared_path ("text", "wikitext2-test.txt", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  LbTokenizer *tok = lb_model_get_tokenizer (model);
  GError *error = NULL;
  gint32 *prompts;

  if (path == NULL)
    return NULL;
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  text[MIN (strlen (text), (gsize) 20000)] = '\0';
  lb_tokenizer_encode (tok, text, -1, FALSE, ids, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, >=, N_PROMPTS * PROMPT_LEN * 2);
  prompts = g_new (gint32, N_PROMPTS * PROMPT_LEN);
  for (guint p = 0; p < N_PROMPTS; p++)
    {
      prompts[p * PROMPT_LEN] = lb_tokenizer_get_bos (tok);
      memcpy (prompts + p * PROMPT_LEN + 1,
              (const gint32 *) ids->data + p * 2 * PROMPT_LEN, (PROMPT_LEN - 1) * sizeof (gint32));
    }
  return prompts;
}

static guint64
rss_now (void)
{
  LbMemStat st;
  GError *error = NULL;

#ifdef __GLIBC__
  /* hand freed memory back first: glibc keeps it in its per-thread arenas */
  malloc_trim (0);
#endif
  g_assert_true (lb_memstat_read (&st, &error));
  g_assert_no_error (error);
  return st.rss_anon;
}

static void
test_parallel_sessions (void)
{
  g_autofree char *path = lb_test_shared_path ("models", "llamacpp-quants", "mini-Q4_0.gguf", NULL);
  g_autoptr (LbModel) model = NULL;
  g_autofree gint32 *prompts = NULL;
  Session ref[N_PROMPTS];
  guint nv;
  guint64 rss_first = 0, rss_prev = 0, engine_bytes;
  GError *error = NULL;

  if (path == NULL)
    return;
  model = lb_model_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  nv = lb_model_get_hparams (model)->n_vocab;
  prompts = make_prompts (model);
  if (prompts == NULL)
    return;
  {
    LbEngineParams params = LB_ENGINE_PARAMS_INIT;
    LbEngine *e;

    params.n_ctx = PROMPT_LEN + N_GEN;
    params.n_threads = 1;
    e = lb_engine_new (model, &params, &error);
    g_assert_no_error (error);
    engine_bytes = lb_engine_get_memory_bytes (e);
    lb_engine_free (e);
    g_test_message ("one session's engine pool: %.1f kB", engine_bytes / 1024.0);
  }

  /* each prompt alone, one after the other */
  for (guint p = 0; p < N_PROMPTS; p++)
    {
      ref[p] = (Session) { model, prompts + p * PROMPT_LEN, { 0 }, g_new (float, nv), NULL };
      session_run (&ref[p]);
      g_assert_no_error (ref[p].error);
    }

  for (guint round = 0; round < N_ROUNDS; round++)
    {
      Session *s = g_new0 (Session, N_SESSIONS);
      GThread **threads = g_new (GThread *, N_SESSIONS);

      for (guint i = 0; i < N_SESSIONS; i++)
        {
          s[i] = (Session) { model, prompts + (i % N_PROMPTS) * PROMPT_LEN, { 0 },
                             g_new (float, nv), NULL };
          threads[i] = g_thread_new ("session", session_run, &s[i]);
        }
      for (guint i = 0; i < N_SESSIONS; i++)
        g_thread_join (threads[i]);
      for (guint i = 0; i < N_SESSIONS; i++)
        {
          const Session *want = &ref[i % N_PROMPTS];

          g_assert_no_error (s[i].error);
          g_assert_cmpmem (s[i].out, sizeof s[i].out, want->out, sizeof want->out);
          g_assert_cmpmem (s[i].last_logits, nv * sizeof (float),
                           want->last_logits, nv * sizeof (float));
          g_free (s[i].last_logits);
        }
      g_free (s);
      g_free (threads);

      if (round == 1)
        rss_first = rss_now ();
      else if (round > 1)
        {
          guint64 rss = rss_now ();

          g_test_message ("round %u: anonymous RSS %.1f MiB (after round 2: %.1f MiB)",
                          round + 1, rss / 1048576.0, rss_first / 1048576.0);
#ifndef __SANITIZE_ADDRESS__
          /* a leaked engine per session would add 100 pools a round
           * (60 MB for this model) to every later round; the arenas
           * wander by a few MB in single rounds, so the lower of the
           * last two rounds is what is checked */
          g_assert_cmpuint (engine_bytes * N_SESSIONS, >, 8 * 1048576);
          if (round == N_ROUNDS - 2)
            rss_prev = rss;
          if (round == N_ROUNDS - 1)
            g_assert_cmpuint (MIN (rss, rss_prev), <, rss_first + 8 * 1048576);
#endif
        }
    }
  for (guint p = 0; p < N_PROMPTS; p++)
    g_free (ref[p].last_logits);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#ifdef __GLIBC__
  /* fewer malloc arenas for 100 threads: less wandering of the RSS */
  mallopt (M_ARENA_MAX, 2);
#endif
  g_test_add_func ("/lowbit/engine-stress/parallel-sessions", test_parallel_sessions);
  return g_test_run ();
}
