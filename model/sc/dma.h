// DMA: the loosely-timed initiator between the controller and the DRAM (socket dma2dram),
// with a TLM-2.0 quantum keeper. The controller posts requests (a tile's load, a tile's store)
// with the cycle their data is ready; the DMA issues them strictly in posting order, each at
// max(ready, the previous request's issue time), as the quantum keeper's local time offset, and
// never waits for a transfer to complete before issuing the next. docs/systemc.md ("Why the
// DMA reproduces the analytic channel exactly") shows that the DRAM channel then starts every
// transfer exactly when the analytic recurrence does.
#ifndef NIBBLE_MODEL_SC_DMA_H_
#define NIBBLE_MODEL_SC_DMA_H_

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <systemc>
#include <tlm>
#include <vector>

#include "model/sc/gather_scatter.h"
#include "model/sc/scratchpad.h"

namespace nibble::sc {

// One transfer the controller asked for. Owned by the DMA's pool; valid until the controller
// calls Dma::release on it.
struct DmaRequest {
  bool load = true;   // DRAM -> scratchpads (read); else output elements -> DRAM (write)
  int64_t bytes = 0;  // payload length: the tile's load_a + load_b bytes, or its store bytes
  int64_t ready = 0;  // cycle from which the transfer may start
  std::vector<Slice> slices;       // functional / detailed: what the payload holds
  std::vector<uint16_t> elements;  // functional / detailed stores: the output slice, row-major
  // Set when the DMA has issued the transfer: the cycle its data has arrived (load) or left
  // (store); `completed` fires at that cycle.
  bool issued = false;
  int64_t done = 0;
  sc_core::sc_event completed;
};

class Dma : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Dma> dma2dram;

  SC_HAS_PROCESS(Dma);
  // ifmap / filter receive the loaded A / B slices in functional and detailed modes.
  Dma(const sc_core::sc_module_name& name, Scratchpad* ifmap, Scratchpad* filter);

  // A request to fill in and post; taken from a pool of recycled requests.
  DmaRequest& make_request();
  // Queues r behind every earlier request. A zero-byte request moves nothing and does not use
  // the channel: it completes at r.ready (>= now) at once, without entering the queue.
  void post(DmaRequest& r);
  // Suspends the calling thread until r has completed (r.done <= now).
  static void wait_done(const DmaRequest& r);
  // Returns r to the pool once its completion has been observed.
  void release(DmaRequest& r);
  // No more requests: the DMA's thread ends once its queue is empty.
  void close();
  // The exception that ended the DMA's thread, if any (the simulation was stopped).
  std::exception_ptr error() const { return error_; }

 private:
  void run();
  void serve();
  void issue(DmaRequest& r);

  Scratchpad* ifmap_;
  Scratchpad* filter_;
  tlm_utils::tlm_quantumkeeper qk_;
  std::deque<DmaRequest*> queue_;
  std::vector<std::unique_ptr<DmaRequest>> pool_;
  std::vector<DmaRequest*> free_;
  sc_core::sc_event posted_;
  bool closed_ = false;
  std::exception_ptr error_;
  tlm::tlm_generic_payload trans_;
  GatherScatter gather_scatter_;
  std::vector<unsigned char> buffer_;
};

}  // namespace nibble::sc

#endif  // NIBBLE_MODEL_SC_DMA_H_
