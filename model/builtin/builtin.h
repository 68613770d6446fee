// Files compiled into the nibble binary, so that `nibble run` with no arguments works from any
// folder: the default workload and the default energy and area tables. The build copies them
// from the repository (traces/, configs/); tests check that the copies equal the files.
#ifndef NIBBLE_MODEL_BUILTIN_BUILTIN_H_
#define NIBBLE_MODEL_BUILTIN_BUILTIN_H_

#include <string>

namespace nibble::builtin {

struct File {
  const char* path;     // repository path it was copied from, for messages and reports
  const char* content;  // the file's text
};

const File& default_trace();         // traces/resnet18_train_b32.trace
const File& default_energy_table();  // configs/energy/default_45nm.csv
const File& default_area_table();    // configs/area/default_45nm.csv

}  // namespace nibble::builtin

#endif  // NIBBLE_MODEL_BUILTIN_BUILTIN_H_
