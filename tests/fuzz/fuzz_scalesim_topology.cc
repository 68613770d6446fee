// SCALE-Sim's topology CSV reader (model/frontend/scalesim_input.h, docs/scalesim.md):
// parse_scalesim_topology on the input as the file's text, in the conv form and in the GEMM form
// (`-i gemm`).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "model/frontend/scalesim_input.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nibble;
  const std::string text = fuzz::text_of(data, size);
  for (const auto form : {frontend::TopologyForm::kConv, frontend::TopologyForm::kGemm}) {
    fuzz::expect_clean([&] {
      std::istringstream in(text);
      frontend::parse_scalesim_topology(in, "fuzz.csv", form);
    });
  }
  return 0;
}
