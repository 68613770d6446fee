// The functional datapath: operand formats of a GEMM, one PE step, and a tile's outputs
// computed at once in the documented accumulation order (docs/numerics.md).
#include "model/datapath/datapath.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/datapath/gemm_kernel.h"
#include "model/datapath/tile_geometry.h"
#include "model/numerics/format.h"
#include "model/numerics/fp4.h"
#include "model/numerics/lanes.h"

namespace nibble::datapath {
namespace {

num::Operand4 operand_for(const workload::FormatSpec& f) {
  num::Operand4 op;
  op.format = f.format;
  if (f.format == num::Format::kFp4) {
    op.fp4 = num::Fp4Spec{num::kFp4DefaultBias, f.tpr_phase};
  }
  return op;
}

}  // namespace

namespace detail {

TileRanges tile_ranges(timing::Dataflow df, const timing::Tile& tile) {
  TileRanges r;
  switch (df) {
    case timing::Dataflow::kWs:
      r.k0 = tile.k0, r.k_len = tile.k_len;
      r.n0 = tile.col0, r.n_len = tile.cols_used;
      r.m0 = tile.t0, r.m_len = tile.waves;
      break;
    case timing::Dataflow::kIs:
      r.k0 = tile.k0, r.k_len = tile.k_len;
      r.m0 = tile.col0, r.m_len = tile.cols_used;
      r.n0 = tile.t0, r.n_len = tile.waves;
      break;
    case timing::Dataflow::kOs:
      r.m0 = tile.row0, r.m_len = tile.rows_used;
      r.n0 = tile.col0, r.n_len = tile.cols_used;
      r.k0 = tile.k0, r.k_len = tile.k_len;
      break;
  }
  return r;
}

void check_tile(const GemmOperands& g, const TileRanges& r, const Accumulators& acc) {
  const int64_t m = g.a.rows, k = g.a.cols, n = g.b.cols;
  if (g.b.rows != k) {
    throw std::invalid_argument("datapath: A is " + std::to_string(m) + " x " + std::to_string(k) +
                                " but B has " + std::to_string(g.b.rows) + " rows");
  }
  if ((g.a.data == nullptr && m * k != 0) || (g.b.data == nullptr && k * n != 0)) {
    throw std::invalid_argument("datapath: operand matrix without data");
  }
  if (acc.rows != m || acc.cols != n || static_cast<int64_t>(acc.values.size()) != m * n) {
    throw std::invalid_argument("datapath: accumulators are not " + std::to_string(m) + " x " +
                                std::to_string(n));
  }
  const auto inside = [](int64_t lo, int64_t len, int64_t size) {
    return lo >= 0 && len >= 0 && lo + len <= size;
  };
  if (!inside(r.m0, r.m_len, m) || !inside(r.n0, r.n_len, n) || !inside(r.k0, r.k_len, k)) {
    throw std::invalid_argument("datapath: tile outside the GEMM");
  }
}

}  // namespace detail

GemmOperands operands_for(const workload::GemmSpec& g, MatrixView a, MatrixView b, int lanes) {
  GemmOperands ops;
  ops.fa = operand_for(g.a);
  ops.fb = operand_for(g.b);
  num::validate_pair(ops.fa, ops.fb);
  num::validate_lanes(lanes);
  ops.lanes = lanes;
  if (a.rows != g.m || a.cols != g.k || b.rows != g.k || b.cols != g.n) {
    throw std::invalid_argument("datapath: operands of " + g.name + " are not " +
                                std::to_string(g.m) + " x " + std::to_string(g.k) + " and " +
                                std::to_string(g.k) + " x " + std::to_string(g.n));
  }
  ops.a = a;
  ops.b = b;
  return ops;
}

num::Fp16 pe_step(const num::Operand4& fa, const num::Code4* a, const num::Operand4& fb,
                  const num::Code4* b, int len, num::Fp16 psum_i, bool mac_en) {
  if (!mac_en) {
    return psum_i;
  }
  return num::fp16_add(psum_i, num::chunk_fp16(fa, a, 1, fb, b, 1, static_cast<size_t>(len)));
}

void compute_tile(const GemmOperands& g, timing::Dataflow df, const timing::Tile& tile,
                  Accumulators& acc, int threads) {
  const detail::TileRanges r = detail::tile_ranges(df, tile);
  detail::check_tile(g, r, acc);
  Block b;
  b.m0 = r.m0;
  b.m_len = r.m_len;
  b.n0 = r.n0;
  b.n_len = r.n_len;
  b.k0 = r.k0;
  b.k_len = r.k_len;
  b.first_partial = tile.first_partial;
  gemm_block_parallel(active_kernel(), g, b, acc, threads);
}

}  // namespace nibble::datapath
