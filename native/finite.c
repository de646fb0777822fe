/*
 * firstNonFinite(memory, offset, count): the index of the first NaN or
 * infinite float of `count` at byte offset `offset` of `memory` (a
 * Float32Array over the WASM heap), or −1: the Model's input check, which
 * otherwise copies the input out of the heap and scans it in JavaScript.
 */
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

napi_value deepstruct_first_non_finite(napi_env env, napi_callback_info info);

/* Whether any of n floats has an all-ones exponent (NaN or ±infinity), by their bits: one vectorised pass. */
__attribute__((target_clones("avx512f", "avx2", "default"))) static bool any_non_finite(const uint32_t *bits, size_t n) {
  uint32_t found = 0;
  for (size_t i = 0; i < n; i++) found |= (bits[i] & 0x7f800000u) == 0x7f800000u;
  return found != 0;
}

napi_value deepstruct_first_non_finite(napi_env env, napi_callback_info info) {
  napi_value argv[3], result;
  size_t argc = 3, length = 0;
  bool typed = false;
  napi_typedarray_type type;
  void *data = NULL;
  uint32_t offset = 0, count = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3 || napi_is_typedarray(env, argv[0], &typed) != napi_ok || !typed ||
      napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_float32_array ||
      napi_get_value_uint32(env, argv[1], &offset) != napi_ok || napi_get_value_uint32(env, argv[2], &count) != napi_ok || offset % 4 != 0 ||
      (size_t)offset + 4 * (size_t)count > 4 * length) {
    napi_throw_range_error(env, "ERR_DEEPSTRUCT_NATIVE", "deepstruct native: firstNonFinite takes (memory Float32Array, byte offset, count) inside the memory");
    return NULL;
  }
  const uint32_t *bits = (const uint32_t *)((const char *)data + offset);
  int64_t at = -1;
  // Blocks of 64 Ki: the common all-finite input costs one vectorised pass; a bad one is found in its block.
  for (size_t start = 0; start < count && at < 0; start += 65536) {
    const size_t n = count - start < 65536 ? count - start : 65536;
    if (!any_non_finite(bits + start, n)) continue;
    for (size_t i = start; i < start + n; i++)
      if ((bits[i] & 0x7f800000u) == 0x7f800000u) {
        at = (int64_t)i;
        break;
      }
  }
  if (napi_create_int64(env, at, &result) != napi_ok) return NULL;
  return result;
}
