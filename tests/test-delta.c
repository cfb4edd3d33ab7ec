/* test-delta.c: delta packages (lb-delta.h, lb-delta-format.h): round trips
 * that must give the new file byte for byte, and every kind of tampering,
 * which must be refused with the model left byte-identical. */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "lowbit.h"
#include "lb-delta.h"
#include "lb-test-util.h"

/* ---- helpers -------------------------------------------------------------- */

typedef struct {
  const char *name;
  LbType      type;
  gint64      ne0, ne1;
  guint       seed;
  guint       perturb;   /* 0: none; ZEROED: all bytes 0; otherwise a second seed for small changes */
} TSpec;

#define ZEROED G_MAXUINT

static guint8 *
tensor_bytes (const TSpec *t, gsize *n)
{
  gint64 n_el = t->ne0 * t->ne1;
  guint8 *b;

  if (t->perturb == ZEROED)
    {
      *n = lb_type_row_size (t->type, t->ne0) * (gsize) t->ne1;
      return g_malloc0 (*n);
    }
  if (t->type == LB_TYPE_F32)
    {
      float *f = g_new (float, n_el);

      for (gint64 i = 0; i < n_el; i++)
        {
          f[i] = (float) sin (t->seed * 1000.0 + (double) i * 0.37);
          if (t->perturb && i % 5 == 0)
            f[i] += 1e-3f * (float) cos (t->perturb + (double) i);
        }
      *n = (gsize) n_el * 4;
      return (guint8 *) f;
    }
  *n = lb_type_row_size (t->type, t->ne0) * (gsize) t->ne1;
  g_assert_cmpuint (*n, >, 0);
  b = g_malloc (*n);
  for (gsize i = 0; i < *n; i++)
    b[i] = (guint8) ((t->seed * 2654435761u + i * 40503u) >> 7);
  if (t->perturb)
    for (gsize i = t->perturb % 13; i < *n; i += 97)
      b[i] ^= 0x03;
  return b;
}

static void
write_gguf (const char *path, LbMeta *meta, const TSpec *specs, guint n)
{
  GError *error = NULL;
  g_autoptr (LbGgufWriter) w = lb_gguf_writer_new (path, meta, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      gint64 ne[2] = { specs[i].ne0, specs[i].ne1 };
      g_assert_true (lb_gguf_writer_add_tensor_info (w, specs[i].name, specs[i].type, specs[i].ne1 > 1 ? 2 : 1,
                                                     ne, &error));
      g_assert_no_error (error);
    }
  g_assert_true (lb_gguf_writer_begin_data (w, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      gsize len;
      g_autofree guint8 *b = tensor_bytes (&specs[i], &len);
      g_assert_true (lb_gguf_writer_write_tensor_data (w, b, len, &error));
      g_assert_no_error (error);
    }
  g_assert_true (lb_gguf_writer_finish (w, &error));
  g_assert_no_error (error);
}

static LbMeta *
base_meta (const char *arch, const char *name)
{
  LbMeta *m = lb_meta_new ();
  g_autofree char *k = g_strdup_printf ("%s.block_count", arch);
  const char *vocab[] = { "<unk>", "<s>", "</s>", "hello", "world" };

  lb_meta_set_string (m, "general.architecture", arch);
  lb_meta_set_string (m, "general.name", name);
  lb_meta_set_u32 (m, k, 2);
  lb_meta_set_strv (m, "tokenizer.ggml.tokens", vocab, G_N_ELEMENTS (vocab));
  return m;
}

/* SHA-256 hex of a file through GLib's one-shot helper (not lb-sha256) */
static char *
file_sha (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return g_strdup ("missing");
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guint8 *) contents, len);
}

static void
assert_same_file (const char *a, const char *b)
{
  g_autofree char *ca = NULL, *cb = NULL;
  gsize la = 0, lb = 0;

  g_assert_true (g_file_get_contents (a, &ca, &la, NULL));
  g_assert_true (g_file_get_contents (b, &cb, &lb, NULL));
  g_assert_cmpmem (ca, la, cb, lb);
}

static char *
copy_to (const char *src, const char *dir, const char *name)
{
  char *dst = g_build_filename (dir, name, NULL);
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (src, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (dst, contents, (gssize) len, NULL));
  return dst;
}

typedef struct {
  char         *dir;
  LbSigningKey *key;
  LbPublicKey   pub;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  GError *error = NULL;

  f->dir = lb_test_make_tmpdir ();
  f->key = lb_signing_key_generate (&error);
  g_assert_no_error (error);
  lb_signing_key_get_public (f->key, &f->pub);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  lb_signing_key_free (f->key);
  lb_test_rmtree (f->dir);
  g_free (f->dir);
}

