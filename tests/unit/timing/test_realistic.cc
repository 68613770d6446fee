// Tests of realistic mode (model/timing/realistic.{h,cc}) and of time_gemm's compat mode.
// Every expected number comes from outside the code under test: a second implementation of the
// tiling, reuse rules and per-tile recurrence written here from docs/timing.md ("realistic
// mode"), cases worked out by hand in comments, and invariants that follow from the docs
// (MAC conservation, footprints, scaling with repeat and PE rate, SCALE-Sim's F * P - 1).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "model/frontend/trace.h"
#include "model/numerics/format.h"
#include "model/timing/arch_spec.h"
#include "model/timing/realistic.h"
#include "model/workload/gemm_spec.h"
#include "tests/one_lane_pe.h"

namespace {

using nibble::num::Format;
using nibble::timing::ArchSpec;
using nibble::timing::Bound;
using nibble::timing::Dataflow;
using nibble::timing::GemmTiming;
using nibble::timing::Tile;
using nibble::timing::Tiling;
using nibble::timing::TimingMode;
using nibble::workload::FormatSpec;
using nibble::workload::GemmSpec;

// --- The reference model: docs/timing.md, "realistic mode", transcribed -----------------------

namespace ref {

// "Element widths": int4/uint4/fp4 take 4 bits, fp8 8, fp16 16, fp32 32.
int64_t bits_of(Format f) {
  switch (f) {
    case Format::kInt4:
    case Format::kUint4:
    case Format::kFp4:
      return 4;
    case Format::kFp8E4M3:
    case Format::kFp8E5M2:
      return 8;
    case Format::kFp16:
      return 16;
    case Format::kFp32:
      return 32;
  }
  return 0;
}

bool is_fp8(Format f) { return f == Format::kFp8E4M3 || f == Format::kFp8E5M2; }

// "PE rate": 1 for two 4-bit operands, the fp8 rate when either operand is FP8, the fp16 rate
// when either is FP16.
double rate_of(const GemmSpec& g, const ArchSpec& arch) {
  if (g.a.format == Format::kFp16 || g.b.format == Format::kFp16) {
    return arch.pe.fp16_macs_per_cycle;
  }
  if (is_fp8(g.a.format) || is_fp8(g.b.format)) {
    return arch.pe.fp8_macs_per_cycle;
  }
  return 1.0;
}

// "Accumulators": FP16, or FP32 when an operand is FP16.
int64_t acc_bits(const GemmSpec& g) {
  return g.a.format == Format::kFp16 || g.b.format == Format::kFp16 ? 32 : 16;
}

int64_t to_bytes(int64_t bits) { return (bits + 7) / 8; }

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// "A tile streaming w vectors takes ceil(w / rate) cycles", where "every ceil(x) treats a
// quotient within 1e-9 of an integer as that integer".
int64_t whole_cycles(double x) { return static_cast<int64_t>(std::ceil(x - 1e-9)); }

int64_t stream_cycles(int64_t waves, double rate) {
  return whole_cycles(static_cast<double>(waves) / rate);
}

struct RefTile {
  int64_t ru = 0, cu = 0, waves = 0;
  int64_t load_a = 0, load_b = 0, store = 0;
  bool completes = false;  // its outputs are final: it stores them
};

struct RefTiming {
  int64_t cycles = 0;
  int64_t compute_cycles = 0;
  int64_t dram_busy_cycles = 0;
  int64_t stall_cycles = 0;
  int64_t tiles = 0;
  int64_t macs = 0;
  int64_t dram_read_bytes = 0;
  int64_t dram_write_bytes = 0;
  double utilization = 0;
  Bound bound = Bound::kCompute;
  // Plan facts, for diagnosis and for the invariants.
  int64_t block = 0;
  bool stream_resident = false;
  bool stationary_resident = false;
  int64_t pipeline_latency = 0;
  // "Array schedule": the largest ideal done[i] + lat_out[i], one repeat.
  int64_t array_schedule = 0;
};

struct Geometry {
  int64_t sr = 0, sc = 0, t = 0;  // array rows, array cols, streamed (docs' geometry table)
  int64_t fr = 0, fc = 0;
  int64_t block = 0, blocks = 0;
  bool stream_resident = false;
  bool stationary_resident = false;
};

// block > 0: that streamed block instead of the greedy rule's (the tile mapper's choice, which
// test_mapper.cc checks on its own).
Geometry geometry(const GemmSpec& g, const ArchSpec& arch, int64_t block = 0) {
  const int64_t r = arch.array.rows;
  const int64_t c = arch.array.cols;
  const Dataflow df = arch.array.dataflow;
  Geometry geo;
  if (df == Dataflow::kOs) {
    geo = {g.m, g.n, g.k};
  } else if (df == Dataflow::kWs) {
    geo = {g.k, g.n, g.m};
  } else {
    geo = {g.k, g.m, g.n};
  }
  geo.fr = ceil_div(geo.sr, r);
  geo.fc = ceil_div(geo.sc, c);
  // "Each buffer holds kib * 1024 * 8 bits; with sram.double_buffered only half of it holds
  // the current tile."
  const int64_t halves = arch.sram.double_buffered ? 2 : 1;
  const int64_t ifmap = arch.sram.ifmap_kib * 1024 * 8 / halves;
  const int64_t filter = arch.sram.filter_kib * 1024 * 8 / halves;
  const int64_t ofmap = arch.sram.ofmap_kib * 1024 * 8 / halves;
  const int64_t ba = bits_of(g.a.format);
  const int64_t bb = bits_of(g.b.format);
  const int64_t bacc = acc_bits(g);
  // The tiling table: the largest block b <= T that fits both limits.
  int64_t fit1 = 0, fit2 = 0;
  if (df == Dataflow::kWs) {
    fit1 = ifmap / (std::min(r, g.k) * ba);
    fit2 = ofmap / (std::min(c, g.n) * bacc);
  } else if (df == Dataflow::kIs) {
    fit1 = filter / (std::min(r, g.k) * bb);
    fit2 = ofmap / (std::min(c, g.m) * bacc);
  } else {
    fit1 = ifmap / (std::min(r, g.m) * ba);
    fit2 = filter / (std::min(c, g.n) * bb);
  }
  geo.block = block > 0 ? block : std::max<int64_t>(1, std::min({geo.t, fit1, fit2}));
  geo.blocks = ceil_div(geo.t, geo.block);
  // Reuse: the operand streamed along the column folds (A for ws/os, B for is) is resident when
  // the whole operand fits its buffer; the other operand's slice of one column fold
  // (K x min(C, Sc)) is resident when it fits its buffer.
  if (df == Dataflow::kIs) {
    geo.stream_resident = g.k * g.n * bb <= filter;
    geo.stationary_resident = g.k * std::min(c, geo.sc) * ba <= ifmap;
  } else {
    geo.stream_resident = g.m * g.k * ba <= ifmap;
    geo.stationary_resident = g.k * std::min(c, geo.sc) * bb <= filter;
  }
  return geo;
}

// The tile list in the documented loop order: ws N folds, M blocks, K folds; is M folds,
// N blocks, K folds; os N folds, M folds, K chunks.
std::vector<RefTile> tiles(const GemmSpec& g, const ArchSpec& arch, const Geometry& geo) {
  const int64_t r = arch.array.rows;
  const int64_t c = arch.array.cols;
  const Dataflow df = arch.array.dataflow;
  const int64_t ba = bits_of(g.a.format);
  const int64_t bb = bits_of(g.b.format);
  const int64_t bo = bits_of(g.out.format);
  std::vector<RefTile> out;
  auto waves_of = [&](int64_t blk) { return std::min(geo.block, geo.t - blk * geo.block); };
  for (int64_t fc = 0; fc < geo.fc; ++fc) {
    const int64_t cu = std::min(c, geo.sc - fc * c);
    const bool load_streamed = !(geo.stream_resident && fc > 0);
    if (df == Dataflow::kOs) {
      for (int64_t fr = 0; fr < geo.fr; ++fr) {
        const int64_t ru = std::min(r, geo.sr - fr * r);
        for (int64_t blk = 0; blk < geo.blocks; ++blk) {
          RefTile t{ru, cu, waves_of(blk)};
          // A slice ru x waves streams along the column folds; B slice waves x cu is the
          // column fold's other operand, reloaded for every row fold unless resident.
          t.load_a = load_streamed ? to_bytes(ru * t.waves * ba) : 0;
          t.load_b = !(geo.stationary_resident && fr > 0) ? to_bytes(t.waves * cu * bb) : 0;
          t.completes = blk == geo.blocks - 1;
          t.store = t.completes ? to_bytes(ru * cu * bo) : 0;
          out.push_back(t);
        }
      }
      continue;
    }
    for (int64_t blk = 0; blk < geo.blocks; ++blk) {
      for (int64_t fr = 0; fr < geo.fr; ++fr) {
        const int64_t ru = std::min(r, geo.sr - fr * r);
        RefTile t{ru, cu, waves_of(blk)};
        const bool load_stationary = !(geo.stationary_resident && blk > 0);
        if (df == Dataflow::kWs) {
          // Stationary B tile ru x cu (K x N); A block waves x ru (M x K) streams.
          t.load_a = load_streamed ? to_bytes(t.waves * ru * ba) : 0;
          t.load_b = load_stationary ? to_bytes(ru * cu * bb) : 0;
        } else {
          // Stationary A tile ru x cu (K x M); B block ru x waves (K x N) streams.
          t.load_a = load_stationary ? to_bytes(ru * cu * ba) : 0;
          t.load_b = load_streamed ? to_bytes(ru * t.waves * bb) : 0;
        }
        // Outputs (waves x cu of C) are complete after the last K fold.
        t.completes = fr == geo.fr - 1;
        t.store = t.completes ? to_bytes(t.waves * cu * bo) : 0;
        out.push_back(t);
      }
    }
  }
  return out;
}

// The per-tile recurrence, line by line as docs/timing.md writes it.
struct Channel {
  double bw = 1;
  int64_t lat = 0;
  int64_t free = 0;
  int64_t busy = 0;

