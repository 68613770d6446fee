#include "model/energy/tables.h"

#include "model/builtin/builtin.h"

namespace nibble::energy {

Tables load_tables(const std::string& energy_path, const std::string& area_path) {
  const builtin::File& default_energy = builtin::default_energy_table();
  const builtin::File& default_area = builtin::default_area_table();
  Tables t;
  t.energy_path = energy_path.empty() ? default_energy.path : energy_path;
  t.area_path = area_path.empty() ? default_area.path : area_path;
  t.energy = energy_path.empty()
                 ? EnergyTable::parse(default_energy.content,
                                      std::string("<built-in> ") + default_energy.path)
                 : EnergyTable::read_file(energy_path);
  t.area = area_path.empty() ? AreaTable::parse(default_area.content,
                                                std::string("<built-in> ") + default_area.path)
                             : AreaTable::read_file(area_path);
  return t;
}

}  // namespace nibble::energy
