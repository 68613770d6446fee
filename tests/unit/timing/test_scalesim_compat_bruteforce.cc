// compat_compute_and_sram (model/timing/scalesim_compat.cc) against a brute-force model of
// SCALE-Sim v2's compute side, for small shapes: every column of COMPUTE_REPORT, the SRAM
// columns of DETAILED_ACCESS_REPORT and BANDWIDTH_REPORT.
//
// The model is a literal transcription of SCALE-Sim's matrix code (scalesim-project/scale-sim-v2
// at 22f88b1: operand_matrix.py, systolic_compute_{os,ws,is}.py create_*_demand_mat,
// double_buffered_scratchpad_mem.py start/stop scans, single_layer_sim.py calc_report_data): it
// builds the operand address matrices, then each fold's slice, pads it with -1 (no access),
// flips, prefixes and suffixes it with -1 rows and skews it exactly as those functions do, and
// stacks the folds (column fold outer, row fold inner) into the three demand matrices, one row
// per cycle. The counters, the per-fold mapping efficiency and compute utilization and the
// report arithmetic are taken from the same code, in the same order. It shares nothing with the
// closed forms under test, nor with the element-placement model of test_scalesim_dram.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/timing/realistic.h"
#include "model/timing/scalesim_compat.h"

namespace {

using nibble::timing::ArchSpec;
using nibble::timing::CompatLayer;
using nibble::timing::Dataflow;
using nibble::workload::ConvShape;

// A dense integer matrix, as the numpy arrays SCALE-Sim builds; -1 means "no access".
struct Mat {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<int64_t> v;

  Mat() = default;
  Mat(int64_t r, int64_t c, int64_t fill) : rows(r), cols(c), v(static_cast<size_t>(r * c), fill) {}
  int64_t& at(int64_t r, int64_t c) { return v[static_cast<size_t>(r * cols + c)]; }
  int64_t at(int64_t r, int64_t c) const { return v[static_cast<size_t>(r * cols + c)]; }
};

Mat nulls(int64_t rows, int64_t cols) { return Mat(rows, cols, -1); }  // np.ones(...) * -1

// m[r0:r1, c0:c1]
Mat slice(const Mat& m, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  Mat out(r1 - r0, c1 - c0, 0);
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t c = c0; c < c1; ++c) {
      out.at(r - r0, c - c0) = m.at(r, c);
    }
  }
  return out;
}

Mat transpose(const Mat& m) {
  Mat out(m.cols, m.rows, 0);
  for (int64_t r = 0; r < m.rows; ++r) {
    for (int64_t c = 0; c < m.cols; ++c) {
      out.at(c, r) = m.at(r, c);
    }
  }
  return out;
}

// np.concatenate((a, b), axis=0)
Mat vcat(const Mat& a, const Mat& b) {
  EXPECT_EQ(a.cols, b.cols);
  Mat out = a;
  out.rows += b.rows;
  out.v.insert(out.v.end(), b.v.begin(), b.v.end());
  return out;
}

// np.concatenate((a, b), axis=1)
Mat hcat(const Mat& a, const Mat& b) {
  EXPECT_EQ(a.rows, b.rows);
  Mat out(a.rows, a.cols + b.cols, 0);
  for (int64_t r = 0; r < a.rows; ++r) {
    for (int64_t c = 0; c < out.cols; ++c) {
      out.at(r, c) = c < a.cols ? a.at(r, c) : b.at(r, c - a.cols);
    }
  }
  return out;
}

// np.flip(m, 0)
Mat flip_rows(const Mat& m) {
  Mat out(m.rows, m.cols, 0);
  for (int64_t r = 0; r < m.rows; ++r) {
    for (int64_t c = 0; c < m.cols; ++c) {
      out.at(m.rows - 1 - r, c) = m.at(r, c);
    }
  }
  return out;
}

// systolic_compute_os.skew_matrix: column c moves down by c rows.
Mat skew(const Mat& m) {
  Mat out = nulls(m.rows + m.cols - 1, m.cols);
  for (int64_t c = 0; c < m.cols; ++c) {
    for (int64_t r = 0; r < m.rows; ++r) {
      out.at(c + r, c) = m.at(r, c);
    }
  }
  return out;
}

// operand_matrix.py: ifmap M x K (im2col, -1 outside the image), filter K x N, ofmap M x N.
struct Operands {
  Mat ifmap, filter, ofmap;
};

