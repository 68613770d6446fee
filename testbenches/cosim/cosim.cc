#include "testbenches/cosim/cosim.h"

#include <cstdio>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "model/energy/baseline.h"
#include "model/functional/tensors.h"
#include "model/numerics/grad_scale.h"
#include "model/report/run_report.h"
#include "model/sc/engine.h"
#include "model/sc/scale_unit.h"
#include "model/timing/int_math.h"
#include "model/timing/realistic.h"

namespace nibble::cosim {

namespace {

std::string where(const workload::GemmSpec& g) { return workload::gemm_where(g) + ": "; }

}  // namespace

double CosimRow::error_pct() const {
  if (model_cycles == 0) {
    return rtl_cycles == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  }
  return 100.0 * static_cast<double>(rtl_cycles - model_cycles) / static_cast<double>(model_cycles);
}

void check_cosim_input(const workload::Workload& w, const timing::ArchSpec& arch) {
  if (arch.mode != timing::TimingMode::kRealistic) {
    throw std::invalid_argument(
        "timing.mode: compat: the co-simulation tiles GEMMs as realistic timing does "
        "(timing.mode: realistic)");
  }
  if (!rtl_array_built(arch.array.rows, arch.array.cols, arch.pe.lanes)) {
    throw std::invalid_argument(
        rtl_array_not_built(arch.array.rows, arch.array.cols, arch.pe.lanes));
  }
  for (const workload::GemmSpec& g : w.gemms) {
    if (!num::is_4bit(g.a.format) || !num::is_4bit(g.b.format) ||
        (g.a.format == num::Format::kFp4 && g.b.format == num::Format::kFp4)) {
      throw std::invalid_argument(where(g) + "the RTL array multiplies 4-bit PE pairs only (a=" +
                                  workload::format_spec_name(g.a) +
                                  " b=" + workload::format_spec_name(g.b) + ")");
    }
    const bool out_ok = num::is_4bit(g.out.format) || g.out.format == num::Format::kFp16;
    if (!out_ok) {
      throw std::invalid_argument(where(g) + "the RTL scale unit has no " +
                                  workload::format_spec_name(g.out) + " output");
    }
  }
}

std::vector<uint16_t> rtl_outputs(RtlScaleUnit& unit, const workload::GemmSpec& g,
                                  const datapath::Accumulators& acc,
                                  const std::vector<num::Fp16>& scales, num::GradScaleState* grad) {
  const num::OutputSpec spec = sc::output_spec(g.out);
  if (g.out.format != num::Format::kFp4) {
    return unit.convert(acc, spec, scales);  // every repeat gives the same elements
  }
  // Every repeat computes the same accumulators, so it makes the same observation; the
  // elements are those of the last repeat, scaled by the factor before its update.
  num::GradScaleObservation observed;
  for (const num::Fp16 v : acc.values) {
    observed.observe(v);
  }
  num::GradScaleParams params;
  params.fp4_bias = spec.fp4.bias;
  for (int64_t rep = 0; rep + 1 < g.repeat; ++rep) {
    grad->update(g.name, observed, params);
  }
  std::vector<uint16_t> out = unit.convert(acc, spec, {grad->factor(g.name)});
  grad->update(g.name, observed, params);
  return out;
}

std::vector<CosimRow> run_cosim(const workload::Workload& w, const timing::ArchSpec& arch,
                                const std::vector<fn::GemmTensors>& tensors,
                                const RtlOptions& rtl_options) {
  check_cosim_input(w, arch);
  if (tensors.size() != w.gemms.size()) {
    throw std::invalid_argument("run_cosim: " + std::to_string(tensors.size()) + " tensors for " +
                                std::to_string(w.gemms.size()) + " GEMMs");
  }
  // The model: the SystemC engine, functional mode, on the same tensors.
  sc::EngineJob job;
  job.name = energy::kFourBitName;
  job.workload = &w;
  job.arch = arch;
  job.mode = sc::EngineMode::kFunctional;
  job.tensors = [&tensors](size_t i) { return tensors[i]; };
  const std::vector<sc::GemmResult> model = sc::run_engine({job}).front();

  // The RTL, GEMM after GEMM on one array.
  RtlArray array(arch.array.rows, arch.array.cols, arch.pe.lanes, rtl_options);
  RtlScaleUnit unit;
  num::GradScaleState grad;  // per GEMM name, as the model's scale unit keeps it
  std::vector<CosimRow> rows;
  for (size_t i = 0; i < w.gemms.size(); ++i) {
    const workload::GemmSpec& g = w.gemms[i];
    const fn::GemmTensors& t = tensors[i];
    const RtlGemm r = array.run(g, arch, t);
    const std::vector<uint16_t> out = rtl_outputs(unit, g, r.acc, t.scales, &grad);
    CosimRow row;
    row.gemm = &g;
    row.rtl_crc = fn::output_crc(out, g.out);
    row.model_crc = model[i].output_crc.value();
    row.rtl_cycles = timing::checked_mul(r.cycles, g.repeat);
    row.model_cycles = timing::checked_mul(timing::array_schedule_cycles(g, arch), g.repeat);
    row.model_total_cycles = model[i].timing.cycles;
    rows.push_back(row);
  }
  return rows;
}

std::string cosim_csv(const std::vector<CosimRow>& rows, const timing::ArchSpec& arch) {
  std::ostringstream out;
  out << "gemm,m,n,k,repeat,dataflow,a,b,out,rtl_crc,model_crc,match,rtl_cycles,model_cycles,"
         "error_pct,model_total_cycles\n";
  for (const CosimRow& r : rows) {
    const workload::GemmSpec& g = *r.gemm;
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.3f", r.error_pct());
    out << g.name << "," << g.m << "," << g.n << "," << g.k << "," << g.repeat << ","
        << timing::dataflow_name(arch.array.dataflow) << "," << workload::format_spec_name(g.a)
        << "," << workload::format_spec_name(g.b) << "," << workload::format_spec_name(g.out) << ","
        << report::crc_text(r.rtl_crc) << "," << report::crc_text(r.model_crc) << ","
        << (r.match() ? "true" : "false") << "," << r.rtl_cycles << "," << r.model_cycles << ","
        << pct << "," << r.model_total_cycles << "\n";
  }
  return out.str();
}

}  // namespace nibble::cosim
