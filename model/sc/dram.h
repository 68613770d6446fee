// DRAM: a TLM-2.0 loosely-timed target (b_transport with an annotated delay) in front of the
// realistic-mode DRAM channel (timing::DramChannel: one transfer at a time, in arrival order,
// bandwidth and latency from arch.dram). The channel's formula is timing's; this module only
// turns socket delays into cycles and back (docs/systemc.md, "Dram").
//
// Functional and detailed modes: the backing store is the current GEMM's tensors (A and B
// codes, the output elements); a transaction's GatherScatter extension says which slices its
// payload holds (gather_scatter.h gives the layout).
#ifndef NIBBLE_MODEL_SC_DRAM_H_
#define NIBBLE_MODEL_SC_DRAM_H_

#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <systemc>
#include <tlm>
#include <vector>

#include "model/functional/tensors.h"
#include "model/sc/gather_scatter.h"
#include "model/sc/timed_signal.h"
#include "model/timing/arch_spec.h"
#include "model/timing/realistic.h"

namespace nibble::sc {

class Dram : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Dram> dma2dram;

  Dram(const sc_core::sc_module_name& name, const timing::DramSpec& spec,
       TimedSignal<bool>* busy_wave);

  // Backdoor load of one GEMM's tensors (functional / detailed): A, B and an all-zero M x N
  // output.
  void load_gemm(fn::GemmTensors tensors, int64_t m, int64_t n);
  // Forgets which outputs were written (each repeat writes every output once).
  void begin_repeat();
  // Throws std::logic_error ("schedule bug") unless the current repeat wrote every output
  // exactly once.
  void check_outputs_written() const;
  const std::vector<uint16_t>& output() const { return output_; }

  int64_t busy_cycles() const { return channel_.busy_cycles(); }
  int64_t read_bytes() const { return read_bytes_; }
  int64_t write_bytes() const { return write_bytes_; }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  void gather(const Slice& s, uint8_t* segment) const;
  void scatter(const Slice& s, const uint8_t* segment);

  timing::DramChannel channel_;
  TimedSignal<bool>* busy_wave_;
  int64_t read_bytes_ = 0;
  int64_t write_bytes_ = 0;
  fn::GemmTensors tensors_;
  int64_t out_rows_ = 0, out_cols_ = 0;
  std::vector<uint16_t> output_;
  std::vector<uint8_t> written_;  // per output element, this repeat
};

}  // namespace nibble::sc

#endif  // NIBBLE_MODEL_SC_DRAM_H_