Operands operand_matrices(const ConvShape& s, const ArchSpec& arch) {
  const int64_t eh = (s.ifmap_h - s.filter_h + s.stride_h + s.stride_h - 1) / s.stride_h;
  const int64_t ew = (s.ifmap_w - s.filter_w + s.stride_w + s.stride_w - 1) / s.stride_w;
  const int64_t window = s.filter_h * s.filter_w * s.channels;
  Operands ops{Mat(eh * ew, window, 0), Mat(window, s.num_filters, 0),
               Mat(eh * ew, s.num_filters, 0)};
  for (int64_t i = 0; i < eh * ew; ++i) {
    const int64_t ofmap_row = i / ew;
    const int64_t ofmap_col = i % ew;
    const int64_t i_row = ofmap_row * s.stride_h;
    const int64_t i_col = ofmap_col * s.stride_w;
    const int64_t window_addr = (i_row * s.ifmap_w + i_col) * s.channels;
    for (int64_t j = 0; j < window; ++j) {
      const int64_t c_row = j / (s.filter_w * s.channels);
      const int64_t k = j % (s.filter_w * s.channels);
      const int64_t c_col = k / s.channels;
      const int64_t c_ch = k % s.channels;
      const bool valid = c_row + i_row < s.ifmap_h && c_col + i_col < s.ifmap_w;
      ops.ifmap.at(i, j) = valid ? (c_row * s.ifmap_w + c_col) * s.channels + c_ch + window_addr +
                                       arch.scalesim.ifmap_offset
                                 : -1;
    }
  }
  for (int64_t i = 0; i < window; ++i) {
    for (int64_t j = 0; j < s.num_filters; ++j) {
      ops.filter.at(i, j) =
          j * s.filter_h * s.filter_w * s.channels + i + arch.scalesim.filter_offset;
    }
  }
  for (int64_t i = 0; i < eh * ew; ++i) {
    for (int64_t j = 0; j < s.num_filters; ++j) {
      ops.ofmap.at(i, j) = s.num_filters * i + j + arch.scalesim.ofmap_offset;
    }
  }
  return ops;
}

// What a systolic_compute_* object holds after create_demand_matrices().
struct Compute {
  Mat ifmap_demand, filter_demand, ofmap_demand;
  int64_t ifmap_reads = 0, filter_reads = 0, ofmap_writes = 0;
  std::vector<double> mapping_efficiency_per_fold, compute_utility_per_fold;
};

void append(Mat& stack, const Mat& block, bool first) {
  stack = first ? block : vcat(stack, block);
}

void record_fold(Compute& cs, int64_t row_used, int64_t col_used, int64_t arr_row, int64_t arr_col,
                 int64_t t, const Mat& this_fold_demand) {
  const int64_t mac_used = row_used * col_used;
  const double mapping_eff_this_fold =
      static_cast<double>(mac_used) / static_cast<double>(arr_row * arr_col);
  const int64_t cycles_this_fold = this_fold_demand.rows + this_fold_demand.cols - 1;
  const int64_t compute_cycles_this_fold = mac_used * t;
  const double compute_util_this_fold = static_cast<double>(compute_cycles_this_fold) /
                                        static_cast<double>(arr_row * arr_col * cycles_this_fold);
  cs.mapping_efficiency_per_fold.push_back(mapping_eff_this_fold);
  cs.compute_utility_per_fold.push_back(compute_util_this_fold);
}

