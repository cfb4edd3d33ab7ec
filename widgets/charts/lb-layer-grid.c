/* lb-layer-grid.c: tensor names to (layer, kind) cells */
#include "config.h"

#include <string.h>

#include "lb-layer-grid.h"

/* the order of a block's tensors in llama.cpp's GGUF files */
static const char * const known_kinds[] = {
  "attn_norm", "attn_q_norm", "attn_k_norm", "attn_q", "attn_k", "attn_v", "attn_qkv",
  "attn_output", "post_attention_norm", "ffn_norm", "pre_feedforward_layernorm",
  "ffn_gate", "ffn_up", "ffn_down", "post_ffw_norm", "layer_output_norm",
};

/* "blk.12.attn_q.weight" -> 12, "attn_q"; FALSE for any other form */
static gboolean
parse_block (const char *name,
             guint      *layer,
             char      **kind)
{
  const char *p;
  guint64 n = 0;
  gsize len;

  if (!g_str_has_prefix (name, "blk."))
    return FALSE;
  p = name + 4;
  if (!g_ascii_isdigit (*p))
    return FALSE;
  while (g_ascii_isdigit (*p))
    {
      n = n * 10 + (guint64) (*p - '0');
      if (n >= LB_LAYER_GRID_MAX_LAYERS)
        return FALSE;
      p++;
    }
  if (*p != '.' || p[1] == '\0')
    return FALSE;
  p++;
  len = strlen (p);
  if (g_str_has_suffix (p, ".weight") && len > 7)
    len -= 7;
  *layer = (guint) n;
  *kind = g_strndup (p, len);
  return TRUE;
}

static char *
model_kind (const char *name)
{
  gsize len = strlen (name);

  if (g_str_has_suffix (name, ".weight") && len > 7)
    len -= 7;
  return g_strndup (name, len);
}

static guint
kind_rank (const char *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (known_kinds); i++)
    if (strcmp (kind, known_kinds[i]) == 0)
      return i;
  return G_N_ELEMENTS (known_kinds);
}

LbLayerGrid *
lb_layer_grid_new (const char * const *names,
                   guint               n_names)
{
  g_autoptr (GPtrArray) block_kinds = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) model_kinds = g_ptr_array_new_with_free_func (g_free);
  g_autofree guint *layer_of = NULL;
  g_autofree char **kind_of = NULL;
  guint n_layers = 0, n_block_cols;
  gboolean has_model_row = FALSE;
  LbLayerGrid *grid;

  g_return_val_if_fail (names != NULL || n_names == 0, NULL);

  if (n_names == 0)
    return NULL;

  layer_of = g_new (guint, n_names);
  kind_of = g_new0 (char *, n_names);
  for (guint i = 0; i < n_names; i++)
    {
      const char *name = names[i] != NULL ? names[i] : "";
      guint layer;
      char *kind;
      GPtrArray *set;

      if (parse_block (name, &layer, &kind))
        {
          layer_of[i] = layer;
          n_layers = MAX (n_layers, layer + 1);
          set = block_kinds;
        }
      else
        {
          kind = model_kind (name);
          layer_of[i] = G_MAXUINT;
          has_model_row = TRUE;
          set = model_kinds;
        }
      kind_of[i] = kind;
      if (!g_ptr_array_find_with_equal_func (set, kind, g_str_equal, NULL))
        g_ptr_array_add (set, g_strdup (kind));
    }

  /* known kinds in block order, then the others as first seen (stable) */
  for (guint i = 1; i < block_kinds->len; i++)
    for (guint j = i; j > 0 && kind_rank (block_kinds->pdata[j - 1])
                               > kind_rank (block_kinds->pdata[j]); j--)
      {
        gpointer t = block_kinds->pdata[j];
        block_kinds->pdata[j] = block_kinds->pdata[j - 1];
        block_kinds->pdata[j - 1] = t;
      }
  /* a model-level name that is also a block kind shares its column */
  for (guint i = 0; i < model_kinds->len; )
    if (g_ptr_array_find_with_equal_func (block_kinds, model_kinds->pdata[i], g_str_equal, NULL))
      g_ptr_array_remove_index (model_kinds, i);
    else
      i++;

  grid = g_new0 (LbLayerGrid, 1);
  n_block_cols = block_kinds->len;
  grid->n_cols = n_block_cols + model_kinds->len;
  grid->n_rows = n_layers + (has_model_row ? 1 : 0);
  grid->col_labels = g_new0 (char *, grid->n_cols + 1);
  for (guint c = 0; c < n_block_cols; c++)
    grid->col_labels[c] = g_strdup (block_kinds->pdata[c]);
  for (guint c = 0; c < model_kinds->len; c++)
    grid->col_labels[n_block_cols + c] = g_strdup (model_kinds->pdata[c]);
  grid->row_labels = g_new0 (char *, grid->n_rows + 1);
  for (guint r = 0; r < n_layers; r++)
    grid->row_labels[r] = g_strdup_printf ("blk.%u", r);
  if (has_model_row)
    grid->row_labels[n_layers] = g_strdup ("model");

  grid->n_names = n_names;
  grid->cell = g_new (guint, n_names);
  for (guint i = 0; i < n_names; i++)
    {
      guint row = layer_of[i] == G_MAXUINT ? n_layers : layer_of[i], col = 0;

      for (guint c = 0; c < grid->n_cols; c++)
        if (strcmp (grid->col_labels[c], kind_of[i]) == 0)
          {
            col = c;
            break;
          }
      grid->cell[i] = row * grid->n_cols + col;
      g_free (kind_of[i]);
    }
  return grid;
}

void
lb_layer_grid_free (LbLayerGrid *grid)
{
  if (grid == NULL)
    return;
  g_strfreev (grid->row_labels);
  g_strfreev (grid->col_labels);
  g_free (grid->cell);
  g_free (grid);
}
