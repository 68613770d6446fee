// Closed forms of SCALE-Sim v2's compute and SRAM report columns (docs/timing.md, "compat
// mode", derives each one from SCALE-Sim's fold layout). The DRAM columns are in
// scalesim_dram.cc.
#include "model/timing/scalesim_compat.h"

#include <algorithm>
#include <optional>

#include "model/timing/exact_div.h"
#include "model/timing/int_math.h"

namespace nibble::timing {
namespace {

using workload::ConvShape;

int64_t mul3(int64_t a, int64_t b, int64_t c) { return checked_mul(checked_mul(a, b), c); }

// Whether im2col entry (pixel p, window index j) of the ifmap lies inside the image.
// SCALE-Sim orders j as (filter row, filter col, channel), channel fastest.
bool ifmap_entry_valid(const ConvShape& s, int64_t p, int64_t j) {
  const int64_t out_w = s.out_w();
  const int64_t orow = p / out_w;
  const int64_t ocol = p % out_w;
  const int64_t c_row = j / (s.filter_w * s.channels);
  const int64_t c_col = (j % (s.filter_w * s.channels)) / s.channels;
  return c_row + orow * s.stride_h < s.ifmap_h && c_col + ocol * s.stride_w < s.ifmap_w;
}

// The ifmap entries (p, j) that demand row r of fold (fr, fc) reads, per SCALE-Sim's layout:
//   os: row r, array row c < ru, 0 <= r - c < K: pixel fr*R + c, window index r - c
//   ws: row R + s, array row c < ru, 0 <= s - c < M: pixel s - c, window index fr*R + c
//       (rows below R preload the filter and read no ifmap)
//   is: row R - 1 - rr for rr < ru, array col c < cu: pixel fc*C + c, window index fr*R + rr
// Calls visit(p, j) for each; stops early and returns true when visit returns true.
template <typename Visit>
bool visit_ifmap_row(const ConvShape& s, const ArraySpec& a, const CompatGeometry& g, int64_t fr,
                     int64_t fc, int64_t r, Visit&& visit) {
  const int64_t m = s.gemm_m();
  const int64_t k = s.gemm_k();
  const int64_t ru = std::min(a.rows, g.sr - fr * a.rows);
  const int64_t cu = std::min(a.cols, g.sc - fc * a.cols);
  switch (a.dataflow) {
    case Dataflow::kOs:
      for (int64_t c = std::max<int64_t>(0, r - k + 1); c <= std::min(ru - 1, r); ++c) {
        if (visit(fr * a.rows + c, r - c)) {
          return true;
        }
      }
      return false;
    case Dataflow::kWs: {
      const int64_t t = r - a.rows;
      if (t < 0) {
        return false;
      }
      for (int64_t c = std::max<int64_t>(0, t - m + 1); c <= std::min(ru - 1, t); ++c) {
        if (visit(t - c, fr * a.rows + c)) {
          return true;
        }
      }
      return false;
    }
    case Dataflow::kIs: {
      const int64_t rr = a.rows - 1 - r;
      if (rr < 0 || rr >= ru) {
        return false;
      }
      for (int64_t c = 0; c < cu; ++c) {
        if (visit(fc * a.cols + c, fr * a.rows + rr)) {
          return true;
        }
      }
      return false;
    }
  }
  return false;
}

// First (or last) demand row, over the whole layer, that reads a valid ifmap entry; folds are
// visited in SCALE-Sim's order (column fold outer), from the front or the back. For layers
// whose windows all lie inside the image this ends in the first (last) fold at once; only
// convolutions whose last windows run off the image scan further.
std::optional<int64_t> ifmap_edge_row(const ConvShape& s, const ArraySpec& a,
                                      const CompatGeometry& g, bool from_front) {
  for (int64_t i = 0; i < g.folds; ++i) {
    const int64_t fold = from_front ? i : g.folds - 1 - i;
    const int64_t fc = fold / g.fr;
    const int64_t fr = fold % g.fr;
    // Only the demand rows [lo, hi] of the fold read the ifmap (visit_ifmap_row's ranges):
    // os 0 <= r - c < K, ws 0 <= r - R - c < M (for some c < ru), is R - ru <= r < R.
    const int64_t ru = std::min(a.rows, g.sr - fr * a.rows);
    int64_t lo = 0;
    int64_t hi = 0;
    switch (a.dataflow) {
      case Dataflow::kOs:
        lo = 0, hi = s.gemm_k() + ru - 2;
        break;
      case Dataflow::kWs:
        lo = a.rows, hi = a.rows + s.gemm_m() + ru - 2;
        break;
      case Dataflow::kIs:
        lo = a.rows - ru, hi = a.rows - 1;
        break;
    }
    hi = std::min(hi, g.rows_per_fold - 1);
    for (int64_t step = 0; step <= hi - lo; ++step) {
      const int64_t r = from_front ? lo + step : hi - step;
      const bool found = visit_ifmap_row(
          s, a, g, fr, fc, r, [&](int64_t p, int64_t j) { return ifmap_entry_valid(s, p, j); });
      if (found) {
        return fold * g.rows_per_fold + r;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

CompatGeometry compat_geometry(const ConvShape& layer, const ArraySpec& array) {
  const int64_t m = layer.gemm_m();
  const int64_t n = layer.gemm_n();
  const int64_t k = layer.gemm_k();
  const int64_t r = array.rows;
  const int64_t c = array.cols;
  CompatGeometry g;
  switch (array.dataflow) {
    case Dataflow::kOs:
      g.sr = m, g.sc = n, g.t = k;
      g.rows_per_fold = checked_add(checked_add(k, r), c - 2);
      break;
    case Dataflow::kWs:
      g.sr = k, g.sc = n, g.t = m;
      g.rows_per_fold = checked_add(checked_add(checked_mul(2, r), c), m - 2);
      break;
    case Dataflow::kIs:
      g.sr = k, g.sc = m, g.t = n;
      g.rows_per_fold = checked_add(checked_add(checked_mul(2, r), c), n - 2);
      break;
  }
  g.fr = ceil_div(g.sr, r);
  g.fc = ceil_div(g.sc, c);
  g.folds = checked_mul(g.fr, g.fc);
  g.ru_last = g.sr - (g.fr - 1) * r;
  g.cu_last = g.sc - (g.fc - 1) * c;
  return g;
}

int64_t compat_total_cycles(int64_t elapsed_cycles) { return elapsed_cycles - 1; }

CompatLayer compat_compute_and_sram(const ConvShape& layer, const ArchSpec& arch) {
  const ArraySpec& a = arch.array;
  const CompatGeometry g = compat_geometry(layer, a);
  const int64_t m = layer.gemm_m();
  const int64_t n = layer.gemm_n();
  const int64_t k = layer.gemm_k();
  const int64_t r = a.rows;
  const int64_t c = a.cols;
  const int64_t p = g.rows_per_fold;
  const int64_t last_fold_start = checked_mul(g.folds - 1, p);

  CompatLayer out;
  // Each demand row takes one cycle and nothing stalls in CALC mode; the layer ends when the
  // last row's ofmap write is serviced, at its row index.
  out.total_cycles = compat_total_cycles(checked_mul(g.folds, p));
  out.stall_cycles = 0;
  out.overall_util_pct = exact_ratio(static_cast<Uint128>(m) * n * k * 100,
                                     static_cast<Uint128>(out.total_cycles) * r * c);

  // Per-fold averages, summed left to right in fold order as SCALE-Sim does (its sum() of a
  // Python list); the fold-cycle denominator of ws/is counts C - 1 more rows than the fold has.
  // A fold's value depends only on whether it is the last row fold and the last column fold,
  // so the sum is repeated runs of one value: repeat_units adds them at a cost per binade.
  const int64_t util_cycles = a.dataflow == Dataflow::kOs ? p : checked_add(p, c - 1);
  const auto fold_sum = [&](auto value) {  // value(used PEs) of one fold
    const auto column_fold = [&](int64_t cu) {
      const double full = value(r * cu);
      const double last = value(g.ru_last * cu);
      return [=](double sum) {
        sum = repeat_units(sum, g.fr - 1, [full](double v) { return v + full; });
        return sum + last;
      };
    };
    const double sum = repeat_units(0.0, g.fc - 1, column_fold(c));
    return column_fold(g.cu_last)(sum);
  };
  const double mapping_sum = fold_sum([&](int64_t used) {
    return exact_ratio(static_cast<Uint128>(used), static_cast<Uint128>(r) * c);
  });
  const double compute_sum = fold_sum([&](int64_t used) {
    return exact_ratio(static_cast<Uint128>(used) * g.t,
                       static_cast<Uint128>(r) * c * static_cast<Uint128>(util_cycles));
  });
  out.mapping_efficiency_pct = mapping_sum / static_cast<double>(g.folds) * 100;
  out.compute_util_pct = compute_sum / static_cast<double>(g.folds) * 100;

  // SRAM counts: SCALE-Sim counts every slot of each fold's operand slice, out-of-image conv
  // entries included. Its os ofmap count adds rows + cols of each fold's padded block once more.
  switch (a.dataflow) {
    case Dataflow::kOs:
      out.sram_ifmap.count = mul3(g.fc, m, k);
      out.sram_filter.count = mul3(g.fr, k, n);
      out.sram_ofmap.count = checked_add(checked_mul(m, n), checked_mul(g.folds, r + c));
      break;
    case Dataflow::kWs:
      out.sram_ifmap.count = mul3(g.fc, m, k);
      out.sram_filter.count = checked_mul(k, n);
      out.sram_ofmap.count = mul3(g.fr, m, n);
      break;
    case Dataflow::kIs:
      out.sram_ifmap.count = checked_mul(k, m);
      out.sram_filter.count = mul3(g.fc, k, n);
      out.sram_ofmap.count = mul3(g.fr, m, n);
      break;
  }

  // Start/stop: the service cycle of the first/last demand row that holds a valid address.
  // Reads are serviced one cycle after their row, ofmap writes in their row's cycle.
  const auto first = ifmap_edge_row(layer, a, g, true);
  const auto last = ifmap_edge_row(layer, a, g, false);
  out.sram_ifmap.start = first ? *first + 1 : 0;
  out.sram_ifmap.stop = last ? *last + 1 : 0;
  switch (a.dataflow) {
    case Dataflow::kOs:
      out.sram_filter.start = 1;
      out.sram_filter.stop = last_fold_start + (g.cu_last - 1) + (k - 1) + 1;
      out.sram_ofmap.start = k - 1 + r - std::min(r, m);
      out.sram_ofmap.stop = last_fold_start + k - 1 + r - 1 + g.cu_last - 1;
      break;
    case Dataflow::kWs:
      out.sram_filter.start = r - std::min(r, k) + 1;
      out.sram_filter.stop = last_fold_start + r;
      out.sram_ofmap.start = 2 * r - 1;
      out.sram_ofmap.stop = last_fold_start + 2 * r - 1 + m - 1 + g.cu_last - 1;
      break;
    case Dataflow::kIs:
      out.sram_filter.start = r + 1;
      out.sram_filter.stop = last_fold_start + r + (n - 1) + (g.ru_last - 1) + 1;
      out.sram_ofmap.start = 2 * r - 1;
      out.sram_ofmap.stop = last_fold_start + 2 * r - 1 + n - 1 + g.cu_last - 1;
      break;
  }

  const auto per_cycle = [&](int64_t count) {
    return exact_ratio(static_cast<Uint128>(count), static_cast<Uint128>(out.total_cycles));
  };
  out.sram_ifmap_bw = per_cycle(out.sram_ifmap.count);
  out.sram_filter_bw = per_cycle(out.sram_filter.count);
  out.sram_ofmap_bw = per_cycle(out.sram_ofmap.count);
  return out;
}

CompatLayer simulate_compat(const ConvShape& layer, const ArchSpec& arch) {
  CompatLayer out = compat_compute_and_sram(layer, arch);
  compat_dram(layer, arch, out);
  return out;
}

}  // namespace nibble::timing
