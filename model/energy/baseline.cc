#include "model/energy/baseline.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

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
  a.pe.fp16_macs_per_cycle = 1.0;  // an FP16 PE does one FP16 MAC per cycle
  a.pe.fp8_macs_per_cycle = 1.0;
  return a;
}

timing::ArchSpec fp16_array_iso_area(const timing::ArchSpec& four_bit, const AreaTable& area) {
  timing::ArchSpec a = fp16_array_iso_pe(four_bit);
  const double s = std::sqrt(pe_area_um2(area, PeKind::kInt4) / pe_area_um2(area, PeKind::kFp16));
  const auto scaled = [&](int64_t n) {
    return std::max<int64_t>(1, static_cast<int64_t>(std::floor(static_cast<double>(n) * s)));
  };
  a.array.rows = scaled(four_bit.array.rows);
  a.array.cols = scaled(four_bit.array.cols);
  return a;
}

ArrayRun run_array(const workload::Workload& w, const timing::ArchSpec& arch, PeKind pe,
                   const EnergyTable& table) {
  ArrayRun run;
  run.arch = arch;
  run.pe = pe;
  run.timings.reserve(w.gemms.size());
  run.energy.reserve(w.gemms.size());
  for (const workload::GemmSpec& g : w.gemms) {
    try {
      run.timings.push_back(timing::time_gemm(g, arch));
    } catch (const std::overflow_error& e) {
      throw std::overflow_error(g.where.file + ":" + std::to_string(g.where.line) + ": gemm '" +
                                g.name + "' on the " + std::to_string(arch.array.rows) + "x" +
                                std::to_string(arch.array.cols) + " array: " + e.what());
    }
    run.energy.push_back(energy_of(run.timings.back().actions, table, pe));
  }
  return run;
}

Comparison compare_with_fp16(const workload::Workload& w, const timing::ArchSpec& four_bit,
                             const EnergyTable& table, const AreaTable& area) {
  Comparison c;
  const workload::Workload base = fp16_baseline_workload(w);
  c.four_bit = run_array(w, four_bit, PeKind::kInt4, table);
  c.fp16_iso_pe = run_array(base, fp16_array_iso_pe(four_bit), PeKind::kFp16, table);
  c.fp16_iso_area = run_array(base, fp16_array_iso_area(four_bit, area), PeKind::kFp16, table);
  c.pe_area_4bit_um2 = pe_area_um2(area, PeKind::kInt4);
  c.pe_area_fp16_um2 = pe_area_um2(area, PeKind::kFp16);
  return c;
}

}  // namespace nibble::energy