// systolic_compute_os.py
Compute compute_os(const Operands& ops, int64_t arr_row, int64_t arr_col) {
  Compute cs;
  const Mat ifmap_op_mat_trans = transpose(ops.ifmap);
  const int64_t sr = ops.ifmap.rows;
  const int64_t sc = ops.filter.cols;
  const int64_t t = ops.ifmap.cols;
  const int64_t row_fold = (sr + arr_row - 1) / arr_row;
  const int64_t col_fold = (sc + arr_col - 1) / arr_col;
  // create_ifmap_demand_mat
  for (int64_t fc = 0; fc < col_fold; ++fc) {
    for (int64_t fr = 0; fr < row_fold; ++fr) {
      const int64_t row_start_id = fr * arr_row;
      const int64_t row_end_idx = std::min(row_start_id + arr_row, sr);
      const int64_t delta = arr_row - (row_end_idx - row_start_id);
      Mat this_fold_demand = slice(ifmap_op_mat_trans, 0, t, row_start_id, row_end_idx);
      cs.ifmap_reads += this_fold_demand.rows * this_fold_demand.cols;
      if (delta > 0) {
        this_fold_demand = hcat(this_fold_demand, nulls(t, delta));
      }
      this_fold_demand = vcat(this_fold_demand, nulls(arr_col - 1, arr_row));
      this_fold_demand = skew(this_fold_demand);
      append(cs.ifmap_demand, this_fold_demand, fr == 0 && fc == 0);
    }
  }
  // create_filter_demand_mat
  for (int64_t fc = 0; fc < col_fold; ++fc) {
    for (int64_t fr = 0; fr < row_fold; ++fr) {
      const int64_t col_start_id = fc * arr_col;
      const int64_t col_end_idx = std::min(col_start_id + arr_col, sc);
      const int64_t delta = arr_col - (col_end_idx - col_start_id);
      Mat this_fold_demand = slice(ops.filter, 0, ops.filter.rows, col_start_id, col_end_idx);
      cs.filter_reads += this_fold_demand.rows * this_fold_demand.cols;
      if (delta > 0) {
        this_fold_demand = hcat(this_fold_demand, nulls(t, delta));
      }
      this_fold_demand = vcat(this_fold_demand, nulls(arr_row - 1, arr_col));
      this_fold_demand = skew(this_fold_demand);
      append(cs.filter_demand, this_fold_demand, fr == 0 && fc == 0);
    }
  }
  // create_ofmap_demand_mat
  for (int64_t fc = 0; fc < col_fold; ++fc) {
    for (int64_t fr = 0; fr < row_fold; ++fr) {
      const int64_t row_start_id = fr * arr_row;
      const int64_t row_end_idx = std::min(row_start_id + arr_row, sr);
      const int64_t row_delta = arr_row - (row_end_idx - row_start_id);
      const int64_t col_start_id = fc * arr_col;
      const int64_t col_end_idx = std::min(col_start_id + arr_col, sc);
      const int64_t col_delta = arr_col - (col_end_idx - col_start_id);
      Mat this_fold_demand = slice(ops.ofmap, row_start_id, row_end_idx, col_start_id, col_end_idx);
      cs.ofmap_writes += this_fold_demand.rows * this_fold_demand.cols;
      if (col_delta > 0) {
        this_fold_demand = hcat(this_fold_demand, nulls(this_fold_demand.rows, col_delta));
      }
      if (row_delta > 0) {
        this_fold_demand = vcat(this_fold_demand, nulls(row_delta, arr_col));
      }
      this_fold_demand = flip_rows(this_fold_demand);
      cs.ofmap_writes += this_fold_demand.rows + this_fold_demand.cols;  // os.py:349
      this_fold_demand = vcat(nulls(t - 1, arr_col), this_fold_demand);
      record_fold(cs, std::min(arr_row, row_end_idx - row_start_id),
                  std::min(arr_col, col_end_idx - col_start_id), arr_row, arr_col, t,
                  this_fold_demand);
      this_fold_demand = skew(this_fold_demand);
      append(cs.ofmap_demand, this_fold_demand, fr == 0 && fc == 0);
    }
  }
  return cs;
}

