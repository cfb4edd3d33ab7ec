/* lb-overview-view.c */
#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "lb-format.h"
#include "lb-overview-view.h"
#include "lb-target-tile.h"
#include "lb-widgets.h"

enum {
  ROW_FORMAT,
  ROW_PARAMS,
  ROW_TENSORS,
  ROW_TENSOR_BYTES,
  ROW_FILE_SIZE,
  ROW_VOCAB,
  ROW_CONTEXT,
  ROW_ARCH,
  ROW_LAYERS,
  ROW_EMBD,
  ROW_FF,
  ROW_HEADS,
  ROW_HEAD_SIZE,
  ROW_OUTPUT,
  N_ROWS
};

struct _LbOverviewView
{
  AdwBin                parent_instance;

  /* template */
  GtkStack             *stack;
  AdwStatusPage        *loading_page;
  GtkSpinner           *loading_spinner;
  GtkWidget            *reload_box;
  GtkSpinner           *reload_spinner;
  GtkLabel             *reload_label;
  GtkLabel             *name_label;
  GtkLabel             *summary_label;
  GtkLabel             *path_label;
  LbTargetTile         *size_tile;
  LbTargetTile         *latency_tile;
  LbTargetTile         *memory_tile;
  LbTargetTile         *accuracy_tile;
  GtkBox               *mix_box;
  AdwPreferencesGroup  *model_group;
  AdwPreferencesGroup  *arch_group;

  LbSizeBar            *size_bar;
  AdwActionRow         *rows[N_ROWS];
  GtkLabel             *values[N_ROWS];
  GSettings            *settings;
  LbModel              *model;
  LbSession            *session;
  char                 *loading;
};

G_DEFINE_FINAL_TYPE (LbOverviewView, lb_overview_view, ADW_TYPE_BIN)

/* The rows are made once: a new model only changes their text, so that
 * landing a result re-measures labels, not a whole new page. */

/* With a model on screen, the next one loads behind a small pill; the
 * card is replaced only once the new model is there. */
static void
update_page (LbOverviewView *self)
{
  gboolean loading = self->loading != NULL;
  const char *page = self->model != NULL ? "model" : loading ? "loading" : "empty";

  gtk_spinner_set_spinning (self->loading_spinner, loading && self->model == NULL);
  gtk_spinner_set_spinning (self->reload_spinner, loading && self->model != NULL);
  gtk_widget_set_visible (self->reload_box, loading && self->model != NULL);
  gtk_stack_set_visible_child_name (self->stack, page);
}

static void
update_budget (LbOverviewView *self)
{
  if (self->settings != NULL)
    lb_size_bar_set_budget (self->size_bar,
                            g_settings_get_double (self->settings, "target-size-mb") * 1e6);
}

static const char *
format_name (LbModelFormat format)
{
  switch (format)
    {
    case LB_MODEL_FORMAT_GGUF:
      return _("GGUF file");
    case LB_MODEL_FORMAT_HF:
      return _("Hugging Face folder");
    case LB_MODEL_FORMAT_LLAMA2C:
      return _("llama2.c checkpoint");
    default:
      return _("Unknown format");
    }
}

static void
add_row (LbOverviewView      *self,
         AdwPreferencesGroup *group,
         guint                index,
         const char          *title)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label = gtk_label_new (NULL);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 1.0f);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_add_css_class (label, "numeric");
  gtk_widget_add_css_class (label, "lb-row-value");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (label),
                                  GTK_ACCESSIBLE_RELATION_LABELLED_BY, row, NULL, -1);
  adw_preferences_group_add (group, row);
  self->rows[index] = ADW_ACTION_ROW (row);
  self->values[index] = GTK_LABEL (label);
}

/* Takes value */
static void
set_value (LbOverviewView *self, guint index, char *value)
{
  if (g_strcmp0 (gtk_label_get_label (self->values[index]), value) != 0)
    gtk_label_set_label (self->values[index], value);
  g_free (value);
}

static char *
count_or_unknown (guint64 n)
{
  return n > 0 ? lb_format_count (n) : g_strdup (_("Unknown"));
}

static int
compare_types (gconstpointer a, gconstpointer b)
{
  return lb_quant_type_compare (lb_type_get_name (*(const LbType *) a),
                                lb_type_get_name (*(const LbType *) b));
}

