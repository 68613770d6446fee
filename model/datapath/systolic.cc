// The detailed datapath: one tile run cycle by cycle through the R x C systolic array, with
// explicit PE registers (docs/datapath.md states the schedule; the RTL mac_array copies it).
//
// Conventions. Cycle t counts from the first wave cycle (after the preload). A value a PE
// computes in cycle t sits in its output register at the end of t and is its neighbour's input
// in cycle t + 1. Every wave of the tile (one streamed vector) injects a token into each row
// (the streamed operand) and each column (the partial sum, or os's second operand) of the whole
// array; tokens of unused rows and columns are bubbles (valid, no data), so the array is clocked
// as a whole and its latency is that of all R x C PEs, as the timing model charges it.
#include <algorithm>
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/datapath/datapath.h"
#include "model/datapath/tile_geometry.h"
#include "model/numerics/lanes.h"

namespace nibble::datapath {
namespace {

// The 4-bit codes of a PE's lanes: one chunk of len <= L consecutive k.
struct LaneCodes {
  std::array<num::Code4, num::kMaxLanes> code{};
  int len = 0;
};

// A register on an operand path: L lanes of 4-bit codes moving one PE per cycle.
struct OperandReg {
  bool valid = false;  // a token is here this cycle
  bool data = false;   // it carries real codes (else a bubble of an unused row/column)
  int64_t tag = 0;     // which wave (ws/is) or which k chunk (os) it belongs to
  LaneCodes lanes;
};

// A register on the partial-sum path (ws/is): moves down one PE per cycle.
struct PsumReg {
  bool valid = false;
  bool data = false;  // an output of the tile (else a bubble of an unused column)
  int64_t tag = 0;    // wave
  num::Fp16 value;
};

// A PE's stationary operand registers, one per lane (or their shadows, in the chain they are
// preloaded through).
struct Stationary {
  bool loaded = false;
  LaneCodes lanes;
};

[[noreturn]] void schedule_error(const char* what, int64_t i, int64_t j, int64_t t) {
  throw std::logic_error(std::string("datapath schedule: ") + what + " at PE(" + std::to_string(i) +
                         "," + std::to_string(j) + ") cycle " + std::to_string(t));
}

class Array {
 public:
  Array(const GemmOperands& g, const timing::Tile& tile, int64_t rows, int64_t cols)
      : g_(g), tile_(tile), r_(rows), c_(cols) {}

  // ws (B stationary) or is (A stationary): returns the cycles from the first wave cycle to
  // the last partial sum out of the bottom row.
  int64_t run_weight_or_input_stationary(bool ws, Accumulators& acc, int64_t& macs) {
    preload(ws);
    std::vector<OperandReg> x(cells());  // streamed operand, moving right
    std::vector<PsumReg> p(cells());     // partial sums, moving down
    const int64_t waves = tile_.waves;
    const int64_t tokens = waves * c_;
    int64_t exited = 0;
    int64_t t = 0;
    for (; exited < tokens; ++t) {
      // Right to left, bottom to top: each PE reads its neighbours' registers of cycle t - 1
      // before they are overwritten.
      for (int64_t i = r_ - 1; i >= 0; --i) {
        for (int64_t j = c_ - 1; j >= 0; --j) {
          const OperandReg x_in = j == 0 ? inject_stream(ws, i, t) : x[at(i, j - 1)];
          const PsumReg p_in = i == 0 ? inject_psum(ws, j, t, acc) : p[at(i - 1, j)];
          const Stationary& s = weight_[at(i, j)];
          const bool mac_en = s.loaded && p_in.valid && p_in.data;
          if (mac_en && !(x_in.valid && x_in.data && x_in.tag == p_in.tag)) {
            schedule_error("operand and partial sum out of step", i, j, t);
          }
          PsumReg out = p_in;
          if (p_in.valid) {
            const LaneCodes& a = ws ? x_in.lanes : s.lanes;
            const LaneCodes& b = ws ? s.lanes : x_in.lanes;
            out.value = pe_step(g_.fa, a.code.data(), g_.fb, b.code.data(), s.lanes.len,
                                p_in.value, mac_en);
          }
          macs += mac_en ? 1 : 0;
          x[at(i, j)] = x_in;
          p[at(i, j)] = out;
          if (i == r_ - 1 && out.valid) {
            ++exited;
            if (out.data) {
              output(ws, out.tag, j, acc) = out.value;
            }
          }
        }
      }
    }
    return t;
  }

