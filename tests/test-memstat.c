/* test-memstat.c: process memory and CPU time, checked against what the
 * test itself does to the process (allocates, maps, spins, sleeps) */
#include <fcntl.h>
#include <math.h>
#include <time.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <sys/mman.h>

#include "lowbit.h"
#include "lb-memstat.h"
#include "lb-test-util.h"

#define MiB ((guint64) 1 << 20)

static LbMemStat
read_stat (void)
{
  LbMemStat st;
  GError *error = NULL;

  g_assert_true (lb_memstat_read (&st, &error));
  g_assert_no_error (error);
  return st;
}

/* the parser on a known text */
static void
test_parse (void)
{
  const char *text =
    "Name:\ttest\nVmPeak:\t  999 kB\nVmSize:\t   2048 kB\nVmHWM:\t    1700 kB\n"
    "VmRSS:\t    1672 kB\nRssAnon:\t     112 kB\nRssFile:\t    1560 kB\n"
    "RssShmem:\t       0 kB\nThreads:\t1\n";
  LbMemStat st;

  g_assert_true (lb_memstat_parse_status (text, &st));
  g_assert_cmpuint (st.rss, ==, 1672 * 1024);
  g_assert_cmpuint (st.rss_anon, ==, 112 * 1024);
  g_assert_cmpuint (st.rss_file, ==, 1560 * 1024);
  g_assert_cmpuint (st.rss_shmem, ==, 0);
  g_assert_cmpuint (st.peak_rss, ==, 1700 * 1024);
  g_assert_cmpuint (st.vm_size, ==, 2048 * 1024);
  g_assert_false (lb_memstat_parse_status ("Name:\tx\nThreads:\t1\n", &st));
  /* a unit other than kB is not taken for one */
  g_assert_false (lb_memstat_parse_status ("VmRSS:\t12 MB\n", &st));
  g_assert_false (lb_memstat_parse_status ("", &st));
}

/* 64 MiB malloc'd and written shows up as anonymous memory, not file-backed */
static void
test_anon_grows (void)
{
  LbMemStat a, b, c;
  guint8 *p;

  a = read_stat ();
  p = g_malloc (64 * MiB);
  memset (p, 1, 64 * MiB);
  b = read_stat ();
  g_test_message ("anon %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT " MiB, file %"
                  G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT " MiB", a.rss_anon / MiB,
                  b.rss_anon / MiB, a.rss_file / MiB, b.rss_file / MiB);
  g_assert_cmpuint (b.rss_anon, >=, a.rss_anon + 60 * MiB);
  g_assert_cmpuint (b.rss_file, <, a.rss_file + 8 * MiB);
  g_assert_cmpuint (b.rss, >=, b.rss_anon);
  g_assert_cmpuint (b.peak_rss, >=, b.rss);
  g_free (p);
  c = read_stat ();
  /* glibc returns a block this big to the system at once (ASan keeps it
   * in quarantine, so only check when it did go) */
  if (c.rss_anon < b.rss_anon)
    g_assert_cmpuint (c.rss_anon, <, b.rss_anon - 48 * MiB);
}

/* a 32 MiB file mapped and read shows up as file-backed memory; smaps_rollup agrees */
static void
test_file_grows (void)
{
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "data.bin", NULL);
  g_autofree char *data = g_malloc (32 * MiB);
  LbMemStat a, b, c;
  LbMemRollup ra, rb;
  GError *error = NULL;
  volatile guint64 sum = 0;
  const guint8 *map;
  int fd;

  memset (data, 7, 32 * MiB);
  g_assert_true (g_file_set_contents (path, data, 32 * MiB, &error));
  g_assert_no_error (error);
  g_clear_pointer (&data, g_free);

  fd = open (path, O_RDONLY);
  g_assert_cmpint (fd, >=, 0);
  map = mmap (NULL, 32 * MiB, PROT_READ, MAP_PRIVATE, fd, 0);
  g_assert_true (map != MAP_FAILED);
  close (fd);

  a = read_stat ();
  g_assert_true (lb_memstat_read_rollup (&ra, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < 32 * MiB; i += 4096)
    sum += map[i];
  b = read_stat ();
  g_assert_true (lb_memstat_read_rollup (&rb, &error));
  g_test_message ("file %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT " MiB, anon %"
                  G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT " MiB", a.rss_file / MiB,
                  b.rss_file / MiB, a.rss_anon / MiB, b.rss_anon / MiB);
  g_assert_cmpuint (sum, ==, 7 * (32 * MiB / 4096));
  g_assert_cmpuint (b.rss_file, >=, a.rss_file + 30 * MiB);
  g_assert_cmpuint (b.rss_anon, <, a.rss_anon + 8 * MiB);
  g_assert_cmpuint (rb.rss, >=, ra.rss + 30 * MiB);
  g_assert_cmpuint (rb.anonymous, <, ra.anonymous + 8 * MiB);

  munmap ((void *) map, 32 * MiB);
  c = read_stat ();
  g_assert_cmpuint (c.rss_file, <, b.rss_file - 30 * MiB);
  g_unlink (path);
  lb_test_rmtree (dir);
}