// systolic_compute_ws.py
Compute compute_ws(const Operands& ops, int64_t arr_row, int64_t arr_col) {
  Compute cs;
  const int64_t sr = ops.ifmap.cols;
  const int64_t sc = ops.filter.cols;
  const int64_t t = ops.ifmap.rows;
  const int64_t row_fold = (sr + arr_row - 1) / arr_row;
  const int64_t col_fold = (sc + arr_col - 1) / arr_col;
  // create_ifmap_demand_mat
  for (int64_t fc = 0; fc < col_fold; ++fc) {
    for (int64_t fr = 0; fr < row_fold; ++fr) {
      const int64_t col_start_id = fr * arr_row;
      const int64_t col_end_idx = std::min(col_start_id + arr_row, sr);
      const int64_t delta = arr_row - (col_end_idx - col_start_id);
      Mat this_fold_demand = slice(ops.ifmap, 0, ops.ifmap.rows, col_start_id, col_end_idx);
      cs.ifmap_reads += this_fold_demand.rows * this_fold_demand.cols;
      if (delta > 0) {
        this_fold_demand = hcat(this_fold_demand, nulls(t, delta));
      }
      this_fold_demand = vcat(nulls(arr_row, arr_row), this_fold_demand);
      this_fold_demand = vcat(this_fold_demand, nulls(arr_col - 1, arr_row));
      this_fold_demand = skew(this_fold_demand);
      append(cs.ifmap_demand, this_fold_demand, fr == 0 && fc == 0);
    }
  }
  // create_filter_demand_mat
  for (int64_t fc = 0; fc < col_fold; ++fc) {
    for (int64_t fr = 0; fr < row_fold; ++fr) {
      const int64_t row_start_id = fr * arr_row;
      const int64_t row_end_idx = std::min(row_start_id + arr_row, sr);
      const int64_t row_delta = arr_row - (row_end_idx - row_start_id);
      const int64_t col_start_id = fc * arr_col;
      const int64_t col_end_idx = std::min(col_start_id + arr_col, sc);
      const int64_t col_delta = arr_col - (col_end_idx - col_start_id);
      Mat this_fold_demand =
          slice(ops.filter, row_start_id, row_end_idx, col_start_id, col_end_idx);
      cs.filter_reads += this_fold_demand.rows * this_fold_demand.cols;
      if (col_delta > 0) {
        this_fold_demand = hcat(this_fold_demand, nulls(this_fold_demand.rows, col_delta));
      }
      if (row_delta > 0) {
        this_fold_demand = vcat(this_fold_demand, nulls(row_delta, arr_col));
      }
      this_fold_demand = flip_rows(this_fold_demand);
      this_fold_demand = vcat(this_fold_demand, nulls(arr_row + arr_col + t - 2, arr_col));
      record_fold(cs, std::min(arr_row, row_end_idx - row_start_id),
                  std::min(arr_col, col_end_idx - col_start_id), arr_row, arr_col, t,
                  this_fold_demand);
      append(cs.filter_demand, this_fold_demand, fr == 0 && fc == 0);
    }
  }
  // create_ofmap_demand_mat
  for (int64_t fc = 0; fc < col_fold; ++fc) {
    for (int64_t fr = 0; fr < row_fold; ++fr) {
      const int64_t col_start_id = fc * arr_col;
      const int64_t col_end_idx = std::min(col_start_id + arr_col, sc);
      const int64_t col_delta = arr_col - (col_end_idx - col_start_id);
      Mat this_fold_demand = slice(ops.ofmap, 0, ops.ofmap.rows, col_start_id, col_end_idx);
      cs.ofmap_writes += this_fold_demand.rows * this_fold_demand.cols;
      if (col_delta > 0) {
        this_fold_demand = hcat(this_fold_demand, nulls(this_fold_demand.rows, col_delta));
      }
      this_fold_demand = vcat(nulls(2 * arr_row - 1, arr_col), this_fold_demand);
      this_fold_demand = skew(this_fold_demand);
      append(cs.ofmap_demand, this_fold_demand, fr == 0 && fc == 0);
    }
  }
  return cs;
}

// systolic_compute_is.py
Compute compute_is(const Operands& ops, int64_t arr_row, int64_t arr_col) {
  Compute cs;
  const Mat ifmap_op_mat_trans = transpose(ops.ifmap);
  const int64_t sr = ops.ifmap.cols;
  const int64_t sc = ops.ifmap.rows;
  const int64_t t = ops.filter.cols;
  const int64_t row_fold = (sr + arr_row - 1) / arr_row;
  const int64_t col_fold = (sc + arr_col - 1) / arr_col;
  // create_ifmap_demand_mat
  for (int64_t fc = 0; fc < col_fold; ++fc) {
    for (int64_t fr = 0; fr < row_fold; ++fr) {
      const int64_t row_start_id = fr * arr_row;
      const int64_t row_end_idx = std::min(row_start_id + arr_row, sr);
      const int64_t row_delta = arr_row - (row_end_idx - row_start_id);
      const int64_t col_start_id = fc * arr_col;
      const int64_t col_end_idx = std::min(col_start_id + arr_col, sc);
      const int64_t col_delta = arr_col - (col_end_idx - col_start_id);
      Mat this_fold_demand =
          slice(ifmap_op_mat_trans, row_start_id, row_end_idx, col_start_id, col_end_idx);
      cs.ifmap_reads += this_fold_demand.rows * this_fold_demand.cols;
      if (col_delta > 0) {
        this_fold_demand = hcat(this_fold_demand, nulls(this_fold_demand.rows, col_delta));
      }
      if (row_delta > 0) {
        this_fold_demand = vcat(this_fold_demand, nulls(row_delta, arr_col));
      }
      this_fold_demand = flip_rows(this_fold_demand);
      this_fold_demand = vcat(this_fold_demand, nulls(arr_row + arr_col + t - 2, arr_col));
      record_fold(cs, std::min(arr_row, row_end_idx - row_start_id),
                  std::min(arr_col, col_end_idx - col_start_id), arr_row, arr_col, t,
                  this_fold_demand);
      append(cs.ifmap_demand, this_fold_demand, fr == 0 && fc == 0);
    }
  }
  // create_filter_demand_mat
  for (int64_t fc = 0; fc < col_fold; ++fc) {
    for (int64_t fr = 0; fr < row_fold; ++fr) {
      const int64_t row_start_id = fr * arr_row;
      const int64_t row_end_idx = std::min(row_start_id + arr_row, sr);
      const int64_t delta = arr_row - (row_end_idx - row_start_id);
      Mat this_fold_demand =
          transpose(slice(ops.filter, row_start_id, row_end_idx, 0, ops.filter.cols));
      cs.filter_reads += this_fold_demand.rows * this_fold_demand.cols;
      if (delta > 0) {
        this_fold_demand = hcat(this_fold_demand, nulls(t, delta));
      }
      this_fold_demand = vcat(nulls(arr_row, arr_row), this_fold_demand);
      this_fold_demand = vcat(this_fold_demand, nulls(arr_col - 1, arr_row));
      this_fold_demand = skew(this_fold_demand);
      append(cs.filter_demand, this_fold_demand, fr == 0 && fc == 0);
    }
  }
  // create_ofmap_demand_mat
  for (int64_t fc = 0; fc < col_fold; ++fc) {
    for (int64_t fr = 0; fr < row_fold; ++fr) {
      const int64_t col_start_id = fc * arr_col;
      const int64_t col_end_idx = std::min(col_start_id + arr_col, sc);
      const int64_t col_delta = arr_col - (col_end_idx - col_start_id);
      Mat this_fold_demand =
          transpose(slice(ops.ofmap, col_start_id, col_end_idx, 0, ops.ofmap.cols));
      cs.ofmap_writes += this_fold_demand.rows * this_fold_demand.cols;
      if (col_delta > 0) {
        this_fold_demand = hcat(this_fold_demand, nulls(t, col_delta));
      }
      this_fold_demand = vcat(nulls(2 * arr_row - 1, arr_col), this_fold_demand);
      this_fold_demand = skew(this_fold_demand);
      append(cs.ofmap_demand, this_fold_demand, fr == 0 && fc == 0);
    }
  }
  return cs;
}

