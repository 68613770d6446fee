#include "model/sc/dma.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "model/sc/asan_stacks.h"
#include "model/sc/controller.h"
#include "model/sc/cycles.h"
#include "model/timing/int_math.h"

namespace nibble::sc {

Dma::Dma(const sc_core::sc_module_name& name, Scratchpad* ifmap, Scratchpad* filter)
    : sc_core::sc_module(name), dma2dram("dma2dram"), ifmap_(ifmap), filter_(filter) {
  SC_THREAD(run);
}

DmaRequest& Dma::make_request() {
  if (free_.empty()) {
    pool_.push_back(std::make_unique<DmaRequest>());
    free_.push_back(pool_.back().get());
  }
  DmaRequest& r = *free_.back();
  free_.pop_back();
  r.load = true;
  r.bytes = 0;
  r.ready = 0;
  r.slices.clear();
  r.elements.clear();
  r.issued = false;
  r.done = 0;
  return r;
}

void Dma::post(DmaRequest& r) {
  const int64_t now = now_cycles();
  if (r.ready < now) {
    throw std::logic_error("DMA request ready before it was posted");
  }
  if (r.bytes == 0) {
    r.issued = true;
    r.done = r.ready;
    if (r.ready > now) {
      r.completed.notify(cycles_to_time(r.ready - now));
    }
    return;
  }
  queue_.push_back(&r);
  posted_.notify();
}

void Dma::wait_done(const DmaRequest& r) {
  while (!r.issued || r.done > now_cycles()) {
    sc_core::wait(r.completed);
  }
}

void Dma::release(DmaRequest& r) {
  r.completed.cancel();
  free_.push_back(&r);
}

void Dma::close() {
  closed_ = true;
  posted_.notify();
}

void Dma::run() {
  const ProcessStackForLsan lsan_root;  // this stack holds the locals while suspended
  try {
    serve();
  } catch (...) {
    error_ = std::current_exception();
    stop_simulation();
  }
}

void Dma::serve() {
  qk_.reset();
  for (;;) {
    while (queue_.empty()) {
      if (qk_.get_local_time() > sc_core::SC_ZERO_TIME) {
        qk_.sync();  // catch up with the last issue time before blocking
        continue;
      }
      if (closed_) {
        return;
      }
      sc_core::wait(posted_);
    }
    DmaRequest& r = *queue_.front();
    queue_.pop_front();
    issue(r);
    if (qk_.need_sync()) {
      qk_.sync();
    }
  }
}

void Dma::issue(DmaRequest& r) {
  const int64_t now = now_cycles();
  // The DMA's local time is the issue time of its previous request (or now, after a sync).
  const int64_t local = time_to_cycles(qk_.get_local_time());
  const int64_t at = std::max(r.ready, timing::checked_add(now, local));
  qk_.set(cycles_to_time(at - now));

  const auto bytes = static_cast<size_t>(r.bytes);
  if (buffer_.size() < bytes) {
    buffer_.resize(bytes);
  }
  trans_.set_command(r.load ? tlm::TLM_READ_COMMAND : tlm::TLM_WRITE_COMMAND);
  trans_.set_address(0);
  trans_.set_data_ptr(buffer_.data());
  trans_.set_data_length(static_cast<unsigned int>(bytes));
  trans_.set_streaming_width(static_cast<unsigned int>(bytes));
  trans_.set_byte_enable_ptr(nullptr);
  trans_.set_dmi_allowed(false);
  trans_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  const bool data = !r.slices.empty();
  if (data) {
    gather_scatter_.slices = r.slices;
    if (gather_scatter_.total_bytes() != r.bytes) {
      throw std::logic_error("DMA request of " + std::to_string(r.bytes) + " bytes for slices of " +
                             std::to_string(gather_scatter_.total_bytes()));
    }
    if (!r.load) {  // a store carries one output slice, packed
      const Slice& s = r.slices.front();
      std::fill(buffer_.begin(), buffer_.begin() + r.bytes, uint8_t{0});
      for (size_t i = 0; i < r.elements.size(); ++i) {
        put_element(buffer_.data(), s.element_bits, static_cast<int64_t>(i), r.elements[i]);
      }
    }
    trans_.set_extension(&gather_scatter_);
  }
  sc_core::sc_time delay = qk_.get_local_time();
  dma2dram->b_transport(trans_, delay);
  if (data) {
    trans_.clear_extension(&gather_scatter_);
  }
  if (trans_.is_response_error()) {
    throw std::logic_error("DRAM transaction failed: " + trans_.get_response_string());
  }
  if (data && r.load) {  // the slices land in the scratchpads
    const uint8_t* segment = buffer_.data();
    for (const Slice& s : r.slices) {
      (s.tensor == TensorId::kA ? ifmap_ : filter_)->write_slice(s, segment);
      segment += s.bytes();
    }
  }
  r.done = timing::checked_add(now, time_to_cycles(delay));
  r.issued = true;
  r.completed.notify(delay);
}

}  // namespace nibble::sc
