// The sweep spec reader (model/sweep/spec.h, docs/sweep.md): parse_spec on the input as a spec's
// text, relative paths read from the source tree's examples/ folder (where examples/sweep.yaml
// lives, so the shipped specs' ../traces/... and ../configs/... resolve). parse_spec reads and
// checks the base config, every workload and table and every point's config, as `nibble sweep`
// does before it starts.
#include <cstddef>
#include <cstdint>
#include <string>

#include "model/sweep/spec.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nibble;
  fuzz::expect_clean([&] {
    sweep::parse_spec(fuzz::text_of(data, size), "fuzz.yaml",
                      std::string(NIBBLE_SOURCE_DIR) + "/examples");
  });
  return 0;
}