static void
test_peak (void)
{
  LbMemStat a, b;
  GError *error = NULL;
  guint8 *p;

  g_assert_true (lb_memstat_reset_peak (&error));
  g_assert_no_error (error);
  a = read_stat ();
  g_assert_cmpuint (a.peak_rss, <, a.rss + 4 * MiB);
  p = g_malloc (48 * MiB);
  memset (p, 3, 48 * MiB);
  g_free (p);
  b = read_stat ();
  g_assert_cmpuint (b.peak_rss, >=, a.rss + 44 * MiB);
}

static double
process_clock (void)
{
  struct timespec ts;

  g_assert_cmpint (clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts), ==, 0);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* getrusage against the kernel's process CPU clock; spinning counts,
 * sleeping does not (the machine may be shared: spin by CPU time) */
static void
test_cpu (void)
{
  double c0 = lb_memstat_cpu_seconds (), k0 = process_clock (), c1, k1, c2;
  volatile guint64 x = 1;

  while (process_clock () - k0 < 0.2)
    for (int i = 0; i < 10000; i++)
      x = x * 6364136223846793005ull + 1;
  c1 = lb_memstat_cpu_seconds ();
  k1 = process_clock ();
  g_usleep (100000);
  c2 = lb_memstat_cpu_seconds ();
  g_test_message ("spinning: %.3f s CPU (clock %.3f s); sleeping 0.1 s: %.3f s", c1 - c0,
                  k1 - k0, c2 - c1);
  g_assert_cmpfloat (fabs ((c1 - c0) - (k1 - k0)), <, 0.02);
  g_assert_cmpfloat (c1 - c0, >=, 0.19);
  g_assert_cmpfloat (c2 - c1, <, 0.02);
}

typedef struct {
  gint      n_calls;
  GThread  *main_thread;
  gboolean  other_thread;
} SampleCount;

static void
count_sample (const LbMemSample *s, gpointer data)
{
  SampleCount *c = data;

  g_atomic_int_inc (&c->n_calls);
  if (g_thread_self () != c->main_thread)
    c->other_thread = TRUE;
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* A sample every ~10 ms, handed to the callback on the sampler's thread,
 * seeing memory the test allocates meanwhile */
static void
test_sampler (void)
{
  SampleCount count = { 0, g_thread_self (), FALSE };
  g_autoptr (LbMemSampler) sampler = NULL;
  g_autoptr (GArray) samples = NULL;
  g_autoptr (GArray) gaps = g_array_new (FALSE, FALSE, sizeof (double));
  guint64 peak_anon, peak_file, peak_total, first_anon;
  GError *error = NULL;
  guint8 *p;
  double median, span;

  sampler = lb_mem_sampler_new (10, count_sample, &count, &error);
  g_assert_no_error (error);
  g_usleep (100000);
  p = g_malloc (64 * MiB);
  memset (p, 5, 64 * MiB);
  g_usleep (200000);
  lb_mem_sampler_stop (sampler);
  lb_mem_sampler_stop (sampler);   /* twice is fine */
  samples = lb_mem_sampler_get_samples (sampler);
  lb_mem_sampler_get_peaks (sampler, &peak_anon, &peak_file, &peak_total);
  g_free (p);

  span = g_array_index (samples, LbMemSample, samples->len - 1).t;
  g_test_message ("%u samples in %.3f s", samples->len, span);
  g_assert_cmpfloat (span, >=, 0.3);
  /* one at the start, one at stop, one every 10 ms between */
  g_assert_cmpuint (samples->len, >=, (guint) (span / 0.020));
  g_assert_cmpuint (samples->len, <=, (guint) (span / 0.010) + 2);
  g_assert_cmpint (g_atomic_int_get (&count.n_calls), ==, (gint) samples->len);
  g_assert_true (count.other_thread);
  for (guint i = 1; i < samples->len; i++)
    {
      const LbMemSample *a = &g_array_index (samples, LbMemSample, i - 1);
      const LbMemSample *b = &g_array_index (samples, LbMemSample, i);
      double gap = b->t - a->t;
      g_assert_cmpfloat (gap, >=, 0.0);
      if (i + 1 < samples->len)   /* the last one is taken at stop */
        g_array_append_val (gaps, gap);
    }
  g_array_sort (gaps, compare_doubles);
  median = g_array_index (gaps, double, gaps->len / 2);
  g_test_message ("median interval %.2f ms", median * 1e3);
  g_assert_cmpfloat (median, >=, 0.008);
  g_assert_cmpfloat (median, <=, 0.020);

  first_anon = g_array_index (samples, LbMemSample, 0).rss_anon;
  g_assert_cmpuint (peak_anon, >=, first_anon + 60 * MiB);
  g_assert_cmpuint (g_array_index (samples, LbMemSample, samples->len - 1).rss_anon, >=,
                    first_anon + 60 * MiB);
  g_assert_cmpuint (peak_file, >, 0);
  g_assert_cmpuint (peak_total, >=, peak_anon);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/memstat/parse", test_parse);
  g_test_add_func ("/lowbit/memstat/anon-grows", test_anon_grows);
  g_test_add_func ("/lowbit/memstat/file-grows", test_file_grows);
  g_test_add_func ("/lowbit/memstat/peak", test_peak);
  g_test_add_func ("/lowbit/memstat/cpu", test_cpu);
  g_test_add_func ("/lowbit/memstat/sampler", test_sampler);
  return g_test_run ();
}
