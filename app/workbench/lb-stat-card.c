/* lb-stat-card.c */
#include "config.h"

#include "lb-stat-card.h"

GtkWidget *
lb_stat_card_new (const char *title, GtkLabel **value, GtkLabel **detail)
{
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *caption = gtk_label_new (title);
  GtkWidget *v = gtk_label_new ("—");
  GtkWidget *d = gtk_label_new (NULL);

  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "lb-stat-card");
  gtk_label_set_xalign (GTK_LABEL (caption), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (caption), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (caption, "lb-stat-title");
  gtk_label_set_xalign (GTK_LABEL (v), 0.0f);
  gtk_label_set_selectable (GTK_LABEL (v), TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (v), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (v, "lb-stat-value");
  gtk_widget_add_css_class (v, "numeric");
  gtk_label_set_xalign (GTK_LABEL (d), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (d), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (d, "caption");
  gtk_widget_add_css_class (d, "dim-label");
  gtk_box_append (GTK_BOX (card), caption);
  gtk_box_append (GTK_BOX (card), v);
  gtk_box_append (GTK_BOX (card), d);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (v), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                  caption, NULL, -1);
  *value = GTK_LABEL (v);
  *detail = GTK_LABEL (d);
  return card;
}

void
lb_stat_card_set (GtkLabel *value_label, GtkLabel *detail_label, char *value, char *detail)
{
  gtk_label_set_label (value_label, value != NULL ? value : "—");
  gtk_label_set_label (detail_label, detail != NULL ? detail : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (detail_label), detail);
  g_free (value);
  g_free (detail);
}
