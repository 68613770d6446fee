// Tests of compat_dram (model/timing/scalesim_dram.cc), the DRAM columns of SCALE-Sim v2's
// DETAILED_ACCESS_REPORT and BANDWIDTH_REPORT, against SCALE-Sim's own reports in
// tests/data/scalesim/: every DRAM column of every layer of every reference and held-out run.
// No expected number is typed here; all of them are read from those reports. Settings those runs
// lack (negative address offsets, random conv shapes) are checked against a brute-force model.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <ostream>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/timing/scalesim_compat.h"
#include "tests/unit/timing/scalesim_files.h"

namespace {

namespace fs = std::filesystem;
using nibble::timing::compat_compute_and_sram;
using nibble::timing::compat_dram;
using nibble::timing::CompatLayer;

const fs::path kData = fs::path(NIBBLE_SOURCE_DIR) / "tests" / "data" / "scalesim";

struct ReferenceRun {
  std::string name;
  fs::path cfg;
  fs::path topology;
  bool gemm = false;
  fs::path reports;
};

void PrintTo(const ReferenceRun& run, std::ostream* os) { *os << run.name; }

// The shared reference runs (their inputs as tests/data/scalesim/ORIGIN.md lists them) and
// every held-out case (inputs next to the reports; GEMM form for gemm_* cases).
std::vector<ReferenceRun> all_runs() {
  std::vector<ReferenceRun> runs;
  for (const char* df : {"os", "ws", "is"}) {
    runs.push_back({std::string("gemm_small_") + df,
                    kData / "configs" / (std::string("sa32x32_") + df + ".cfg"),
                    kData / "topologies" / "gemm_small.csv", true,
                    kData / "results" / (std::string("gemm_small_") + df)});
  }
  for (const char* df : {"os", "ws"}) {
    runs.push_back({std::string("shipped_alexnet_") + df,
                    kData / "configs" / (std::string("sa32x32_") + df + ".cfg"),
                    kData / "topologies" / "alexnet.csv", false,
                    kData / "results" / (std::string("shipped_alexnet_") + df)});
  }
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(kData / "heldout")) {
    cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  for (const fs::path& dir : cases) {
    const std::string name = dir.filename().string();
    runs.push_back({name, dir / "cfg.cfg", dir / "topo.csv", name.rfind("gemm_", 0) == 0, dir});
  }
  return runs;
}

int64_t as_cycle(const std::string& text) {
  // SCALE-Sim prints these cycles as floats ("-3275.0"); they are whole numbers.
  const double v = std::stod(text);
  EXPECT_EQ(v, std::floor(v)) << text;
  return static_cast<int64_t>(v);
}

class ScaleSimDramReference : public ::testing::TestWithParam<ReferenceRun> {};

TEST_P(ScaleSimDramReference, EveryDramColumnMatches) {
  const ReferenceRun& run = GetParam();
  const nibble::timing::ArchSpec arch = nibble::testing::read_cfg(run.cfg.string());
  const auto layers = nibble::testing::read_topology(run.topology.string(), run.gemm);
  const auto detailed =
      nibble::testing::read_report((run.reports / "DETAILED_ACCESS_REPORT.csv").string());
  const auto bandwidth =
      nibble::testing::read_report((run.reports / "BANDWIDTH_REPORT.csv").string());
  ASSERT_EQ(layers.size(), detailed.size());
  ASSERT_EQ(layers.size(), bandwidth.size());

  std::vector<CompatLayer> results;
  double seconds = 0;
  for (const auto& layer : layers) {
    CompatLayer r = compat_compute_and_sram(layer, arch);
    const auto t0 = std::chrono::steady_clock::now();
    compat_dram(layer, arch, r);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    results.push_back(r);
  }
  std::cout << "[ timing   ] " << run.name << ": compat_dram over " << layers.size()
            << " layers took " << seconds * 1e3 << " ms\n";
  RecordProperty("compat_dram_ms", std::to_string(seconds * 1e3));

  for (size_t i = 0; i < layers.size(); ++i) {
    SCOPED_TRACE("layer " + std::to_string(i));
    const CompatLayer& r = results[i];
    const auto& d = detailed[i];
    const auto& b = bandwidth[i];
    ASSERT_EQ(d.at("LayerID"), std::to_string(i));
    EXPECT_EQ(r.dram_ifmap.start, as_cycle(d.at("DRAM IFMAP Start Cycle")));
    EXPECT_EQ(r.dram_ifmap.stop, as_cycle(d.at("DRAM IFMAP Stop Cycle")));
    EXPECT_EQ(r.dram_ifmap.count, std::stoll(d.at("DRAM IFMAP Reads")));
    EXPECT_EQ(r.dram_filter.start, as_cycle(d.at("DRAM Filter Start Cycle")));
    EXPECT_EQ(r.dram_filter.stop, as_cycle(d.at("DRAM Filter Stop Cycle")));
    EXPECT_EQ(r.dram_filter.count, std::stoll(d.at("DRAM Filter Reads")));
    EXPECT_EQ(r.dram_ofmap.start, as_cycle(d.at("DRAM OFMAP Start Cycle")));
    EXPECT_EQ(r.dram_ofmap.stop, as_cycle(d.at("DRAM OFMAP Stop Cycle")));
    EXPECT_EQ(r.dram_ofmap.count, std::stoll(d.at("DRAM OFMAP Writes")));
    const auto near = [](double got, const std::string& want_text) {
      const double want = std::stod(want_text);
      return std::abs(got - want) <= 1e-9 * std::abs(want);
    };
    EXPECT_PRED2(near, r.dram_ifmap_bw, b.at("Avg IFMAP DRAM BW"));
    EXPECT_PRED2(near, r.dram_filter_bw, b.at("Avg FILTER DRAM BW"));
    EXPECT_PRED2(near, r.dram_ofmap_bw, b.at("Avg OFMAP DRAM BW"));
  }
}

INSTANTIATE_TEST_SUITE_P(Runs, ScaleSimDramReference, ::testing::ValuesIn(all_runs()),
                         [](const ::testing::TestParamInfo<ReferenceRun>& p) {
                           return p.param.name;
                         });

// ---------------------------------------------------------------------------------------------
// A brute-force model for shapes and settings the reference runs do not cover (negative address
// offsets, random conv shapes, tiny SRAMs): it builds SCALE-Sim's three demand matrices
// literally, fold block by fold block, by placing each operand element where SCALE-Sim's
// dataflow puts it, and feeds them row by row to buffers written the way SCALE-Sim structures
// them (a list of sets with a moving read window and a prefetch schedule; a write buffer that
// stores entry by entry into lines). Written independently of scalesim_dram.cc's streams.

using Matrix = std::vector<std::vector<int64_t>>;  // demand rows; -1 = no access

struct Demand {
  Matrix ifmap, filter, ofmap;
};

Demand build_demand(const nibble::workload::ConvShape& s, const nibble::timing::ArchSpec& arch) {
  const int64_t m = s.gemm_m();
  const int64_t n = s.gemm_n();
  const int64_t k = s.gemm_k();
  const int64_t rr = arch.array.rows;
  const int64_t cc = arch.array.cols;
  const auto& ss = arch.scalesim;
  // Operand addresses (-1 outside the image).
  const auto ifmap_addr = [&](int64_t p, int64_t j) -> int64_t {
    const int64_t orow = p / s.out_w();
    const int64_t ocol = p % s.out_w();
    const int64_t frow = j / (s.filter_w * s.channels);
    const int64_t fcol = j % (s.filter_w * s.channels) / s.channels;
    const int64_t ch = j % s.channels;
    const int64_t y = orow * s.stride_h + frow;
    const int64_t x = ocol * s.stride_w + fcol;
    if (y >= s.ifmap_h || x >= s.ifmap_w) {
      return -1;
    }
    return ss.ifmap_offset + (y * s.ifmap_w + x) * s.channels + ch;
  };
  const auto filter_addr = [&](int64_t j, int64_t f) { return ss.filter_offset + f * k + j; };
  const auto ofmap_addr = [&](int64_t p, int64_t f) { return ss.ofmap_offset + p * n + f; };

  // Spatial rows and columns of the fold grid, and demand rows per fold.
  const nibble::timing::Dataflow df = arch.array.dataflow;
  const int64_t sr = df == nibble::timing::Dataflow::kOs ? m : k;
  const int64_t sc = df == nibble::timing::Dataflow::kIs ? m : n;
  const int64_t t = df == nibble::timing::Dataflow::kOs   ? k
                    : df == nibble::timing::Dataflow::kWs ? m
                                                          : n;
  const int64_t p_rows =
      df == nibble::timing::Dataflow::kOs ? t + rr + cc - 2 : 2 * rr + cc + t - 2;
  const int64_t fr_n = (sr + rr - 1) / rr;
  const int64_t fc_n = (sc + cc - 1) / cc;
  Demand d;
  const auto block = [&](Matrix& mat, int64_t width) {
    mat.insert(mat.end(), static_cast<size_t>(p_rows),
               std::vector<int64_t>(static_cast<size_t>(width), -1));
  };
  for (int64_t fc = 0; fc < fc_n; ++fc) {
    for (int64_t fr = 0; fr < fr_n; ++fr) {
      const int64_t ru = std::min(rr, sr - fr * rr);
      const int64_t cu = std::min(cc, sc - fc * cc);
      const size_t base = d.ofmap.size();
      const auto at = [&](Matrix& mat, int64_t row, int64_t col) -> int64_t& {
        return mat[base + static_cast<size_t>(row)][static_cast<size_t>(col)];
      };
      switch (df) {
        case nibble::timing::Dataflow::kOs:
          block(d.ifmap, rr), block(d.filter, cc), block(d.ofmap, cc);
          for (int64_t c = 0; c < ru; ++c) {
            for (int64_t j = 0; j < k; ++j) {
              at(d.ifmap, j + c, c) = ifmap_addr(fr * rr + c, j);
            }
          }
          for (int64_t c = 0; c < cu; ++c) {
            for (int64_t j = 0; j < k; ++j) {
              at(d.filter, j + c, c) = filter_addr(j, fc * cc + c);
            }
          }
          for (int64_t q = rr - ru; q < rr; ++q) {
            for (int64_t c = 0; c < cu; ++c) {
              at(d.ofmap, k - 1 + q + c, c) = ofmap_addr(fr * rr + rr - 1 - q, fc * cc + c);
            }
          }
          break;
        case nibble::timing::Dataflow::kWs:
          block(d.ifmap, rr), block(d.filter, cc), block(d.ofmap, cc);
          for (int64_t c = 0; c < ru; ++c) {
            for (int64_t p = 0; p < m; ++p) {
              at(d.ifmap, rr + p + c, c) = ifmap_addr(p, fr * rr + c);
            }
          }
          for (int64_t r = 0; r < ru; ++r) {
            for (int64_t c = 0; c < cu; ++c) {
              at(d.filter, rr - 1 - r, c) = filter_addr(fr * rr + r, fc * cc + c);
            }
          }
          for (int64_t c = 0; c < cu; ++c) {
            for (int64_t p = 0; p < m; ++p) {
              at(d.ofmap, 2 * rr - 1 + p + c, c) = ofmap_addr(p, fc * cc + c);
            }
          }
          break;
        case nibble::timing::Dataflow::kIs:
          block(d.ifmap, cc), block(d.filter, rr), block(d.ofmap, cc);
          for (int64_t r = 0; r < ru; ++r) {
            for (int64_t c = 0; c < cu; ++c) {
              at(d.ifmap, rr - 1 - r, c) = ifmap_addr(fc * cc + c, fr * rr + r);
            }
          }
          for (int64_t c = 0; c < ru; ++c) {
            for (int64_t f = 0; f < n; ++f) {
              at(d.filter, rr + f + c, c) = filter_addr(fr * rr + c, f);
            }
          }
          for (int64_t c = 0; c < cu; ++c) {
            for (int64_t f = 0; f < n; ++f) {
              at(d.ofmap, 2 * rr - 1 + f + c, c) = ofmap_addr(fc * cc + c, f);
            }
          }
          break;
      }
    }
  }
  return d;
}

// SCALE-Sim's estimate-mode read buffer: sets of S new addresses; hits are looked up in the
// completed sets of the read window and the set being filled; completing 50 sets beyond the
// window's start prefetches and moves the window by 50 sets. Prefetches: the first one ends two
// cycles before the first request at 10 words per cycle; each later one spans the cycles since
// the previous one; the last one is issued at the end of the layer. The port returns data one
// cycle after a request.
nibble::timing::AccessWindow brute_read(const Matrix& demand, int64_t kib) {
  const int64_t set_words = kib * 1024 / 100;
  std::vector<std::set<int64_t>> sets;
  std::set<int64_t> current;
  int64_t window_start = 0;  // set ids of the read window
  int64_t window_end = 49;
  bool first_seen = false;
  bool prefetched = false;
  int64_t first_cycle = 0;
  int64_t last_start = -2;  // the latest prefetch's request cycles
  int64_t last_end = -1;
  int64_t reads = 0;
  std::vector<int64_t> trace_cycles;  // DRAM response cycles
  const auto prefetch = [&] {
    for (int64_t c = last_start; c <= last_end; ++c) {
      trace_cycles.push_back(c + 1);
    }
  };
  for (size_t row = 0; row < demand.size(); ++row) {
    const auto cycle = static_cast<int64_t>(row);
    if (!first_seen && *std::max_element(demand[row].begin(), demand[row].end()) > -1) {
      first_seen = true;
      first_cycle = cycle;
    }
    for (int64_t addr : demand[row]) {
      if (addr == -1) {
        continue;
      }
      bool hit = false;
      const auto window_sets = std::min(static_cast<int64_t>(sets.size()), window_end + 1);
      for (int64_t id = window_start; id < window_sets; ++id) {
        hit = hit || sets[static_cast<size_t>(id)].count(addr) > 0;
      }
      if (hit || current.count(addr) > 0) {
        continue;
      }
      current.insert(addr);
      ++reads;
      if (static_cast<int64_t>(current.size()) < set_words) {
        continue;
      }
      sets.push_back(current);
      current.clear();
      if (static_cast<int64_t>(sets.size()) != window_end + 1) {
        continue;
      }
      if (!prefetched) {
        last_end = first_cycle - 2;
        last_start = last_end - (50 * set_words + 9) / 10 + 1;
        prefetched = true;
      }
      prefetch();
      window_start += 50;
      window_end += 50;
      last_start = last_end + 1;
      last_end = cycle;
    }
  }
  if (!prefetched) {
    const int64_t nsets = static_cast<int64_t>(sets.size()) + (current.empty() ? 0 : 1);
    last_end = -2;
    last_start = last_end - (nsets * set_words + 9) / 10 + 1;
  }
  prefetch();
  return {trace_cycles.front(), trace_cycles.back(), reads};
}

// SCALE-Sim's write buffer, entry by entry.
nibble::timing::AccessWindow brute_write(const Matrix& demand, int64_t kib, int64_t line_words) {
  const int64_t total = kib * 1024;
  const int64_t active = (total + 1) / 2;
  const int64_t drain_words = total - active;
  const int64_t lines_per_drain = (drain_words + line_words - 1) / line_words;
  std::vector<int64_t> lines;  // words per closed line
  int64_t open = 0;            // words in the open line
  int64_t free = total;
  int64_t next = 0;  // next line to drain
  int64_t drain_end = 0;
  int64_t writes = 0;
  int64_t stall = 0;
  std::vector<int64_t> cycles;
  const auto close = [&] {
    if (open > 0) {
      lines.push_back(open);
      open = 0;
    }
  };
  const auto drain = [&](int64_t start) {
    const int64_t end = std::min(next + lines_per_drain, static_cast<int64_t>(lines.size()));
    const int64_t count = end - next;
    const int64_t words = count * line_words - (line_words - lines[static_cast<size_t>(end - 1)]);
    writes += words;
    free += words;
    for (int64_t i = 0; i < count; ++i) {
      cycles.push_back(start + i);
    }
    next = end;
    return start + count - 1;
  };
  for (size_t row = 0; row < demand.size(); ++row) {
    int64_t now = static_cast<int64_t>(row) + stall;
    const int64_t issued = now;
    for (int64_t addr : demand[row]) {
      if (addr == -1) {
        continue;
      }
      ++open;
      --free;
      if (open == line_words) {
        close();
      }
      if (now < drain_end) {
        if (free <= 0) {
          now = drain_end;
        }
      } else if (free < active) {
        close();
        drain_end = drain(now);
      }
    }
    stall += now - issued;
  }
  EXPECT_EQ(stall, 0);
  close();
  int64_t cycle = static_cast<int64_t>(demand.size()) - 1 + stall;
  while (next < static_cast<int64_t>(lines.size())) {
    cycle = drain(cycle) + 1;
  }
  return {cycles.front(), cycles.back(), writes};
}

void expect_same(const nibble::timing::AccessWindow& got, const nibble::timing::AccessWindow& want,
                 const char* what) {
  EXPECT_EQ(got.start, want.start) << what;
  EXPECT_EQ(got.stop, want.stop) << what;
  EXPECT_EQ(got.count, want.count) << what;
}

TEST(ScaleSimDramBruteForce, RandomShapesOffsetsAndBuffers) {
  std::mt19937_64 rng(20240611);
  const auto pick = [&](int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
  };
  for (int trial = 0; trial < 300; ++trial) {
    nibble::timing::ArchSpec arch;
    arch.array.rows = pick(1, 12);
    arch.array.cols = pick(1, 12);
    arch.array.dataflow = static_cast<nibble::timing::Dataflow>(pick(0, 2));
    arch.sram.ifmap_kib = pick(1, 3);
    arch.sram.filter_kib = pick(1, 3);
    arch.sram.ofmap_kib = pick(1, 3);
    if (trial % 3 == 0) {
      // Offsets that make one address of each operand exactly -1 (a "no access" slot).
      arch.scalesim.ifmap_offset = -pick(1, 40);
      arch.scalesim.filter_offset = -pick(1, 40);
      arch.scalesim.ofmap_offset = -pick(1, 40);
    }
    nibble::workload::ConvShape s;
    if (trial % 4 == 0) {
      s = nibble::workload::ConvShape::from_gemm(pick(1, 90), pick(1, 90), pick(1, 90));
    } else {
      s.ifmap_h = pick(2, 20);
      s.ifmap_w = pick(2, 20);
      s.filter_h = pick(1, std::min<int64_t>(s.ifmap_h, 6));
      s.filter_w = pick(1, std::min<int64_t>(s.ifmap_w, 6));
      s.channels = pick(1, 6);
      s.num_filters = pick(1, 30);
      s.stride_h = pick(1, 5);
      s.stride_w = pick(1, 5);
    }
    SCOPED_TRACE("trial " + std::to_string(trial));
    CompatLayer r = compat_compute_and_sram(s, arch);
    compat_dram(s, arch, r);
    const Demand d = build_demand(s, arch);
    expect_same(r.dram_ifmap, brute_read(d.ifmap, arch.sram.ifmap_kib), "ifmap");
    expect_same(r.dram_filter, brute_read(d.filter, arch.sram.filter_kib), "filter");
    expect_same(r.dram_ofmap, brute_write(d.ofmap, arch.sram.ofmap_kib, arch.array.cols), "ofmap");
    EXPECT_EQ(r.dram_ofmap_bw, static_cast<double>(r.dram_ofmap.count) /
                                   static_cast<double>(r.dram_ofmap.stop - r.dram_ofmap.start + 1));
  }
}

TEST(ScaleSimDramErrors, SramBelowOneKibIsRejected) {
  nibble::timing::ArchSpec arch;
  arch.sram.ofmap_kib = 0;
  CompatLayer r;
  EXPECT_THROW(compat_dram(nibble::workload::ConvShape::from_gemm(4, 4, 4), arch, r),
               std::invalid_argument);
}

}  // namespace
