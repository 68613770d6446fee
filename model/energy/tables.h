// The energy and area tables a run reads (the CLI's commands, the Python module's run): the
// files given (--energy, --area), or the built-in copies of configs/energy/default_45nm.csv and
// configs/area/default_45nm.csv.
#ifndef NIBBLE_MODEL_ENERGY_TABLES_H_
#define NIBBLE_MODEL_ENERGY_TABLES_H_

#include <string>

#include "model/energy/energy.h"

namespace nibble::energy {

struct Tables {
  std::string energy_path;  // as reports name it: the file, or the built-in's path
  std::string area_path;
  EnergyTable energy;
  AreaTable area;
};

// Reads and checks both tables (an empty path: the built-in one); a malformed table is a
// frontend::InputError naming its file and line.
Tables load_tables(const std::string& energy_path, const std::string& area_path);

}  // namespace nibble::energy

#endif  // NIBBLE_MODEL_ENERGY_TABLES_H_