/* Bytes of tensor data per type, widest type first */
static void
fill_type_mix (LbOverviewView *self, LbModel *model)
{
  guint64 bytes[LB_TYPE_COUNT] = { 0 };
  g_autoptr (GArray) types = g_array_new (FALSE, FALSE, sizeof (LbType));
  g_autofree const char **names = NULL;
  g_autofree double *sizes = NULL;
  guint n = lb_model_get_n_tensors (model);

  LbVariant *variant = self->session != NULL ? lb_session_get_variant (self->session) : NULL;

  for (guint i = 0; i < n; i++)
    {
      const LbTensor *t = lb_model_get_tensor (model, i);
      LbType type = variant != NULL ? lb_variant_get_tensor_type (variant, t->name) : t->type;

      if ((guint) type < LB_TYPE_COUNT)
        bytes[type] += variant != NULL ? lb_variant_get_tensor_bytes (variant, t->name)
                                       : t->n_bytes;
    }
  for (LbType t = 0; t < LB_TYPE_COUNT; t++)
    if (bytes[t] > 0)
      g_array_append_val (types, t);
  g_array_sort (types, compare_types);

  names = g_new0 (const char *, types->len + 1);
  sizes = g_new0 (double, types->len + 1);
  for (guint i = 0; i < types->len; i++)
    {
      LbType t = g_array_index (types, LbType, i);

      names[i] = lb_type_get_name (t);
      sizes[i] = bytes[t];
    }
  lb_size_bar_set_segments (self->size_bar, types->len, names, sizes);
}

static void
fill_card (LbOverviewView *self, LbModel *model)
{
  const LbHParams *hp = lb_model_get_hparams (model);
  guint64 n_params = lb_model_get_n_params (model);
  guint64 file_size = lb_model_get_file_size (model);
  LbModelFormat format = lb_model_get_format (model);
  g_autofree char *short_count = lb_format_count_short (n_params);
  g_autofree char *summary = NULL;
  g_autofree char *size_text = g_format_size (file_size);

  gtk_label_set_label (self->name_label, lb_model_get_name (model));
  /* Translators: architecture · parameter count · file format, e.g.
   * "qwen2 · 7.09 M parameters · Hugging Face folder" */
  summary = g_strdup_printf (_("%s · %s parameters · %s"), lb_model_get_architecture (model),
                             short_count, format_name (format));
  gtk_label_set_label (self->summary_label, summary);
  gtk_label_set_label (self->path_label, lb_model_get_path (model));

  set_value (self, ROW_FORMAT, g_strdup (format_name (format)));
  set_value (self, ROW_PARAMS, lb_format_count (n_params));
  set_value (self, ROW_TENSORS, lb_format_count (lb_model_get_n_tensors (model)));
  set_value (self, ROW_TENSOR_BYTES, g_format_size (lb_model_get_tensor_bytes (model)));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->rows[ROW_FILE_SIZE]),
                                 format == LB_MODEL_FORMAT_HF ? _("Folder Size") : _("File Size"));
  set_value (self, ROW_FILE_SIZE, g_strdup (size_text));
  set_value (self, ROW_VOCAB, count_or_unknown (hp->n_vocab));
  set_value (self, ROW_CONTEXT, count_or_unknown (hp->n_ctx_train));

  set_value (self, ROW_ARCH, g_strdup (lb_model_get_architecture (model)));
  set_value (self, ROW_LAYERS, lb_format_count (hp->n_layer));
  set_value (self, ROW_EMBD, lb_format_count (hp->n_embd));
  set_value (self, ROW_FF, lb_format_count (hp->n_ff));
  /* Translators: attention heads: query heads, key/value heads */
  set_value (self, ROW_HEADS, g_strdup_printf (_("%u query, %u key/value"),
                                               hp->n_head, hp->n_head_kv));
  set_value (self, ROW_HEAD_SIZE, lb_format_count (hp->head_dim));
  set_value (self, ROW_OUTPUT,
             g_strdup (hp->tied_output ? _("Shared with the embedding") : _("Separate")));

  fill_type_mix (self, model);

  lb_target_tile_set_value (self->size_tile, file_size / 1e6, size_text,
                            format == LB_MODEL_FORMAT_HF ? _("The model folder on disk")
                                                         : _("The model file on disk"));
  /* latency, memory and accuracy need runs: see fill_measurements () */
  lb_target_tile_set_value (self->latency_tile, NAN, NULL, NULL);
  lb_target_tile_set_value (self->memory_tile, NAN, NULL, NULL);
  lb_target_tile_set_value (self->accuracy_tile, NAN, NULL, NULL);
}

/* What a measurement was made of: the current map, or an earlier one */
static char *
measured_caption (LbOverviewView *self, guint revision, const char *what)
{
  if (revision != lb_session_get_revision (self->session))
    /* Translators: a measurement made before the last change of types */
    return g_strdup_printf (_("%s, before the last change of types"), what);
  return g_strdup (what);
}