// double_buffered_scratchpad_mem.py: the demand rows are issued at cycle = row index (CALC mode
// never stalls); reads are serviced one cycle later, writes in the same cycle. Start and stop
// are the service cycles of the first and last row holding an address other than -1.
struct Span {
  int64_t first = -1;  // row indices; -1 when no row holds an address
  int64_t last = -1;
};

Span valid_rows(const Mat& demand) {
  Span span;
  for (int64_t r = 0; r < demand.rows; ++r) {
    for (int64_t c = 0; c < demand.cols; ++c) {
      if (demand.at(r, c) != -1) {
        span.first = span.first < 0 ? r : span.first;
        span.last = r;
        break;
      }
    }
  }
  return span;
}

double py_sum(const std::vector<double>& values) {  // Python 3.11 sum(): left to right
  double agg = 0;
  for (double v : values) {
    agg += v;
  }
  return agg;
}

double ratio(int64_t a, int64_t b) { return static_cast<double>(a) / static_cast<double>(b); }

// The brute-force result, in CompatLayer's fields, plus what the coverage counts need.
struct Brute {
  CompatLayer layer;
  int64_t rows_per_fold = 0;
  int64_t folds = 0;
  bool invalid_pixel = false;     // an output pixel whose whole window lies outside the image
  bool ifmap_span_moved = false;  // ifmap start/stop outside the first/last fold
};

Brute brute_force(const ConvShape& s, const ArchSpec& arch) {
  const Operands ops = operand_matrices(s, arch);
  const int64_t arr_row = arch.array.rows;
  const int64_t arr_col = arch.array.cols;
  const Compute cs = arch.array.dataflow == Dataflow::kOs   ? compute_os(ops, arr_row, arr_col)
                     : arch.array.dataflow == Dataflow::kWs ? compute_ws(ops, arr_row, arr_col)
                                                            : compute_is(ops, arr_row, arr_col);
  // The asserts of create_demand_matrices().
  EXPECT_EQ(cs.ifmap_demand.rows, cs.filter_demand.rows);
  EXPECT_EQ(cs.ofmap_demand.rows, cs.filter_demand.rows);

  Brute b;
  CompatLayer& r = b.layer;
  r.total_cycles = cs.ofmap_demand.rows - 1;  // the last row's write service cycle
  r.stall_cycles = 0;
  const int64_t num_compute = ops.ofmap.rows * ops.ofmap.cols * ops.ifmap.cols;
  r.overall_util_pct = ratio(num_compute * 100, r.total_cycles * arr_row * arr_col);
  const auto folds = static_cast<double>(cs.mapping_efficiency_per_fold.size());
  r.mapping_efficiency_pct = py_sum(cs.mapping_efficiency_per_fold) / folds * 100;
  r.compute_util_pct = py_sum(cs.compute_utility_per_fold) / folds * 100;

  const Span ifmap = valid_rows(cs.ifmap_demand);
  const Span filter = valid_rows(cs.filter_demand);
  const Span ofmap = valid_rows(cs.ofmap_demand);
  r.sram_ifmap = {ifmap.first + 1, ifmap.last + 1, cs.ifmap_reads};
  r.sram_filter = {filter.first + 1, filter.last + 1, cs.filter_reads};
  r.sram_ofmap = {ofmap.first, ofmap.last, cs.ofmap_writes};
  r.sram_ifmap_bw = ratio(cs.ifmap_reads, r.total_cycles);
  r.sram_filter_bw = ratio(cs.filter_reads, r.total_cycles);
  r.sram_ofmap_bw = ratio(cs.ofmap_writes, r.total_cycles);

  b.folds = static_cast<int64_t>(cs.mapping_efficiency_per_fold.size());
  b.rows_per_fold = cs.ofmap_demand.rows / b.folds;
  for (int64_t p = 0; p < ops.ifmap.rows && !b.invalid_pixel; ++p) {
    b.invalid_pixel = true;
    for (int64_t j = 0; j < ops.ifmap.cols; ++j) {
      b.invalid_pixel = b.invalid_pixel && ops.ifmap.at(p, j) == -1;
    }
  }
  b.ifmap_span_moved =
      ifmap.first >= b.rows_per_fold || ifmap.last < (b.folds - 1) * b.rows_per_fold;
  return b;
}