  int64_t cycles_for(int64_t bytes) const { return whole_cycles(static_cast<double>(bytes) / bw); }
  // Returns the "done" time; a zero-byte transfer takes no time.
  int64_t transfer(int64_t ready, int64_t bytes, bool read) {
    if (bytes == 0) {
      return ready;
    }
    const int64_t start = std::max(free, ready);
    const int64_t n = cycles_for(bytes);
    free = start + n;
    busy += n;
    return read ? free + lat : free;
  }
};

// "Per-tile recurrence", the array rule: the cycle tile i's first wave enters, from the cycle
// its operands are in SRAM (ld) and the first/done of the tiles before it in the same repeat.
//   ws/is: preload_ready = (i == 0) ? 0 : (double-buffered ? first[i-1] : done[i-1])
//          first[i] = max(max(ld, preload_ready) + R, done[i-1])
//   os:    first[i] = max(ld, done[i-1], completes[i] ? drained + R - W[i] : 0), drained = done
//          of the last earlier tile that completed outputs (no term while there is none)
// with done[-1] = 0 and done[i] = first[i] + W[i].
int64_t first_wave(const ArchSpec& arch, const std::vector<RefTile>& ts,
                   const std::vector<int64_t>& w, int64_t i, int64_t ld,
                   const std::vector<int64_t>& first, const std::vector<int64_t>& done) {
  const int64_t r = arch.array.rows;
  const int64_t done_before = i > 0 ? done[i - 1] : 0;
  if (arch.array.dataflow != Dataflow::kOs) {
    int64_t preload_ready = 0;
    if (i > 0) {
      preload_ready = arch.sram.double_buffered ? first[i - 1] : done[i - 1];
    }
    return std::max(std::max(ld, preload_ready) + r, done_before);
  }
  int64_t f = std::max(ld, done_before);
  if (ts[i].completes) {
    for (int64_t j = i - 1; j >= 0; --j) {
      if (ts[j].completes) {
        f = std::max(f, done[j] + r - w[i]);
        break;
      }
    }
  }
  return f;
}

RefTiming time(const GemmSpec& g, const ArchSpec& arch, std::vector<RefTile>* tile_list,
               int64_t block = 0) {
  const Geometry geo = geometry(g, arch, block);
  const std::vector<RefTile> ts = tiles(g, arch, geo);
  const int64_t r = arch.array.rows;
  const int64_t c = arch.array.cols;
  const bool os = arch.array.dataflow == Dataflow::kOs;
  const bool db = arch.sram.double_buffered;
  const double rate = rate_of(g, arch);
  const int64_t d = db ? 2 : 1;
  const int64_t lat_pipe = os ? 2 * r + c - 2 : r + c - 2;
  // "lat_out[i] = lat_pipe - (C - cu[i])": the tile's last result, from its last used column.
  const auto lat_out = [&](const RefTile& t) { return lat_pipe - (c - t.cu); };
  const auto n = static_cast<int64_t>(ts.size());
  std::vector<int64_t> w(ts.size());
  for (int64_t i = 0; i < n; ++i) {
    w[i] = stream_cycles(ts[i].waves, rate);
  }

  Channel ch{arch.dram.bandwidth_bytes_per_cycle, arch.dram.latency_cycles};
  std::vector<int64_t> loaded(ts.size(), 0), first(ts.size(), 0), done(ts.size(), 0);
  auto load = [&](int64_t j) {
    if (j >= n) {
      return;
    }
    const int64_t ready = j >= d ? done[j - d] : 0;
    loaded[j] = ch.transfer(ready, ts[j].load_a + ts[j].load_b, true);
  };
  for (int64_t j = 0; j < d; ++j) {
    load(j);
  }
  int64_t end = 0, reads = 0, writes = 0, macs = 0;
  for (int64_t i = 0; i < n; ++i) {
    const RefTile& t = ts[i];
    first[i] = first_wave(arch, ts, w, i, loaded[i], first, done);
    done[i] = first[i] + w[i];
    load(i + d);
    const int64_t drained = done[i] + lat_out(t);
    end = std::max({end, ch.transfer(drained, t.store, false), drained});
    reads += t.load_a + t.load_b;
    writes += t.store;
    macs += t.ru * t.cu * t.waves;
  }
  // compute_cycles: the same rule with every loaded[i] = 0, up to the last done. The array
  // schedule: the same rule, until the last result of any tile is out.
  std::vector<int64_t> ideal_first(ts.size(), 0), ideal_done(ts.size(), 0);
  int64_t schedule = 0;
  for (int64_t i = 0; i < n; ++i) {
    ideal_first[i] = first_wave(arch, ts, w, i, 0, ideal_first, ideal_done);
    ideal_done[i] = ideal_first[i] + w[i];
    schedule = std::max(schedule, ideal_done[i] + lat_out(ts[i]));
  }
  const int64_t compute = ideal_done[n - 1];
  RefTiming res;
  res.cycles = end * g.repeat;
  res.compute_cycles = compute * g.repeat;
  res.dram_busy_cycles = ch.busy * g.repeat;
  res.stall_cycles = res.cycles - res.compute_cycles;
  res.tiles = n;
  res.macs = macs * g.repeat;
  res.dram_read_bytes = reads * g.repeat;
  res.dram_write_bytes = writes * g.repeat;
  res.utilization = static_cast<double>(res.macs) /
                    (static_cast<double>(res.cycles) * static_cast<double>(r * c) * rate);
  res.bound = res.dram_busy_cycles > res.compute_cycles ? Bound::kMemory : Bound::kCompute;
  res.block = geo.block;
  res.stream_resident = geo.stream_resident;
  res.stationary_resident = geo.stationary_resident;
  res.pipeline_latency = lat_pipe;
  res.array_schedule = schedule;
  if (tile_list != nullptr) {
    *tile_list = ts;
  }
  return res;
}

// SCALE-Sim's Total Cycles, F * P - 1, from docs/timing.md "compat mode".
int64_t compat_cycles(const GemmSpec& g, const ArchSpec& arch) {
  const int64_t r = arch.array.rows;
  const int64_t c = arch.array.cols;
  int64_t sr = 0, sc = 0, p = 0;
  switch (arch.array.dataflow) {
    case Dataflow::kOs:
      sr = g.m, sc = g.n, p = g.k + r + c - 2;
      break;
    case Dataflow::kWs:
      sr = g.k, sc = g.n, p = 2 * r + c + g.m - 2;
      break;
    case Dataflow::kIs:
      sr = g.k, sc = g.m, p = 2 * r + c + g.n - 2;
      break;
  }
  return ceil_div(sr, r) * ceil_div(sc, c) * p - 1;
}

int64_t compat_folds(const GemmSpec& g, const ArchSpec& arch) {
  const int64_t r = arch.array.rows;
  const int64_t c = arch.array.cols;
  switch (arch.array.dataflow) {
    case Dataflow::kOs:
      return ceil_div(g.m, r) * ceil_div(g.n, c);
    case Dataflow::kWs:
      return ceil_div(g.k, r) * ceil_div(g.n, c);
    case Dataflow::kIs:
      return ceil_div(g.k, r) * ceil_div(g.m, c);
  }
  return 0;
}

}  // namespace ref

// --- Helpers ----------------------------------------------------------------------------------

GemmSpec gemm(int64_t m, int64_t n, int64_t k, Format a = Format::kInt4, Format b = Format::kInt4,
              Format out = Format::kFp16, int64_t repeat = 1) {
  GemmSpec g;
  g.name = "g";
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = FormatSpec{a, 0};
  g.b = FormatSpec{b, 0};
  g.out = FormatSpec{out, 0};
  g.repeat = repeat;
  return g;
}

ArchSpec arch(int64_t r, int64_t c, Dataflow df, double bw, int64_t lat, bool db = true,
              int64_t kib = 1024) {
  ArchSpec a = nibble::test::one_lane_arch();
  a.array.rows = r;
  a.array.cols = c;
  a.array.dataflow = df;
  a.dram.bandwidth_bytes_per_cycle = bw;
  a.dram.latency_cycles = lat;
  a.sram.double_buffered = db;
  a.sram.ifmap_kib = kib;
  a.sram.filter_kib = kib;
  a.sram.ofmap_kib = kib;
  a.mode = TimingMode::kRealistic;
  // The hand derivations below assume the greedy rule; tests that want the mapper say so.
  a.tiling.mode = Tiling::kGreedy;
  return a;
}

std::string describe(const GemmSpec& g, const ArchSpec& a) {
  std::ostringstream os;
  os << "gemm m=" << g.m << " n=" << g.n << " k=" << g.k
     << " a=" << nibble::num::format_name(g.a.format)
     << " b=" << nibble::num::format_name(g.b.format)
     << " out=" << nibble::num::format_name(g.out.format) << " repeat=" << g.repeat << " | array "
     << a.array.rows << "x" << a.array.cols << " "
     << nibble::timing::dataflow_name(a.array.dataflow) << ", sram ifmap/filter/ofmap "
     << a.sram.ifmap_kib << "/" << a.sram.filter_kib << "/" << a.sram.ofmap_kib
     << " KiB, double_buffered=" << a.sram.double_buffered
     << ", dram bw=" << a.dram.bandwidth_bytes_per_cycle << " lat=" << a.dram.latency_cycles
     << ", fp8 rate " << a.pe.fp8_macs_per_cycle << ", fp16 rate " << a.pe.fp16_macs_per_cycle;
  return os.str();
}

// Compares every documented result field; returns the number of mismatching fields.
// With timing.tiling search the reference takes the mapper's block (test_mapper.cc checks the
// choice) and checks the tiles and cycles of that plan; with greedy it derives the block itself.
int64_t mapped_block(const GemmSpec& g, const ArchSpec& a) {
  return a.tiling.mode == Tiling::kSearch ? nibble::timing::plan_tiles(g, a).block : 0;
}

int expect_matches_reference(const GemmSpec& g, const ArchSpec& a) {
  const ref::RefTiming want = ref::time(g, a, nullptr, mapped_block(g, a));
  const GemmTiming got = nibble::timing::time_realistic(g, a);
  const std::string where = describe(g, a);
  int bad = 0;
  auto check = [&](const char* field, int64_t w, int64_t v) {
    if (w != v) {
      ++bad;
      ADD_FAILURE() << field << ": reference " << w << ", code " << v << "\n  " << where;
    }
  };
  check("cycles", want.cycles, got.cycles);
  check("compute_cycles", want.compute_cycles, got.compute_cycles);
  check("stall_cycles", want.stall_cycles, got.stall_cycles);
  check("dram_busy_cycles", want.dram_busy_cycles, got.dram_busy_cycles);
  check("tiles", want.tiles, got.tiles);
  check("macs", want.macs, got.macs);
  check("dram_read_bytes", want.dram_read_bytes, got.dram_read_bytes);
  check("dram_write_bytes", want.dram_write_bytes, got.dram_write_bytes);
  check("bound", static_cast<int64_t>(want.bound), static_cast<int64_t>(got.bound));
  check("array_schedule_cycles", want.array_schedule, nibble::timing::array_schedule_cycles(g, a));
  if (std::abs(want.utilization - got.utilization) > 1e-12 * want.utilization) {
    ++bad;
    ADD_FAILURE() << "utilization: reference " << want.utilization << ", code " << got.utilization
                  << "\n  " << where;
  }
  return bad;
}

// --- The reference model on random GEMMs --------------------------------------------------------

// The operand pairs the array multiplies (gemm_spec.h, operand_pair_error): 4-bit pairs except
// fp4 x fp4, fp8 x fp8 in any mix, fp16 x fp16.
const std::pair<Format, Format> kPairs[] = {
    {Format::kInt4, Format::kInt4},       {Format::kUint4, Format::kInt4},
    {Format::kFp4, Format::kInt4},        {Format::kUint4, Format::kFp4},
    {Format::kInt4, Format::kUint4},      {Format::kFp8E4M3, Format::kFp8E4M3},
    {Format::kFp8E5M2, Format::kFp8E4M3}, {Format::kFp8E4M3, Format::kFp8E5M2},
    {Format::kFp16, Format::kFp16},       {Format::kFp16, Format::kFp16},
};
const Format kOutFormats[] = {Format::kFp16, Format::kFp32, Format::kInt4, Format::kFp8E4M3,
                              Format::kUint4};

TEST(RealisticReference, RandomGemmsMatchTheDocumentedModel) {
  std::mt19937_64 rng(20240607);
  auto uni = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  // Dimensions log-uniform in [1, 3000] so that edge sizes (1, just above R) are common.
  auto dim = [&]() {
    const double x = std::uniform_real_distribution<double>(0, std::log(3001.0))(rng);
    return std::clamp<int64_t>(static_cast<int64_t>(std::exp(x)), 1, 3000);
  };
  const int64_t kib_choices[] = {1, 2, 4, 8, 16, 64, 256, 1024, 65536};
  const double rates[] = {1.0, 0.5, 0.25, 0.125, 0.3, 0.7};
  const Dataflow flows[] = {Dataflow::kOs, Dataflow::kWs, Dataflow::kIs};
  constexpr int kCases = 600;
  constexpr int64_t kMaxTiles = 200000;  // keeps the run short; rejected draws are redrawn
  int done = 0, failures = 0, skipped = 0;
  int per_flow[3] = {0, 0, 0};
  int memory_bound = 0, multi_block = 0, stream_res = 0, not_stream_res = 0, stat_res = 0,
      not_stat_res = 0;
  while (done < kCases && failures < 5) {
    const auto& pair = kPairs[uni(0, std::size(kPairs) - 1)];
    GemmSpec g = gemm(dim(), dim(), dim(), pair.first, pair.second,
                      kOutFormats[uni(0, std::size(kOutFormats) - 1)], uni(1, 3));
    const Dataflow df = flows[done % 3];
    ArchSpec a = arch(uni(1, 40), uni(1, 40), df, 0, uni(0, 500), uni(0, 1) == 1);
    // Bandwidth log-uniform in [0.5, 512], sometimes a round power of two.
    const double bw =
        std::exp(std::uniform_real_distribution<double>(std::log(0.5), std::log(512.0))(rng));
    a.dram.bandwidth_bytes_per_cycle = uni(0, 3) == 0 ? std::exp2(std::round(std::log2(bw))) : bw;
    a.sram.ifmap_kib = kib_choices[uni(0, std::size(kib_choices) - 1)];
    a.sram.filter_kib = kib_choices[uni(0, std::size(kib_choices) - 1)];
    a.sram.ofmap_kib = kib_choices[uni(0, std::size(kib_choices) - 1)];
    a.pe.fp8_macs_per_cycle = rates[uni(0, std::size(rates) - 1)];
    a.pe.fp16_macs_per_cycle = rates[uni(0, std::size(rates) - 1)];
    a.tiling.mode = done % 2 == 0 ? Tiling::kGreedy : Tiling::kSearch;
    if (ref::geometry(g, a).fr * ref::geometry(g, a).fc > kMaxTiles) {
      ++skipped;
      continue;
    }
    const ref::Geometry geo = ref::geometry(g, a, mapped_block(g, a));
    if (geo.fr * geo.fc * geo.blocks > kMaxTiles) {
      ++skipped;
      continue;
    }
    const ref::RefTiming want = ref::time(g, a, nullptr, mapped_block(g, a));
    failures += expect_matches_reference(g, a) > 0 ? 1 : 0;
    ++done;
    ++per_flow[static_cast<int>(df)];
    memory_bound += want.bound == Bound::kMemory ? 1 : 0;
    multi_block += geo.blocks > 1 ? 1 : 0;
    (geo.stream_resident ? stream_res : not_stream_res) += 1;
    (geo.stationary_resident ? stat_res : not_stat_res) += 1;
  }
  EXPECT_EQ(failures, 0) << "stopped after 5 mismatching GEMMs";
  EXPECT_GE(done, 300);
  // The draw reaches every branch of the model.
  for (int f : per_flow) {
    EXPECT_GE(f, 100);
  }
  EXPECT_GE(memory_bound, 30);
  EXPECT_LE(memory_bound, done - 30);
  EXPECT_GE(multi_block, 30);
  EXPECT_GE(std::min({stream_res, not_stream_res, stat_res, not_stat_res}), 30);
  std::cout << "compared " << done << " GEMMs (" << skipped << " draws over " << kMaxTiles
            << " tiles redrawn); memory-bound " << memory_bound << ", several blocks "
            << multi_block << ", stream resident " << stream_res << "/" << done
            << ", stationary resident " << stat_res << "/" << done << "\n";
}

// The tile list itself: for_each_tile yields the documented tiles in the documented order.
TEST(RealisticReference, TileListMatchesTheDocumentedTiling) {
  std::mt19937_64 rng(7);
  auto uni = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const int64_t kib_choices[] = {1, 2, 8, 64, 1024};
  for (int i = 0; i < 300; ++i) {
    const auto& pair = kPairs[uni(0, std::size(kPairs) - 1)];
    GemmSpec g = gemm(uni(1, 300), uni(1, 300), uni(1, 300), pair.first, pair.second,
                      kOutFormats[uni(0, std::size(kOutFormats) - 1)]);
    const auto df = static_cast<Dataflow>(i % 3);
    ArchSpec a = arch(uni(1, 40), uni(1, 40), df, 8, 10, uni(0, 1) == 1);
    a.sram.ifmap_kib = kib_choices[uni(0, std::size(kib_choices) - 1)];
    a.sram.filter_kib = kib_choices[uni(0, std::size(kib_choices) - 1)];
    a.sram.ofmap_kib = kib_choices[uni(0, std::size(kib_choices) - 1)];
    a.tiling.mode = i % 2 == 0 ? Tiling::kGreedy : Tiling::kSearch;
    std::vector<ref::RefTile> want;
    ref::time(g, a, &want, mapped_block(g, a));
    std::vector<Tile> got;
    const auto plan = nibble::timing::plan_tiles(g, a);
    nibble::timing::for_each_tile(g, a, plan, [&](const Tile& t) { got.push_back(t); });
    const std::string where = describe(g, a);
    ASSERT_EQ(got.size(), want.size()) << where;
    for (size_t j = 0; j < got.size(); ++j) {
      const ref::RefTile& w = want[j];
      const Tile& t = got[j];
      ASSERT_TRUE(t.rows_used == w.ru && t.cols_used == w.cu && t.waves == w.waves &&
                  t.load_a_bytes == w.load_a && t.load_b_bytes == w.load_b &&
                  t.store_bytes == w.store)
          << "tile " << j << ": reference ru=" << w.ru << " cu=" << w.cu << " waves=" << w.waves
          << " load_a=" << w.load_a << " load_b=" << w.load_b << " store=" << w.store
          << "; code ru=" << t.rows_used << " cu=" << t.cols_used << " waves=" << t.waves
          << " load_a=" << t.load_a_bytes << " load_b=" << t.load_b_bytes
          << " store=" << t.store_bytes << "\n  " << where;
      ASSERT_EQ(t.macs, w.ru * w.cu * w.waves) << where;
    }
  }
}

// Every GEMM of the shipped traces, on the default config and on a small, slow machine.
TEST(RealisticReference, ShippedTracesMatchTheDocumentedModel) {
  ArchSpec small = arch(16, 8, Dataflow::kOs, 4, 300, true, 16);
  ArchSpec is_arch = arch(32, 32, Dataflow::kIs, 16, 100, false, 64);
  int compared = 0;
  for (const char* name : {"example.trace", "alexnet_train_b32.trace", "resnet18_train_b32.trace",
                           "resnet50_train_b32.trace", "bert_base_train_s128.trace"}) {
    const auto w =
        nibble::frontend::read_trace_file(std::string(NIBBLE_SOURCE_DIR) + "/traces/" + name);
    for (const GemmSpec& g : w.gemms) {
      for (const ArchSpec& a : {nibble::test::one_lane_arch(), small, is_arch}) {
        ASSERT_EQ(expect_matches_reference(g, a), 0) << name << " " << g.name;
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 300);
}

// An array so large that not even one streamed vector fits half a 1 KiB buffer. The docs leave
// this case open ("largest block that fits"); the reference assumes blocks of one vector.
TEST(RealisticReference, BufferSmallerThanOneVector) {
  for (Dataflow df : {Dataflow::kOs, Dataflow::kWs, Dataflow::kIs}) {
    for (bool db : {true, false}) {
      const ArchSpec a = arch(300, 300, df, 8, 20, db, 1);
      const GemmSpec g = gemm(700, 650, 600, Format::kFp16, Format::kFp16, Format::kFp32);
      EXPECT_EQ(ref::geometry(g, a).block, 1);
      EXPECT_EQ(expect_matches_reference(g, a), 0);
    }
  }
}

// --- Hand-worked cases ------------------------------------------------------------------------

TEST(RealisticByHand, OsOneTileTwoByTwo) {
  // os, R = C = 2, M = N = K = 2, int4 x int4 -> fp16, 1 byte/cycle, latency 10.
  // One fold (Sr = M = 2, Sc = N = 2), one K chunk of 2: one tile, ru = cu = 2, waves = 2,
  // 8 MACs. Loads: A 2x2 int4 = 16 bits = 2 bytes, B 2x2 int4 = 2 bytes, 4 bytes together.
  // Store: C 2x2 fp16 = 8 bytes. lat_pipe = 2R + C - 2 = 4; no preload (os).
  //   load(0): start 0, channel free at 4, loaded = 4 + 10 = 14.
  //   tile 0: first = loaded = 14 (no drain before it to wait for), done 14 + 2 = 16.
  //   store: ready 16 + 4 = 20, channel free at 20 + 8 = 28; end = max(28, 20) = 28.
  // compute: the same rule with loaded = 0: first 0, done 2.
  // cycles 28, compute 2, stall 26, DRAM busy 4 + 8 = 12 > 2: memory-bound;
  // utilization 8 / (28 * 4) = 1/14.
  const GemmTiming t =
      nibble::timing::time_realistic(gemm(2, 2, 2), arch(2, 2, Dataflow::kOs, 1.0, 10));
  EXPECT_EQ(t.cycles, 28);
  EXPECT_EQ(t.compute_cycles, 2);
  EXPECT_EQ(t.stall_cycles, 26);
  EXPECT_EQ(t.dram_busy_cycles, 12);
  EXPECT_EQ(t.tiles, 1);
  EXPECT_EQ(t.macs, 8);
  EXPECT_EQ(t.dram_read_bytes, 4);
  EXPECT_EQ(t.dram_write_bytes, 8);
  EXPECT_EQ(t.bound, Bound::kMemory);
  EXPECT_DOUBLE_EQ(t.utilization, 1.0 / 14.0);
}

TEST(RealisticByHand, WsTwoRowFoldsDoubleBuffered) {
  // ws, R = C = 2, M = 3, N = 2, K = 4, int4, 2 bytes/cycle, latency 5, double-buffered.
  // Sr = K = 4 (2 row folds), Sc = N = 2 (1 col fold), T = M = 3 in one block: 2 tiles,
  // ru = cu = 2, waves = 3, 12 MACs each. Each loads A 3x2 int4 = 3 bytes and B 2x2 int4 =
  // 2 bytes: 5 bytes, ceil(5/2) = 3 cycles. Only tile 1 (last K fold) stores C 3x2 fp16 =
  // 12 bytes, 6 cycles. W = 3 per tile, R = 2; lat_pipe = R + C - 2 = 2.
  //   load(0): channel 0..3, loaded 8.   load(1): channel 3..6, loaded 11.
  //   tile 0: first = max(8, 0) + 2 = 10, done 10 + 3 = 13; no store, end = 13 + 2 = 15.
  //   tile 1: preload from max(11, first[0] = 10) = 11, first = max(11 + 2, done[0] = 13) = 13,
  //           done 16; store ready 18, channel 18..24; end 24.
  // compute, loaded = 0: first 2, done 5; first max(max(0, 2) + 2, 5) = 5, done 8 (W >= R: the
  // second preload hides behind tile 0's waves).
  // cycles 24, compute 8, DRAM busy 3 + 3 + 6 = 12 > 8: memory-bound;
  // utilization 24 / (24 * 4) = 0.25.
  const GemmTiming t =
      nibble::timing::time_realistic(gemm(3, 2, 4), arch(2, 2, Dataflow::kWs, 2.0, 5));
  EXPECT_EQ(t.cycles, 24);
  EXPECT_EQ(t.compute_cycles, 8);
  EXPECT_EQ(t.stall_cycles, 16);
  EXPECT_EQ(t.dram_busy_cycles, 12);
  EXPECT_EQ(t.tiles, 2);
  EXPECT_EQ(t.macs, 24);
  EXPECT_EQ(t.dram_read_bytes, 10);
  EXPECT_EQ(t.dram_write_bytes, 12);
  EXPECT_EQ(t.bound, Bound::kMemory);
  EXPECT_DOUBLE_EQ(t.utilization, 0.25);
}

TEST(RealisticByHand, WsFp8SingleBufferedRepeated) {
  // ws, R = C = 2, M = N = K = 2, fp8_e4m3 x fp8_e5m2 -> fp16, fp8 rate 0.5, 4 bytes/cycle,
  // latency 3, single-buffered (D = 1), repeat 2.
  // One tile: ru = cu = 2, waves = 2, W = ceil(2 / 0.5) = 4; compute = first 2 + W = 6.
  // Loads: A 2x2 fp8 = 4 bytes + B 2x2 fp8 = 4 bytes = 8 bytes, 2 cycles.
  // Store: C 2x2 fp16 = 8 bytes, 2 cycles. lat_pipe = 2.
  //   load(0): channel 0..2, loaded 5.  tile 0: first 5 + 2 = 7, done 7 + 4 = 11.
  //   store: ready 13, channel 13..15; end 15.
  // Per repeat 15 cycles; 2 repeats: 30 cycles, compute 12, DRAM busy 8 <= 12: compute-bound.
  // utilization 16 / (30 * 4 * 0.5) = 16 / 60.
  ArchSpec a = arch(2, 2, Dataflow::kWs, 4.0, 3, false);
  a.pe.fp8_macs_per_cycle = 0.5;
  const GemmTiming t = nibble::timing::time_realistic(
      gemm(2, 2, 2, Format::kFp8E4M3, Format::kFp8E5M2, Format::kFp16, 2), a);
  EXPECT_EQ(t.cycles, 30);
  EXPECT_EQ(t.compute_cycles, 12);
  EXPECT_EQ(t.stall_cycles, 18);
  EXPECT_EQ(t.dram_busy_cycles, 8);
  EXPECT_EQ(t.tiles, 1);
  EXPECT_EQ(t.macs, 16);
  EXPECT_EQ(t.dram_read_bytes, 16);
  EXPECT_EQ(t.dram_write_bytes, 16);
  EXPECT_EQ(t.bound, Bound::kCompute);
  EXPECT_DOUBLE_EQ(t.utilization, 16.0 / 60.0);
}

// Tiles shorter than the preload: 4 x 4 array, M = 2 (2 waves, W = 2 < R = 4), K = 12 in three
// K folds. The shared shape: Sr = K = 12 (3 row folds), Sc = N = 4 (1 col fold), T = M = 2 in
// one block (1024 KiB buffers). 3 tiles, ru = cu = 4, 32 MACs each, 96 in all. Each tile loads
// its streamed A block 2x4 int4 = 4 bytes and its stationary B tile 4x4 int4 = 8 bytes:
// 12 bytes (one block, so nothing is resident across blocks). The last K fold stores C 2x4
// fp16 = 16 bytes. lat_pipe = R + C - 2 = 6.
TEST(RealisticByHand, WsShortTilesWaitForThePreload) {
  // ws, double-buffered (D = 2), 12 bytes/cycle (a load 1 cycle, the store 2), latency 0.
  //   load(0): channel 0..1, loaded 1.   load(1): channel 1..2, loaded 2.
  //   tile 0: first = max(1, 0) + 4 = 5, done 7. load(2) ready 7: channel 7..8, loaded 8.
  //           end 7 + 6 = 13.
  //   tile 1: preload from max(loaded 2, first[0] = 5) = 5, first = max(5 + 4, done[0] = 7) = 9,
  //           done 11; end 17.
  //   tile 2: preload from max(8, first[1] = 9) = 9, first = max(13, 11) = 13, done 15;
  //           store ready 21, channel 21..23; end 23.
  // compute, loaded = 0: first 4, done 6; first max(4 + 4, 6) = 8, done 10; first
  // max(8 + 4, 10) = 12, done 14. The preloads, not the 2-wave tiles, pace the array: 14, where
  // the old back-to-back rule gave 4 + 3 * 2 = 10.
  // cycles 23, compute 14, stall 9, DRAM busy 1 + 1 + 1 + 2 = 5 <= 14: compute-bound;
  // utilization 96 / (23 * 16) = 6/23.
  const GemmSpec g = gemm(2, 4, 12);
  const ArchSpec a = arch(4, 4, Dataflow::kWs, 12.0, 0);
  const GemmTiming t = nibble::timing::time_realistic(g, a);
  EXPECT_EQ(t.cycles, 23);
  EXPECT_EQ(t.compute_cycles, 14);
  EXPECT_EQ(t.stall_cycles, 9);
  EXPECT_EQ(t.dram_busy_cycles, 5);
  EXPECT_EQ(t.tiles, 3);
  EXPECT_EQ(t.macs, 96);
  EXPECT_EQ(t.dram_read_bytes, 36);
  EXPECT_EQ(t.dram_write_bytes, 16);
  EXPECT_EQ(t.bound, Bound::kCompute);
  EXPECT_DOUBLE_EQ(t.utilization, 6.0 / 23.0);
  // The array schedule: compute 14 + lat_pipe 6.
  EXPECT_EQ(nibble::timing::array_schedule_cycles(g, a), 20);
}

TEST(RealisticByHand, IsShortTilesWaitForLateOperands) {
  // is, the same geometry with A and B swapped: M = 4 on the array columns, N = 2 streamed
  // (W = 2 < R = 4), K = 12 in three K folds. Each tile loads its stationary A tile 4x4 int4
  // = 8 bytes and its streamed B block 4x2 int4 = 4 bytes: 12 bytes; the last stores C 4x2
  // fp16 = 16 bytes. Double-buffered, 4 bytes/cycle (a load 3 cycles, the store 4), latency 2.
  //   load(0): channel 0..3, loaded 5.   load(1): channel 3..6, loaded 8.
  //   tile 0: first = max(5, 0) + 4 = 9, done 11. load(2) ready 11: channel 11..14, loaded 16.
  //           end 11 + 6 = 17.
  //   tile 1: preload from max(8, first[0] = 9) = 9, first = max(13, 11) = 13, done 15; end 21.
  //   tile 2: preload from max(loaded 16, first[1] = 13) = 16: the operands are late, and the
  //           preload still takes its R cycles after them: first = max(20, 15) = 20, done 22;
  //           store ready 28, channel 28..32; end 32.
  // compute, loaded = 0: 14, as for ws above.
  // cycles 32, compute 14, stall 18, DRAM busy 3 + 3 + 3 + 4 = 13 <= 14: compute-bound;
  // utilization 96 / (32 * 16) = 0.1875.
  const GemmSpec g = gemm(4, 2, 12);
  const ArchSpec a = arch(4, 4, Dataflow::kIs, 4.0, 2);
  const GemmTiming t = nibble::timing::time_realistic(g, a);
  EXPECT_EQ(t.cycles, 32);
  EXPECT_EQ(t.compute_cycles, 14);
  EXPECT_EQ(t.stall_cycles, 18);
  EXPECT_EQ(t.dram_busy_cycles, 13);
  EXPECT_EQ(t.tiles, 3);
  EXPECT_EQ(t.macs, 96);
  EXPECT_EQ(t.dram_read_bytes, 36);
  EXPECT_EQ(t.dram_write_bytes, 16);
  EXPECT_EQ(t.bound, Bound::kCompute);
  EXPECT_DOUBLE_EQ(t.utilization, 0.1875);
  EXPECT_EQ(nibble::timing::array_schedule_cycles(g, a), 20);
}

TEST(RealisticByHand, OsOneWaveTilesWaitForTheDrain) {
  // os, 4 x 4, M = 12, N = 4, K = 1, int4 -> fp16, double-buffered, 64 bytes/cycle (every
  // transfer here 1 cycle), latency 0. Sr = M = 12 (3 row folds), Sc = N = 4 (1 col fold),
  // T = K = 1: one K chunk per output tile, so each of the 3 tiles (ru = cu = 4, 16 MACs) has
  // W = 1 < R = 4 and completes its outputs. Loads: A 4x1 int4 = 2 bytes; B 1x4 int4 = 2 bytes,
  // only for the first row fold (B's K x min(C, N) slice, 16 bits, is resident). Store: C 4x4
  // fp16 = 32 bytes per tile. lat_pipe = 2R + C - 2 = 10.
  //   load(0): channel 0..1, loaded 1.   load(1): channel 1..2, loaded 2.
  //   tile 0: first = max(1, 0) = 1 (no earlier drain), done 2, drained = 2.
  //           load(2) ready 2: channel 2..3, loaded 3. Store ready 12, channel 12..13; end 13.
  //   tile 1: first = max(2, done[0] = 2, drained + R - W = 2 + 4 - 1 = 5) = 5, done 6,
  //           drained = 6. Store ready 16, channel 16..17; end 17.
  //   tile 2: first = max(3, 6, 6 + 3 = 9) = 9, done 10. Store ready 20, channel 20..21; end 21.
  // compute, loaded = 0: first 0, done 1; first max(1, 1 + 3) = 4, done 5; first
  // max(5, 5 + 3) = 8, done 9. Each drain takes R = 4 cycles: 9, where the old rule gave 3.
  // cycles 21, compute 9, stall 12, DRAM busy 1 + 1 + 1 + 3 = 6 <= 9: compute-bound;
  // utilization 48 / (21 * 16) = 1/7.
  const GemmSpec g = gemm(12, 4, 1);
  const ArchSpec a = arch(4, 4, Dataflow::kOs, 64.0, 0);
  const GemmTiming t = nibble::timing::time_realistic(g, a);
  EXPECT_EQ(t.cycles, 21);
  EXPECT_EQ(t.compute_cycles, 9);
  EXPECT_EQ(t.stall_cycles, 12);
  EXPECT_EQ(t.dram_busy_cycles, 6);
  EXPECT_EQ(t.tiles, 3);
  EXPECT_EQ(t.macs, 48);
  EXPECT_EQ(t.dram_read_bytes, 8);
  EXPECT_EQ(t.dram_write_bytes, 96);
  EXPECT_EQ(t.bound, Bound::kCompute);
  EXPECT_DOUBLE_EQ(t.utilization, 1.0 / 7.0);
  // The array schedule: compute 9 + lat_pipe 10.
  EXPECT_EQ(nibble::timing::array_schedule_cycles(g, a), 19);
}

TEST(RealisticByHand, SingleBufferedShortTilesAsBefore) {
  // The ws GEMM of WsShortTilesWaitForThePreload, not double-buffered (D = 1): each preload
  // waits for the previous tile's done, so first = max(loaded, done[i-1]) + R, the rule before
  // the shadow-register constraint. 12 bytes/cycle, latency 0, lat_pipe 6.
  //   load(0): channel 0..1, loaded 1.
  //   tile 0: first = 1 + 4 = 5, done 7. load(1) ready 7: channel 7..8, loaded 8. end 13.
  //   tile 1: first = max(8, 7) + 4 = 12, done 14. load(2) ready 14: channel 14..15, loaded 15.
  //           end 20.
  //   tile 2: first = max(15, 14) + 4 = 19, done 21; store ready 27, channel 27..29; end 29.
  // compute, loaded = 0: 3 * (4 + 2) = 18 (done 6, 12, 18).
  // cycles 29, compute 18, stall 11, DRAM busy 5 <= 18: compute-bound;
  // utilization 96 / (29 * 16) = 6/29.
  const GemmSpec g = gemm(2, 4, 12);
  const ArchSpec a = arch(4, 4, Dataflow::kWs, 12.0, 0, false);
  const GemmTiming t = nibble::timing::time_realistic(g, a);
  EXPECT_EQ(t.cycles, 29);
  EXPECT_EQ(t.compute_cycles, 18);
  EXPECT_EQ(t.stall_cycles, 11);
  EXPECT_EQ(t.dram_busy_cycles, 5);
  EXPECT_EQ(t.tiles, 3);
  EXPECT_EQ(t.dram_read_bytes, 36);
  EXPECT_EQ(t.dram_write_bytes, 16);
  EXPECT_EQ(t.bound, Bound::kCompute);
  EXPECT_DOUBLE_EQ(t.utilization, 6.0 / 29.0);
  EXPECT_EQ(nibble::timing::array_schedule_cycles(g, a), 24);
}

TEST(RealisticByHand, ArrayScheduleIgnoresMemory) {
  // ws, 4 x 4, double-buffered, M = 5, N = 8, K = 8: 2 col folds x 2 row folds = 4 tiles of
  // W = 5 >= R = 4. Loaded = 0: first 4, done 9; first max(4 + 4, 9) = 9, done 14; then 19,
  // 24: the old R + 4 * W = 24. Plus lat_pipe 6: 30, whatever the DRAM.
  for (const double bw : {0.01, 1.0, 1e6}) {
    for (const int64_t lat : {0, 1000}) {
      EXPECT_EQ(
          nibble::timing::array_schedule_cycles(gemm(5, 8, 8), arch(4, 4, Dataflow::kWs, bw, lat)),
          30);
    }
  }
  // os, 4 x 4, M = 8, N = 8, K = 4 in one chunk: 4 output tiles of W = 4 = R, each drain R
  // after the last: first 0, 4, 8, 12 (max(done, drained + R - W) = done): 16, plus
  // lat_pipe 2R + C - 2 = 10: 26.
  EXPECT_EQ(nibble::timing::array_schedule_cycles(gemm(8, 8, 4), arch(4, 4, Dataflow::kOs, 1, 9)),
            26);
  // The 2 x 2 ws GEMM of WsTwoRowFoldsDoubleBuffered: compute 8 + lat_pipe 2 = 10, repeat or
  // not (one repeat's cycles).
  EXPECT_EQ(nibble::timing::array_schedule_cycles(
                gemm(3, 2, 4, Format::kInt4, Format::kInt4, Format::kFp16, 3),
                arch(2, 2, Dataflow::kWs, 2.0, 5)),
            10);
}

// Lanes (docs/timing.md, "Lanes"): a PE row holds L consecutive k (ws/is), an os wave brings L.
TEST(RealisticByHand, LanesFoldKIntoFewerRowsOrWaves) {
  const auto with_lanes = [](ArchSpec a, int64_t lanes) {
    a.pe.lanes = lanes;
    return a;
  };
  const ArchSpec ws = arch(4, 4, Dataflow::kWs, 1e6, 0);
  // ws, 4 x 4, M = 10, N = 4, K = 16. L = 1: 4 row folds of W = 10 >= R: first 4, done 14;
  // then 24, 34, 44; plus lat_pipe R + C - 2 = 6: 50. L = 2: K is 8 chunks, 2 row folds of 4
  // PE rows (8 k each): done 14, 24: 30. L = 16: one PE row holds all of K: done 14: 20.
  EXPECT_EQ(nibble::timing::array_schedule_cycles(gemm(10, 4, 16), with_lanes(ws, 1)), 50);
  EXPECT_EQ(nibble::timing::array_schedule_cycles(gemm(10, 4, 16), with_lanes(ws, 2)), 30);
  EXPECT_EQ(nibble::timing::array_schedule_cycles(gemm(10, 4, 16), with_lanes(ws, 16)), 20);
  // The L = 2 tiles: k ranges [0, 8) and [8, 16), 4 PE rows, 10 x 4 x 8 = 320 MACs in 4 x 4 x 10
  // = 160 PE-steps (320 / L) each; A streams 10 x 8 int4 = 40 bytes, B 8 x 4 int4 = 16 bytes; the
  // preload moves 4 columns x 2 lanes x (1 + 2 + 3 + 4) hops = 80 element hops.
  const GemmSpec g = gemm(10, 4, 16);
  const ArchSpec a2 = with_lanes(ws, 2);
  std::vector<Tile> tiles;
  nibble::timing::for_each_tile(g, a2, nibble::timing::plan_tiles(g, a2),
                                [&](const Tile& t) { tiles.push_back(t); });
  ASSERT_EQ(tiles.size(), 2U);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(tiles[i].k0, int64_t(8 * i));
    EXPECT_EQ(tiles[i].k_len, 8);
    EXPECT_EQ(tiles[i].rows_used, 4);
    EXPECT_EQ(tiles[i].macs, 320);
    EXPECT_EQ(tiles[i].pe_steps, 160);
    EXPECT_EQ(tiles[i].load_a_bytes, 40);
    EXPECT_EQ(tiles[i].load_b_bytes, 16);
    EXPECT_EQ(tiles[i].preload_move_elems, 80);
  }
  // K = 13 with L = 4: 4 chunks (4, 4, 4, 1) in one fold of 4 PE rows; the last row holds one
  // k, so the preload moves 4 x (4 x (1 + 2 + 3) + 1 x 4) = 112 element hops.
  const GemmSpec g13 = gemm(10, 4, 13);
  const ArchSpec a4 = with_lanes(ws, 4);
  tiles.clear();
  nibble::timing::for_each_tile(g13, a4, nibble::timing::plan_tiles(g13, a4),
                                [&](const Tile& t) { tiles.push_back(t); });
  ASSERT_EQ(tiles.size(), 1U);
  EXPECT_EQ(tiles[0].k_len, 13);
  EXPECT_EQ(tiles[0].macs, 10 * 4 * 13);
  EXPECT_EQ(tiles[0].preload_move_elems, 112);
  // os, 4 x 4, M = N = 4, K = 16: L = 1 streams 16 waves, done 16, plus lat_pipe 2R + C - 2 =
  // 10: 26; L = 4 streams 4 chunks: 4 + 10 = 14.
  const ArchSpec os = arch(4, 4, Dataflow::kOs, 1e6, 0);
  EXPECT_EQ(nibble::timing::array_schedule_cycles(gemm(4, 4, 16), with_lanes(os, 1)), 26);
  EXPECT_EQ(nibble::timing::array_schedule_cycles(gemm(4, 4, 16), with_lanes(os, 4)), 14);
  // The whole GEMM: all MACs counted, one accumulator add per PE-step (a chunk of 4), the
  // utilization against L MACs per PE-cycle: 256 / (cycles * 16 * 4).
  const GemmTiming t4 = nibble::timing::time_realistic(gemm(4, 4, 16), with_lanes(os, 4));
  EXPECT_EQ(t4.macs, 256);
  EXPECT_EQ(t4.actions.acc_adds_fp16, 64);
  EXPECT_EQ(t4.macs_per_cycle, 4.0);
  EXPECT_DOUBLE_EQ(t4.utilization, 256.0 / (double(t4.cycles) * 64));
  // Compat mode has no lanes.
  ArchSpec compat = with_lanes(os, 2);
  compat.mode = TimingMode::kCompat;
  EXPECT_THROW(nibble::timing::time_gemm(gemm(4, 4, 16), compat), std::invalid_argument);
}

// A tile using fewer than C columns has its last result out C - cu cycles before lat_pipe:
// lat_out = lat_pipe - (C - cu) (docs/timing.md, "Per-tile recurrence"). The cases above use
// every column of every tile, so there lat_out = lat_pipe.
TEST(RealisticByHand, NarrowTileOutputsLeaveEarlier) {
  // ws, 2 x 8, M = 1, N = 9, K = 2, int4 -> fp16, double-buffered, 64 bytes/cycle (every
  // transfer here 1 cycle), latency 0. Sr = K = 2 (1 row fold), Sc = N = 9: column folds of
  // cu = 8 and cu = 1, T = M = 1: 2 tiles of W = 1, each completing its outputs.
  // lat_pipe = R + C - 2 = 8; lat_out = 8 (tile 0), 8 - 7 = 1 (tile 1).
  // Tile 0 loads A 1x2 int4 = 1 byte and B 2x8 int4 = 8 bytes, stores C 1x8 fp16 = 16 bytes.
  // Tile 1: A is resident (1 byte fits), B 2x1 int4 = 1 byte; stores C 1x1 fp16 = 2 bytes.
  //   load(0): channel 0..1, loaded 1.   load(1): channel 1..2, loaded 2.
  //   tile 0: first = max(1, 0) + 2 = 3, done 4; store ready 4 + 8 = 12, channel 12..13; end 13.
  //   tile 1: preload from max(2, first[0] = 3) = 3, first = max(3 + 2, 4) = 5, done 6; its
  //           outputs are out at 6 + 1 = 7, but the channel is busy with S(0) until 13:
  //           channel 13..14; end 14 (with lat_pipe for both it would be 15).
  // compute, loaded = 0: first 2, done 3; first max(2 + 2, 3) = 4, done 5.
  // cycles 14, compute 5, stall 9, DRAM busy 4 <= 5: compute-bound; 18 MACs;
  // utilization 18 / (14 * 16) = 9/112.
  const GemmSpec g = gemm(1, 9, 2);
  const ArchSpec a = arch(2, 8, Dataflow::kWs, 64.0, 0);
  const GemmTiming t = nibble::timing::time_realistic(g, a);
  EXPECT_EQ(t.cycles, 14);
  EXPECT_EQ(t.compute_cycles, 5);
  EXPECT_EQ(t.stall_cycles, 9);
  EXPECT_EQ(t.dram_busy_cycles, 4);
  EXPECT_EQ(t.tiles, 2);
  EXPECT_EQ(t.macs, 18);
  EXPECT_EQ(t.dram_read_bytes, 10);
  EXPECT_EQ(t.dram_write_bytes, 18);
  EXPECT_EQ(t.bound, Bound::kCompute);
  EXPECT_DOUBLE_EQ(t.utilization, 9.0 / 112.0);
  // The array schedule is the largest done + lat_out, here the earlier, wider tile's:
  // max(3 + 8, 5 + 1) = 11, not the last tile's 6.
  EXPECT_EQ(nibble::timing::array_schedule_cycles(g, a), 11);
  // os, 2 x 8, M = 2, N = 9, K = 1: the same two column folds, W = 1 < R = 2, both completing.
  // lat_pipe = 2R + C - 2 = 10; lat_out 10 and 3. Loaded = 0: tile 0 first 0, done 1; tile 1
  // waits for tile 0's drain: first max(0, 1, 1 + R - W = 2) = 2, done 3. max(1 + 10, 3 + 3) = 11.
  EXPECT_EQ(nibble::timing::array_schedule_cycles(gemm(2, 9, 1), arch(2, 8, Dataflow::kOs, 64, 0)),
            11);
}

// The array schedule on an 8 x 8 array (default config otherwise: 256 KiB buffers hold every
// streamed operand of these shapes, so each column fold has one block). The expected cycles
// were measured with nibble cosim on rtl/nibble_mac_array.sv, an independent implementation of
// the array (its cycles of one repeat, first input to last result). Derived by hand, R = C = 8,
// lat_pipe = 14 (ws/is) or 22 (os), lat_out = lat_pipe - (8 - cu):
//  - ws 20 x 24 x 40: K = 40 in 5 row folds, N = 24 in 3 column folds (cu = 8), M = 20: 15
//    tiles of W = 20 >= R, each first at the previous done: done = 8 + 15 * 20 = 308; + 14 = 322.
//  - ws 3 x 5 x 17: K = 17 in row folds of 8, 8, 1, N = 5 (cu = 5), M = 3: 3 tiles of W = 3 < R,
//    paced by the preloads: first 8, 16, 24, last done 27; lat_out = 14 - 3 = 11: 38.
//  - ws 33 x 16 x 9: K = 9 in 2 row folds, N = 16 in 2 column folds, 4 tiles of W = 33:
//    done = 8 + 4 * 33 = 140; + 14 = 154.
//  - os 20 x 24 x 40: M = 20 in 3 row folds, N = 24 in 3 column folds, K = 40 in one chunk: 9
//    tiles of W = 40 >= R, no drain wait: done = 9 * 40 = 360; + 22 = 382.
//  - os 3 x 5 x 17: one tile, ru = 3, cu = 5, W = 17: 17 + (22 - 3) = 36.
//  - os 33 x 16 x 9: 5 row folds x 2 column folds, 10 tiles of W = 9 >= R: 90 + 22 = 112.
//  - is 20 x 24 x 40: K = 40 in 5 row folds, M = 20 in column folds of 8, 8, 4, N = 24: 15 tiles
//    of W = 24, last done 8 + 15 * 24 = 368, cu = 4: lat_out 10: 378 (the last cu = 8 tile,
//    done 248, is out at 262).
//  - is 3 x 5 x 17: K = 17 (8, 8, 1), M = 3 (cu = 3), N = 5: first 8, 16, 24, last done 29;
//    lat_out = 14 - 5 = 9: 38.
//  - is 33 x 16 x 9: K = 9 (8, 1), M = 33 in column folds 8, 8, 8, 8, 1, N = 16: 10 tiles of
//    W = 16, last done 8 + 10 * 16 = 168, cu = 1: lat_out 7: 175.
//  - 1 x 1 x 1: ws/is first 8, done 9, lat_out 14 - 7 = 7: 16; os done 1, lat_out 22 - 7: 16.
TEST(RealisticByHand, ArrayScheduleMatchesTheRtl) {
  struct Case {
    Dataflow df;
    int64_t m, n, k, cycles;
  };
  const Case cases[] = {
      {Dataflow::kWs, 20, 24, 40, 322}, {Dataflow::kWs, 3, 5, 17, 38},
      {Dataflow::kWs, 33, 16, 9, 154},  {Dataflow::kWs, 1, 1, 1, 16},
      {Dataflow::kOs, 20, 24, 40, 382}, {Dataflow::kOs, 3, 5, 17, 36},
      {Dataflow::kOs, 33, 16, 9, 112},  {Dataflow::kOs, 1, 1, 1, 16},
      {Dataflow::kIs, 20, 24, 40, 378}, {Dataflow::kIs, 3, 5, 17, 38},
      {Dataflow::kIs, 33, 16, 9, 175},  {Dataflow::kIs, 1, 1, 1, 16},
  };
  for (const Case& c : cases) {
    ArchSpec a = nibble::test::one_lane_arch();
    a.array.rows = 8;
    a.array.cols = 8;
    a.array.dataflow = c.df;
    a.mode = TimingMode::kRealistic;
    const GemmSpec g = gemm(c.m, c.n, c.k);
    EXPECT_EQ(nibble::timing::array_schedule_cycles(g, a), c.cycles) << describe(g, a);
  }
}

// --- Invariants -----------------------------------------------------------------------------

TEST(RealisticInvariants, TileMacsSumToTheGemm) {
  std::mt19937_64 rng(3);
  auto uni = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int i = 0; i < 300; ++i) {
    const GemmSpec g = gemm(uni(1, 500), uni(1, 500), uni(1, 500));
    ArchSpec a = arch(uni(1, 40), uni(1, 40), static_cast<Dataflow>(i % 3), 8, 10, uni(0, 1) == 1,
                      int64_t{1} << uni(0, 6));
    const auto plan = nibble::timing::plan_tiles(g, a);
    int64_t macs = 0, tiles = 0;
    nibble::timing::for_each_tile(g, a, plan, [&](const Tile& t) {
      macs += t.macs;
      ++tiles;
    });
    EXPECT_EQ(macs, g.m * g.n * g.k) << describe(g, a);
    EXPECT_EQ(nibble::timing::time_realistic(g, a).tiles, tiles) << describe(g, a);
    EXPECT_EQ(nibble::timing::time_realistic(g, a).macs, g.m * g.n * g.k) << describe(g, a);
  }
}

TEST(RealisticInvariants, ComputeCyclesAndTheOldSum) {
  // docs/timing.md, "Per-GEMM results": compute_cycles is the array rule's last done with every
  // operand in SRAM. Each tile's first wave follows the previous tile's done, and tile 0 (ws/is)
  // waits R for its preload, so it is never below the old sum of R (tile 0, or every tile
  // without double buffering; never for os) + ceil(waves / rate); when no tile streams fewer
  // than R cycles it is that sum exactly. stall_cycles is never negative.
  std::mt19937_64 rng(17);
  auto uni = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  int long_tiles = 0, short_tiles = 0;
  for (int i = 0; i < 600; ++i) {
    const auto& pair = kPairs[uni(0, std::size(kPairs) - 1)];
    const GemmSpec g =
        gemm(uni(1, 400), uni(1, 400), uni(1, 400), pair.first, pair.second, Format::kFp16);
    const auto df = static_cast<Dataflow>(i % 3);
    const ArchSpec a =
        arch(uni(1, 40), uni(1, 40), df, 8, uni(0, 200), uni(0, 1) == 1, int64_t{1} << uni(0, 8));
    const auto plan = nibble::timing::plan_tiles(g, a);
    int64_t old_sum = 0, tiles = 0, min_w = INT64_MAX;
    nibble::timing::for_each_tile(g, a, plan, [&](const Tile& t) {
      const bool preload = df != Dataflow::kOs && (tiles == 0 || !a.sram.double_buffered);
      old_sum += (preload ? a.array.rows : 0) + t.compute_cycles;
      min_w = std::min(min_w, t.compute_cycles);
      ++tiles;
    });
    const GemmTiming t = nibble::timing::time_realistic(g, a);
    const std::string where = describe(g, a);
    EXPECT_GE(t.stall_cycles, 0) << where;
    EXPECT_GE(t.compute_cycles, old_sum) << where;
    if (min_w >= a.array.rows) {
      EXPECT_EQ(t.compute_cycles, old_sum) << where;
      ++long_tiles;
    } else {
      ++short_tiles;
    }
  }
  EXPECT_GE(long_tiles, 50);
  EXPECT_GE(short_tiles, 50);
}

TEST(RealisticInvariants, FastDramLeavesComputePlusPipeline) {
  // At 10^6 bytes per cycle every non-empty transfer here takes ceil(bytes / bw) = 1 cycle
  // (docs/timing.md, transfer()): the first load and the last store show, the rest hide behind
  // the tiles. With zero latency and tiles far longer than the pipeline nothing else waits, and
  // the last tile's result is the last out: cycles = compute_cycles + lat_out + 2, where
  // lat_out = lat_pipe - (C - cu) for the last tile, whose cu = Sc - (Fc - 1) * C columns are
  // the last column fold's. Since every tile's done is at or after its ideal one, cycles is never
  // less than compute_cycles + that lat_out.
  const auto last_cu = [](int64_t sc, int64_t c) { return sc - ((sc + c - 1) / c - 1) * c; };
  int narrow = 0;
  for (Dataflow df : {Dataflow::kOs, Dataflow::kWs, Dataflow::kIs}) {
    for (int64_t r : {1, 4, 16, 32}) {
      const int64_t c = 40 - r;
      const ArchSpec a = arch(r, c, df, 1e6, 0, true, 1 << 20);
      const int64_t lat_pipe = df == Dataflow::kOs ? 2 * r + c - 2 : r + c - 2;
      const GemmSpec g = gemm(3000, 3000, 3000);
      const GemmTiming t = nibble::timing::time_realistic(g, a);
      // Sc is N (ws, os) or M (is): 3000 either way.
      const int64_t cu = last_cu(3000, c);
      narrow += cu < c ? 1 : 0;
      EXPECT_EQ(nibble::timing::plan_tiles(g, a).pipeline_latency, lat_pipe);
      EXPECT_EQ(t.cycles, t.compute_cycles + lat_pipe - (c - cu) + 2) << describe(g, a);
      EXPECT_EQ(t.bound, Bound::kCompute);
      // Every shape, even one whose tiles are shorter than the pipeline: the documented floor.
      for (const GemmSpec& small : {gemm(1, 1, 1), gemm(7, 3, 50), gemm(50, 1, 3)}) {
        const GemmTiming s = nibble::timing::time_realistic(small, a);
        const int64_t small_cu = last_cu(df == Dataflow::kIs ? small.m : small.n, c);
        EXPECT_GE(s.cycles, s.compute_cycles + lat_pipe - (c - small_cu)) << describe(small, a);
      }
    }
  }
  // 3000 = 76 * 39 + 36 = 83 * 36 + 12 (r = 1, 4): the last column fold is narrower.
  EXPECT_EQ(narrow, 6);
}

TEST(RealisticInvariants, DramReadsCoverTheFootprint) {
  // A and B are each read at least once. When everything fits (both reuse rules apply), each
  // is read exactly once; fp8 operands make every slice a whole number of bytes.
  std::mt19937_64 rng(11);
  auto uni = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int i = 0; i < 300; ++i) {
    const auto df = static_cast<Dataflow>(i % 3);
    const GemmSpec g4 = gemm(uni(1, 800), uni(1, 800), uni(1, 800), Format::kUint4);
    const ArchSpec small = arch(uni(1, 40), uni(1, 40), df, 16, 10, uni(0, 1) == 1, uni(1, 8));
    const int64_t foot4 = (g4.m * g4.k * 4 + 7) / 8 + (g4.k * g4.n * 4 + 7) / 8;
    EXPECT_GE(nibble::timing::time_realistic(g4, small).dram_read_bytes, foot4)
        << describe(g4, small);

    const GemmSpec g8 =
        gemm(uni(1, 800), uni(1, 800), uni(1, 800), Format::kFp8E4M3, Format::kFp8E5M2);
    const ArchSpec big = arch(uni(1, 40), uni(1, 40), df, 16, 10, uni(0, 1) == 1, 1 << 16);
    const GemmTiming t = nibble::timing::time_realistic(g8, big);
    const auto plan = nibble::timing::plan_tiles(g8, big);
    EXPECT_TRUE(plan.stream_resident && plan.stationary_resident) << describe(g8, big);
    EXPECT_EQ(t.dram_read_bytes, g8.m * g8.k + g8.k * g8.n) << describe(g8, big);
    const int64_t out_bytes = g8.m * g8.n * 2;  // fp16 C, written once
    EXPECT_EQ(t.dram_write_bytes, out_bytes) << describe(g8, big);
  }
}

