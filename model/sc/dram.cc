#include "model/sc/dram.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "model/sc/cycles.h"
#include "model/sc/gather_scatter.h"
#include "model/timing/int_math.h"

namespace nibble::sc {

Dram::Dram(const sc_core::sc_module_name& name, const timing::DramSpec& spec,
           TimedSignal<bool>* busy_wave)
    : sc_core::sc_module(name), dma2dram("dma2dram"), channel_(spec), busy_wave_(busy_wave) {
  dma2dram.register_b_transport(this, &Dram::b_transport);
}

void Dram::load_gemm(fn::GemmTensors tensors, int64_t m, int64_t n) {
  tensors_ = std::move(tensors);
  out_rows_ = m;
  out_cols_ = n;
  output_.assign(static_cast<size_t>(m * n), 0);
  written_.assign(static_cast<size_t>(m * n), 0);
}

void Dram::begin_repeat() { std::fill(written_.begin(), written_.end(), uint8_t{0}); }

void Dram::check_outputs_written() const {
  for (size_t i = 0; i < written_.size(); ++i) {
    if (written_[i] != 1) {
      throw std::logic_error("schedule bug: output element " + std::to_string(i) + " was stored " +
                             std::to_string(written_[i]) + " times in one repeat");
    }
  }
}

void Dram::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const int64_t now = now_cycles();
  const int64_t issue = timing::checked_add(now, time_to_cycles(delay));
  const auto bytes = static_cast<int64_t>(trans.get_data_length());
  const bool read = trans.is_read();
  const int64_t free_before = channel_.free_at();
  const int64_t done = channel_.transfer(issue, bytes, read);
  if (bytes > 0 && busy_wave_ != nullptr) {
    busy_wave_->set_at(std::max(free_before, issue), true);
    busy_wave_->set_at(channel_.free_at(), false);
  }
  (read ? read_bytes_ : write_bytes_) += bytes;
  if (const auto* ext = trans.get_extension<GatherScatter>()) {
    if (ext->total_bytes() != bytes) {
      throw std::logic_error("DMA payload of " + std::to_string(bytes) + " bytes for slices of " +
                             std::to_string(ext->total_bytes()));
    }
    uint8_t* segment = trans.get_data_ptr();
    for (const Slice& s : ext->slices) {
      if (read) {
        gather(s, segment);
      } else {
        scatter(s, segment);
      }
      segment += s.bytes();
    }
  }
  delay = cycles_to_time(done - now);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

void Dram::gather(const Slice& s, uint8_t* segment) const {
  const fn::Tensor4* t = s.tensor == TensorId::kA   ? &tensors_.a
                         : s.tensor == TensorId::kB ? &tensors_.b
                                                    : nullptr;
  if (t == nullptr || s.region.row0 + s.region.rows > t->rows ||
      s.region.col0 + s.region.cols > t->cols) {
    throw std::logic_error("DMA load outside the operand tensors");
  }
  std::fill(segment, segment + s.bytes(), uint8_t{0});
  int64_t i = 0;
  for (int64_t r = 0; r < s.region.rows; ++r) {
    for (int64_t c = 0; c < s.region.cols; ++c) {
      put_element(segment, s.element_bits, i++, t->at(s.region.row0 + r, s.region.col0 + c));
    }
  }
}

void Dram::scatter(const Slice& s, const uint8_t* segment) {
  if (s.tensor != TensorId::kOut || s.region.row0 + s.region.rows > out_rows_ ||
      s.region.col0 + s.region.cols > out_cols_) {
    throw std::logic_error("DMA store outside the output tensor");
  }
  int64_t i = 0;
  for (int64_t r = 0; r < s.region.rows; ++r) {
    for (int64_t c = 0; c < s.region.cols; ++c) {
      const auto at = static_cast<size_t>((s.region.row0 + r) * out_cols_ + s.region.col0 + c);
      output_[at] = get_element(segment, s.element_bits, i++);
      ++written_[at];
    }
  }
}

}  // namespace nibble::sc