uint64_t bits(double d) {
  uint64_t u = 0;
  std::memcpy(&u, &d, sizeof u);
  return u;
}

std::string describe(const ConvShape& s, const ArchSpec& arch) {
  std::ostringstream os;
  os << nibble::timing::dataflow_name(arch.array.dataflow) << " " << arch.array.rows << "x"
     << arch.array.cols << ", conv H=" << s.ifmap_h << " W=" << s.ifmap_w << " Fh=" << s.filter_h
     << " Fw=" << s.filter_w << " C=" << s.channels << " N=" << s.num_filters
     << " Sh=" << s.stride_h << " Sw=" << s.stride_w << " (M=" << s.gemm_m() << " N=" << s.gemm_n()
     << " K=" << s.gemm_k() << ")";
  return os.str();
}

void expect_bit_equal(double got, double want, const char* what) {
  EXPECT_EQ(bits(got), bits(want))
      << what << ": nibble " << std::setprecision(17) << got << ", brute force " << want;
}

void expect_same_window(const nibble::timing::AccessWindow& got,
                        const nibble::timing::AccessWindow& want, const char* what) {
  EXPECT_EQ(got.start, want.start) << what << " start";
  EXPECT_EQ(got.stop, want.stop) << what << " stop";
  EXPECT_EQ(got.count, want.count) << what << " count";
}

void expect_matches_brute_force(const ConvShape& s, const ArchSpec& arch, const Brute& b) {
  const CompatLayer got = nibble::timing::compat_compute_and_sram(s, arch);
  const CompatLayer& want = b.layer;
  EXPECT_EQ(got.total_cycles, want.total_cycles);
  EXPECT_EQ(got.stall_cycles, want.stall_cycles);
  expect_bit_equal(got.overall_util_pct, want.overall_util_pct, "Overall Util %");
  expect_bit_equal(got.mapping_efficiency_pct, want.mapping_efficiency_pct, "Mapping Efficiency %");
  expect_bit_equal(got.compute_util_pct, want.compute_util_pct, "Compute Util %");
  expect_same_window(got.sram_ifmap, want.sram_ifmap, "SRAM IFMAP");
  expect_same_window(got.sram_filter, want.sram_filter, "SRAM Filter");
  expect_same_window(got.sram_ofmap, want.sram_ofmap, "SRAM OFMAP");
  expect_bit_equal(got.sram_ifmap_bw, want.sram_ifmap_bw, "Avg IFMAP SRAM BW");
  expect_bit_equal(got.sram_filter_bw, want.sram_filter_bw, "Avg FILTER SRAM BW");
  expect_bit_equal(got.sram_ofmap_bw, want.sram_ofmap_bw, "Avg OFMAP SRAM BW");
  // The geometry nibble folds over agrees with the matrices' shape.
  const nibble::timing::CompatGeometry g = nibble::timing::compat_geometry(s, arch.array);
  EXPECT_EQ(g.folds, b.folds);
  EXPECT_EQ(g.rows_per_fold, b.rows_per_fold);
}

