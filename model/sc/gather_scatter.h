// What a DMA transfer carries in functional and detailed modes: a TLM-2.0 extension listing the
// 2-D slices of the GEMM's tensors that the payload's bytes hold (a gather on loads, a scatter
// on stores), and the byte layout of those slices (docs/systemc.md, "Payload layout"):
//  - slices follow each other in the payload, each starting on a byte boundary;
//  - a slice's elements are in row-major order within the slice;
//  - a 4-bit element i of a slice sits in byte i / 2 of it: even i in the low nibble, odd i in
//    the high nibble; an odd count leaves the last high nibble zero;
//  - a 16-bit element (an FP16 output) takes two bytes, little-endian.
// A slice of rows x cols elements of b bits thus takes ceil(rows * cols * b / 8) bytes: the
// byte count the timing model gives the tile (timing::Tile), so the payload length (and hence
// the DRAM timing) is the same in every mode.
#ifndef NIBBLE_MODEL_SC_GATHER_SCATTER_H_
#define NIBBLE_MODEL_SC_GATHER_SCATTER_H_

#include <cstdint>
#include <tlm>
#include <vector>

#include "model/timing/arch_spec.h"
#include "model/timing/realistic.h"

namespace nibble::sc {

// Which tensor of the GEMM a slice belongs to: A (M x K), B (K x N) or the output C (M x N).
enum class TensorId { kA, kB, kOut };

// Rows [row0, row0 + rows) and columns [col0, col0 + cols) of a row-major matrix.
struct Region {
  int64_t row0 = 0, col0 = 0, rows = 0, cols = 0;
  int64_t elements() const { return rows * cols; }
};

struct Slice {
  TensorId tensor = TensorId::kA;
  Region region;
  int element_bits = 4;  // 4 (codes) or 16 (FP16 outputs)
  int64_t bytes() const { return (region.elements() * element_bits + 7) / 8; }
};

// The parts of A, B and C a tile touches, in GEMM coordinates (the tile's fields are in the
// dataflow's geometry, timing::Tile): ws rows = K chunks, cols = N, streamed = M; is rows = K
// chunks, cols = M, streamed = N; os rows = M, cols = N, streamed = K chunks; the K extent is
// the tile's k range [k0, k0 + k_len).
struct TileRegions {
  Region a, b, out;
};
TileRegions tile_regions(timing::Dataflow df, const timing::Tile& t);

class GatherScatter : public tlm::tlm_extension<GatherScatter> {
 public:
  std::vector<Slice> slices;

  tlm::tlm_extension_base* clone() const override;
  void copy_from(const tlm::tlm_extension_base& other) override;

  int64_t total_bytes() const;
};

// One element of a slice into / out of a packed byte segment (the layout above).
void put_element(uint8_t* segment, int element_bits, int64_t i, uint16_t value);
uint16_t get_element(const uint8_t* segment, int element_bits, int64_t i);

}  // namespace nibble::sc

#endif  // NIBBLE_MODEL_SC_GATHER_SCATTER_H_