  // os: returns the cycles from the first wave cycle to the last result out of the array.
  int64_t run_output_stationary(Accumulators& acc, int64_t& macs) {
    std::vector<OperandReg> a(cells());  // A codes, moving right
    std::vector<OperandReg> b(cells());  // B codes, moving down
    std::vector<num::Fp16> sum(cells());
    for (int64_t i = 0; i < tile_.rows_used; ++i) {
      for (int64_t j = 0; j < tile_.cols_used; ++j) {
        const num::Fp16 carried = acc.at(tile_.row0 + i, tile_.col0 + j);
        sum[at(i, j)] = tile_.first_partial ? num::kFp16Zero : carried;
      }
    }
    const int64_t tokens = tile_.waves * (r_ + c_);
    int64_t exited = 0;
    int64_t t = 0;
    for (; exited < tokens; ++t) {
      for (int64_t i = r_ - 1; i >= 0; --i) {
        for (int64_t j = c_ - 1; j >= 0; --j) {
          const OperandReg a_in = j == 0 ? inject_os_a(i, t) : a[at(i, j - 1)];
          const OperandReg b_in = i == 0 ? inject_os_b(j, t) : b[at(i - 1, j)];
          const bool active = i < tile_.rows_used && j < tile_.cols_used;
          if (a_in.valid != b_in.valid || (a_in.valid && a_in.tag != b_in.tag)) {
            schedule_error("A and B out of step", i, j, t);
          }
          const bool mac_en = active && a_in.valid && a_in.data && b_in.data;
          sum[at(i, j)] = pe_step(g_.fa, a_in.lanes.code.data(), g_.fb, b_in.lanes.code.data(),
                                  a_in.lanes.len, sum[at(i, j)], mac_en);
          macs += mac_en ? 1 : 0;
          a[at(i, j)] = a_in;
          b[at(i, j)] = b_in;
          exited += (j == c_ - 1 && a_in.valid ? 1 : 0) + (i == r_ - 1 && b_in.valid ? 1 : 0);
        }
      }
    }
    // Drain: every column's results shift down one row per cycle and leave from row R - 1, so
    // row i's result leaves in drain cycle R - 1 - i; the last (row 0) after R cycles.
    for (int64_t d = 0; d < r_; ++d, ++t) {
      for (int64_t j = 0; j < c_; ++j) {
        const int64_t i = r_ - 1 - d;  // the row whose result reaches the bottom edge now
        if (i < tile_.rows_used && j < tile_.cols_used) {
          acc.at(tile_.row0 + i, tile_.col0 + j) = sum[at(r_ - 1, j)];
        }
        for (int64_t k = r_ - 1; k > 0; --k) {
          sum[at(k, j)] = sum[at(k - 1, j)];
        }
        sum[at(0, j)] = num::kFp16Zero;
      }
    }
    return t;
  }

 private:
  size_t cells() const { return static_cast<size_t>(r_ * c_); }
  size_t at(int64_t i, int64_t j) const { return static_cast<size_t>(i * c_ + j); }

  // The stationary tile shifts down a chain of shadow registers, one row per cycle, R shifts:
  // the tile's row R - 1 enters first. The shadow registers then load the PEs' stationary
  // registers at once, before the first wave. (How many of the R shifts fall inside this
  // tile's preload_cycles is the timing model's business, timing::ArrayIssue: all of them when
  // the preload could not overlap the previous tile's waves, none when it overlapped entirely,
  // some in between.)
  void preload(bool ws) {
    std::vector<Stationary> shadow(cells());
    for (int64_t shift = 0; shift < r_; ++shift) {
      for (int64_t j = 0; j < c_; ++j) {
        for (int64_t i = r_ - 1; i > 0; --i) {
          shadow[at(i, j)] = shadow[at(i - 1, j)];
        }
        const int64_t row = r_ - 1 - shift;  // the tile row entering the top now
        Stationary in;
        if (row < tile_.rows_used && j < tile_.cols_used) {
          in.loaded = true;
          in.lanes = chunk(row, [&](int64_t k) {
            return ws ? g_.b.at(k, tile_.col0 + j) : g_.a.at(tile_.col0 + j, k);
          });
        }
        shadow[at(0, j)] = in;
      }
    }
    weight_ = shadow;
  }

  // The codes of the tile's chunk c (PE row c for ws/is, wave c for os; timing::tile_chunk):
  // code_at(k) for each of its k.
  template <typename CodeAt>
  LaneCodes chunk(int64_t c, CodeAt code_at) const {
    LaneCodes l;
    const timing::KChunk ks = timing::tile_chunk(tile_, c, g_.lanes);
    for (int64_t k = ks.first; k < ks.end; ++k) {
      l.code[static_cast<size_t>(k - ks.first)] = code_at(k);
    }
    l.len = static_cast<int>(ks.len());
    return l;
  }

