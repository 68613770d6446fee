// Internal to model/datapath: where a tile lies in the GEMM's (m, n, k) coordinates, and the
// checks shared by the functional and the cycle-level datapath.
#ifndef NIBBLE_MODEL_DATAPATH_TILE_GEOMETRY_H_
#define NIBBLE_MODEL_DATAPATH_TILE_GEOMETRY_H_

#include <cstdint>

#include "model/datapath/datapath.h"
#include "model/timing/arch_spec.h"
#include "model/timing/realistic.h"

namespace nibble::datapath::detail {

// Half-open ranges [m0, m0 + m_len) etc. of the outputs (m, n) and reduction k a tile covers.
struct TileRanges {
  int64_t m0 = 0, m_len = 0;
  int64_t n0 = 0, n_len = 0;
  int64_t k0 = 0, k_len = 0;
};

// The dataflow's geometry (timing::Tile): ws rows = K chunks, cols = N, streamed = M; is rows =
// K chunks, cols = M, streamed = N; os rows = M, cols = N, streamed = K chunks; the k range is
// the tile's [k0, k0 + k_len).
TileRanges tile_ranges(timing::Dataflow df, const timing::Tile& tile);

// Throws std::invalid_argument unless the operands are consistent (A is M x K, B is K x N),
// acc is M x N and the tile's ranges lie inside them.
void check_tile(const GemmOperands& g, const TileRanges& r, const Accumulators& acc);

}  // namespace nibble::datapath::detail

#endif  // NIBBLE_MODEL_DATAPATH_TILE_GEOMETRY_H_
