// The .trace reader (model/frontend/trace.h, docs/trace-format.md): parse_trace on the input
// as a trace's text. A trace it accepts must write back (write_trace) and read back to the same
// text, as trace.h promises.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "model/frontend/trace.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nibble;
  fuzz::expect_clean([&] {
    std::istringstream in(fuzz::text_of(data, size));
    const workload::Workload w = frontend::parse_trace(in, "fuzz.trace");
    std::string text;
    try {
      text = frontend::write_trace(w);
    } catch (const std::invalid_argument& e) {
      fuzz::violated(std::string("write_trace refused a parsed trace: ") + e.what());
    }
    std::istringstream again(text);
    workload::Workload back;
    try {
      back = frontend::parse_trace(again, "written.trace");
    } catch (const frontend::InputError& e) {
      fuzz::violated(std::string("write_trace's text does not read back: ") + e.what());
    }
    if (frontend::write_trace(back) != text) {
      fuzz::violated("write_trace(parse_trace(write_trace(w))) differs from write_trace(w)");
    }
  });
  return 0;
}
