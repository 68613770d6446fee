// The functional datapath: operand formats of a GEMM, one PE step, and a tile's outputs
// computed at once in the documented accumulation order (docs/numerics.md).
#include "model/datapath/datapath.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

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

bool same_operand(const num::Operand4& x, const num::Operand4& y) {
  return x.format == y.format && (x.format != num::Format::kFp4 ||
                                  (x.fp4.bias == y.fp4.bias && x.fp4.phase == y.fp4.phase));
}

// The products of one operand pair for every pair of codes, indexed (a << 4) | b: in binary16
// (product_fp16, a chunk of one: exact) and in the adder tree's fixed point (product_fixed).
// Rebuilt only when the pair changes, so a GEMM's tiles share one table.
class ProductTable {
 public:
  struct Entries {
    std::array<num::Fp16, 256> fp16{};
    std::array<int32_t, 256> fixed{};
  };
  const Entries& get(const num::Operand4& fa, const num::Operand4& fb) {
    if (!valid_ || !same_operand(fa, fa_) || !same_operand(fb, fb_)) {
      num::validate_pair(fa, fb);
      for (unsigned a = 0; a < 16; ++a) {
        for (unsigned b = 0; b < 16; ++b) {
          const auto ca = static_cast<num::Code4>(a), cb = static_cast<num::Code4>(b);
          table_.fp16[(a << 4) | b] = num::product_fp16(fa, ca, fb, cb);
          table_.fixed[(a << 4) | b] = num::product_fixed(fa, ca, fb, cb);
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
  Entries table_;
};

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
                  Accumulators& acc) {
  const detail::TileRanges r = detail::tile_ranges(df, tile);
  detail::check_tile(g, r, acc);
  thread_local ProductTable products;
  const ProductTable::Entries& table = products.get(g.fa, g.fb);
  const int64_t lanes = g.lanes;
  if (r.k0 % lanes != 0) {
    throw std::invalid_argument("datapath: tile's k range does not start at a multiple of L");
  }

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
      if (lanes == 1) {
        // A chunk of one is the product, exact in binary16 (lanes.h): no tree, no rounding.
        for (int64_t k = 0; k < r.k_len; ++k) {
          sum = num::fp16_add(sum, table.fp16[((a_row[k] & 0xFu) << 4) | b_col[size_t(k)]]);
        }
      } else {
        for (int64_t c = 0; c < r.k_len; c += lanes) {
          const int64_t end = std::min(c + lanes, r.k_len);
          int64_t tree = 0;
          for (int64_t k = c; k < end; ++k) {
            tree += table.fixed[((a_row[k] & 0xFu) << 4) | b_col[size_t(k)]];
          }
          sum = num::fp16_add(sum, num::round_chunk(tree, g.fa, g.fb));
        }
      }
      out = sum;
    }
  }
}

}  // namespace nibble::datapath
