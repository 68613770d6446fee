// The area table reader (model/energy/energy.h, docs/energy.md): AreaTable::parse on the input
// as a table's text. A table it accepts has every row the model reads, so the area of each PE
// of a default run and of SRAM buffers of a few sizes must not throw.
#include <cstddef>
#include <cstdint>

#include "model/energy/energy.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nibble;
  energy::AreaTable table;
  bool parsed = false;
  fuzz::expect_clean([&] {
    table = energy::AreaTable::parse(fuzz::text_of(data, size), "fuzz.csv");
    parsed = true;
  });
  if (!parsed) {
    return 0;
  }
  for (const energy::PeDesign pe :
       {energy::PeDesign{energy::PeKind::kInt4, 1}, energy::PeDesign{energy::PeKind::kInt4, 16},
        energy::PeDesign{energy::PeKind::kFp16, 1}, energy::PeDesign{energy::PeKind::kFp16Dot, 4},
        energy::PeDesign{energy::PeKind::kHfp8, 1}}) {
    energy::pe_area_um2(table, pe);
  }
  for (const int64_t kib : {int64_t{1}, int64_t{64}, int64_t{4096}, int64_t{1} << 30}) {
    energy::sram_buffer_um2(table, kib, 1);
    energy::sram_buffer_um2(table, kib, 16);
  }
  table.unused_components();
  return 0;
}
