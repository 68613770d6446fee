#include "model/sweep/plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "model/frontend/input_error.h"

namespace nibble::sweep {

namespace fs = std::filesystem;
using frontend::InputError;
using nlohmann::ordered_json;

namespace {

constexpr const char* kPlanFormat = "nibble-sweep-plan-1";

}  // namespace

std::string fnv1a_hex(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a offset basis and prime (64-bit)
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

int64_t chunk_count(const Plan& plan) {
  const auto n = static_cast<int64_t>(plan.points.size());
  return (n + plan.chunk_size - 1) / plan.chunk_size;
}

int64_t default_chunk_size(int64_t n, int64_t max_tasks) {
  if (n <= 0) {
    return 1;
  }
  int64_t size = std::max<int64_t>(1, std::llround(std::sqrt(static_cast<double>(n))));
  const int64_t floor_for_cap = (n + max_tasks - 1) / max_tasks;
  return std::max(size, floor_for_cap);
}

fs::path plan_path(const fs::path& dir) { return dir / "plan.json"; }
fs::path point_dir(const fs::path& dir, const Point& p) { return dir / "points" / p.id; }
fs::path failure_path(const fs::path& dir, const Point& p) {
  return dir / "failed" / (p.id + ".txt");
}

std::string plan_json(const Plan& plan) {
  ordered_json j;
  j["format"] = kPlanFormat;
  j["base_config"] = plan.base_config;
  j["axes"] = plan.axes;
  j["point_plots"] = plan.point_plots;
  j["chunk_size"] = plan.chunk_size;
  ordered_json points = ordered_json::array();
  for (const Point& p : plan.points) {
    points.push_back({{"id", p.id},
                      {"workload", p.workload},
                      {"trace_path", p.trace_path},
                      {"engine", p.engine},
                      {"energy_table", p.energy_table},
                      {"area_table", p.area_table},
                      {"overrides", p.overrides},
                      {"values", p.values}});
  }
  j["points"] = std::move(points);
  return j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Plan parse_plan(const std::string& text, const std::string& source) {
  Plan plan;
  try {
    const ordered_json j = ordered_json::parse(text);
    if (j.value("format", "") != kPlanFormat) {
      throw InputError(source, 0,
                       std::string("not a sweep plan (no \"format\": \"") + kPlanFormat +
                           "\"); was it written by this nibble's `nibble sweep`?");
    }
    plan.base_config = j.at("base_config").get<std::string>();
    plan.axes = j.at("axes").get<std::vector<std::string>>();
    plan.point_plots = j.at("point_plots").get<bool>();
    plan.chunk_size = j.at("chunk_size").get<int64_t>();
    if (plan.chunk_size < 1) {
      throw InputError(source, 0, "chunk_size must be at least 1");
    }
    for (const ordered_json& e : j.at("points")) {
      Point p;
      p.id = e.at("id").get<std::string>();
      p.workload = e.at("workload").get<std::string>();
      p.trace_path = e.at("trace_path").get<std::string>();
      p.engine = e.at("engine").get<std::string>();
      p.energy_table = e.at("energy_table").get<std::string>();
      p.area_table = e.at("area_table").get<std::string>();
      p.overrides = e.at("overrides").get<std::vector<std::string>>();
      p.values = e.at("values").get<std::vector<std::string>>();
      if (p.values.size() != plan.axes.size()) {
        throw InputError(source, 0,
                         "point " + p.id + " has " + std::to_string(p.values.size()) +
                             " axis values for " + std::to_string(plan.axes.size()) + " axes");
      }
      plan.points.push_back(std::move(p));
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(source, 0, std::string("not a valid sweep plan: ") + e.what());
  }
  return plan;
}

Plan read_plan(const fs::path& dir) {
  const fs::path path = plan_path(dir);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(
        path.string(), 0,
        "cannot open the sweep plan; is " + dir.string() + " a folder written by `nibble sweep`?");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_plan(ss.str(), path.string());
}

std::vector<std::string> run_arguments(const Plan& plan, const Point& p, const fs::path& dir) {
  std::vector<std::string> args;
  if (!p.trace_path.empty()) {
    args.insert(args.end(), {"--trace", p.trace_path});
  }
  if (!plan.base_config.empty()) {
    args.insert(args.end(), {"--config", plan.base_config});
  }
  for (const std::string& o : p.overrides) {
    args.insert(args.end(), {"--set", o});
  }
  if (!p.energy_table.empty()) {
    args.insert(args.end(), {"--energy", p.energy_table});
  }
  if (!p.area_table.empty()) {
    args.insert(args.end(), {"--area", p.area_table});
  }
  args.insert(args.end(), {"--engine", p.engine, "-o", point_dir(dir, p).string(), "--quiet"});
  if (!plan.point_plots) {
    args.emplace_back("--no-plots");
  }
  return args;
}

}  // namespace nibble::sweep