static void
fill_measurements (LbOverviewView *self)
{
  const LbEvalResult *eval;
  const LbBenchResult *bench;
  guint revision;
  g_autofree char *label = NULL;

  if (self->session == NULL || self->model == NULL)
    return;
  label = lb_session_dup_label (self->session);

  /* the size of what a quantized export writes, exactly */
  if (lb_session_get_recipe (self->session) != NULL)
    {
      guint64 bytes = lb_session_get_file_bytes (self->session);
      g_autofree char *text = g_format_size (bytes);
      /* Translators: the size tile's caption: "GGUF file of Q4_K_M" */
      g_autofree char *caption = g_strdup_printf (_("GGUF file of %s"), label);

      lb_target_tile_set_value (self->size_tile, bytes / 1e6, text, caption);
    }
  else
    {
      guint64 bytes = lb_model_get_file_size (self->model);
      g_autofree char *text = g_format_size (bytes);

      lb_target_tile_set_value (self->size_tile, bytes / 1e6, text,
                                lb_model_get_format (self->model) == LB_MODEL_FORMAT_HF
                                ? _("The model folder on disk") : _("The model file on disk"));
    }

  bench = lb_session_get_bench_result (self->session, &revision);
  if (bench != NULL)
    {
      g_autofree char *ms = g_strdup_printf (_("%.2f ms"), bench->decode_ms_mean);
      guint64 memory = lb_session_get_bench_memory (self->session);
      g_autofree char *mem = g_format_size (memory);
      /* Translators: how the latency was measured, "1420 tokens/s decoding" */
      g_autofree char *speed = g_strdup_printf (_("%.0f tokens/s decoding"), bench->decode_tok_s);
      g_autofree char *lat_caption = measured_caption (self, revision, speed);
      g_autofree char *mem_caption = measured_caption (self, revision,
                                                       _("KV cache, activations and weights while generating"));

      lb_target_tile_set_value (self->latency_tile, bench->decode_ms_mean, ms, lat_caption);
      lb_target_tile_set_value (self->memory_tile, memory / 1e6, mem, mem_caption);
    }
  else
    {
      lb_target_tile_set_value (self->latency_tile, NAN, NULL, NULL);
      lb_target_tile_set_value (self->memory_tile, NAN, NULL, NULL);
    }

  eval = lb_session_get_eval_result (self->session, &revision);
  if (eval != NULL)
    {
      double loss = lb_session_accuracy_loss (eval);
      g_autofree char *text = g_strdup_printf ("%.2f %%", loss);
      /* Translators: "same top-1 token 99.1%, mean KLD 0.0012" */
      g_autofree char *what = g_strdup_printf (_("Same top-1 token %.2f%%, mean KLD %.4f"),
                                               100 * eval->same_top1, eval->mean_kld);
      g_autofree char *caption = measured_caption (self, revision, what);

      lb_target_tile_set_value (self->accuracy_tile, loss, text, caption);
    }
  else
    lb_target_tile_set_value (self->accuracy_tile, NAN, NULL, NULL);
}

static void
on_session_changed (LbOverviewView *self)
{
  if (self->model != NULL)
    fill_type_mix (self, self->model);
  fill_measurements (self);
}

void
lb_overview_view_set_session (LbOverviewView *self, LbSession *session)
{
  g_return_if_fail (LB_IS_OVERVIEW_VIEW (self));
  g_return_if_fail (session == NULL || LB_IS_SESSION (session));

  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  if (session == NULL)
    return;
  g_signal_connect_swapped (session, "changed", G_CALLBACK (on_session_changed), self);
  g_signal_connect_swapped (session, "measured", G_CALLBACK (fill_measurements), self);
  on_session_changed (self);
}

void
lb_overview_view_set_model (LbOverviewView *self, LbModel *model)
{
  g_return_if_fail (LB_IS_OVERVIEW_VIEW (self));
  g_return_if_fail (model == NULL || LB_IS_MODEL (model));

  if (!g_set_object (&self->model, model))
    return;
  if (model != NULL)
    fill_card (self, model);
  update_page (self);
}

void
lb_overview_view_set_loading (LbOverviewView *self, const char *name)
{
  g_return_if_fail (LB_IS_OVERVIEW_VIEW (self));

  g_free (self->loading);
  self->loading = g_strdup (name);
  adw_status_page_set_description (self->loading_page, name);
  if (name != NULL)
    {
      /* Translators: shown over the current model while another one opens */
      g_autofree char *text = g_strdup_printf (_("Opening %s…"), name);

      gtk_label_set_label (self->reload_label, text);
    }
  update_page (self);
}

