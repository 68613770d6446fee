#include "model/energy/baseline.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

namespace nibble::energy {

namespace {

// The HFP8 counterpart of a 4-bit format (docs/energy.md, "The HFP8 baseline"): weights and
// activations E4M3, gradients E5M2; wider formats as they are.
workload::FormatSpec hfp8_format(const workload::FormatSpec& f) {
  switch (f.format) {
    case num::Format::kInt4:
    case num::Format::kUint4:
      return {num::Format::kFp8E4M3, 0};
    case num::Format::kFp4:
      return {num::Format::kFp8E5M2, 0};
    default:
      return f;
  }
}

}  // namespace

workload::Workload baseline_workload(const workload::Workload& w, PeKind kind) {
  workload::Workload out = w;
  const workload::FormatSpec fp16{num::Format::kFp16, 0};
  switch (kind) {
    case PeKind::kFp16:
    case PeKind::kFp16Dot:
      out.name = w.name + "_fp16";
      for (workload::GemmSpec& g : out.gemms) {
        g.a = fp16;
        g.b = fp16;
        g.out = fp16;
      }
      return out;
    case PeKind::kHfp8:
      out.name = w.name + "_hfp8";
      for (workload::GemmSpec& g : out.gemms) {
        g.a = hfp8_format(g.a);
        g.b = hfp8_format(g.b);
        g.out = hfp8_format(g.out);
      }
      return out;
    case PeKind::kInt4:
      break;
  }
  throw std::invalid_argument("baseline_workload: the 4-bit PE is no baseline");
}

PeDesign baseline_pe(PeKind kind, const timing::ArchSpec& four_bit) {
  switch (kind) {
    case PeKind::kFp16Dot:
      return PeDesign{kind, four_bit.baseline.fp16_dot_lanes};
    case PeKind::kFp16:
    case PeKind::kHfp8:
      return PeDesign{kind, 1};
    case PeKind::kInt4:
      break;
  }
  throw std::invalid_argument("baseline_pe: the 4-bit PE is no baseline");
}

timing::ArchSpec baseline_array(const timing::ArchSpec& four_bit, PeKind kind, Fit fit,
                                const AreaTable& area) {
  const PeDesign pe = baseline_pe(kind, four_bit);
  timing::ArchSpec a = four_bit;
  a.pe.lanes = pe.lanes;
  // Each lane of an FP16 PE does one FP16 (or FP8) MAC per cycle. The HFP8 PE does one FP8 MAC
  // per cycle, and an FP16 one at the configured PE's FP16 : FP8 rate (RaPiD's 1 : 2 by
  // default; docs/energy.md, "The HFP8 baseline").
  a.pe.fp8_macs_per_cycle = 1.0;
  a.pe.fp16_macs_per_cycle =
      kind == PeKind::kHfp8
          ? std::min(1.0, four_bit.pe.fp16_macs_per_cycle / four_bit.pe.fp8_macs_per_cycle)
          : 1.0;
  if (fit == Fit::kIsoArea) {
    const double s = std::sqrt(pe_area_um2(area, PeDesign{PeKind::kInt4, four_bit.pe.lanes}) /
                               pe_area_um2(area, pe));
    const auto scaled = [&](int64_t n) {
      return std::max<int64_t>(1, static_cast<int64_t>(std::floor(static_cast<double>(n) * s)));
    };
    a.array.rows = scaled(four_bit.array.rows);
    a.array.cols = scaled(four_bit.array.cols);
  }
  return a;
}

namespace {

struct KindNames {
  PeKind kind;
  const char* key;     // report.json key prefix
  const char* ratio;   // ratio suffix prefix
  const char* label;   // for people
  const char* short_;  // stdout column prefix
};
constexpr KindNames kKindNames[] = {
    {PeKind::kFp16, "fp16_", "", "FP16", ""},
    {PeKind::kFp16Dot, "fp16dot_", "dot_", "FP16-dot", "d"},
    {PeKind::kHfp8, "hfp8_", "hfp8_", "HFP8", "h"},
};

const KindNames& names_of(PeKind kind) {
  for (const KindNames& n : kKindNames) {
    if (n.kind == kind) {
      return n;
    }
  }
  throw std::invalid_argument("a baseline of the 4-bit PE");
}

}  // namespace

std::string Baseline::key() const {
  return std::string(names_of(kind).key) + (fit == Fit::kIsoPe ? "iso_pe" : "iso_area");
}

std::string Baseline::ratio_suffix() const {
  return std::string(names_of(kind).ratio) + (fit == Fit::kIsoPe ? "iso_pe" : "iso_area");
}

std::string Baseline::label() const {
  return std::string(names_of(kind).label) + (fit == Fit::kIsoPe ? " iso-PE" : " iso-area");
}

std::string Baseline::short_name() const {
  return std::string(names_of(kind).short_) + (fit == Fit::kIsoPe ? "PE" : "area");
}

std::vector<std::pair<PeKind, Fit>> baselines_for(const timing::ArchSpec& four_bit) {
  std::vector<std::pair<PeKind, Fit>> out = {{PeKind::kFp16, Fit::kIsoPe},
                                             {PeKind::kFp16, Fit::kIsoArea}};
  if (four_bit.mode == timing::TimingMode::kRealistic) {
    out.emplace_back(PeKind::kFp16Dot, Fit::kIsoPe);
    out.emplace_back(PeKind::kFp16Dot, Fit::kIsoArea);
  }
  out.emplace_back(PeKind::kHfp8, Fit::kIsoPe);
  out.emplace_back(PeKind::kHfp8, Fit::kIsoArea);
  return out;
}

const Baseline* Comparison::find(PeKind kind, Fit fit) const {
  for (const Baseline& b : baselines) {
    if (b.kind == kind && b.fit == fit) {
      return &b;
    }
  }
  return nullptr;
}

JobTimings time_analytic(const std::vector<ArrayJob>& jobs) {
  return time_analytic_reporting(jobs, {});
}

JobTimings time_analytic_reporting(const std::vector<ArrayJob>& jobs,
                                   const std::function<void(int64_t macs)>& on_gemm_done) {
  JobTimings out;
  out.reserve(jobs.size());
  for (const ArrayJob& job : jobs) {
    std::vector<timing::GemmTiming>& timings = out.emplace_back();
    timings.reserve(job.workload->gemms.size());
    for (const workload::GemmSpec& g : job.workload->gemms) {
      try {
        timings.push_back(timing::time_gemm(g, job.arch));
        if (on_gemm_done) {
          on_gemm_done(g.macs() * g.repeat);
        }
      } catch (const std::overflow_error& e) {
        throw std::overflow_error(workload::gemm_where(g) + " on the " +
                                  std::to_string(job.arch.array.rows) + "x" +
                                  std::to_string(job.arch.array.cols) + " array: " + e.what());
      }
    }
  }
  return out;
}

ArrayRun price_array(const workload::Workload& w, const timing::ArchSpec& arch, PeKind kind,
                     std::vector<timing::GemmTiming> timings, const EnergyTable& table,
                     const AreaTable& area) {
  ArrayRun run;
  run.arch = arch;
  run.pe = PeDesign{kind, arch.pe.lanes};
  run.pe_area_um2 = pe_area_um2(area, run.pe);
  const timing::SramSpec& sram = arch.sram;
  run.sram_area_um2 = sram_buffer_um2(area, sram.ifmap_kib, sram.banks) +
                      sram_buffer_um2(area, sram.filter_kib, sram.banks) +
                      sram_buffer_um2(area, sram.ofmap_kib, sram.banks);
  run.timings = std::move(timings);
  run.energy.reserve(w.gemms.size());
  for (const timing::GemmTiming& t : run.timings) {
    run.energy.push_back(energy_of(t.actions, table, run.pe, run.pe_area_um2, arch.sram));
  }
  return run;
}

Comparison compare_with_baselines(const workload::Workload& w, const timing::ArchSpec& four_bit,
                                  const EnergyTable& table, const AreaTable& area,
                                  const WorkloadTimer& timer) {
  const std::vector<std::pair<PeKind, Fit>> kinds = baselines_for(four_bit);
  // The baseline workloads, one per kind of PE (the FP16 PEs share theirs); each array's jobs
  // point into it.
  std::map<PeKind, workload::Workload> workloads;
  for (const auto& [kind, fit] : kinds) {
    const PeKind as = kind == PeKind::kFp16Dot ? PeKind::kFp16 : kind;
    if (workloads.count(as) == 0) {
      workloads.emplace(as, baseline_workload(w, as));
    }
  }
  const auto workload_of = [&](PeKind kind) -> const workload::Workload& {
    return workloads.at(kind == PeKind::kFp16Dot ? PeKind::kFp16 : kind);
  };
  // Each array's tile mapper ranks equal-cycle tilings by energy on its own PE.
  const auto mapped = [&](timing::ArchSpec arch, PeKind kind) {
    const PeDesign pe{kind, arch.pe.lanes};
    set_mapper_energy(arch, table, pe, pe_area_um2(area, pe));
    return arch;
  };
  std::vector<ArrayJob> jobs = {{kFourBitName, &w, mapped(four_bit, PeKind::kInt4)}};
  for (const auto& [kind, fit] : kinds) {
    Baseline named;
    named.kind = kind;
    named.fit = fit;
    jobs.push_back(
        {named.key(), &workload_of(kind), mapped(baseline_array(four_bit, kind, fit, area), kind)});
  }
  JobTimings t = timer(jobs);
  Comparison c;
  c.four_bit = price_array(w, jobs[0].arch, PeKind::kInt4, std::move(t[0]), table, area);
  c.four_bit.name = jobs[0].name;
  for (size_t i = 0; i < kinds.size(); ++i) {
    Baseline& b = c.baselines.emplace_back();
    b.kind = kinds[i].first;
    b.fit = kinds[i].second;
    b.run = price_array(workload_of(b.kind), jobs[i + 1].arch, b.kind, std::move(t[i + 1]), table,
                        area);
    b.run.name = jobs[i + 1].name;
  }
  return c;
}

}  // namespace nibble::energy
