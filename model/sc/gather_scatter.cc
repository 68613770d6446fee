#include "model/sc/gather_scatter.h"

#include <memory>

namespace nibble::sc {

TileRegions tile_regions(timing::Dataflow df, const timing::Tile& t) {
  TileRegions r;
  switch (df) {
    case timing::Dataflow::kWs:  // stationary B (K x N); A streams M rows
      r.a = {t.t0, t.k0, t.waves, t.k_len};
      r.b = {t.k0, t.col0, t.k_len, t.cols_used};
      r.out = {t.t0, t.col0, t.waves, t.cols_used};
      break;
    case timing::Dataflow::kIs:  // stationary A (K x M, stored M x K); B streams N columns
      r.a = {t.col0, t.k0, t.cols_used, t.k_len};
      r.b = {t.k0, t.t0, t.k_len, t.waves};
      r.out = {t.col0, t.t0, t.cols_used, t.waves};
      break;
    case timing::Dataflow::kOs:  // stationary C (M x N); A and B stream a K block
      r.a = {t.row0, t.k0, t.rows_used, t.k_len};
      r.b = {t.k0, t.col0, t.k_len, t.cols_used};
      r.out = {t.row0, t.col0, t.rows_used, t.cols_used};
      break;
  }
  return r;
}

tlm::tlm_extension_base* GatherScatter::clone() const {
  // TLM's extension protocol hands the clone's ownership to the caller as a raw pointer.
  return std::make_unique<GatherScatter>(*this).release();
}

void GatherScatter::copy_from(const tlm::tlm_extension_base& other) {
  slices = static_cast<const GatherScatter&>(other).slices;
}

int64_t GatherScatter::total_bytes() const {
  int64_t bytes = 0;
  for (const Slice& s : slices) {
    bytes += s.bytes();
  }
  return bytes;
}

void put_element(uint8_t* segment, int element_bits, int64_t i, uint16_t value) {
  if (element_bits == 16) {
    segment[2 * i] = static_cast<uint8_t>(value & 0xFF);
    segment[2 * i + 1] = static_cast<uint8_t>(value >> 8);
    return;
  }
  uint8_t& byte = segment[i / 2];
  const int shift = i % 2 == 0 ? 0 : 4;
  byte = static_cast<uint8_t>((byte & ~(0xF << shift)) | ((value & 0xF) << shift));
}

uint16_t get_element(const uint8_t* segment, int element_bits, int64_t i) {
  if (element_bits == 16) {
    return static_cast<uint16_t>(segment[2 * i] | (segment[2 * i + 1] << 8));
  }
  return static_cast<uint16_t>((segment[i / 2] >> ((i % 2) * 4)) & 0xF);
}

}  // namespace nibble::sc
