// Scratchpad: one of the array's three SRAM buffers, ifmap (operand A), filter (operand B) or
// ofmap (accumulators), sized by arch.sram (KiB * 1024 bytes, banks, double-buffered halves).
// The tile schedule (timing::plan_tiles) already fits every tile into these sizes; this module
// holds the data and counts element accesses (docs/systemc.md, "Scratchpad").
//
// Functional and detailed modes: an operand buffer is a tag store over its whole tensor: the
// codes the DMA wrote and a valid bit per element, cleared at every repeat (each starts from
// empty buffers). A tile asks for its operands with require(), which throws std::logic_error
// ("schedule bug") if an element was never loaded in this repeat: this checks the tile list's
// reuse flags (stream_resident, stationary_resident). The ofmap buffer holds the FP16
// accumulators of the whole output (datapath::Accumulators).
#ifndef NIBBLE_MODEL_SC_SCRATCHPAD_H_
#define NIBBLE_MODEL_SC_SCRATCHPAD_H_

#include <cstdint>
#include <string>
#include <systemc>
#include <vector>

#include "model/datapath/datapath.h"
#include "model/numerics/int4.h"
#include "model/sc/engine.h"
#include "model/sc/gather_scatter.h"

namespace nibble::sc {

class Scratchpad : public sc_core::sc_module {
 public:
  Scratchpad(const sc_core::sc_module_name& name, int64_t kib, int64_t banks, bool double_buffered);

  int64_t capacity_bytes() const { return capacity_bytes_; }
  int64_t banks() const { return banks_; }
  int halves() const { return halves_; }  // 2 when double-buffered
  int element_bits() const { return element_bits_; }

  // A new GEMM: its element width in this buffer (timing::detail::element_bits or
  // accumulator_bits) and, when `data`, a rows x cols image (operands) or accumulator array.
  void begin_gemm(int element_bits, int64_t rows, int64_t cols, bool data);
  void begin_repeat();  // invalidates every element (operand buffers)

  void count(int64_t reads, int64_t writes);
  const SramCounts& counts() const { return counts_; }
  void reset_counts() { counts_ = {}; }

  // Operand buffers: the DMA writes a loaded slice (gather_scatter.h layout).
  void write_slice(const Slice& s, const uint8_t* segment);
  // Throws std::logic_error("schedule bug: ...") unless every element of r was loaded.
  void require(const Region& r) const;
  datapath::MatrixView view() const { return {codes_.data(), rows_, cols_}; }

  // The ofmap buffer's accumulators.
  datapath::Accumulators& accumulators() { return acc_; }

 private:
  int64_t capacity_bytes_;
  int64_t banks_;
  int halves_;
  int element_bits_ = 4;
  SramCounts counts_;
  int64_t rows_ = 0, cols_ = 0;
  std::vector<num::Code4> codes_;
  std::vector<uint8_t> valid_;
  datapath::Accumulators acc_;
};

}  // namespace nibble::sc

#endif  // NIBBLE_MODEL_SC_SCRATCHPAD_H_