void
lb_overview_view_set_settings (LbOverviewView *self, GSettings *settings)
{
  g_return_if_fail (LB_IS_OVERVIEW_VIEW (self));
  g_return_if_fail (G_IS_SETTINGS (settings));
  g_return_if_fail (self->settings == NULL);

  self->settings = g_object_ref (settings);
  lb_target_tile_bind (self->size_tile, settings, "target-size-mb");
  lb_target_tile_bind (self->latency_tile, settings, "target-latency-ms");
  lb_target_tile_bind (self->memory_tile, settings, "target-memory-mb");
  lb_target_tile_bind (self->accuracy_tile, settings, "target-accuracy-loss");
  g_signal_connect_object (settings, "changed::target-size-mb", G_CALLBACK (update_budget),
                           self, G_CONNECT_SWAPPED);
  update_budget (self);
}

static void
lb_overview_view_dispose (GObject *object)
{
  LbOverviewView *self = LB_OVERVIEW_VIEW (object);

  /* AdwBin disposes its child, the template's stack */
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  g_clear_object (&self->model);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->loading, g_free);

  G_OBJECT_CLASS (lb_overview_view_parent_class)->dispose (object);
}

static void
lb_overview_view_class_init (LbOverviewViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lb_overview_view_dispose;

  g_type_ensure (LB_TYPE_TARGET_TILE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/lowbit/Workbench/ui/lb-overview-view.ui");
  gtk_widget_class_bind_template_child (widget_class, LbOverviewView, stack);
  gtk_widget_class_bind_template_child (widget_class, LbOverviewView, loading_page);
  gtk_widget_class_bind_template_child (widget_class, LbOverviewView, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, LbOverviewView, reload_box);
  gtk_widget_class_bind_template_child (widget_class, LbOverviewView, reload_spinner);
  gtk_widget_class_bind_template_child (widget_class, LbOverviewView, reload_label);
  gtk_widget_class_bind_template_child (widget_class, LbOverviewView, name_label);
  gtk_widget_class_bind_template_child (widget_class, LbOverviewView, summary_label);
  gtk_widget_class_bind_template_child (widget_class, LbOverviewView, path_label);
  gtk_widget_class_bind_template_child (widget_class, LbOverviewView, size_tile);
  gtk_widget_class_bind_template_child (widget_class, LbOverviewView, latency_tile);
  gtk_widget_class_bind_template_child (widget_class, LbOverviewView, memory_tile);
  gtk_widget_class_bind_template_child (widget_class, LbOverviewView, accuracy_tile);
  gtk_widget_class_bind_template_child (widget_class, LbOverviewView, mix_box);
  gtk_widget_class_bind_template_child (widget_class, LbOverviewView, model_group);
  gtk_widget_class_bind_template_child (widget_class, LbOverviewView, arch_group);
}

static void
lb_overview_view_init (LbOverviewView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  add_row (self, self->model_group, ROW_FORMAT, _("Format"));
  add_row (self, self->model_group, ROW_PARAMS, _("Parameters"));
  add_row (self, self->model_group, ROW_TENSORS, _("Tensors"));
  add_row (self, self->model_group, ROW_TENSOR_BYTES, _("Tensor Data"));
  add_row (self, self->model_group, ROW_FILE_SIZE, _("File Size"));
  add_row (self, self->model_group, ROW_VOCAB, _("Vocabulary"));
  add_row (self, self->model_group, ROW_CONTEXT, _("Context Length"));
  add_row (self, self->arch_group, ROW_ARCH, _("Architecture"));
  add_row (self, self->arch_group, ROW_LAYERS, _("Layers"));
  add_row (self, self->arch_group, ROW_EMBD, _("Embedding Width"));
  add_row (self, self->arch_group, ROW_FF, _("Feed-Forward Width"));
  add_row (self, self->arch_group, ROW_HEADS, _("Attention Heads"));
  add_row (self, self->arch_group, ROW_HEAD_SIZE, _("Head Size"));
  add_row (self, self->arch_group, ROW_OUTPUT, _("Output Layer"));

  self->size_bar = LB_SIZE_BAR (lb_size_bar_new ());
  lb_size_bar_set_show_legend (self->size_bar, TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self->size_bar), TRUE);
  gtk_box_append (self->mix_box, GTK_WIDGET (self->size_bar));
  update_page (self);
}

GtkWidget *
lb_overview_view_new (void)
{
  return g_object_new (LB_TYPE_OVERVIEW_VIEW, NULL);
}