TEST(RealisticInvariants, TinyBandwidthIsMemoryBound) {
  for (Dataflow df : {Dataflow::kOs, Dataflow::kWs, Dataflow::kIs}) {
    for (const GemmSpec& g : {gemm(256, 256, 256), gemm(1, 1, 1), gemm(1000, 3, 77),
                              gemm(64, 64, 64, Format::kFp16, Format::kFp16)}) {
      const ArchSpec a = arch(32, 32, df, 0.01, 0);
      const GemmTiming t = nibble::timing::time_realistic(g, a);
      EXPECT_EQ(t.bound, Bound::kMemory) << describe(g, a);
      EXPECT_GT(t.dram_busy_cycles, t.compute_cycles) << describe(g, a);
      EXPECT_GE(t.cycles, t.dram_busy_cycles) << describe(g, a);
    }
  }
}

TEST(RealisticInvariants, CyclesScaleWithRepeatExactly) {
  std::mt19937_64 rng(5);
  auto uni = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int i = 0; i < 100; ++i) {
    GemmSpec g = gemm(uni(1, 700), uni(1, 700), uni(1, 700), Format::kFp8E4M3, Format::kFp8E4M3);
    const ArchSpec a =
        arch(uni(1, 40), uni(1, 40), static_cast<Dataflow>(i % 3),
             std::exp2(static_cast<double>(uni(-1, 9))), uni(0, 500), uni(0, 1) == 1, uni(1, 300));
    const GemmTiming one = nibble::timing::time_realistic(g, a);
    g.repeat = uni(2, 1000);
    const GemmTiming many = nibble::timing::time_realistic(g, a);
    const std::string where = describe(g, a);
    EXPECT_EQ(many.cycles, one.cycles * g.repeat) << where;
    EXPECT_EQ(many.compute_cycles, one.compute_cycles * g.repeat) << where;
    EXPECT_EQ(many.stall_cycles, one.stall_cycles * g.repeat) << where;
    EXPECT_EQ(many.dram_read_bytes, one.dram_read_bytes * g.repeat) << where;
    EXPECT_EQ(many.dram_write_bytes, one.dram_write_bytes * g.repeat) << where;
    EXPECT_EQ(many.macs, one.macs * g.repeat) << where;
    EXPECT_EQ(many.tiles, one.tiles) << where;
    EXPECT_EQ(many.bound, one.bound) << where;
    EXPECT_DOUBLE_EQ(many.utilization, one.utilization) << where;
  }
}