  // ws: A[t0 + w][k of PE row i] enters row i at cycle w + i; is: B[k of PE row i][t0 + w].
  OperandReg inject_stream(bool ws, int64_t i, int64_t t) const {
    OperandReg x;
    const int64_t w = t - i;
    if (w < 0 || w >= tile_.waves || i >= tile_.rows_used) {
      return x;
    }
    x.valid = true;
    x.data = true;
    x.tag = w;
    x.lanes = chunk(i, [&](int64_t k) {
      return ws ? g_.a.at(tile_.t0 + w, k) : g_.b.at(k, tile_.t0 + w);
    });
    return x;
  }

  // The partial sum of wave w, column j enters PE(0, j) at cycle w + j with its initial value.
  PsumReg inject_psum(bool ws, int64_t j, int64_t t, Accumulators& acc) const {
    PsumReg p;
    const int64_t w = t - j;
    if (w < 0 || w >= tile_.waves) {
      return p;
    }
    p.valid = true;
    p.tag = w;
    p.value = num::kFp16Zero;
    if (j < tile_.cols_used) {
      p.data = true;
      if (!tile_.first_partial) {
        p.value = output(ws, w, j, acc);
      }
    }
    return p;
  }

  // The output of wave w, array column j: ws (t0 + w, col0 + j); is (col0 + j, t0 + w).
  num::Fp16& output(bool ws, int64_t w, int64_t j, Accumulators& acc) const {
    return ws ? acc.at(tile_.t0 + w, tile_.col0 + j) : acc.at(tile_.col0 + j, tile_.t0 + w);
  }

  // os: A[row0 + i][k of chunk s] enters row i at cycle s + i; B[k of chunk s][col0 + j] enters
  // column j at cycle s + j. Rows and columns beyond the tile carry bubbles.
  OperandReg inject_os_a(int64_t i, int64_t t) const {
    OperandReg x;
    const int64_t s = t - i;
    if (s < 0 || s >= tile_.waves) {
      return x;
    }
    x.valid = true;
    x.tag = s;
    if (i < tile_.rows_used) {
      x.data = true;
      x.lanes = chunk(s, [&](int64_t k) { return g_.a.at(tile_.row0 + i, k); });
    }
    return x;
  }
  OperandReg inject_os_b(int64_t j, int64_t t) const {
    OperandReg x;
    const int64_t s = t - j;
    if (s < 0 || s >= tile_.waves) {
      return x;
    }
    x.valid = true;
    x.tag = s;
    if (j < tile_.cols_used) {
      x.data = true;
      x.lanes = chunk(s, [&](int64_t k) { return g_.b.at(k, tile_.col0 + j); });
    }
    return x;
  }

  const GemmOperands& g_;
  const timing::Tile& tile_;
  int64_t r_, c_;
  std::vector<Stationary> weight_;
};

}  // namespace

DetailedStats run_tile_detailed(const GemmOperands& g, const timing::ArchSpec& arch,
                                const timing::TilePlan& plan, const timing::Tile& tile,
                                int64_t preload_cycles, Accumulators& acc) {
  const timing::Dataflow df = arch.array.dataflow;
  const detail::TileRanges ranges = detail::tile_ranges(df, tile);
  detail::check_tile(g, ranges, acc);
  num::validate_pair(g.fa, g.fb);
  const int64_t r = arch.array.rows, c = arch.array.cols;
  if (r < 1 || c < 1 || tile.rows_used < 1 || tile.rows_used > r || tile.cols_used < 1 ||
      tile.cols_used > c || tile.waves < 1) {
    throw std::invalid_argument("datapath: tile does not fit the " + std::to_string(r) + " x " +
                                std::to_string(c) + " array");
  }
  if (plan.macs_per_cycle != 1.0) {
    throw std::invalid_argument("datapath: the 4-bit array does one MAC per PE per cycle");
  }
  if (preload_cycles < 0) {
    throw std::invalid_argument("datapath: negative preload cycles");
  }
  Array array(g, tile, r, c);
  DetailedStats stats;
  const int64_t run = df == timing::Dataflow::kOs
                          ? array.run_output_stationary(acc, stats.pe_active_cycles)
                          : array.run_weight_or_input_stationary(df == timing::Dataflow::kWs, acc,
                                                                 stats.pe_active_cycles);
  stats.cycles = preload_cycles + run;
  return stats;
}

}  // namespace nibble::datapath
