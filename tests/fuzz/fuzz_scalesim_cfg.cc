// SCALE-Sim's architecture .cfg reader (model/frontend/scalesim_input.h, docs/scalesim.md):
// parse_scalesim_cfg on the input as the file's text.
#include <cstddef>
#include <cstdint>
#include <sstream>

#include "model/frontend/scalesim_input.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nibble;
  fuzz::expect_clean([&] {
    std::istringstream in(fuzz::text_of(data, size));
    frontend::parse_scalesim_cfg(in, "fuzz.cfg");
  });
  return 0;
}
