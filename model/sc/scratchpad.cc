#include "model/sc/scratchpad.h"

#include <algorithm>
#include <stdexcept>

namespace nibble::sc {

Scratchpad::Scratchpad(const sc_core::sc_module_name& name, int64_t kib, int64_t banks,
                       bool double_buffered)
    : sc_core::sc_module(name),
      capacity_bytes_(kib * 1024),
      banks_(banks),
      halves_(double_buffered ? 2 : 1) {}

void Scratchpad::begin_gemm(int element_bits, int64_t rows, int64_t cols, bool data) {
  element_bits_ = element_bits;
  rows_ = data ? rows : 0;
  cols_ = data ? cols : 0;
  const auto n = static_cast<size_t>(rows_ * cols_);
  codes_.assign(n, 0);
  valid_.assign(n, 0);
  acc_.rows = rows_;
  acc_.cols = cols_;
  acc_.values.assign(n, num::kFp16Zero);
}

void Scratchpad::begin_repeat() { std::fill(valid_.begin(), valid_.end(), uint8_t{0}); }

void Scratchpad::count(int64_t reads, int64_t writes) {
  counts_.reads += reads;
  counts_.writes += writes;
}

void Scratchpad::write_slice(const Slice& s, const uint8_t* segment) {
  const Region& r = s.region;
  if (r.row0 < 0 || r.col0 < 0 || r.row0 + r.rows > rows_ || r.col0 + r.cols > cols_) {
    throw std::logic_error(std::string("DMA write outside the ") + name() + " image");
  }
  int64_t i = 0;
  for (int64_t row = r.row0; row < r.row0 + r.rows; ++row) {
    for (int64_t col = r.col0; col < r.col0 + r.cols; ++col) {
      const auto at = static_cast<size_t>(row * cols_ + col);
      codes_[at] = static_cast<num::Code4>(get_element(segment, s.element_bits, i++));
      valid_[at] = 1;
    }
  }
}

void Scratchpad::require(const Region& r) const {
  if (r.row0 < 0 || r.col0 < 0 || r.row0 + r.rows > rows_ || r.col0 + r.cols > cols_) {
    throw std::logic_error(std::string("schedule bug: a tile reads outside the ") + name() +
                           " image");
  }
  for (int64_t row = r.row0; row < r.row0 + r.rows; ++row) {
    const auto begin = valid_.begin() + row * cols_ + r.col0;
    const auto missing = std::find(begin, begin + r.cols, uint8_t{0});
    if (missing != begin + r.cols) {
      throw std::logic_error(std::string("schedule bug: ") + name() + " element (" +
                             std::to_string(row) + ", " +
                             std::to_string(r.col0 + (missing - begin)) +
                             ") used by a tile was never loaded in this repeat");
    }
  }
}

}  // namespace nibble::sc
