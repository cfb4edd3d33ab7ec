/* lb-quantize.c: model + plan -> quantized GGUF, streaming.
 *
 * Per tensor, rows are taken a chunk at a time (about CHUNK_ELEMENTS
 * weights) straight from the mapped model: each worker converts a row to
 * float in its scratch row, checks it, and quantizes it into the chunk's
 * output buffer with the importance of the tensor's input columns; the
 * chunk is then streamed to the GGUF writer and its source pages released.
 * Memory is the chunk buffer plus one float row per thread (and a chunk of
 * the mapping), whatever the model's size. */
#include "lb-quantize.h"

#include <math.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#include "lb-error.h"

#define CHUNK_ELEMENTS (1 << 20)
/* below this many weights a chunk is not worth a thread */
#define MIN_PARALLEL_ELEMENTS (1 << 16)

/* ---- metadata and size ------------------------------------------------------ */

LbMeta *
lb_quantize_build_meta (LbQuantPlan *plan, LbImatrix *imatrix)
{
  LbMeta *meta;
  static const char * const dropped[] = {
    "split.no", "split.count", "split.tensors.count",
    "general.quantization_version", "general.file_type",
  };

  g_return_val_if_fail (plan != NULL, NULL);

  meta = lb_meta_copy (lb_model_get_meta (lb_quant_plan_get_model (plan)));
  for (guint i = 0; i < G_N_ELEMENTS (dropped); i++)
    lb_meta_remove (meta, dropped[i]);
  /* llama-quantize sets these two last, in this order */
  lb_meta_set_u32 (meta, "general.quantization_version", 2);
  lb_meta_set_u32 (meta, "general.file_type", lb_quant_plan_get_file_type (plan));

  if (imatrix != NULL)
    {
      const char * const *datasets = lb_imatrix_get_datasets (imatrix);

      if (lb_imatrix_get_path (imatrix))
        lb_meta_set_string (meta, "quantize.imatrix.file", lb_imatrix_get_path (imatrix));
      if (datasets[0] != NULL)
        lb_meta_set_string (meta, "quantize.imatrix.dataset", datasets[0]);
      lb_meta_set_u32 (meta, "quantize.imatrix.entries_count", lb_imatrix_get_n_entries (imatrix));
      if (lb_imatrix_get_chunk_count (imatrix) > 0)
        lb_meta_set_u32 (meta, "quantize.imatrix.chunks_count",
                         lb_imatrix_get_chunk_count (imatrix));
    }
  return meta;
}

/* Bytes a metadata value takes in GGUF after its type tag. */
static guint64
value_size (const LbValue *v)
{
  guint64 n = 0;

  switch (v->type)
    {
    case LB_VALUE_STRING:
      return 8 + v->s.len;
    case LB_VALUE_ARRAY:
      n = 4 + 8;
      if (v->arr.elem_type == LB_VALUE_STRING)
        for (gsize i = 0; i < v->arr.n; i++)
          n += 8 + v->arr.strings[i].len;
      else if (v->arr.elem_type == LB_VALUE_ARRAY)
        for (gsize i = 0; i < v->arr.n; i++)
          n += value_size (&v->arr.values[i]);
      else
        n += (guint64) v->arr.n * lb_value_type_size (v->arr.elem_type);
      return n;
    default:
      return lb_value_type_size (v->type);
    }
}

static guint64
align_up (guint64 n, guint64 alignment)
{
  return (n + alignment - 1) / alignment * alignment;
}

static guint64
meta_alignment (LbMeta *meta)
{
  guint32 a;

  if (lb_meta_get_u32 (meta, "general.alignment", &a, NULL) && a > 0 && (a & (a - 1)) == 0)
    return a;
  return LB_GGUF_DEFAULT_ALIGNMENT;
}

guint64
lb_quantize_get_file_size (LbQuantPlan *plan, LbImatrix *imatrix)
{
  g_autoptr (LbMeta) meta = NULL;
  guint64 header = 4 + 4 + 8 + 8;   /* magic, version, tensor and key counts */
  guint64 data = 0, alignment;

  g_return_val_if_fail (plan != NULL, 0);

  meta = lb_quantize_build_meta (plan, imatrix);
  alignment = meta_alignment (meta);
  for (guint k = 0; k < lb_meta_get_n_keys (meta); k++)
    header += 8 + strlen (lb_meta_get_key (meta, k)) + 4 + value_size (lb_meta_get_value (meta, k));
  for (guint i = 0; i < lb_quant_plan_get_n_entries (plan); i++)
    {
      const LbPlanEntry *e = lb_quant_plan_get_entry (plan, i);

      header += 8 + strlen (e->tensor->name) + 4 + 8 * (guint64) e->tensor->n_dims + 4 + 8;
      data += align_up (e->n_bytes, alignment);
    }
  return align_up (header, alignment) + data;
}

