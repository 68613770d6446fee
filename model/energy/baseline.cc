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

timing::ArchSpec fp16_array_iso_pe(const timing::ArchSpec& four_bit) {
  timing::ArchSpec a = four_bit;
  a.pe.lanes = 1;                  // one FP16 FMA per PE, whatever the 4-bit PE's lanes
  a.pe.fp16_macs_per_cycle = 1.0;  // an FP16 PE does one FP16 MAC per cycle
  a.pe.fp8_macs_per_cycle = 1.0;
  return a;
}

timing::ArchSpec fp16_array_iso_area(const timing::ArchSpec& four_bit, const AreaTable& area) {
  timing::ArchSpec a = fp16_array_iso_pe(four_bit);
  const double s = std::sqrt(pe_area_um2(area, PeDesign{PeKind::kInt4, four_bit.pe.lanes}) /
                            pe_area_um2(area, PeDesign{PeKind::kFp16, 1}));
  const auto scaled = [&](int64_t n) {
    return std::max<int64_t>(1, static_cast<int64_t>(std::floor(static_cast<double>(n) * s)));
  };
  a.array.rows = scaled(four_bit.array.rows);
  a.array.cols = scaled(four_bit.array.cols);
  return a;
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
  run.timings = std::move(timings);
  run.energy.reserve(w.gemms.size());
  for (const timing::GemmTiming& t : run.timings) {
    run.energy.push_back(energy_of(t.actions, table, run.pe, run.pe_area_um2));
  }
  return run;
}

Comparison compare_with_fp16(const workload::Workload& w, const timing::ArchSpec& four_bit,
                             const EnergyTable& table, const AreaTable& area,
                             const WorkloadTimer& timer) {
  Comparison c;
  const workload::Workload base = fp16_baseline_workload(w);
  const timing::ArchSpec iso_pe = fp16_array_iso_pe(four_bit);
  const timing::ArchSpec iso_area = fp16_array_iso_area(four_bit, area);
  JobTimings t = timer({{&w, four_bit}, {&base, iso_pe}, {&base, iso_area}});
  c.four_bit = price_array(w, four_bit, PeKind::kInt4, std::move(t[0]), table, area);
  c.fp16_iso_pe = price_array(base, iso_pe, PeKind::kFp16, std::move(t[1]), table, area);
  c.fp16_iso_area = price_array(base, iso_area, PeKind::kFp16, std::move(t[2]), table, area);
  c.pe_area_4bit_um2 = c.four_bit.pe_area_um2;
  c.pe_area_fp16_um2 = c.fp16_iso_pe.pe_area_um2;
  return c;
}

}  // namespace nibble::energy
