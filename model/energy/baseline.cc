#include "model/energy/baseline.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace nibble::energy {

workload::Workload fp16_baseline_workload(const workload::Workload& w) {
  workload::Workload out = w;
  out.name = w.name + "_fp16";
  const workload::FormatSpec fp16{num::Format::kFp16, 0};
  for (workload::GemmSpec& g : out.gemms) {
    g.a = fp16;
    g.b = fp16;
    g.out = fp16;
  }
  return out;
}

PeDesign fp16_pe(PeKind kind, const timing::ArchSpec& four_bit) {
  if (kind == PeKind::kFp16Dot) {
    return PeDesign{kind, four_bit.baseline.fp16_dot_lanes};
  }
  if (kind == PeKind::kFp16) {
    return PeDesign{kind, 1};
  }
  throw std::invalid_argument("fp16_pe: not an FP16 PE");
}

timing::ArchSpec fp16_array(const timing::ArchSpec& four_bit, PeKind kind, Fit fit,
                            const AreaTable& area) {
  const PeDesign pe = fp16_pe(kind, four_bit);
  timing::ArchSpec a = four_bit;
  a.pe.lanes = pe.lanes;
  a.pe.fp16_macs_per_cycle = 1.0;  // each lane of an FP16 PE does one FP16 MAC per cycle
  a.pe.fp8_macs_per_cycle = 1.0;
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

std::string Baseline::key() const {
  return std::string(kind == PeKind::kFp16Dot ? "fp16dot" : "fp16") +
         (fit == Fit::kIsoPe ? "_iso_pe" : "_iso_area");
}

std::string Baseline::ratio_suffix() const {
  return std::string(kind == PeKind::kFp16Dot ? "dot_" : "") +
         (fit == Fit::kIsoPe ? "iso_pe" : "iso_area");
}

std::string Baseline::label() const {
  return std::string(kind == PeKind::kFp16Dot ? "FP16-dot" : "FP16") +
         (fit == Fit::kIsoPe ? " iso-PE" : " iso-area");
}

std::vector<std::pair<PeKind, Fit>> baselines_for(const timing::ArchSpec& four_bit) {
  std::vector<std::pair<PeKind, Fit>> out = {{PeKind::kFp16, Fit::kIsoPe},
                                             {PeKind::kFp16, Fit::kIsoArea}};
  if (four_bit.mode == timing::TimingMode::kRealistic) {
    out.emplace_back(PeKind::kFp16Dot, Fit::kIsoPe);
    out.emplace_back(PeKind::kFp16Dot, Fit::kIsoArea);
  }
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
  JobTimings out;
  out.reserve(jobs.size());
  for (const ArrayJob& job : jobs) {
    std::vector<timing::GemmTiming>& timings = out.emplace_back();
    timings.reserve(job.workload->gemms.size());
    for (const workload::GemmSpec& g : job.workload->gemms) {
      try {
        timings.push_back(timing::time_gemm(g, job.arch));
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

Comparison compare_with_fp16(const workload::Workload& w, const timing::ArchSpec& four_bit,
                             const EnergyTable& table, const AreaTable& area,
                             const WorkloadTimer& timer) {
  const workload::Workload base = fp16_baseline_workload(w);
  const std::vector<std::pair<PeKind, Fit>> kinds = baselines_for(four_bit);
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
    jobs.push_back({named.key(), &base, mapped(fp16_array(four_bit, kind, fit, area), kind)});
  }
  JobTimings t = timer(jobs);
  Comparison c;
  c.four_bit = price_array(w, jobs[0].arch, PeKind::kInt4, std::move(t[0]), table, area);
  c.four_bit.name = jobs[0].name;
  for (size_t i = 0; i < kinds.size(); ++i) {
    Baseline& b = c.baselines.emplace_back();
    b.kind = kinds[i].first;
    b.fit = kinds[i].second;
    b.run = price_array(base, jobs[i + 1].arch, b.kind, std::move(t[i + 1]), table, area);
    b.run.name = jobs[i + 1].name;
  }
  return c;
}

}  // namespace nibble::energy