/* ---- workers ------------------------------------------------------------------ */

typedef struct {
  const LbTensor     *t;
  const LbTypeTraits *src;
  const LbTypeTraits *dst;
  gsize               in_row;
  gsize               out_row;
  const float        *importance;   /* NULL, ne[0] values, or ne[0] per matrix */
  gboolean            per_matrix;
  guint8             *out;          /* the chunk's output */
  gint64              first_row;    /* of the chunk */
} Job;

typedef struct {
  const Job *job;
  gint64     r0, r1;        /* rows of the chunk, [r0, r1) */
  float     *scratch;       /* ne[0] floats */
  gboolean   bad;
  gint64     bad_row;
  gint64     bad_col;
  float      bad_value;
} Slice;

static gpointer
run_slice (gpointer data)
{
  Slice *s = data;
  const Job *j = s->job;
  gint64 ne0 = j->t->ne[0];
  gint64 ne1 = MAX (j->t->ne[1], 1);

  for (gint64 r = s->r0; r < s->r1; r++)
    {
      gint64 row = j->first_row + r;
      const float *imp = j->importance;

      j->src->to_float (j->t->data + (gsize) row * j->in_row, s->scratch, ne0);
      for (gint64 c = 0; c < ne0; c++)
        if (!isfinite (s->scratch[c]))
          {
            s->bad = TRUE;
            s->bad_row = row;
            s->bad_col = c;
            s->bad_value = s->scratch[c];
            return NULL;
          }
      if (imp && j->per_matrix)
        imp += (row / ne1) * ne0;
      j->dst->from_float (s->scratch, j->out + (gsize) r * j->out_row, ne0, imp);
    }
  return NULL;
}

static void
report_bad (const LbTensor *t, gint64 row, gint64 col, float value, GError **error)
{
  g_set_error (error, LB_ERROR, LB_ERROR_NUMERIC,
               "tensor %s: the value at row %" G_GINT64_FORMAT ", column %" G_GINT64_FORMAT
               " is %s; the model is damaged (fix or re-export it before quantizing)",
               t->name, row, col, isnan (value) ? "NaN" : "infinite");
}

/* Quantizes rows [0, n_rows) of the chunk over the slices (slice 0 runs
 * here); FALSE with an error at the first non-finite weight. */
static gboolean
run_chunk (const Job *job, gint64 n_rows, Slice *slices, guint n_threads, GError **error)
{
  GThread *threads[64];
  guint n = n_threads;

  if (n_rows * job->t->ne[0] < MIN_PARALLEL_ELEMENTS)
    n = 1;
  n = (guint) MIN ((gint64) n, n_rows);
  for (guint i = 0; i < n; i++)
    {
      slices[i].job = job;
      slices[i].r0 = n_rows * i / n;
      slices[i].r1 = n_rows * (i + 1) / n;
      slices[i].bad = FALSE;
    }
  for (guint i = 1; i < n; i++)
    threads[i] = g_thread_new ("lowbit-quantize", run_slice, &slices[i]);
  run_slice (&slices[0]);
  for (guint i = 1; i < n; i++)
    g_thread_join (threads[i]);

  for (guint i = 0; i < n; i++)
    if (slices[i].bad)
      {
        report_bad (job->t, slices[i].bad_row, slices[i].bad_col, slices[i].bad_value, error);
        return FALSE;
      }
  return TRUE;
}

/* ---- the driver ------------------------------------------------------------------ */

typedef struct {
  LbProgressFunc progress;
  gpointer       data;
  guint64        total;    /* weights in the model */
  guint64        done;
  guint          index;
  guint          n;
} Progress;