static char *
tmp_path (Fixture *f, const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

static void
make_delta (Fixture *f, const char *old, const char *new_, const char *out, guint64 version,
            LbDeltaStats *stats)
{
  GError *error = NULL;

  g_assert_true (lb_delta_create (old, new_, out, f->key, version, 0, stats, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* delta old -> new, apply it to a copy of old both to -o and in place;
 * both results must be new byte for byte, the old file kept as .prev */
static void
round_trip (Fixture *f, const char *old, const char *new_, LbDeltaStats *stats)
{
  g_autofree char *pkg = tmp_path (f, "rt.lbdelta");
  g_autofree char *model = NULL, *out = tmp_path (f, "rt-out.gguf");
  g_autofree char *prev = NULL, *old_sha = file_sha (old);
  LbDeltaApplyResult r = { 0 };
  GError *error = NULL;
  GStatBuf st;

  make_delta (f, old, new_, pkg, 7, stats);
  g_assert_cmpint (g_stat (pkg, &st), ==, 0);
  g_assert_cmpuint ((guint64) st.st_size, ==, stats->package_size);

  model = copy_to (old, f->dir, "rt-model.gguf");
  g_assert_true (lb_delta_apply (model, pkg, &f->pub, out, FALSE, &r, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (r.already_applied);
  assert_same_file (out, new_);
  assert_same_file (model, old);
  lb_delta_apply_result_clear (&r);

  g_assert_true (lb_delta_apply (model, pkg, &f->pub, NULL, FALSE, &r, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.version, ==, 7);
  assert_same_file (model, new_);
  prev = g_strconcat (model, ".prev", NULL);
  assert_same_file (prev, old);
  lb_delta_apply_result_clear (&r);

  g_unlink (out);
  g_unlink (prev);
  g_unlink (model);
  g_unlink (pkg);
  {
    g_autofree char *sc = g_strconcat (model, ".lbversion", NULL);
    g_autofree char *sco = g_strconcat (out, ".lbversion", NULL);
    g_unlink (sc);
    g_unlink (sco);
  }
}

static const TSpec small_model[] = {
  { "token_embd.weight", LB_TYPE_F32, 64, 16, 1, 0 },
  { "blk.0.attn_q.weight", LB_TYPE_F32, 64, 64, 2, 0 },
  { "blk.0.ffn_up.weight", LB_TYPE_Q8_0, 64, 32, 3, 0 },
  { "blk.1.attn_q.weight", LB_TYPE_F32, 64, 64, 4, 0 },
  { "blk.1.ffn_up.weight", LB_TYPE_Q4_K, 256, 8, 5, 0 },
  { "output_norm.weight", LB_TYPE_F32, 64, 1, 6, 0 },
};

static char *
write_small (Fixture *f, const char *name, LbMeta *meta, const TSpec *specs, guint n)
{
  char *path = tmp_path (f, name);

  write_gguf (path, meta, specs, n);
  return path;
}

/* ---- round trips -------------------------------------------------------------- */

static void
test_metadata_only (Fixture *f, gconstpointer data)
{
  g_autoptr (LbMeta) m1 = base_meta ("llama", "old");
  g_autoptr (LbMeta) m2 = base_meta ("llama", "a new and longer name");
  g_autofree char *a = NULL, *b = NULL;
  LbDeltaStats s;

  lb_meta_set_f32 (m2, "llama.rope.freq_base", 10000.0f);   /* added */
  lb_meta_remove (m2, "llama.block_count");                  /* removed */
  a = write_small (f, "a.gguf", m1, small_model, G_N_ELEMENTS (small_model));
  b = write_small (f, "b.gguf", m2, small_model, G_N_ELEMENTS (small_model));
  round_trip (f, a, b, &s);
  g_assert_cmpuint (s.n_meta_changed, ==, 1);
  g_assert_cmpuint (s.n_meta_added, ==, 1);
  g_assert_cmpuint (s.n_meta_removed, ==, 1);
  g_assert_cmpuint (s.n_unchanged, ==, G_N_ELEMENTS (small_model));
  g_assert_cmpuint (s.n_full + s.n_xor + s.n_sub, ==, 0);
  /* the header delta and the manifest only */
  g_assert_cmpuint (s.package_size, <, 2000);
}

static void
test_one_tensor (Fixture *f, gconstpointer data)
{
  g_autoptr (LbMeta) m = base_meta ("llama", "x");
  TSpec changed[G_N_ELEMENTS (small_model)];
  g_autofree char *a = NULL, *b = NULL;
  LbDeltaStats s;

  memcpy (changed, small_model, sizeof changed);
  changed[1].perturb = 99;
  a = write_small (f, "a.gguf", m, small_model, G_N_ELEMENTS (small_model));
  b = write_small (f, "b.gguf", m, changed, G_N_ELEMENTS (changed));
  round_trip (f, a, b, &s);
  g_assert_cmpuint (s.n_unchanged, ==, G_N_ELEMENTS (small_model) - 1);
  g_assert_cmpuint (s.n_xor + s.n_sub + s.n_full, ==, 1);
  /* a few changed floats: a difference beats the full tensor */
  g_assert_cmpuint (s.n_xor + s.n_sub, ==, 1);
  g_assert_cmpuint (s.package_size, <, 64 * 64 * 4 / 2);
}

/* A tensor rewritten so that its new bytes compress better alone than as a
 * difference from the old ones: stored in full, which must not name base
 * bytes (the applier refuses a full extent that does). */
static void
test_full_beats_difference (Fixture *f, gconstpointer data)
{
  g_autoptr (LbMeta) m = base_meta ("llama", "x");
  TSpec changed[G_N_ELEMENTS (small_model)];
  g_autofree char *a = NULL, *b = NULL;
  LbDeltaStats s;

  memcpy (changed, small_model, sizeof changed);
  changed[1].perturb = ZEROED;
  a = write_small (f, "a.gguf", m, small_model, G_N_ELEMENTS (small_model));
  b = write_small (f, "b.gguf", m, changed, G_N_ELEMENTS (changed));
  round_trip (f, a, b, &s);
  g_assert_cmpuint (s.n_full, ==, 1);
  g_assert_cmpuint (s.n_xor + s.n_sub, ==, 0);
}

static void
test_many_tensors (Fixture *f, gconstpointer data)
{
  g_autoptr (LbMeta) m = base_meta ("llama", "x");
  static const TSpec next[] = {
    { "token_embd.weight", LB_TYPE_F32, 64, 16, 1, 5 },       /* changed */
    { "blk.0.attn_q.weight", LB_TYPE_F32, 64, 64, 2, 0 },     /* same */
    { "blk.0.ffn_up.weight", LB_TYPE_Q4_0, 64, 32, 3, 0 },    /* new type */
    { "blk.1.ffn_up.weight", LB_TYPE_Q4_K, 256, 8, 5, 8 },    /* changed, moved */
    { "blk.1.attn_k.weight", LB_TYPE_F16, 64, 16, 9, 0 },     /* added */
    { "output_norm.weight", LB_TYPE_F32, 64, 1, 6, 1 },       /* changed */
    { "output.weight", LB_TYPE_Q8_0, 64, 16, 10, 0 },         /* added */
  };                                                          /* blk.1.attn_q removed */
  g_autofree char *a = NULL, *b = NULL;
  LbDeltaStats s;

  a = write_small (f, "a.gguf", m, small_model, G_N_ELEMENTS (small_model));
  b = write_small (f, "b.gguf", m, next, G_N_ELEMENTS (next));
  round_trip (f, a, b, &s);
  g_assert_cmpuint (s.n_tensors, ==, G_N_ELEMENTS (next));
  g_assert_cmpuint (s.n_added, ==, 2);
  g_assert_cmpuint (s.n_removed, ==, 1);
  g_assert_cmpuint (s.n_unchanged, ==, 1);
  g_assert_cmpuint (s.n_xor + s.n_sub + s.n_full, ==, 6);
}

static void
test_architecture_change (Fixture *f, gconstpointer data)
{
  g_autoptr (LbMeta) m1 = base_meta ("llama", "llama-ish");
  g_autoptr (LbMeta) m2 = base_meta ("qwen2", "qwen-ish");
  static const TSpec qwen[] = {
    { "token_embd.weight", LB_TYPE_F32, 64, 16, 1, 0 },
    { "blk.0.attn_q.weight", LB_TYPE_F32, 64, 64, 2, 0 },
    { "blk.0.attn_q.bias", LB_TYPE_F32, 64, 1, 20, 0 },
    { "blk.0.attn_q_norm.weight", LB_TYPE_F32, 32, 1, 21, 0 },
    { "blk.0.ffn_up.weight", LB_TYPE_F16, 64, 48, 22, 0 },
    { "output_norm.weight", LB_TYPE_F32, 64, 1, 6, 0 },
  };
  g_autofree char *a = NULL, *b = NULL;
  LbDeltaStats s;

  lb_meta_set_u32 (m2, "general.alignment", 64);
  lb_meta_set_u32 (m2, "qwen2.embedding_length", 64);
  a = write_small (f, "a.gguf", m1, small_model, G_N_ELEMENTS (small_model));
  b = write_small (f, "b.gguf", m2, qwen, G_N_ELEMENTS (qwen));
  round_trip (f, a, b, &s);
  /* and back */
  round_trip (f, b, a, &s);
}

/* a copy of mini-qwen2 whose layer-3 matrices are nudged as a small
 * fine-tune would (0.5% relative noise) */
static char *
perturb_layer (const char *src, const char *dir, const char *layer_prefix)
{
  GError *error = NULL;
  g_autoptr (LbGgufReader) r = lb_gguf_reader_open (src, &error);
  g_autoptr (GBytes) bytes = NULL;
  g_autofree guint8 *copy = NULL;
  const guint8 *base;
  gsize len;
  char *dst = g_build_filename (dir, "finetuned.gguf", NULL);
  GRand *rand = g_rand_new_with_seed (1234);
  guint changed = 0;

  g_assert_no_error (error);
  bytes = lb_gguf_reader_ref_bytes (r);
  base = g_bytes_get_data (bytes, &len);
  copy = g_memdup2 (base, len);
  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (r); i++)
    {
      const LbTensor *t = lb_gguf_reader_get_tensor (r, i);
      guint16 *h;

      if (!g_str_has_prefix (t->name, layer_prefix) || t->type != LB_TYPE_F16)
        continue;
      h = (guint16 *) (copy + (t->data - base));
      for (gsize k = 0; k < t->n_bytes / 2; k++)
        {
          float v = lb_fp16_to_fp32 (h[k]);
          v *= 1.0f + 0.005f * (float) (g_rand_double (rand) * 2.0 - 1.0);
          h[k] = lb_fp32_to_fp16 (v);
        }
      changed++;
    }
  g_assert_cmpuint (changed, ==, 7);
  g_rand_free (rand);
  g_assert_true (g_file_set_contents (dst, (char *) copy, (gssize) len, NULL));
  return dst;
}

static void
test_mini_qwen2_layer (Fixture *f, gconstpointer data)
{
  g_autofree char *src = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autofree char *tuned = NULL;
  LbDeltaStats s;

  if (src == NULL)
    return;
  tuned = perturb_layer (src, f->dir, "blk.3.");
  round_trip (f, src, tuned, &s);
  g_assert_cmpuint (s.n_unchanged, ==, s.n_tensors - 7);
  g_assert_cmpuint (s.n_xor + s.n_sub, ==, 7);
  g_test_message ("one-layer fine-tune (blk.3, 7 F16 matrices, 0.5%% noise): package %" G_GUINT64_FORMAT
                  " bytes = %.2f%% of the %" G_GUINT64_FORMAT "-byte file (xor %u, sub %u)",
                  s.package_size, 100.0 * (double) s.package_size / (double) s.target_size, s.target_size,
                  s.n_xor, s.n_sub);
  /* one layer of eight holds under 1/8 of the bytes; its diff compresses */
  g_assert_cmpuint (s.package_size, <, s.target_size / 10);
}

static void
test_mini_qwen2_q8 (Fixture *f, gconstpointer data)
{
  g_autofree char *f16 = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autofree char *q8 = lb_test_shared_path ("models", "llamacpp-quants", "mini-Q8_0.gguf", NULL);
  g_autofree char *q6 = lb_test_shared_path ("models", "llamacpp-quants", "mini-Q6_K.gguf", NULL);
  LbDeltaStats s;

  if (f16 == NULL || q8 == NULL || q6 == NULL)
    return;
  round_trip (f, f16, q8, &s);
  g_assert_cmpuint (s.n_meta_changed, >=, 1);   /* general.file_type */
  g_test_message ("f16 -> Q8_0: package %" G_GUINT64_FORMAT " bytes = %.2f%% of %" G_GUINT64_FORMAT,
                  s.package_size, 100.0 * (double) s.package_size / (double) s.target_size, s.target_size);
  round_trip (f, q8, q6, &s);
  g_test_message ("recipe change Q8_0 -> Q6_K: package %" G_GUINT64_FORMAT " bytes = %.2f%% of %" G_GUINT64_FORMAT
                  " (%u tensors unchanged, %u full)", s.package_size,
                  100.0 * (double) s.package_size / (double) s.target_size, s.target_size, s.n_unchanged, s.n_full);
}

/* ---- tampering ---------------------------------------------------------------- */

typedef struct {
  char   *model;      /* the installed base */
  char   *target;
  char   *pkg;
  char   *model_sha;
  guint8 *pkg_bytes;
  gsize   pkg_len;
  gsize   manifest_len;
} Tamper;

static void
tamper_setup (Fixture *f, Tamper *t)
{
  g_autoptr (LbMeta) m1 = base_meta ("llama", "old");
  g_autoptr (LbMeta) m2 = base_meta ("llama", "new");
  TSpec changed[G_N_ELEMENTS (small_model)];
  LbDeltaStats s;

  memcpy (changed, small_model, sizeof changed);
  changed[1].perturb = 3;
  changed[4].perturb = 4;
  t->model = write_small (f, "model.gguf", m1, small_model, G_N_ELEMENTS (small_model));
  t->target = write_small (f, "target.gguf", m2, changed, G_N_ELEMENTS (changed));
  t->pkg = tmp_path (f, "update.lbdelta");
  make_delta (f, t->model, t->target, t->pkg, 10, &s);
  t->model_sha = file_sha (t->model);
  g_assert_true (g_file_get_contents (t->pkg, (char **) &t->pkg_bytes, &t->pkg_len, NULL));
  t->manifest_len = (gsize) t->pkg_bytes[24] | (gsize) t->pkg_bytes[25] << 8 | (gsize) t->pkg_bytes[26] << 16;
  g_assert_cmpuint (t->pkg_len, >, LB_DELTA_PREFIX_SIZE + t->manifest_len + 100);
}

static void
tamper_clear (Tamper *t)
{
  g_free (t->model);
  g_free (t->target);
  g_free (t->pkg);
  g_free (t->model_sha);
  g_free (t->pkg_bytes);
}

/* applying `bytes` as a package must fail with `code` and leave the model
 * byte-identical, with no .prev, no sidecar and no staging file */
static void
expect_refused (Fixture *f, Tamper *t, const guint8 *bytes, gsize len, const LbPublicKey *key,
                gint code, const char *what)
{
  g_autofree char *bad = tmp_path (f, "bad.lbdelta");
  g_autofree char *after = NULL, *prev = g_strconcat (t->model, ".prev", NULL);
  g_autofree char *partial = g_strconcat (t->model, ".lbpartial", NULL);
  LbDeltaApplyResult r = { 0 };
  GError *error = NULL;

  /* no fsync: this runs a thousand times */
  g_assert_true (g_file_set_contents_full (bad, (const char *) bytes, (gssize) len, G_FILE_SET_CONTENTS_NONE,
                                           0644, NULL));
  if (lb_delta_apply (t->model, bad, key, NULL, FALSE, &r, NULL, NULL, NULL, &error))
    g_error ("tampered package accepted: %s", what);
  g_assert_nonnull (error);
  if (code >= 0)
    g_assert_true (error->domain == LB_ERROR && error->code == code);
  g_assert_cmpstr (error->message, !=, "");
  g_clear_error (&error);
  lb_delta_apply_result_clear (&r);
  after = file_sha (t->model);
  g_assert_cmpstr (after, ==, t->model_sha);
  g_assert_false (g_file_test (prev, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
}

static void
test_tamper_flip (Fixture *f, gconstpointer data)
{
  Tamper t = { 0 };
  g_autofree guint8 *copy = NULL;
  guint n_tried = 0;
  gsize regions[][2] = { { 0, 0 }, { 0, 0 }, { 0, 0 } };

  tamper_setup (f, &t);
  copy = g_memdup2 (t.pkg_bytes, t.pkg_len);
  /* prefix: every byte; manifest: every byte; payload: every 7th byte */
  regions[0][0] = 0, regions[0][1] = LB_DELTA_PREFIX_SIZE;
  regions[1][0] = LB_DELTA_PREFIX_SIZE, regions[1][1] = LB_DELTA_PREFIX_SIZE + t.manifest_len;
  regions[2][0] = LB_DELTA_PREFIX_SIZE + t.manifest_len, regions[2][1] = t.pkg_len;
  for (guint r = 0; r < G_N_ELEMENTS (regions); r++)
    for (gsize i = regions[r][0]; i < regions[r][1]; i += r == 2 ? 7 : 1)
      {
        g_autofree char *what = g_strdup_printf ("byte %" G_GSIZE_FORMAT " flipped", i);

        copy[i] ^= 0x20;
        expect_refused (f, &t, copy, t.pkg_len, &f->pub, -1, what);
        copy[i] ^= 0x20;
        n_tried++;
      }
  g_test_message ("%u single-byte corruptions refused", n_tried);
  /* the untouched package still applies */
  {
    LbDeltaApplyResult r = { 0 };
    GError *error = NULL;
    g_assert_true (lb_delta_apply (t.model, t.pkg, &f->pub, NULL, FALSE, &r, NULL, NULL, NULL, &error));
    g_assert_no_error (error);
    assert_same_file (t.model, t.target);
    lb_delta_apply_result_clear (&r);
  }
  tamper_clear (&t);
}

static void
test_tamper_signature_message (Fixture *f, gconstpointer data)
{
  Tamper t = { 0 };
  g_autofree guint8 *copy = NULL;
  GError *error = NULL;
  LbDeltaApplyResult r = { 0 };
  g_autofree char *bad = tmp_path (f, "bad.lbdelta");

  tamper_setup (f, &t);
  /* a byte of the manifest: the signature check names itself */
  copy = g_memdup2 (t.pkg_bytes, t.pkg_len);
  copy[LB_DELTA_PREFIX_SIZE + 3] ^= 1;
  g_assert_true (g_file_set_contents (bad, (char *) copy, (gssize) t.pkg_len, NULL));
  g_assert_false (lb_delta_apply (t.model, bad, &f->pub, NULL, FALSE, &r, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, "signature"));
  g_clear_error (&error);
  /* a byte of the payload: the payload hash */
  memcpy (copy, t.pkg_bytes, t.pkg_len);
  copy[t.pkg_len - 5] ^= 1;
  g_assert_true (g_file_set_contents (bad, (char *) copy, (gssize) t.pkg_len, NULL));
  g_assert_false (lb_delta_apply (t.model, bad, &f->pub, NULL, FALSE, &r, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, "payload"));
  g_clear_error (&error);
  tamper_clear (&t);
}

static void
test_tamper_truncated (Fixture *f, gconstpointer data)
{
  Tamper t = { 0 };
  g_autofree guint8 *longer = NULL;

  tamper_setup (f, &t);
  for (gsize len = 0; len < t.pkg_len; len += len < 200 ? 1 : 61)
    expect_refused (f, &t, t.pkg_bytes, len, &f->pub, LB_ERROR_INVALID_FILE, "truncated");
  expect_refused (f, &t, t.pkg_bytes, t.pkg_len - 1, &f->pub, LB_ERROR_INVALID_FILE, "last byte cut");
  /* bytes appended are refused too */
  longer = g_malloc0 (t.pkg_len + 16);
  memcpy (longer, t.pkg_bytes, t.pkg_len);
  expect_refused (f, &t, longer, t.pkg_len + 16, &f->pub, LB_ERROR_INVALID_FILE, "extended");
  tamper_clear (&t);
}

static void
test_tamper_wrong_key (Fixture *f, gconstpointer data)
{
  Tamper t = { 0 };
  GError *error = NULL;
  g_autoptr (LbSigningKey) other = lb_signing_key_generate (&error);
  LbPublicKey other_pub;
  guint8 prefix[LB_DELTA_PREFIX_SIZE];
  g_autofree guint8 *forged = NULL;
  g_autoptr (GBytes) manifest = NULL;

  g_assert_no_error (error);
  lb_signing_key_get_public (other, &other_pub);
  tamper_setup (f, &t);
  /* verified with someone else's public key */
  expect_refused (f, &t, t.pkg_bytes, t.pkg_len, &other_pub, LB_ERROR_INVALID_FILE, "wrong key");

  /* re-signed by another key: refused with the real public key */
  manifest = g_bytes_new (t.pkg_bytes + LB_DELTA_PREFIX_SIZE, t.manifest_len);
  lb_delta_prefix_build (LB_DELTA_KIND_PACKAGE, manifest, other, prefix);
  forged = g_memdup2 (t.pkg_bytes, t.pkg_len);
  memcpy (forged, prefix, sizeof prefix);
  expect_refused (f, &t, forged, t.pkg_len, &f->pub, LB_ERROR_INVALID_FILE, "signed by another key");
  /* ...even with the key id field set to the real key's */
  memcpy (forged + 16, t.pkg_bytes + 16, LB_SIGN_KEY_ID_BYTES);
  expect_refused (f, &t, forged, t.pkg_len, &f->pub, LB_ERROR_INVALID_FILE, "key id spoofed");
  tamper_clear (&t);
}

static void
test_replay_and_other_base (Fixture *f, gconstpointer data)
{
  g_autoptr (LbMeta) m = base_meta ("llama", "x");
  TSpec v2[G_N_ELEMENTS (small_model)], v3[G_N_ELEMENTS (small_model)];
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *model = NULL, *sha = NULL;
  g_autofree char *p12 = tmp_path (f, "p12.lbdelta"), *p23 = tmp_path (f, "p23.lbdelta");
  g_autofree char *p23old = tmp_path (f, "p23old.lbdelta"), *p13 = tmp_path (f, "p13.lbdelta");
  LbDeltaApplyResult r = { 0 };
  LbDeltaStats s;
  GError *error = NULL;
  guint64 installed = 0;

  memcpy (v2, small_model, sizeof v2);
  memcpy (v3, small_model, sizeof v3);
  v2[0].perturb = 1;
  v3[0].perturb = 1;
  v3[3].perturb = 2;
  a = write_small (f, "a.gguf", m, small_model, G_N_ELEMENTS (small_model));
  b = write_small (f, "b.gguf", m, v2, G_N_ELEMENTS (v2));
  c = write_small (f, "c.gguf", m, v3, G_N_ELEMENTS (v3));
  make_delta (f, a, b, p12, 5, &s);
  make_delta (f, b, c, p23, 6, &s);
  make_delta (f, b, c, p23old, 3, &s);
  make_delta (f, a, c, p13, 8, &s);
  model = copy_to (a, f->dir, "model.gguf");

  /* a package for another base: b -> c applied to a */
  g_assert_false (lb_delta_apply (model, p23, &f->pub, NULL, FALSE, &r, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, "not the model"));
  g_clear_error (&error);
  assert_same_file (model, a);

  g_assert_true (lb_delta_apply (model, p12, &f->pub, NULL, FALSE, &r, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  lb_delta_apply_result_clear (&r);
  sha = file_sha (model);
  {
    LbSha256 d;
    g_assert_true (lb_sha256_file (model, &d, NULL, NULL, &error));
    g_assert_true (lb_delta_get_installed_version (model, &d, &installed, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (installed, ==, 5);
  }

  /* an older package (version 3 < 5) for the right base is refused... */
  g_assert_false (lb_delta_apply (model, p23old, &f->pub, NULL, FALSE, &r, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, "not newer"));
  g_clear_error (&error);
  {
    g_autofree char *after = file_sha (model);
    g_assert_cmpstr (after, ==, sha);
  }
  /* ...unless downgrades are allowed */
  g_assert_true (lb_delta_apply (model, p23old, &f->pub, NULL, TRUE, &r, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  lb_delta_apply_result_clear (&r);
  assert_same_file (model, c);
  g_assert_true (lb_delta_rollback (model, &installed, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (installed, ==, 5);
  assert_same_file (model, b);

  g_assert_true (lb_delta_apply (model, p23, &f->pub, NULL, FALSE, &r, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  lb_delta_apply_result_clear (&r);
  assert_same_file (model, c);

  /* replaying the first package (version 5 < 6) onto the updated model */
  g_assert_false (lb_delta_apply (model, p12, &f->pub, NULL, FALSE, &r, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, "not newer"));
  g_clear_error (&error);
  /* with --allow-downgrade the base check still stops it */
  g_assert_false (lb_delta_apply (model, p12, &f->pub, NULL, TRUE, &r, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_clear_error (&error);
  assert_same_file (model, c);
  /* a package whose target is already installed is a no-op */
  g_assert_true (lb_delta_apply (model, p23, &f->pub, NULL, FALSE, &r, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (r.already_applied);
  lb_delta_apply_result_clear (&r);
  assert_same_file (model, c);
}

static void
test_manifest_verify (Fixture *f, gconstpointer data)
{
  g_autoptr (LbMeta) m = base_meta ("llama", "x");
  g_autofree char *a = NULL, *man = tmp_path (f, "a.lbmanifest"), *b = NULL;
  g_autofree char *pkg = tmp_path (f, "p.lbdelta");
  GError *error = NULL;
  g_autoptr (LbSigningKey) other = lb_signing_key_generate (&error);
  LbPublicKey other_pub;
  LbDeltaApplyResult r = { 0 };
  LbDeltaStats s;
  guint64 v = 0;
  TSpec changed[G_N_ELEMENTS (small_model)];

  memcpy (changed, small_model, sizeof changed);
  changed[2].perturb = 1;
  lb_signing_key_get_public (other, &other_pub);
  a = write_small (f, "a.gguf", m, small_model, G_N_ELEMENTS (small_model));
  b = write_small (f, "b.gguf", m, changed, G_N_ELEMENTS (changed));
  g_assert_true (lb_delta_write_manifest (a, man, f->key, 42, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (lb_delta_verify_model (a, man, &f->pub, &v, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (v, ==, 42);
  g_assert_false (lb_delta_verify_model (b, man, &f->pub, &v, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_clear_error (&error);
  g_assert_false (lb_delta_verify_model (a, man, &other_pub, &v, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_clear_error (&error);
  /* a manifest is not a package */
  g_assert_false (lb_delta_apply (a, man, &f->pub, NULL, FALSE, &r, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* a package doubles as the manifest of its target */
  make_delta (f, a, b, pkg, 43, &s);
  g_assert_true (lb_delta_verify_model (b, pkg, &f->pub, &v, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (v, ==, 43);
}

/* ---- the manifest parser's rules, on hand-made manifests ---------------------- */

static LbDeltaManifest *
good_manifest (void)
{
  LbDeltaManifest *m = lb_delta_manifest_new (LB_DELTA_KIND_PACKAGE);
  LbDeltaExtent e1 = { g_strdup ("header"), LB_DELTA_MODE_PREFIXED, 0, 100, 0, 80, 0, 30 };
  LbDeltaExtent e2 = { g_strdup ("t"), LB_DELTA_MODE_XOR, 128, 64, 96, 64, 30, 20 };
  LbDeltaExtent e3 = { g_strdup ("u"), LB_DELTA_MODE_COPY, 192, 64, 160, 64, 0, 0 };

  m->version = 3;
  m->base_size = 300;
  m->target_size = 256;
  m->payload_size = 50;
  lb_delta_manifest_add_extent (m, &e1);
  lb_delta_manifest_add_extent (m, &e2);
  lb_delta_manifest_add_extent (m, &e3);
  return m;
}

static void
expect_parse (LbDeltaManifest *m, gboolean ok, const char *what)
{
  g_autoptr (GBytes) b = lb_delta_manifest_serialize (m);
  g_autoptr (LbDeltaManifest) back = NULL;
  GError *error = NULL;
  gsize len;
  const guint8 *p = g_bytes_get_data (b, &len);

  back = lb_delta_manifest_parse (p, len, m->kind, NULL, &error);
  if (ok)
    {
      g_assert_no_error (error);
      g_assert_nonnull (back);
      g_assert_cmpuint (back->extents->len, ==, m->extents->len);
    }
  else
    {
      if (back != NULL)
        g_error ("manifest accepted: %s", what);
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
      g_clear_error (&error);
    }
  lb_delta_manifest_free (m);
}

#define EXT(m, i) (&g_array_index ((m)->extents, LbDeltaExtent, (i)))

static void
test_manifest_rules (void)
{
  LbDeltaManifest *m;

  expect_parse (good_manifest (), TRUE, "good");
  m = good_manifest (); m->version = 0; expect_parse (m, FALSE, "version 0");
  m = good_manifest (); EXT (m, 1)->target_offset = 90; expect_parse (m, FALSE, "overlap");
  m = good_manifest (); EXT (m, 2)->size = 65; EXT (m, 2)->base_size = 65; expect_parse (m, FALSE, "past target");
  m = good_manifest (); EXT (m, 2)->base_offset = 250; expect_parse (m, FALSE, "past base");
  m = good_manifest (); EXT (m, 1)->base_size = 63; expect_parse (m, FALSE, "xor base size");
  m = good_manifest (); EXT (m, 1)->payload_offset = 31; expect_parse (m, FALSE, "payload gap");
  m = good_manifest (); m->payload_size = 51; expect_parse (m, FALSE, "payload unused");
  m = good_manifest (); EXT (m, 2)->payload_size = 1; expect_parse (m, FALSE, "copy with payload");
  m = good_manifest (); EXT (m, 1)->mode = (LbDeltaMode) 9; expect_parse (m, FALSE, "unknown mode");
  m = good_manifest (); EXT (m, 1)->size = 0; expect_parse (m, FALSE, "empty extent");
  m = good_manifest (); EXT (m, 0)->base_size = 0; expect_parse (m, FALSE, "prefixed without base");
  m = good_manifest (); EXT (m, 1)->mode = LB_DELTA_MODE_FULL; expect_parse (m, FALSE, "full with base");
  m = good_manifest (); EXT (m, 1)->target_offset = G_MAXUINT64 - 10; expect_parse (m, FALSE, "overflow");
  m = good_manifest (); m->kind = LB_DELTA_KIND_MANIFEST; expect_parse (m, FALSE, "manifest with extents");
  m = good_manifest (); g_free (EXT (m, 1)->name); EXT (m, 1)->name = g_strdup ("\xff\xfe"); expect_parse (m, FALSE, "bad utf-8");

  /* trailing bytes, and every truncation, of a good manifest */
  {
    g_autoptr (LbDeltaManifest) good = good_manifest ();
    g_autoptr (GBytes) b = lb_delta_manifest_serialize (good);
    gsize len;
    const guint8 *p = g_bytes_get_data (b, &len);
    g_autofree guint8 *longer = g_malloc0 (len + 1);
    GError *error = NULL;

    memcpy (longer, p, len);
    g_assert_null (lb_delta_manifest_parse (longer, len + 1, LB_DELTA_KIND_PACKAGE, NULL, &error));
    g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
    g_clear_error (&error);
    for (gsize n = 0; n < len; n++)
      {
        g_assert_null (lb_delta_manifest_parse (p, n, LB_DELTA_KIND_PACKAGE, NULL, &error));
        g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
        g_clear_error (&error);
      }
  }
}

/* ---- jobs: worker threads and cancellation ------------------------------------- */

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
cancel_on_progress (double fraction, const char *stage, gpointer user_data)
{
  g_cancellable_cancel (user_data);
}

static void
test_async_and_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr (LbMeta) m = base_meta ("llama", "x");
  TSpec changed[G_N_ELEMENTS (small_model)];
  g_autofree char *a = NULL, *b = NULL, *model = NULL, *sha = NULL;
  g_autofree char *pkg = tmp_path (f, "async.lbdelta");
  g_autofree char *partial = NULL, *prev = NULL;
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  GAsyncResult *res = NULL;
  LbDeltaApplyResult r = { 0 };
  LbDeltaStats s = { 0 };
  GError *error = NULL;

  memcpy (changed, small_model, sizeof changed);
  changed[0].perturb = 4;
  a = write_small (f, "a.gguf", m, small_model, G_N_ELEMENTS (small_model));
  b = write_small (f, "b.gguf", m, changed, G_N_ELEMENTS (changed));
  model = copy_to (a, f->dir, "model.gguf");
  sha = file_sha (model);
  partial = g_strconcat (model, ".lbpartial", NULL);
  prev = g_strconcat (model, ".prev", NULL);

  lb_delta_create_async (a, b, pkg, f->key, 3, 0, NULL, NULL, NULL, on_done, &res);
  g_assert_true (lb_delta_create_finish (wait_for (&res), &s, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (s.n_tensors, ==, G_N_ELEMENTS (small_model));
  g_clear_object (&res);

  /* cancelled during the reconstruction: nothing changes */
  g_assert_false (lb_delta_apply (model, pkg, &f->pub, NULL, FALSE, &r, cancel_on_progress, cancel, cancel,
                                  &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  {
    g_autofree char *after = file_sha (model);
    g_assert_cmpstr (after, ==, sha);
  }
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (prev, G_FILE_TEST_EXISTS));

  lb_delta_apply_async (model, pkg, &f->pub, NULL, FALSE, NULL, NULL, NULL, on_done, &res);
  g_assert_true (lb_delta_apply_finish (wait_for (&res), &r, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.version, ==, 3);
  g_assert_cmpstr (r.output_path, ==, model);
  lb_delta_apply_result_clear (&r);
  g_clear_object (&res);
  assert_same_file (model, b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/lowbit/delta/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("metadata-only", test_metadata_only);
  ADD ("one-tensor", test_one_tensor);
  ADD ("full-beats-difference", test_full_beats_difference);
  ADD ("many-tensors", test_many_tensors);
  ADD ("architecture-change", test_architecture_change);
  ADD ("mini-qwen2-one-layer", test_mini_qwen2_layer);
  ADD ("mini-qwen2-quants", test_mini_qwen2_q8);
  ADD ("tamper-flip-every-region", test_tamper_flip);
  ADD ("tamper-messages", test_tamper_signature_message);
  ADD ("tamper-truncated", test_tamper_truncated);
  ADD ("tamper-wrong-key", test_tamper_wrong_key);
  ADD ("replay-and-other-base", test_replay_and_other_base);
  ADD ("manifest-verify", test_manifest_verify);
  ADD ("async-and-cancel", test_async_and_cancel);
#undef ADD
  g_test_add_func ("/lowbit/delta/manifest-rules", test_manifest_rules);
  return g_test_run ();
}
