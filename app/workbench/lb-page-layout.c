/* lb-page-layout.c */
#include "config.h"

#include "lb-page-layout.h"
#include "lb-widgets.h"

#define HEADER_KEY "lb-group-header"

typedef struct {
  GtkWidget *box;
  GtkLabel  *title;
  GtkLabel  *description;
  GtkWidget *suffix_box;
} Header;

static Header *
ensure_header (AdwPreferencesGroup *group)
{
  Header *h = g_object_get_data (G_OBJECT (group), HEADER_KEY);
  GtkWidget *top, *parent;

  if (h != NULL)
    return h;
  h = g_new0 (Header, 1);
  h->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_margin_bottom (h->box, 12);
  gtk_widget_add_css_class (h->box, "lb-group-header");
  top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  /* not wrapping: a constant size, no search in the box above */
  h->title = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (h->title, 0.0f);
  gtk_label_set_ellipsize (h->title, PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (GTK_WIDGET (h->title), TRUE);
  gtk_widget_set_valign (GTK_WIDGET (h->title), GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (h->title), "heading");
  gtk_box_append (GTK_BOX (top), GTK_WIDGET (h->title));
  h->suffix_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_box_append (GTK_BOX (top), h->suffix_box);
  gtk_box_append (GTK_BOX (h->box), top);
  /* wrapping, but in a vertical box: one layout per width */
  h->description = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (h->description, TRUE);
  gtk_label_set_wrap_mode (h->description, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (h->description, 0.0f);
  gtk_widget_add_css_class (GTK_WIDGET (h->description), "dim-label");
  gtk_widget_set_visible (GTK_WIDGET (h->description), FALSE);
  gtk_box_append (GTK_BOX (h->box), GTK_WIDGET (h->description));

  /* non-row children go below the rows: move the header above them */
  adw_preferences_group_add (group, h->box);
  parent = gtk_widget_get_parent (h->box);
  if (GTK_IS_BOX (parent))
    gtk_box_reorder_child_after (GTK_BOX (parent), h->box, NULL);
  g_object_set_data_full (G_OBJECT (group), HEADER_KEY, h, g_free);
  return h;
}

/* An empty header line takes no room */
static void
set_header_text (GtkLabel *label, const char *text)
{
  gtk_label_set_label (label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (label), text != NULL && *text != '\0');
}

void
lb_group_set_title (AdwPreferencesGroup *group, const char *title)
{
  g_return_if_fail (ADW_IS_PREFERENCES_GROUP (group));
  set_header_text (ensure_header (group)->title, title);
}

const char *
lb_group_get_title (AdwPreferencesGroup *group)
{
  Header *h;

  g_return_val_if_fail (ADW_IS_PREFERENCES_GROUP (group), NULL);
  h = g_object_get_data (G_OBJECT (group), HEADER_KEY);
  return h != NULL ? gtk_label_get_label (h->title) : NULL;
}

void
lb_group_set_description (AdwPreferencesGroup *group, const char *description)
{
  g_return_if_fail (ADW_IS_PREFERENCES_GROUP (group));
  set_header_text (ensure_header (group)->description, description);
}

void
lb_group_set_suffix (AdwPreferencesGroup *group, GtkWidget *suffix)
{
  Header *h;

  g_return_if_fail (ADW_IS_PREFERENCES_GROUP (group));
  g_return_if_fail (GTK_IS_WIDGET (suffix));
  h = ensure_header (group);
  gtk_widget_set_valign (suffix, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (h->suffix_box), suffix);
}

void
lb_group_set_header (AdwPreferencesGroup *group,
                     const char          *title,
                     const char          *description,
                     GtkWidget           *suffix)
{
  g_return_if_fail (ADW_IS_PREFERENCES_GROUP (group));
  lb_group_set_title (group, title);
  lb_group_set_description (group, description);
  if (suffix != NULL)
    lb_group_set_suffix (group, suffix);
}

static void
sync_tooltip (AdwActionRow *row)
{
  const char *subtitle = adw_action_row_get_subtitle (row);

  gtk_widget_set_tooltip_text (GTK_WIDGET (row), subtitle != NULL && *subtitle != '\0' ? subtitle : NULL);
}

void
lb_page_single_line_rows (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  if (ADW_IS_ACTION_ROW (root) && !g_object_get_data (G_OBJECT (root), "lb-single-line"))
    {
      AdwActionRow *row = ADW_ACTION_ROW (root);

      /* a label that cannot wrap has a constant size */
      adw_action_row_set_title_lines (row, 1);
      adw_action_row_set_subtitle_lines (row, 1);
      if (gtk_widget_get_tooltip_text (root) == NULL)
        {
          sync_tooltip (row);
          g_signal_connect (row, "notify::subtitle", G_CALLBACK (sync_tooltip), NULL);
        }
      g_object_set_data (G_OBJECT (root), "lb-single-line", GINT_TO_POINTER (1));
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    lb_page_single_line_rows (child);
}

GtkWidget *
lb_columns_new (int spacing, gboolean homogeneous)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, spacing);

  gtk_box_set_homogeneous (GTK_BOX (box), homogeneous);
  return box;
}

void
lb_columns_append (GtkWidget *columns, GtkWidget *column)
{
  GtkWidget *page_box;

  g_return_if_fail (GTK_IS_BOX (columns));
  page_box = lb_page_box_new (column);
  /* the column's own expand flags decide how the width is shared */
  gtk_widget_set_hexpand (page_box, gtk_widget_get_hexpand (column));
  gtk_widget_set_valign (page_box, gtk_widget_get_valign (column));
  gtk_box_append (GTK_BOX (columns), page_box);
}