// An upper bound on the entries of the largest demand matrix.
int64_t demand_size(const ConvShape& s, const ArchSpec& arch) {
  const int64_t m = s.gemm_m();
  const int64_t n = s.gemm_n();
  const int64_t k = s.gemm_k();
  const int64_t rows = arch.array.rows;
  const int64_t cols = arch.array.cols;
  const Dataflow df = arch.array.dataflow;
  const int64_t sr = df == Dataflow::kOs ? m : k;
  const int64_t sc = df == Dataflow::kIs ? m : n;
  const int64_t t = df == Dataflow::kOs ? k : df == Dataflow::kWs ? m : n;
  const int64_t folds = ((sr + rows - 1) / rows) * ((sc + cols - 1) / cols);
  return folds * (t + 2 * rows + 2 * cols) * std::max(rows, cols);
}

TEST(ScaleSimCompatBruteForce, RandomShapesAllDataflows) {
  std::mt19937_64 rng(0x5ca1e51);
  const auto pick = [&](int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
  };
  // Small dimensions are the interesting ones (1, below and just above the array size), so
  // half the draws are small.
  const auto dim = [&](int64_t hi) { return pick(0, 1) == 0 ? pick(1, 4) : pick(1, hi); };
  constexpr int kTrials = 1500;
  int per_dataflow[3] = {0, 0, 0};
  int gemm = 0, conv = 0, overrun = 0, stride_over_filter = 0, invalid_pixel = 0, moved = 0;
  int one_by_one = 0, largest = 0, zero_cycles = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    ArchSpec arch;
    arch.mode = nibble::timing::TimingMode::kCompat;
    arch.array.dataflow = static_cast<Dataflow>(trial % 3);
    arch.array.rows = trial % 30 < 3 ? 1 : trial % 30 < 6 ? 9 : pick(1, 9);
    arch.array.cols = trial % 30 < 3 ? 1 : trial % 30 < 6 ? 13 : pick(1, 13);
    ConvShape s;
    // Keep the demand matrices small: redraw shapes whose matrices would be large.
    for (;;) {
      if (trial % 2 == 0) {
        s = ConvShape::from_gemm(dim(40), dim(40), dim(40));
      } else {
        s.ifmap_h = dim(14);
        s.ifmap_w = dim(14);
        s.filter_h = pick(1, std::min<int64_t>(s.ifmap_h, 5));
        s.filter_w = pick(1, std::min<int64_t>(s.ifmap_w, 5));
        s.channels = pick(1, 4);
        s.num_filters = dim(20);
        s.stride_h = pick(1, 6);
        s.stride_w = pick(1, 6);
      }
      if (demand_size(s, arch) <= 200000) {
        break;
      }
    }
    SCOPED_TRACE("trial " + std::to_string(trial) + ": " + describe(s, arch));
    const Brute b = brute_force(s, arch);
    expect_matches_brute_force(s, arch, b);

    ++per_dataflow[trial % 3];
    (trial % 2 == 0 ? gemm : conv) += 1;
    overrun += s.all_windows_inside() ? 0 : 1;
    stride_over_filter += s.stride_h > s.filter_h || s.stride_w > s.filter_w ? 1 : 0;
    invalid_pixel += b.invalid_pixel ? 1 : 0;
    moved += b.ifmap_span_moved ? 1 : 0;
    one_by_one += arch.array.rows == 1 && arch.array.cols == 1 ? 1 : 0;
    largest += arch.array.rows == 9 && arch.array.cols == 13 ? 1 : 0;
    zero_cycles += b.layer.total_cycles == 0 ? 1 : 0;
  }
  std::cout << "[ coverage ] " << kTrials << " shapes: os/ws/is " << per_dataflow[0] << "/"
            << per_dataflow[1] << "/" << per_dataflow[2] << ", GEMM " << gemm << ", conv " << conv
            << " (windows off the image " << overrun << ", stride > filter " << stride_over_filter
            << ", a pixel wholly off the image " << invalid_pixel
            << ", ifmap start/stop outside the first/last fold " << moved << "), 1x1 arrays "
            << one_by_one << ", 9x13 arrays " << largest << ", 0-cycle layers " << zero_cycles
            << "\n";
  for (int n : per_dataflow) {
    EXPECT_GE(n, 500);
  }
  EXPECT_GE(gemm, 500);
  EXPECT_GE(conv, 500);
  EXPECT_GE(overrun, 50);
  EXPECT_GE(stride_over_filter, 50);
  EXPECT_GE(invalid_pixel, 10);
  EXPECT_GE(moved, 1);
  EXPECT_GE(one_by_one, 10);
  EXPECT_GE(largest, 10);
}

