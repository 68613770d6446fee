#include "model/sc/accelerator.h"

#include <string>

namespace nibble::sc {

Accelerator::Accelerator(const sc_core::sc_module_name& name, const EngineJob& job, size_t index,
                         const EngineOptions& options, sc_core::sc_trace_file* trace)
    : sc_core::sc_module(name) {
  const bool waves = trace != nullptr;
  const timing::ArchSpec& arch = job.arch;
  array_busy_ = std::make_unique<TimedSignal<bool>>("array_busy", waves);
  array_stall_ = std::make_unique<TimedSignal<bool>>("array_stall", waves);
  dram_busy_ = std::make_unique<TimedSignal<bool>>("dram_busy", waves);
  scale_busy_ = std::make_unique<TimedSignal<bool>>("scale_busy", waves);
  gemm_index_ = std::make_unique<TimedSignal<int>>("gemm_index", waves);
  const bool db = arch.sram.double_buffered;
  ifmap_ = std::make_unique<Scratchpad>("ifmap", arch.sram.ifmap_kib, arch.sram.banks, db);
  filter_ = std::make_unique<Scratchpad>("filter", arch.sram.filter_kib, arch.sram.banks, db);
  ofmap_ = std::make_unique<Scratchpad>("ofmap", arch.sram.ofmap_kib, arch.sram.banks, db);
  dram_ = std::make_unique<Dram>("dram", arch.dram, dram_busy_.get());
  dma_ = std::make_unique<Dma>("dma", ifmap_.get(), filter_.get());
  dma_->dma2dram.bind(dram_->dma2dram);
  array_ = std::make_unique<MacArray>("mac_array", arch, job.mode, ifmap_.get(), filter_.get(),
                                      ofmap_.get(), array_busy_.get(), array_stall_.get(),
                                      options.threads);
  scale_ = std::make_unique<ScaleUnit>("scale_unit", scale_busy_.get());
  ControllerPorts ports;
  ports.dram = dram_.get();
  ports.dma = dma_.get();
  ports.ifmap = ifmap_.get();
  ports.filter = filter_.get();
  ports.ofmap = ofmap_.get();
  ports.array = array_.get();
  ports.scale = scale_.get();
  ports.gemm_index = gemm_index_.get();
  controller_ = std::make_unique<Controller>("controller", job, options, index, ports);
  if (waves) {
    const std::string prefix = std::string(basename()) + ".";
    sc_core::sc_trace(trace, array_busy_->signal(), prefix + "array_busy");
    sc_core::sc_trace(trace, array_stall_->signal(), prefix + "array_stall");
    sc_core::sc_trace(trace, dram_busy_->signal(), prefix + "dram_busy");
    sc_core::sc_trace(trace, scale_busy_->signal(), prefix + "scale_busy");
    sc_core::sc_trace(trace, gemm_index_->signal(), prefix + "gemm_index");
  }
}

}  // namespace nibble::sc
