/* lb-target-tile.h: one of the brief's targets (size, latency, memory,
 * accuracy loss): the current value, the editable target and pass/fail */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

typedef enum {
  LB_TARGET_UNKNOWN,  /* not measured yet */
  LB_TARGET_PASS,
  LB_TARGET_FAIL,
} LbTargetVerdict;

#define LB_TYPE_TARGET_TILE (lb_target_tile_get_type ())
G_DECLARE_FINAL_TYPE (LbTargetTile, lb_target_tile, LB, TARGET_TILE, AdwBin)

GtkWidget      *lb_target_tile_new         (void);
/* The target is the settings key, edited in place (a double, in the unit) */
void            lb_target_tile_bind        (LbTargetTile *self, GSettings *settings,
                                            const char *key);
/* value in the tile's unit, NaN when not measured; text is how it reads
 * ("14.2 MB"), caption what it is ("Model file on disk") */
void            lb_target_tile_set_value   (LbTargetTile *self, double value,
                                            const char *text, const char *caption);
double          lb_target_tile_get_value   (LbTargetTile *self);
double          lb_target_tile_get_target  (LbTargetTile *self);
/* Lower is better for every target of the brief: pass when value <= target */
LbTargetVerdict lb_target_tile_get_verdict (LbTargetTile *self);

G_END_DECLS