// Shapes chosen so that the ifmap start/stop leaves the first/last fold (a whole fold reads only
// out-of-image entries) in every dataflow: 1-wide arrays and strides far above the filter.
TEST(ScaleSimCompatBruteForce, FoldsWithoutAnyValidIfmapEntry) {
  int moved = 0;
  for (int df = 0; df < 3; ++df) {
    for (int64_t rows : {1, 2, 3}) {
      for (int64_t cols : {1, 2, 5}) {
        for (int64_t stride : {3, 4, 5}) {
          ArchSpec arch;
          arch.array.dataflow = static_cast<Dataflow>(df);
          arch.array.rows = rows;
          arch.array.cols = cols;
          ConvShape s{10, 9, 1, 2, 1, 3, stride, stride};
          SCOPED_TRACE(describe(s, arch));
          const Brute b = brute_force(s, arch);
          expect_matches_brute_force(s, arch, b);
          moved += b.ifmap_span_moved ? 1 : 0;
        }
      }
    }
  }
  EXPECT_GE(moved, 3);
}

// Total Cycles 0 (os, 1x1 array, M = N = K = 1): SCALE-Sim divides by zero there; nibble reports
// infinite utilization and bandwidth (docs/timing.md), which is what the same divisions give.
TEST(ScaleSimCompatBruteForce, ZeroCycleLayer) {
  ArchSpec arch;
  arch.array = {1, 1, Dataflow::kOs};
  const ConvShape s = ConvShape::from_gemm(1, 1, 1);
  const Brute b = brute_force(s, arch);
  EXPECT_EQ(b.layer.total_cycles, 0);
  expect_matches_brute_force(s, arch, b);
  EXPECT_EQ(nibble::timing::compat_compute_and_sram(s, arch).overall_util_pct,
            std::numeric_limits<double>::infinity());
}

// Issue 18, D1: M = K = 2147483647, N = 1 in compat mode; on ws its 67,108,864 row folds of
// 2R + C + M - 2 rows each leave 64 bits. The count is refused (std::overflow_error), never
// wrapped (signed overflow, which the sanitizer build reports, was the old behaviour).
TEST(ScaleSimCompatLimits, CountsBeyond64BitsAreRefused) {
  nibble::workload::GemmSpec g;
  g.name = "g";
  g.m = 2147483647, g.n = 1, g.k = 2147483647;
  for (int df = 0; df < 3; ++df) {
    ArchSpec arch;
    arch.mode = nibble::timing::TimingMode::kCompat;
    arch.pe.lanes = 1;
    arch.array.dataflow = static_cast<Dataflow>(df);
    SCOPED_TRACE(df);
    EXPECT_THROW(nibble::timing::time_compat(g, arch), std::overflow_error);
  }
  // Cycles beyond 64 bits where the MACs fit: 67,108,864 folds of 95 rows, 2^31 - 1 times.
  nibble::workload::GemmSpec tall;
  tall.name = "tall";
  tall.m = 1, tall.n = 1, tall.k = 2147483647, tall.repeat = 2147483647;
  ArchSpec arch;
  arch.mode = nibble::timing::TimingMode::kCompat;
  arch.pe.lanes = 1;
  EXPECT_THROW(nibble::timing::time_compat(tall, arch), std::overflow_error);
}

// Arrays and fold counts far beyond anything SCALE-Sim could simulate cost no more than small
// ones (the fold means are runs of repeated terms, the ifmap edges are found in the rows that
// read). Total Cycles by hand: one fold (ws) of P = 2R + C + M - 2 rows gives P - 1; on a
// 1x1 os array, M * N folds of P = K rows give M * N * K - 1. A fold's mapping efficiency on
// the huge array is 64 * 64 / (R * C) (one fold), and on the 1x1 array every fold's is 1.
TEST(ScaleSimCompatLimits, HugeArraysAndFoldCountsInClosedForm) {
  ArchSpec big;
  big.array = {2147483647, 2147483647, Dataflow::kWs};
  const ConvShape s = ConvShape::from_gemm(64, 64, 64);
  const nibble::timing::CompatLayer a = nibble::timing::compat_compute_and_sram(s, big);
  const int64_t r = 2147483647;
  EXPECT_EQ(a.total_cycles, 2 * r + r + 64 - 2 - 1);
  EXPECT_EQ(a.mapping_efficiency_pct, 64.0 * 64 / (static_cast<double>(r) * r) * 100);

  ArchSpec one;
  one.array = {1, 1, Dataflow::kOs};
  const ConvShape wide = ConvShape::from_gemm(1 << 20, 1 << 20, 3);  // 2^40 folds
  const nibble::timing::CompatLayer b = nibble::timing::compat_compute_and_sram(wide, one);
  EXPECT_EQ(b.total_cycles, (int64_t{1} << 40) * 3 - 1);
  EXPECT_EQ(b.mapping_efficiency_pct, 100.0);  // 2^40 ones summed exactly, over 2^40 folds
}

}  // namespace
