/* lb-memstat.h: this process's memory and CPU time, the way a phone's
 * memory budget sees them: resident memory split into anonymous (heap,
 * KV cache, activations: what the system must keep) and file-backed
 * (mapped weights: clean pages the kernel can drop and read again), the
 * peak, and a sampler thread that records both over time. Linux /proc. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Bytes. From /proc/self/status (cheap: counters the kernel keeps). */
typedef struct {
  guint64 rss;        /* VmRSS: resident, all kinds */
  guint64 rss_anon;   /* RssAnon: anonymous */
  guint64 rss_file;   /* RssFile: file-backed mappings */
  guint64 rss_shmem;  /* RssShmem: shared memory */
  guint64 peak_rss;   /* VmHWM: highest VmRSS since start or the last reset */
  guint64 vm_size;    /* VmSize: address space */
} LbMemStat;

/* Bytes. From /proc/self/smaps_rollup (walks the page tables: exact, and
 * with proportional shares, but slower; not for 10 ms sampling). */
typedef struct {
  guint64 rss;
  guint64 pss;        /* pages shared with other processes counted in part */
  guint64 anonymous;
  guint64 pss_anon;
  guint64 pss_file;
  guint64 private_dirty;
} LbMemRollup;

gboolean lb_memstat_read        (LbMemStat *stat, GError **error);
gboolean lb_memstat_read_rollup (LbMemRollup *rollup, GError **error);
/* Resets VmHWM to the current RSS (writes 5 to /proc/self/clear_refs).
 * FALSE (with an error) where the kernel does not allow it. */
gboolean lb_memstat_reset_peak  (GError **error);

/* User + system CPU time of the whole process (every thread), in seconds. */
double   lb_memstat_cpu_seconds (void);

/* Parses a /proc/self/status text (exposed for tests). Fields it does not
 * find are left 0; FALSE when none of them is there. */
gboolean lb_memstat_parse_status (const char *text, LbMemStat *stat);

/* ---- sampling -------------------------------------------------------------- */

typedef struct {
  double  t;          /* seconds since the sampler started */
  guint64 rss_anon;   /* bytes */
  guint64 rss_file;
  guint64 rss_shmem;
  double  cpu;        /* process CPU seconds since the sampler started */
} LbMemSample;

/* Called on the sampler's thread with each new sample. */
typedef void (*LbMemSampleFunc) (const LbMemSample *sample, gpointer user_data);

typedef struct _LbMemSampler LbMemSampler;

/* Starts a thread that reads LbMemStat every interval_ms (0: 10 ms),
 * appends a sample and calls func (may be NULL). The first sample is taken
 * at once. NULL + error when /proc/self/status cannot be read. */
LbMemSampler *lb_mem_sampler_new         (guint interval_ms, LbMemSampleFunc func,
                                          gpointer user_data, GError **error);
/* Takes a last sample and joins the thread; later calls do nothing. */
void          lb_mem_sampler_stop        (LbMemSampler *sampler);
/* The samples so far (copied: safe while the sampler runs) */
GArray       *lb_mem_sampler_get_samples (LbMemSampler *sampler);
/* Highest anonymous, file-backed and anon + file + shmem seen in samples */
void          lb_mem_sampler_get_peaks   (LbMemSampler *sampler, guint64 *peak_anon,
                                          guint64 *peak_file, guint64 *peak_total);
/* Stops the sampler if needed and frees it. */
void          lb_mem_sampler_free        (LbMemSampler *sampler);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbMemSampler, lb_mem_sampler_free)

G_END_DECLS
