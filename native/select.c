/*
 * The passes of magnitude pruning's radix selection (runtime/pruning/radix.ts
 * says how they make one selection): over segments — a Float32Array of
 * weights and its Uint8Array mask each, usually views of the model's own
 * storage, so nothing is copied — the entries whose mask is 1 (not 0) are ranked
 * by |w|. A non-negative float's bits, as an unsigned integer, order as the
 * float does, so the key of an entry is its weight's bits without the sign
 * (−0 and +0 both 0): the selection is exact, not a bucketing of values.
 *
 *   selectHistogramHigh(values[], masks[], counts, live): counts[key >> 16]++
 *     per ranked entry (counts: Uint32Array of 65536, added to), live[s] =
 *     ranked entries of segment s (Float64Array).
 *   selectHistogramLow(values[], masks[], high, counts): counts[key & 0xffff]++
 *     per ranked entry whose key >> 16 is `high`.
 *   selectSwitchOff(values[], masks[], threshold, ties, off): mask 0 at every
 *     ranked entry whose key is below `threshold` and at the first `ties` (in
 *     segment, then index order) equal to it; off[s] = entries switched off.
 *
 * Every argument is checked here, at the boundary, before a byte is read.
 */
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define HIGH_BUCKETS 65536

napi_value deepstruct_select_histogram_high(napi_env env, napi_callback_info info);
napi_value deepstruct_select_histogram_low(napi_env env, napi_callback_info info);
napi_value deepstruct_select_switch_off(napi_env env, napi_callback_info info);

/* One ranked array: its weights' bits, its mask, its length. */
typedef struct {
  const uint32_t *bits;
  uint8_t *mask;
  size_t length;
} segment;

static bool fail(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_DEEPSTRUCT_NATIVE", message);
  return false;
}

/* fail() where a pointer is returned: NULL, to any pointer type. */
static void *refuse(napi_env env, const char *message) {
  fail(env, message);
  return NULL;
}

/* A typed array of `want` type: its data and length; false (with an exception pending) otherwise. */
static bool typed(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  return napi_is_typedarray(env, value, &is_typed) == napi_ok && is_typed &&
         napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL) == napi_ok && type == want;
}

/*
 * The segments of two equally long arrays, values[i] a Float32Array and
 * masks[i] a Uint8Array of its length, in a new array (free() it); NULL with
 * an exception pending otherwise.
 */
static segment *segments_of(napi_env env, napi_value values, napi_value masks, uint32_t *count) {
  uint32_t n = 0, m = 0;
  bool is_array = false;
  char message[160];
  if (napi_is_array(env, values, &is_array) != napi_ok || !is_array || napi_get_array_length(env, values, &n) != napi_ok ||
      napi_is_array(env, masks, &is_array) != napi_ok || !is_array || napi_get_array_length(env, masks, &m) != napi_ok || n != m)
    return refuse(env, "deepstruct native: select takes two arrays of as many segments: Float32Array values, Uint8Array masks");
  segment *out = malloc((n > 0 ? n : 1) * sizeof *out);
  if (out == NULL) return refuse(env, "deepstruct native: select could not allocate its segment list");
  for (uint32_t s = 0; s < n; s++) {
    napi_value v, k;
    void *bits = NULL, *mask = NULL;
    size_t length = 0, mask_length = 0;
    if (napi_get_element(env, values, s, &v) != napi_ok || napi_get_element(env, masks, s, &k) != napi_ok ||
        !typed(env, v, napi_float32_array, &bits, &length) || !typed(env, k, napi_uint8_array, &mask, &mask_length) || length != mask_length) {
      snprintf(message, sizeof message, "deepstruct native: select's segment %u needs a Float32Array of values and a Uint8Array mask of its length", s);
      free(out);
      return refuse(env, message);
    }
    out[s] = (segment){(const uint32_t *)bits, (uint8_t *)mask, length};
  }
  *count = n;
  return out;
}

/* A Uint32Array of 65536 counts, or a Float64Array of one entry per segment. */
static bool counts_of(napi_env env, napi_value value, uint32_t **counts) {
  size_t length = 0;
  if (!typed(env, value, napi_uint32_array, (void **)counts, &length) || length != HIGH_BUCKETS) return fail(env, "deepstruct native: select's counts must be a Uint32Array of 65536");
  return true;
}

static bool per_segment(napi_env env, napi_value value, uint32_t segments, double **out) {
  size_t length = 0;
  if (!typed(env, value, napi_float64_array, (void **)out, &length) || length != segments) return fail(env, "deepstruct native: select's per-segment output must be a Float64Array of one entry per segment");
  return true;
}

