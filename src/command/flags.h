// A Vault-style command-line flag parser, modelled on Go's `flag` package
// because that is what `vault` uses and what its users' scripts rely on:
//
//   -flag=v  --flag=v  -flag v  --flag v       (string, int, duration)
//   -flag  --flag  -flag=true|false|1|0|t|f     (bool; `-flag false` is NOT a
//                                                bool value, "false" becomes a
//                                                positional argument, as in Go)
//
// Parsing stops at the first positional argument, at a lone "-", or after
// "--" (which is consumed); everything from there on is positional, unless
// SetInterspersed(true) lets flags and positional arguments mix (then only
// "--" stops it). `-h`,
// `-help`, `--h` and `--help` request the command's help unless a flag of that
// name was defined.
//
// Who calls it: CommandRegistry (registry.h) builds one FlagSet per command
// run, the command binds its variables (Command::DefineFlags), then the
// registry calls Parse() on the command's arguments.
// Thread safety: none; a FlagSet belongs to the one command that runs it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tresor::command {

// Parses Go's duration syntax ("300ms", "1.5h", "2h45m", "-1s") and, like
// Vault's parseutil, a bare number as seconds ("30"). Returns InvalidArgument
// on anything else.
StatusOr<std::chrono::nanoseconds> ParseDuration(std::string_view text);

// Parses Go's strconv.ParseBool spellings: 1 t T TRUE true True, 0 f F FALSE
// false False. Returns InvalidArgument on anything else.
StatusOr<bool> ParseBool(std::string_view text);

class FlagSet {
 public:
  // `command_name` appears in error messages only.
  explicit FlagSet(std::string command_name);
  FlagSet(const FlagSet&) = delete;
  FlagSet& operator=(const FlagSet&) = delete;

  // Define a flag bound to *target, which is set to `default_value` now and
  // overwritten by Parse() when the flag is given. `target` must outlive the
  // FlagSet's Parse() call. Names are given without dashes; defining the same
  // name twice is a programming error (aborts).
  void String(std::string name, std::string* target, std::string default_value, std::string usage);
  void Int(std::string name, int64_t* target, int64_t default_value, std::string usage);
  void Bool(std::string name, bool* target, bool default_value, std::string usage);
  // A duration kept as the text the user typed (the server parses it too, so
  // it is forwarded verbatim); Parse() rejects text ParseDuration() rejects.
  void Duration(std::string name, std::string* target, std::string default_value,
                std::string usage);
  // A repeatable flag: every occurrence appends its value to *target (which
  // starts empty). With `split_commas`, "-policy=a,b" appends "a" and "b", as
  // Vault's StringSliceVar does; without it the value is kept whole, for
  // k=v values that may themselves contain commas.
  void StringList(std::string name, std::vector<std::string>* target, bool split_commas,
                  std::string usage);

  // With `interspersed`, Parse() reads flags after positional arguments too
  // ("FILE -key-file=K" as well as "-key-file=K FILE"), as the offline
  // operator commands have always accepted. Off by default: Vault's
  // commands stop at the first positional argument.
  void SetInterspersed(bool interspersed) { interspersed_ = interspersed; }

  // Parses `args` (the arguments after the command name).
  // On success, Args() holds the positional arguments, and HelpRequested()
  // tells whether -h/-help was seen (the command should print Usage() and
  // exit 0; remaining flags are not parsed). On a usage error returns
  // InvalidArgument with Go-like text ("flag provided but not defined: -x",
  // "flag needs an argument: -address", "invalid value \"x\" for flag
  // -key-shares: parse error"), and the command exits 2.
  Status Parse(const std::vector<std::string>& args);

  const std::vector<std::string>& Args() const { return args_; }
  bool HelpRequested() const { return help_requested_; }
  // True when Parse() saw the flag (as opposed to it holding its default).
  bool IsSet(std::string_view name) const;
  // The "-name" part of positional arguments after the first that look like
  // flags (Vault warns that these are not parsed as flags); the value after
  // '=' is left out since it may be a secret. Empty when there are none,
  // and always with SetInterspersed(true) (such flags were parsed).
  std::vector<std::string> FlagsAfterArgs() const;

  // The flag reference for help text: one entry per flag, sorted by name,
  // "  -name=<type>\n      usage text (default: x)\n".
  std::string Usage() const;

 private:
  enum class Kind { kString, kInt, kBool, kDuration, kList, kCommaList };
  struct Flag {
    Kind kind;
    void* target;
    std::string default_text;
    std::string usage;
    bool set = false;
  };

  void Define(std::string name, Kind kind, void* target, std::string default_text,
              std::string usage);
  Status Assign(const std::string& name, Flag& flag, std::string_view value);

  std::string command_name_;
  std::map<std::string, Flag, std::less<>> flags_;
  std::vector<std::string> args_;
  bool help_requested_ = false;
  bool interspersed_ = false;
};

}  // namespace tresor::command
