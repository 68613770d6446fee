// Bench sc_realistic_agreement: the SystemC engine in timing-only mode against the analytic
// recurrence (timing::time_realistic) on the shipped traces and on seeded random GEMM shapes,
// over several accelerator configurations, all elaborated in one run_engine call. Every
// GemmTiming field must be equal: the SystemC model replays the same tiles with events, and its
// DMA/DRAM pair reproduces the analytic channel exactly (docs/systemc.md), so the expected
// difference is zero, not a tolerance.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model/numerics/format.h"
#include "model/sc/engine.h"
#include "model/timing/realistic.h"
#include "tests/sc/sc_test_util.h"

namespace nibble {
namespace {

using testing::expect_same_timing;
using testing::label;

struct Config {
  std::string name;
  timing::ArchSpec arch;
  bool all_traces;  // false: the small traces only (the 8x8 array has ~16x more tiles)
};

std::vector<Config> configs() {
  const timing::ArchSpec d;
  std::vector<Config> out;
  out.push_back({"ws32", d, true});
  timing::ArchSpec a = d;
  a.array.dataflow = timing::Dataflow::kOs;
  out.push_back({"os32", a, true});
  a = d;
  a.array.dataflow = timing::Dataflow::kIs;
  out.push_back({"is32", a, true});
  a = d;
  a.array.rows = a.array.cols = 8;
  out.push_back({"ws8x8", a, false});
  a = d;
  a.sram.double_buffered = false;
  out.push_back({"single_buffered", a, true});
  a = d;
  a.dram.bandwidth_bytes_per_cycle = 4;
  a.dram.latency_cycles = 300;
  out.push_back({"bw4_lat300", a, true});
  a = d;
  a.sram.ifmap_kib = a.sram.filter_kib = a.sram.ofmap_kib = 16;
  out.push_back({"sram16k", a, false});
  // Odd shapes for the random GEMMs: a non-square array, fractional bandwidth, os + single
  // buffering, tiny SRAM.
  a = d;
  a.array.rows = 12;
  a.array.cols = 20;
  a.array.dataflow = timing::Dataflow::kIs;
  a.dram.bandwidth_bytes_per_cycle = 1.4;
  a.dram.latency_cycles = 7;
  out.push_back({"is12x20_bw1.4", a, false});
  a = d;
  a.array.rows = 16;
  a.array.cols = 8;
  a.array.dataflow = timing::Dataflow::kOs;
  a.sram.double_buffered = false;
  a.sram.ifmap_kib = a.sram.filter_kib = a.sram.ofmap_kib = 1;
  a.dram.latency_cycles = 0;
  out.push_back({"os16x8_sb_1k", a, false});
  // Lanes (L = 2, 4, 8, 16): every dataflow on the shipped traces, and L with the odd shapes
  // above on the random GEMMs.
  const struct {
    const char* name;
    timing::Dataflow df;
    int64_t lanes;
  } laned[] = {{"ws32_L2", timing::Dataflow::kWs, 2},
               {"os32_L4", timing::Dataflow::kOs, 4},
               {"is32_L8", timing::Dataflow::kIs, 8},
               {"ws32_L16", timing::Dataflow::kWs, 16}};
  for (const auto& l : laned) {
    a = d;
    a.array.dataflow = l.df;
    a.pe.lanes = l.lanes;
    out.push_back({l.name, a, true});
  }
  for (size_t i = 0, n = out.size(); i < n; ++i) {
    if (out[i].name == "is12x20_bw1.4" || out[i].name == "os16x8_sb_1k" ||
        out[i].name == "sram16k") {
      a = out[i].arch;
      a.pe.lanes = out[i].name == "sram16k" ? 16 : out[i].name == "os16x8_sb_1k" ? 4 : 8;
      out.push_back({out[i].name + "_L" + std::to_string(a.pe.lanes), a, false});
    }
  }
  return out;
}

// Seeded random GEMMs: dimensions 1..300 (some 1), every operand format pair the array runs,
// repeats 1..3.
workload::Workload random_gemms(uint64_t seed, int count) {
  std::mt19937_64 rng(seed);
  const auto dim = [&]() -> int64_t {
    const uint64_t r = rng() % 10;
    return r == 0 ? 1 : static_cast<int64_t>(1 + rng() % 300);
  };
  const workload::FormatSpec formats[][3] = {
      {{num::Format::kInt4, 0}, {num::Format::kInt4, 0}, {num::Format::kFp16, 0}},
      {{num::Format::kUint4, 0}, {num::Format::kInt4, 0}, {num::Format::kInt4, 0}},
      {{num::Format::kFp4, 1}, {num::Format::kUint4, 0}, {num::Format::kFp4, 0}},
      {{num::Format::kFp8E4M3, 0}, {num::Format::kFp8E5M2, 0}, {num::Format::kFp16, 0}},
      {{num::Format::kFp16, 0}, {num::Format::kFp16, 0}, {num::Format::kFp16, 0}},
  };
  workload::Workload w;
  w.name = "random";
  for (int i = 0; i < count; ++i) {
    workload::GemmSpec g;
    g.name = "r" + std::to_string(i);
    g.m = dim();
    g.n = dim();
    g.k = dim();
    const auto& f = formats[rng() % std::size(formats)];
    g.a = f[0];
    g.b = f[1];
    g.out = f[2];
    g.repeat = static_cast<int64_t>(1 + rng() % 3);
    g.where = {"random", i + 1};
    w.gemms.push_back(g);
  }
  return w;
}

struct Bench {
  std::vector<workload::Workload> traces;
  std::vector<workload::Workload> randoms;  // one per config
  std::vector<Config> configs;
  struct Job {
    const workload::Workload* w;
    std::string config;
    timing::ArchSpec arch;
  };
  std::vector<Job> jobs;
  std::vector<std::vector<sc::GemmResult>> results;
};

const Bench& bench() {
  static const Bench r = [] {
    Bench out;
    out.traces = testing::shipped_traces();
    out.configs = configs();
    for (size_t c = 0; c < out.configs.size(); ++c) {
      out.randoms.push_back(random_gemms(1000 + c, 40));
    }
    for (size_t c = 0; c < out.configs.size(); ++c) {
      const Config& cfg = out.configs[c];
      for (const workload::Workload& w : out.traces) {
        const bool small = w.name.find("resnet50") == std::string::npos &&
                           w.name.find("bert") == std::string::npos &&
                           w.name.find("alexnet") == std::string::npos;
        if (cfg.all_traces || small) {
          out.jobs.push_back({&w, cfg.name, cfg.arch});
        }
      }
      out.jobs.push_back({&out.randoms[c], cfg.name, cfg.arch});
    }
    std::vector<sc::EngineJob> jobs;
    for (const Bench::Job& j : out.jobs) {
      sc::EngineJob e;
      e.workload = j.w;
      e.arch = j.arch;
      jobs.push_back(e);
    }
    out.results = sc::run_engine(jobs);
    return out;
  }();
  return r;
}

TEST(ScRealisticAgreement, EveryGemmMatchesTheAnalyticRecurrence) {
  const Bench& r = bench();
  ASSERT_EQ(r.results.size(), r.jobs.size());
  int64_t gemms = 0;
  int64_t tiles = 0;
  for (size_t j = 0; j < r.jobs.size(); ++j) {
    const Bench::Job& job = r.jobs[j];
    ASSERT_EQ(r.results[j].size(), job.w->gemms.size());
    for (size_t i = 0; i < job.w->gemms.size(); ++i) {
      const workload::GemmSpec& g = job.w->gemms[i];
      const timing::GemmTiming ref = timing::time_realistic(g, job.arch);
      expect_same_timing(r.results[j][i].timing, ref, label(g, job.config));
      EXPECT_FALSE(r.results[j][i].output_crc.has_value());
      ++gemms;
      tiles += ref.tiles * g.repeat;
    }
  }
  // Every trace on the 32x32 configs, the small ones on the rest, 40 random GEMMs each.
  EXPECT_GT(gemms, 1500);
  EXPECT_GT(tiles, 1000000);
}

TEST(ScRealisticAgreement, CoversStallsAndBothBounds) {
  // The comparison above is only meaningful if the runs include memory stalls and both bounds.
  const Bench& r = bench();
  bool memory = false, compute = false, stalled = false;
  for (const auto& job : r.results) {
    for (const sc::GemmResult& g : job) {
      memory |= g.timing.bound == timing::Bound::kMemory;
      compute |= g.timing.bound == timing::Bound::kCompute;
      stalled |= g.timing.stall_cycles > g.timing.compute_cycles;
    }
  }
  EXPECT_TRUE(memory);
  EXPECT_TRUE(compute);
  EXPECT_TRUE(stalled);
}

TEST(ScRealisticAgreement, CoversNarrowColumnFolds) {
  // Tiles using fewer than C columns have their outputs out earlier (timing::output_latency):
  // the comparison covers them only if some GEMM's last column fold is narrower than the array.
  const Bench& r = bench();
  int64_t narrow = 0;
  for (const Bench::Job& job : r.jobs) {
    for (const workload::GemmSpec& g : job.w->gemms) {
      const timing::TilePlan p = timing::plan_tiles(g, job.arch);
      narrow += p.spatial_cols % job.arch.array.cols != 0 ? 1 : 0;
    }
  }
  EXPECT_GT(narrow, 100);
}

TEST(ScRealisticAgreement, ScratchpadCountsFollowTheTiles) {
  // The ifmap scratchpad counts A elements read by the array (sram_read_a_elems), which the
  // action count ifmap_read_bits prices at A's width. Checked on one int4 GEMM of the default
  // config by an independent sum over the tile list.
  const Bench& r = bench();
  const Bench::Job& job = r.jobs.front();
  const workload::GemmSpec& g = job.w->gemms.front();
  const timing::TilePlan p = timing::plan_tiles(g, job.arch);
  int64_t a_reads = 0, b_reads = 0, out_writes = 0;
  timing::for_each_tile(g, job.arch, p, [&](const timing::Tile& t) {
    a_reads += t.sram_read_a_elems;
    b_reads += t.sram_read_b_elems;
    out_writes += t.sram_write_out_elems;
  });
  const sc::GemmResult& res = r.results.front().front();
  EXPECT_EQ(res.sram_ifmap.reads, a_reads * g.repeat);
  EXPECT_EQ(res.sram_filter.reads, b_reads * g.repeat);
  EXPECT_EQ(res.sram_ofmap.writes, out_writes * g.repeat);
  // The same reads, in bits, are the action counts the energy model prices per buffer.
  const int64_t bits_a = num::format_bits(g.a.format);
  const int64_t bits_b = num::format_bits(g.b.format);
  EXPECT_EQ(res.timing.actions.ifmap_read_bits, a_reads * g.repeat * bits_a);
  EXPECT_EQ(res.timing.actions.filter_read_bits, b_reads * g.repeat * bits_b);
}

TEST(ScRealisticAgreement, SecondCallThrows) {
  bench();
  EXPECT_THROW(sc::run_engine({}), std::logic_error);
}

}  // namespace
}  // namespace nibble
