// The operand and scale files of functional mode (model/functional/tensors.h, npy.h,
// docs/functional.md), read through make_gemm_tensors as `nibble run --functional` reads them.
// Input: byte 0 picks what the rest is (mod 4), bytes 1 and 2 a shape (1..16 each), the rest the
// file's bytes:
//   0  `load g a=FILE` of an M x K operand: raw bytes or .npy (M, K from bytes 1, 2)
//   1  `load g b=FILE` of a K x N operand (K, N from bytes 1, 2)
//   2  `scale g file=FILE`: N little-endian binary16 scales (N from byte 2)
//   3  parse_npy_header on the bytes alone (its std::invalid_argument is the rejection the
//      reader turns into an InputError)
// The GEMM is written as a trace and read by parse_trace, so the file goes the CLI's way.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "model/frontend/trace.h"
#include "model/functional/npy.h"
#include "model/functional/tensors.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nibble;
  if (size < 3) {
    return 0;
  }
  const int mode = data[0] % 4;
  const int rows = data[1] % 16 + 1;
  const int cols = data[2] % 16 + 1;
  const std::string bytes = fuzz::text_of(data + 3, size - 3);
  if (mode == 3) {
    try {
      fn::parse_npy_header(bytes);
    } catch (const std::invalid_argument&) {
    }
    return 0;
  }
  const std::string file = fuzz::write_scratch_file("operand.bin", bytes);
  std::string trace = "nibble-trace 1\n";
  if (mode == 0) {
    trace += "gemm g m=" + std::to_string(rows) + " n=3 k=" + std::to_string(cols) +
             " a=int4 b=int4\nload g a=" + file + "\n";
  } else if (mode == 1) {
    trace += "gemm g m=3 n=" + std::to_string(cols) + " k=" + std::to_string(rows) +
             " a=fp4 b=uint4\nload g b=" + file + "\n";
  } else {
    trace += "gemm g m=2 n=" + std::to_string(cols) +
             " k=5 a=uint4 b=int4 out=int4\nscale g file=" + file + "\n";
  }
  std::istringstream in(trace);
  const workload::Workload w = frontend::parse_trace(in, "fuzz.trace");  // must accept it
  fuzz::expect_clean([&] { fn::make_gemm_tensors(w, 0); });
  return 0;
}
