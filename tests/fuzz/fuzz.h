/* fuzz.h — the libFuzzer entry point every target defines.
 *
 * With -Dfuzzing=true each target links against libFuzzer (-fsanitize=fuzzer); in every build it
 * also links against replay.c, which feeds it the seed corpus as GTest cases, so the corpus runs
 * in each `meson test`. Targets check with g_assert*(): a failed invariant aborts, which libFuzzer
 * reports as a crash and GTest as a failed case.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
