// The data of functional mode: the operand tensors of one GEMM, loaded from the files a trace's
// `load` command names or generated from the trace's `seed`, the output scales, and the CRC-32
// that identifies an output tensor (docs/functional.md). Pure C++; the SystemC engine's DRAM
// model holds these tensors, the tests' reference GEMM reads them too.
#ifndef NIBBLE_MODEL_FUNCTIONAL_TENSORS_H_
#define NIBBLE_MODEL_FUNCTIONAL_TENSORS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/numerics/fp16.h"
#include "model/numerics/int4.h"
#include "model/workload/gemm_spec.h"

namespace nibble::fn {

// A matrix of 4-bit codes (low nibble), row-major: element (r, c) is codes[r * cols + c].
struct Tensor4 {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<num::Code4> codes;

  num::Code4 at(int64_t r, int64_t c) const { return codes[static_cast<size_t>(r * cols + c)]; }
};

// Everything functional mode needs to compute one GEMM's output.
struct GemmTensors {
  Tensor4 a;                      // M x K
  Tensor4 b;                      // K x N
  std::vector<num::Fp16> scales;  // 1 (per tensor) or N (per output column)
};

// The tensors of gemm number `index` (0-based, trace order) of workload w:
//  - A / B from the file its `load` names (frontend::InputError naming the load line and the
//    file if a file is missing, has the wrong size, or a byte's high nibble is not zero), else
//    generated from w.seed (docs/functional.md gives the generator);
//  - scales from `scale` (value= or file=), else one scale of 1.0.
//  - if out is fp4, scales = {1.0}: the scale unit applies the GEMM's GradScale factor instead.
// Throws std::invalid_argument if index is out of range, the GEMM's operands are not a 4-bit PE
// pair, or A, B or the output has more than 2^31 elements (functional mode is for modest shapes).
GemmTensors make_gemm_tensors(const workload::Workload& w, size_t index);

// The generated codes of one operand (0 = A, 1 = B): SplitMix64 seeded from (seed, gemm index,
// operand), one draw per element in row-major order, the code its top 4 bits
// (docs/functional.md, "Generated tensors"). The codes do not depend on format (every code is
// valid in int4, uint4 and fp4); format must be one of those. std::invalid_argument otherwise.
Tensor4 generate_tensor(uint64_t seed, size_t gemm_index, int operand, int64_t rows, int64_t cols,
                        const workload::FormatSpec& format);

// CRC-32 as zlib's crc32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial value and final
// XOR 0xFFFFFFFF). Incremental: Crc32 c; c.update(...); c.value().
class Crc32 {
 public:
  void update(const uint8_t* data, size_t n);
  void update_byte(uint8_t b) { update(&b, 1); }
  uint32_t value() const { return ~state_; }

 private:
  uint32_t state_ = 0xFFFFFFFFu;
};

// The bytes of one output element as the CRC sees them (docs/functional.md): a 4-bit code is
// one byte (the code in the low nibble); an FP16 value two bytes, little-endian.
void crc_output_element(Crc32& crc, uint16_t element, const workload::FormatSpec& out);

// CRC-32 of an M x N output, row-major, elements as crc_output_element encodes them.
uint32_t output_crc(const std::vector<uint16_t>& elements, const workload::FormatSpec& out);

// --dump folders (docs/functional.md, "NumPy files"): each GEMM's tensors as NumPy .npy files
// named <stem>.<what>.npy, stem = the GEMM's trace index (3 digits at least) and its name with
// '/' and ':' as '_' ("007_layer1.0.conv1.fwd"), so the names are unique and sort in trace order.
std::string dump_stem(size_t index, const std::string& gemm_name);
// An operand: its 4-bit codes as uint8, rows x cols.
std::string tensor_npy(const Tensor4& t);
// An M x N output: 4-bit codes as uint8, FP16 as float16 (its bits).
std::string output_npy(const std::vector<uint16_t>& elements, const workload::FormatSpec& out,
                       int64_t rows, int64_t cols);
// The folder's index.csv: one line per GEMM, `index,gemm,m,n,k,a,b,out,stem`.
std::string dump_index_csv(const workload::Workload& w);

}  // namespace nibble::fn

#endif  // NIBBLE_MODEL_FUNCTIONAL_TENSORS_H_