static inline uint32_t key_of(uint32_t bits) { return bits & 0x7fffffffu; }

/* The call's arguments: `argc` of them, the first two the segments (free() them); NULL with an exception pending otherwise. */
static segment *arguments_of(napi_env env, napi_callback_info info, size_t argc, napi_value *argv, uint32_t *count, const char *usage) {
  size_t given = argc;
  if (napi_get_cb_info(env, info, &given, argv, NULL, NULL) != napi_ok || given != argc) return refuse(env, usage);
  return segments_of(env, argv[0], argv[1], count);
}

static void histogram_high(const segment *s, uint32_t *counts, double *live) {
  size_t ranked = 0;
  for (size_t i = 0; i < s->length; i++) {
    // Added, not branched on: after a pruning the mask is on and off at random, and a branch would miss half the time.
    const uint32_t on = s->mask[i] != 0;
    counts[key_of(s->bits[i]) >> 16] += on;
    ranked += on;
  }
  *live = (double)ranked;
}

napi_value deepstruct_select_histogram_high(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  uint32_t n = 0, *counts = NULL;
  double *live = NULL;
  segment *segments = arguments_of(env, info, 4, argv, &n, "deepstruct native: selectHistogramHigh takes (values, masks, counts, live)");
  if (segments == NULL) return NULL;
  if (counts_of(env, argv[2], &counts) && per_segment(env, argv[3], n, &live))
    for (uint32_t s = 0; s < n; s++) histogram_high(&segments[s], counts, &live[s]);
  free(segments);
  return NULL;
}

static void histogram_low(const segment *s, uint32_t high, uint32_t *counts) {
  for (size_t i = 0; i < s->length; i++) {
    const uint32_t key = key_of(s->bits[i]);
    // The bucket test first and without a short circuit: it is rarely true, while a test of a pruned mask misses at random.
    if ((key >> 16 == high) & (s->mask[i] != 0)) counts[key & 0xffffu]++;
  }
}

napi_value deepstruct_select_histogram_low(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  uint32_t n = 0, high = 0, *counts = NULL;
  segment *segments = arguments_of(env, info, 4, argv, &n, "deepstruct native: selectHistogramLow takes (values, masks, high, counts)");
  if (segments == NULL) return NULL;
  if (napi_get_value_uint32(env, argv[2], &high) != napi_ok || high >= HIGH_BUCKETS)
    fail(env, "deepstruct native: selectHistogramLow's high must be an integer in [0, 65536)");
  else if (counts_of(env, argv[3], &counts))
    for (uint32_t s = 0; s < n; s++) histogram_low(&segments[s], high, counts);
  free(segments);
  return NULL;
}

/* Switches off one segment's entries below `threshold`, and equal ones while `*ties` lasts; how many. */
static size_t switch_off(const segment *s, uint32_t threshold, int64_t *ties) {
  size_t switched = 0;
  for (size_t i = 0; i < s->length; i++) {
    const uint32_t key = key_of(s->bits[i]);
    const uint8_t on = s->mask[i] != 0;
    // Branch-free for the entries below the threshold (half of them at 50%: a branch would miss every other time).
    uint8_t take = on & (key < threshold);
    if (__builtin_expect(on & (key == threshold), 0) && *ties > 0) {
      take = 1;
      (*ties)--;
    }
    s->mask[i] &= (uint8_t)(take - 1u);
    switched += take;
  }
  return switched;
}

napi_value deepstruct_select_switch_off(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  uint32_t n = 0;
  int64_t threshold = 0, ties = 0;
  double *off = NULL;
  segment *segments = arguments_of(env, info, 5, argv, &n, "deepstruct native: selectSwitchOff takes (values, masks, threshold, ties, off)");
  if (segments == NULL) return NULL;
  if (napi_get_value_int64(env, argv[2], &threshold) != napi_ok || napi_get_value_int64(env, argv[3], &ties) != napi_ok || threshold < 0 ||
      threshold > 0x80000000LL || ties < 0)
    fail(env, "deepstruct native: selectSwitchOff's threshold must be an integer in [0, 2^31] and its ties a non-negative integer");
  else if (per_segment(env, argv[4], n, &off))
    for (uint32_t s = 0; s < n; s++) off[s] = (double)switch_off(&segments[s], (uint32_t)threshold, &ties);
  free(segments);
  return NULL;
}
