#include "core/host_info.h"

#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace tresor::core {
namespace {

using nlohmann::json;

std::string TrimmedText(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  std::size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  return text.substr(start);
}

// "key : value" lines of /proc/cpuinfo, one map per processor.
std::vector<std::map<std::string, std::string>> CpuInfoBlocks() {
  std::vector<std::map<std::string, std::string>> blocks;
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::map<std::string, std::string> current;
  while (std::getline(in, line)) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) {
      if (!current.empty()) blocks.push_back(std::move(current));
      current.clear();
      continue;
    }
    current[TrimmedText(line.substr(0, colon))] = TrimmedText(line.substr(colon + 1));
  }
  if (!current.empty()) blocks.push_back(std::move(current));
  return blocks;
}

long long ToInt(const std::string& text) {
  try {
    return std::stoll(text);
  } catch (...) {
    return 0;
  }
}

double ToDouble(const std::string& text) {
  try {
    return std::stod(text);
  } catch (...) {
    return 0;
  }
}

json Cpus() {
  json cpus = json::array();
  for (auto& block : CpuInfoBlocks()) {
    std::vector<std::string> flags;
    std::istringstream words(block["flags"]);
    for (std::string flag; words >> flag;) flags.push_back(flag);
    cpus.push_back({{"cpu", ToInt(block["processor"])},
                    {"vendorId", block["vendor_id"]},
                    {"family", block["cpu family"]},
                    {"model", block["model"]},
                    {"stepping", ToInt(block["stepping"])},
                    {"physicalId", block["physical id"]},
                    {"coreId", block["core id"]},
                    {"cores", ToInt(block["cpu cores"])},
                    {"modelName", block["model name"]},
                    {"mhz", ToDouble(block["cpu MHz"])},
                    {"cacheSize", ToInt(block["cache size"])},
                    {"flags", flags},
                    {"microcode", block["microcode"]}});
  }
  return cpus;
}

// The "cpu" line of /proc/stat, in seconds, as gopsutil's cpu.Times.
json CpuTimes(long long* boot_time, long long* processes) {
  std::ifstream in("/proc/stat");
  json times = json::array();
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name;
    fields >> name;
    if (name == "cpu") {
      static constexpr const char* kNames[] = {"user", "nice",  "system", "idle",  "iowait",
                                               "irq",  "softirq", "steal", "guest", "guestNice"};
      json total = {{"cpu", "cpu-total"}};
      for (const char* field : kNames) {
        long long value = 0;
        fields >> value;
        total[field] = static_cast<double>(value) / ticks;
      }
      times.push_back(std::move(total));
    } else if (name == "btime") {
      fields >> *boot_time;
    }
  }
  // Vault's host.procs counts every process, not just running ones.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.empty() && std::isdigit(static_cast<unsigned char>(name[0]))) ++*processes;
  }
  return times;
}

// Real, mounted filesystems (not proc, sysfs, cgroup and the like).
json Disks() {
  static const std::set<std::string> kVirtual = {
      "proc",    "sysfs",   "cgroup",  "cgroup2",    "devpts",   "mqueue", "debugfs",
      "tracefs", "securityfs", "pstore", "bpf",     "configfs", "fusectl", "hugetlbfs",
      "autofs",  "binfmt_misc", "nsfs", "devtmpfs", "rpc_pipefs", "overlay"};
  std::ifstream in("/proc/mounts");
  json disks = json::array();
  std::set<std::string> seen;
  std::string device, path, fstype, rest;
  while (in >> device >> path >> fstype && std::getline(in, rest)) {
    if (kVirtual.contains(fstype) || !seen.insert(path).second) continue;
    struct statvfs stat {};
    if (::statvfs(path.c_str(), &stat) != 0 || stat.f_blocks == 0) continue;
    const double block = static_cast<double>(stat.f_frsize);
    const double total = static_cast<double>(stat.f_blocks) * block;
    const double free = static_cast<double>(stat.f_bavail) * block;
    const double used = total - static_cast<double>(stat.f_bfree) * block;
    const double inodes = static_cast<double>(stat.f_files);
    const double inodes_free = static_cast<double>(stat.f_ffree);
    disks.push_back({{"path", path},
                     {"fstype", fstype},
                     {"total", total},
                     {"free", free},
                     {"used", used},
                     {"usedPercent", used + free > 0 ? 100.0 * used / (used + free) : 0.0},
                     {"inodesTotal", inodes},
                     {"inodesUsed", inodes - inodes_free},
                     {"inodesFree", inodes_free},
                     {"inodesUsedPercent", inodes > 0 ? 100.0 * (inodes - inodes_free) / inodes
                                                      : 0.0}});
  }
  return disks;
}

json Memory() {
  std::ifstream in("/proc/meminfo");
  std::map<std::string, double> kb;
  std::string name;
  double value = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    if (fields >> name >> value) {
      if (!name.empty() && name.back() == ':') name.pop_back();
      kb[name] = value * 1024;
    }
  }
  if (kb.empty()) return nullptr;
  const double total = kb["MemTotal"];
  const double available = kb["MemAvailable"];
  const double used = total - available;
  return {{"total", total},          {"available", available},
          {"used", used},            {"usedPercent", total > 0 ? 100.0 * used / total : 0.0},
          {"free", kb["MemFree"]},   {"active", kb["Active"]},
          {"inactive", kb["Inactive"]}, {"buffers", kb["Buffers"]},
          {"cached", kb["Cached"]},  {"swapTotal", kb["SwapTotal"]},
          {"swapFree", kb["SwapFree"]}, {"shared", kb["Shmem"]}};
}

std::string FirstLine(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return TrimmedText(line);
}

// PRETTY_NAME-style facts of /etc/os-release.
std::map<std::string, std::string> OsRelease() {
  std::map<std::string, std::string> out;
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    out[line.substr(0, eq)] = value;
  }
  return out;
}

json Host(long long boot_time, long long processes) {
  struct utsname names {};
  ::uname(&names);
  char hostname[256] = {};
  ::gethostname(hostname, sizeof hostname - 1);
  auto os = OsRelease();
  const double uptime = ToDouble(FirstLine("/proc/uptime"));
  return {{"hostname", hostname},
          {"uptime", static_cast<long long>(uptime)},
          {"bootTime", boot_time},
          {"procs", processes},
          {"os", "linux"},
          {"platform", os["ID"]},
          {"platformFamily", os["ID_LIKE"].empty() ? os["ID"] : os["ID_LIKE"]},
          {"platformVersion", os["VERSION_ID"]},
          {"kernelVersion", names.release},
          {"kernelArch", names.machine},
          {"virtualizationSystem", ""},
          {"virtualizationRole", ""},
          {"hostid", FirstLine("/etc/machine-id")}};
}

}  // namespace

StatusOr<json> ReadHostInfo(Clock::TimePoint now) {
  long long boot_time = 0, processes = 0;
  json info = {{"cpu", Cpus()},
               {"cpu_times", CpuTimes(&boot_time, &processes)},
               {"disk", Disks()},
               {"memory", Memory()},
               {"timestamp", FormatRfc3339(now)}};
  info["host"] = Host(boot_time, processes);
  if (info["cpu"].empty() && info["cpu_times"].empty() && info["memory"].is_null()) {
    return IOError("cannot read the host's facts from /proc");
  }
  return info;
}

}  // namespace tresor::core
