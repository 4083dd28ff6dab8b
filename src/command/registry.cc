#include "command/registry.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "common/check.h"

namespace tresor::command {
namespace {

bool IsHelpFlag(const std::string& arg) {
  return arg == "-h" || arg == "-help" || arg == "--h" || arg == "--help";
}

bool IsVersionFlag(const std::string& arg) {
  return arg == "-v" || arg == "-version" || arg == "--v" || arg == "--version";
}

std::string Join(const std::vector<std::string>& words, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out += ' ';
    out += words[i];
  }
  return out;
}

size_t WordCount(const std::string& name) {
  return static_cast<size_t>(std::count(name.begin(), name.end(), ' ')) + 1;
}

}  // namespace

void CommandRegistry::Register(std::string name, std::string synopsis, Factory factory) {
  TRESOR_CHECK(factory != nullptr);
  TRESOR_CHECK(!entries_.contains(name));
  entries_.emplace(std::move(name), Entry{std::move(synopsis), std::move(factory)});
}

void CommandRegistry::RegisterGroup(std::string name, std::string synopsis) {
  TRESOR_CHECK(!entries_.contains(name));
  entries_.emplace(std::move(name), Entry{std::move(synopsis), nullptr});
}

std::string CommandRegistry::ListingFor(const std::string& group) const {
  const std::string prefix = group.empty() ? "" : group + " ";
  const size_t depth = group.empty() ? 1 : WordCount(group) + 1;
  std::vector<std::pair<std::string, std::string>> children;
  size_t width = 0;
  for (const auto& [name, entry] : entries_) {
    if (!name.starts_with(prefix) || WordCount(name) != depth) continue;
    std::string short_name = name.substr(prefix.size());
    width = std::max(width, short_name.size());
    children.emplace_back(std::move(short_name), entry.synopsis);
  }
  std::string out =
      group.empty() ? "Usage: tresor <command> [args]\n\nCommands:\n"
                    : "Usage: tresor " + group + " <subcommand> [options] [args]\n\nSubcommands:\n";
  for (const auto& [name, synopsis] : children) {
    out += "    " + name + std::string(width - name.size() + 4, ' ') + synopsis + "\n";
  }
  return out;
}

int CommandRegistry::Dispatch(const std::vector<std::string>& args, CommandIo& io) const {
  if (args.empty()) {
    io.err << ListingFor("");
    return kExitUnknownCommand;
  }
  if (IsHelpFlag(args[0])) {
    io.out << ListingFor("");
    return kExitOk;
  }
  if (IsVersionFlag(args[0])) {
    if (auto it = entries_.find("version"); it != entries_.end() && it->second.factory) {
      return RunCommand(it->first, it->second, {}, io);
    }
  }
  size_t max_words = 0;
  for (const auto& [name, entry] : entries_) max_words = std::max(max_words, WordCount(name));
  for (size_t words = std::min(max_words, args.size()); words >= 1; --words) {
    auto it = entries_.find(Join(args, words));
    if (it == entries_.end()) continue;
    std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(words), args.end());
    if (it->second.factory) return RunCommand(it->first, it->second, rest, io);
    // A group: list its subcommands; asked-for help is a success.
    if (!rest.empty() && IsHelpFlag(rest[0])) {
      io.out << ListingFor(it->first);
      return kExitOk;
    }
    io.err << ListingFor(it->first);
    return kExitError;
  }
  io.err << ListingFor("");
  return kExitUnknownCommand;
}

int CommandRegistry::RunCommand(const std::string& name, const Entry& entry,
                                const std::vector<std::string>& args, CommandIo& io) const {
  std::unique_ptr<Command> command = entry.factory();
  FlagSet flags(name);
  command->DefineFlags(flags);
  Status parsed = flags.Parse(args);
  if (!parsed.ok()) {
    io.err << parsed.message() << "\nRun \"tresor " << name << " -help\" for usage.\n";
    return kExitUsage;
  }
  if (flags.HelpRequested()) {
    io.out << command->HelpWithFlags(flags);
    return kExitOk;
  }
  if (std::vector<std::string> late = flags.FlagsAfterArgs(); !late.empty()) {
    io.err << "Command flags must be provided before positional arguments. The following "
              "arguments will not be parsed as flags: [";
    for (size_t i = 0; i < late.size(); ++i) io.err << (i > 0 ? " " : "") << late[i];
    io.err << "]\n";
  }
  return command->Execute(flags, io);
}

int RunMain(const CommandRegistry& registry, int argc, char** argv) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  CommandIo io{std::cout, std::cerr, STDIN_FILENO};
  int code = registry.Dispatch(args, io);
  std::cout.flush();
  return code;
}

}  // namespace tresor::command
