// The energy table reader (model/energy/energy.h, docs/energy.md): EnergyTable::parse on the
// input as a table's text. A table it accepts has every row the model reads, so pricing an
// (empty) run on each PE of a default run, and the SRAM curve at a few sizes, must not throw.
#include <cstddef>
#include <cstdint>

#include "model/energy/energy.h"
#include "model/timing/arch_spec.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nibble;
  energy::EnergyTable table;
  bool parsed = false;
  fuzz::expect_clean([&] {
    table = energy::EnergyTable::parse(fuzz::text_of(data, size), "fuzz.csv");
    parsed = true;
  });
  if (!parsed) {
    return 0;
  }
  const timing::ArchSpec arch;
  for (const energy::PeDesign pe :
       {energy::PeDesign{energy::PeKind::kInt4, arch.pe.lanes},
        energy::PeDesign{energy::PeKind::kFp16, 1}, energy::PeDesign{energy::PeKind::kFp16Dot, 4},
        energy::PeDesign{energy::PeKind::kHfp8, 1}}) {
    energy::energy_of(timing::ActionCounts{}, table, pe, 1.0, arch.sram);
  }
  for (const int64_t kib : {int64_t{1}, int64_t{64}, int64_t{4096}, int64_t{1} << 30}) {
    energy::sram_bit_pj(table, "read_bit", kib, 1);
    energy::sram_bit_pj(table, "write_bit", kib, 16);
  }
  energy::chunk_pj(table, 16);
  table.unused_rows();
  return 0;
}