static void
report (Progress *p, const LbPlanEntry *e)
{
  g_autofree char *stage = NULL;

  if (p->progress == NULL)
    return;
  stage = g_strdup_printf ("tensor %u/%u: %s -> %s", p->index + 1, p->n, e->tensor->name,
                           lb_type_get_name (e->type));
  p->progress (p->total ? (double) p->done / (double) p->total : 0.0, stage, p->data);
}

static gboolean
find_importance (const LbPlanEntry *e, LbImatrix *imatrix, Job *job, GError **error)
{
  const LbTensor *t = e->tensor;
  const float *imp;
  gsize n = 0;
  gint64 n_mat = t->ne[2] * t->ne[3];

  job->importance = NULL;
  job->per_matrix = FALSE;
  if (imatrix == NULL)
    return TRUE;
  imp = lb_imatrix_get_importance (imatrix, t->name, &n);
  if (imp == NULL)
    return TRUE;
  if (n == (gsize) t->ne[0] || n == (gsize) (t->ne[0] * n_mat))
    {
      job->importance = imp;
      job->per_matrix = n != (gsize) t->ne[0];
      return TRUE;
    }
  /* llama-quantize tolerates a mismatch for the embedding only */
  if (strcmp (t->name, "token_embd.weight") == 0)
    return TRUE;
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
               "tensor %s has %" G_GINT64_FORMAT " columns but its importance data has %"
               G_GSIZE_FORMAT " values: the importance data was made for another model",
               t->name, t->ne[0], n);
  return FALSE;
}

/* Source rows, once quantized, are not needed again: their pages of the
 * model mapping are handed back after each chunk, so resident memory stays
 * at a chunk instead of growing to the whole model (mapped file pages count
 * as resident while touched). MADV_PAGEOUT never loses data: pages come
 * back from the file (or swap) if touched again. Where it does not exist
 * this does nothing. */
static void
release_source (const guint8 *from, const guint8 *to)
{
#if defined(__linux__) && defined(MADV_PAGEOUT)
  static gsize page;
  guintptr start, end;

  if (page == 0)
    page = (gsize) MAX (sysconf (_SC_PAGESIZE), 1);
  start = ((guintptr) from + page - 1) / page * page;
  end = (guintptr) to / page * page;
  if (end > start)
    (void) madvise ((void *) start, end - start, MADV_PAGEOUT);
#else
  (void) from;
  (void) to;
#endif
}

static gboolean
write_entry (LbGgufWriter *writer, const LbPlanEntry *e, LbImatrix *imatrix, guint n_threads,
             Slice *slices, Progress *prog, GCancellable *cancellable, GError **error)
{
  const LbTensor *t = e->tensor;
  gint64 n_rows = lb_tensor_n_rows (t);
  gint64 ne0 = t->ne[0];
  gint64 rows_per_chunk = MAX (MAX (CHUNK_ELEMENTS / MAX (ne0, 1), 1), (gint64) n_threads);
  g_autofree guint8 *out = NULL;
  Job job = { 0 };

  job.t = t;
  job.src = lb_type_get_traits (t->type);
  job.dst = lb_type_get_traits (e->type);
  job.in_row = lb_type_row_size (t->type, ne0);
  job.out_row = lb_type_row_size (e->type, ne0);

  if (job.in_row == 0 || t->data == NULL || (guint64) n_rows > t->n_bytes / job.in_row)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "tensor %s: %" G_GSIZE_FORMAT " bytes of data for %" G_GINT64_FORMAT
                   " rows of %" G_GINT64_FORMAT " %s values", t->name, t->n_bytes, n_rows, ne0,
                   lb_type_get_name (t->type));
      return FALSE;
    }

  /* same type: the bytes as they are, in chunks (float data checked) */
  if (e->type == t->type)
    {
      gboolean check = !job.src->quantized && job.src->to_float != NULL
                       && (t->type == LB_TYPE_F32 || t->type == LB_TYPE_F16
                           || t->type == LB_TYPE_BF16);

      slices[0].scratch = g_renew (float, slices[0].scratch, ne0);
      for (gint64 r = 0; r < n_rows; r += rows_per_chunk)
        {
          gint64 n = MIN (rows_per_chunk, n_rows - r);

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;
          for (gint64 k = 0; check && k < n; k++)
            {
              gint64 c;

              job.src->to_float (t->data + (gsize) (r + k) * job.in_row, slices[0].scratch, ne0);
              for (c = 0; c < ne0 && isfinite (slices[0].scratch[c]); c++)
                ;
              if (c < ne0)
                {
                  report_bad (t, r + k, c, slices[0].scratch[c], error);
                  return FALSE;
                }
            }
          if (!lb_gguf_writer_write_tensor_data (writer, t->data + (gsize) r * job.in_row,
                                                 (gsize) n * job.in_row, error))
            return FALSE;
          release_source (t->data + (gsize) r * job.in_row, t->data + (gsize) (r + n) * job.in_row);
          prog->done += (guint64) (n * ne0);
        }
      return TRUE;
    }

  if (!find_importance (e, imatrix, &job, error))
    return FALSE;
  rows_per_chunk = MIN (rows_per_chunk, n_rows);
  out = g_malloc ((gsize) rows_per_chunk * job.out_row);
  job.out = out;
  for (guint i = 0; i < n_threads; i++)
    slices[i].scratch = g_renew (float, slices[i].scratch, ne0);

  for (gint64 r = 0; r < n_rows; r += rows_per_chunk)
    {
      gint64 n = MIN (rows_per_chunk, n_rows - r);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      job.first_row = r;
      if (!run_chunk (&job, n, slices, n_threads, error)
          || !lb_gguf_writer_write_tensor_data (writer, out, (gsize) n * job.out_row, error))
        return FALSE;
      release_source (t->data + (gsize) r * job.in_row, t->data + (gsize) (r + n) * job.in_row);
      prog->done += (guint64) (n * ne0);
      report (prog, e);
    }
  return TRUE;
}