TEST(RealisticInvariants, Fp16TakesFourTimesTheInt4Compute) {
  // os has no preload, and buffers this large hold the whole K in one chunk for both formats,
  // so every tile streams the same waves: ceil(w / 0.25) = 4 w against w. K >= 40 >= R: no tile
  // streams fewer than R cycles, so no drain paces the array and compute_cycles is the sum of
  // the tiles' cycles (docs/timing.md, "Per-GEMM results").
  std::mt19937_64 rng(9);
  auto uni = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int i = 0; i < 100; ++i) {
    const int64_t m = uni(1, 2000), n = uni(1, 2000), k = uni(40, 2000);
    ArchSpec a = arch(uni(1, 40), uni(1, 40), Dataflow::kOs, 64, 100, uni(0, 1) == 1, 1 << 16);
    a.pe.fp16_macs_per_cycle = 0.25;
    const GemmTiming t4 = nibble::timing::time_realistic(gemm(m, n, k), a);
    const GemmTiming t16 =
        nibble::timing::time_realistic(gemm(m, n, k, Format::kFp16, Format::kFp16), a);
    EXPECT_EQ(t16.compute_cycles, 4 * t4.compute_cycles) << describe(gemm(m, n, k), a);
    EXPECT_EQ(t16.tiles, t4.tiles);
    EXPECT_EQ(t16.macs, t4.macs);
  }
  // With a stationary preload (ws/is) only the streaming part scales: R cycles are paid once.
  for (Dataflow df : {Dataflow::kWs, Dataflow::kIs}) {
    ArchSpec a = arch(16, 16, df, 64, 100, true, 1 << 16);
    const GemmTiming t4 = nibble::timing::time_realistic(gemm(512, 512, 512), a);
    const GemmTiming t16 =
        nibble::timing::time_realistic(gemm(512, 512, 512, Format::kFp16, Format::kFp16), a);
    EXPECT_EQ(t16.compute_cycles - 16, 4 * (t4.compute_cycles - 16));
  }
}

