// The functional datapath: operand formats of a GEMM, one PE step, and a tile's outputs
// computed at once in the documented accumulation order (docs/numerics.md).
#include "model/datapath/datapath.h"

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/datapath/tile_geometry.h"
#include "model/numerics/format.h"
#include "model/numerics/fp4.h"

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

bool same_operand(const num::Operand4& x, const num::Operand4& y) {
  return x.format == y.format && (x.format != num::Format::kFp4 ||
                                  (x.fp4.bias == y.fp4.bias && x.fp4.phase == y.fp4.phase));
}

// product_fp16 of every pair of codes, indexed (a << 4) | b: the exact binary16 products of
// one operand pair. Rebuilt only when the pair changes, so a GEMM's tiles share one table.
class ProductTable {
 public:
  const std::array<num::Fp16, 256>& get(const num::Operand4& fa, const num::Operand4& fb) {
    if (!valid_ || !same_operand(fa, fa_) || !same_operand(fb, fb_)) {
      num::validate_pair(fa, fb);
      for (unsigned a = 0; a < 16; ++a) {
        for (unsigned b = 0; b < 16; ++b) {
          table_[(a << 4) | b] =
              num::product_fp16(fa, static_cast<num::Code4>(a), fb, static_cast<num::Code4>(b));
        }
      }
      fa_ = fa;
      fb_ = fb;
      valid_ = true;
    }
    return table_;
  }

 private:
  bool valid_ = false;
  num::Operand4 fa_, fb_;
  std::array<num::Fp16, 256> table_{};
};

}  // namespace

namespace detail {

TileRanges tile_ranges(timing::Dataflow df, const timing::Tile& tile) {
  TileRanges r;
  switch (df) {
    case timing::Dataflow::kWs:
      r.k0 = tile.row0, r.k_len = tile.rows_used;
      r.n0 = tile.col0, r.n_len = tile.cols_used;
      r.m0 = tile.t0, r.m_len = tile.waves;
      break;
    case timing::Dataflow::kIs:
      r.k0 = tile.row0, r.k_len = tile.rows_used;
      r.m0 = tile.col0, r.m_len = tile.cols_used;
      r.n0 = tile.t0, r.n_len = tile.waves;
      break;
    case timing::Dataflow::kOs:
      r.m0 = tile.row0, r.m_len = tile.rows_used;
      r.n0 = tile.col0, r.n_len = tile.cols_used;
      r.k0 = tile.t0, r.k_len = tile.waves;
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

GemmOperands operands_for(const workload::GemmSpec& g, MatrixView a, MatrixView b) {
  GemmOperands ops;
  ops.fa = operand_for(g.a);
  ops.fb = operand_for(g.b);
  num::validate_pair(ops.fa, ops.fb);
  if (a.rows != g.m || a.cols != g.k || b.rows != g.k || b.cols != g.n) {
    throw std::invalid_argument("datapath: operands of " + g.name + " are not " +
                                std::to_string(g.m) + " x " + std::to_string(g.k) + " and " +
                                std::to_string(g.k) + " x " + std::to_string(g.n));
  }
  ops.a = a;
  ops.b = b;
  return ops;
}

num::Fp16 pe_step(const num::Operand4& fa, num::Code4 a, const num::Operand4& fb, num::Code4 b,
                  num::Fp16 psum_i, bool mac_en) {
  if (!mac_en) {
    return psum_i;
  }
  return num::fp16_add(psum_i, num::product_fp16(fa, a, fb, b));
}

void compute_tile(const GemmOperands& g, timing::Dataflow df, const timing::Tile& tile,
                  Accumulators& acc) {
  const detail::TileRanges r = detail::tile_ranges(df, tile);
  detail::check_tile(g, r, acc);
  thread_local ProductTable products;
  const std::array<num::Fp16, 256>& table = products.get(g.fa, g.fb);

  // B's column n over the tile's k range, pre-masked to 4 bits: the inner loop then reads A's
  // row and this column contiguously.
  std::vector<num::Code4> b_col(static_cast<size_t>(r.k_len));
  for (int64_t n = r.n0; n < r.n0 + r.n_len; ++n) {
    for (int64_t k = 0; k < r.k_len; ++k) {
      b_col[static_cast<size_t>(k)] = g.b.at(r.k0 + k, n) & 0xF;
    }
    for (int64_t m = r.m0; m < r.m0 + r.m_len; ++m) {
      const num::Code4* a_row = g.a.data + m * g.a.cols + r.k0;
      num::Fp16& out = acc.at(m, n);
      num::Fp16 sum = tile.first_partial ? num::kFp16Zero : out;
      for (int64_t k = 0; k < r.k_len; ++k) {
        sum = num::fp16_add(sum, table[((a_row[k] & 0xFu) << 4) | b_col[static_cast<size_t>(k)]]);
      }
      out = sum;
    }
  }
}

}  // namespace nibble::datapath