gboolean
lb_quantize_model (LbModel *model, LbQuantPlan *plan, LbImatrix *imatrix, const char *out_path,
                   guint n_threads, LbProgressFunc progress, gpointer user_data,
                   GCancellable *cancellable, GError **error)
{
  g_autoptr (LbMeta) meta = NULL;
  g_autoptr (LbGgufWriter) writer = NULL;
  Progress prog = { progress, user_data, 0, 0, 0, 0 };
  Slice *slices;
  guint n;
  gboolean ok = TRUE;

  g_return_val_if_fail (LB_IS_MODEL (model), FALSE);
  g_return_val_if_fail (plan != NULL, FALSE);
  g_return_val_if_fail (out_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (lb_quant_plan_get_model (plan) != model)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "the quantization plan was made for another model");
      return FALSE;
    }
  if (lb_quant_plan_uses_importance (plan) != (imatrix != NULL))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   lb_quant_plan_uses_importance (plan)
                   ? "the plan was resolved for importance data (its rules may depend on it), "
                     "but none was given"
                   : "importance data was given, but the plan was resolved without it; set the "
                     "recipe's importance before resolving");
      return FALSE;
    }
  if (n_threads == 0)
    n_threads = g_get_num_processors ();
  n_threads = CLAMP (n_threads, 1, 64);

  n = lb_quant_plan_get_n_entries (plan);
  prog.n = n;
  for (guint i = 0; i < n; i++)
    prog.total += (guint64) lb_tensor_n_elements (lb_quant_plan_get_entry (plan, i)->tensor);

  meta = lb_quantize_build_meta (plan, imatrix);
  writer = lb_gguf_writer_new (out_path, meta, error);
  if (writer == NULL)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      const LbPlanEntry *e = lb_quant_plan_get_entry (plan, i);
      if (!lb_gguf_writer_add_tensor_info (writer, e->tensor->name, e->type, e->tensor->n_dims,
                                           e->tensor->ne, error))
        return FALSE;
    }
  if (!lb_gguf_writer_begin_data (writer, error))
    return FALSE;

  slices = g_new0 (Slice, n_threads);
  for (guint i = 0; i < n && ok; i++)
    {
      prog.index = i;
      report (&prog, lb_quant_plan_get_entry (plan, i));
      ok = write_entry (writer, lb_quant_plan_get_entry (plan, i), imatrix, n_threads, slices,
                        &prog, cancellable, error);
    }
  for (guint i = 0; i < n_threads; i++)
    g_free (slices[i].scratch);
  g_free (slices);

  /* on failure the writer, freed unfinished, deletes its temporary file */
  if (!ok || !lb_gguf_writer_finish (writer, error))
    return FALSE;
  if (progress)
    progress (1.0, "done", user_data);
  return TRUE;
}