// --- compat mode through time_gemm ----------------------------------------------------------

TEST(CompatTimeGemm, CyclesAreScaleSimTotalCycles) {
  std::mt19937_64 rng(13);
  auto uni = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int i = 0; i < 600; ++i) {
    const auto& pair = kPairs[uni(0, std::size(kPairs) - 1)];
    GemmSpec g = gemm(uni(1, 3000), uni(1, 3000), uni(1, 3000), pair.first, pair.second,
                      Format::kFp16, uni(1, 3));
    ArchSpec a = arch(uni(1, 40), uni(1, 40), static_cast<Dataflow>(i % 3), 0.5, 500);
    // os with a 1x1 array and K = 1 has 0 Total Cycles (docs: SCALE-Sim crashes there).
    if (a.array.dataflow == Dataflow::kOs && a.array.rows == 1 && a.array.cols == 1) {
      a.array.cols = 2;
    }
    a.mode = TimingMode::kCompat;
    const GemmTiming t = nibble::timing::time_gemm(g, a);
    const std::string where = describe(g, a);
    const int64_t want = ref::compat_cycles(g, a) * g.repeat;
    ASSERT_EQ(t.cycles, want) << where;
    EXPECT_EQ(t.tiles, ref::compat_folds(g, a)) << where;
    EXPECT_EQ(t.macs, g.m * g.n * g.k * g.repeat) << where;
    EXPECT_EQ(t.bound, Bound::kCompute) << where;
    EXPECT_EQ(t.dram_read_bytes, 0) << where;
    EXPECT_EQ(t.dram_write_bytes, 0) << where;
    EXPECT_EQ(t.stall_cycles, t.cycles - t.compute_cycles) << where;
    // Formats are ignored: rate 1 in the utilization.
    EXPECT_NEAR(t.utilization,
                static_cast<double>(t.macs) /
                    (static_cast<double>(want) * static_cast<double>(a.array.rows * a.array.cols)),
                1e-12 * t.utilization)
        << where;
  }
  // The mode switch: the same GEMM in realistic mode is time_realistic's answer.
  const GemmSpec g = gemm(100, 200, 300);
  const ArchSpec a = arch(8, 8, Dataflow::kWs, 4, 50);
  EXPECT_EQ(nibble::timing::time_gemm(g, a).cycles, nibble::timing::time_realistic(g, a).cycles);
}

}  // namespace

// The documented whole-cycle rule at a decimal rate: 21 / 0.7 is 30.000000000000004 in binary
// floating point, and the docs say it counts as 30 cycles (a rate of 0.7 means exactly 7/10).
TEST(RealisticRounding, DecimalRateMeansWhatItSays) {
  nibble::timing::ArchSpec a = nibble::test::one_lane_arch();
  a.array.rows = 1;
  a.array.cols = 1;
  a.array.dataflow = nibble::timing::Dataflow::kOs;
  a.pe.fp8_macs_per_cycle = 0.7;
  nibble::workload::GemmSpec g;
  g.m = 1;
  g.n = 1;
  g.k = 21;
  g.a = {nibble::num::Format::kFp8E4M3, 0};
  g.b = {nibble::num::Format::kFp8E4M3, 0};
  const auto t = nibble::timing::time_realistic(g, a);
  EXPECT_EQ(t.compute_cycles, 30);  // one tile of 21 waves, os has no preload
}
