// The onnxsmith command line: subcommands parsed by CLI11 into each command's
// options struct, then run. A command is one file with
//   CLI::App* AddXCommand(CLI::App& app, XOptions* options);  // its flags
//   absl::Status RunX(const XOptions& options);                // the work
// (and optionally a usage check), registered with one AddCommand call
// (OnnxsmithCommandLine in command_line.cc). Code and tests call RunX directly.
//
// Exit codes: 0 success (and --help/--version), 1 a runtime error
// (absl::Status from RunX), 2 a usage error: unknown command or flag, missing
// or extra argument, value of the wrong type, or a failed usage check. Both
// errors print `onnxsmith CMD: error: ...` on stderr.
//
// CLI11 reports parse errors as exceptions; they are caught inside Parse and
// never leave this module.
#ifndef ONNXSMITH_CLI_COMMAND_LINE_H_
#define ONNXSMITH_CLI_COMMAND_LINE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"

namespace onnxsmith::cli {

// "--saved-model,--saved_model": a flag's name in both spellings (tf2onnx
// uses '_', the docs '-'), for CLI11's add_option/add_flag. `canonical` is
// spelled with '-' and without the leading dashes; the first name is the one
// --help and the did-you-mean hints show.
std::string FlagNames(const std::string& canonical);

// A flag that may be repeated (--inputs a --inputs b): every occurrence is
// kept, each with one value (a comma list stays one string for the command to
// split: shapes like x:0[1,2] hold commas).
CLI::Option* AddRepeated(CLI::App* app, const std::string& canonical,
                         std::vector<std::string>* values, const std::string& help);

// Sets the process-wide quiet mode of progress output (--quiet, every command).
using QuietHook = void (*)(bool quiet);

// The outcome of parsing: either a command to run or an exit code with the
// text to print (help, version, usage error).
struct ParseResult {
  bool run = false;
  int exit_code = 0;
  std::string out;  // for stdout (help)
  std::string err;  // for stderr (usage errors)
  std::string command;  // the subcommand, "" when none was given
  bool quiet = false;   // --quiet
  std::function<absl::Status()> action;  // when `run`
};

class CommandLine {
 public:
  // `usage`: the text of `onnxsmith`, `onnxsmith --help`.
  CommandLine(std::string name, std::string usage, std::string version_line);

  // Adds a subcommand (with --quiet and --help). `check`, when given, is the
  // usage check run after parsing: its error message is a usage error (exit 2).
  template <typename Options>
  void AddCommand(CLI::App* (*add)(CLI::App&, Options*), absl::Status (*run)(const Options&),
                  absl::Status (*check)(const Options&) = nullptr) {
    auto options = std::make_shared<Options>();
    CLI::App* sub = add(app_, options.get());
    Command command;
    command.app = sub;
    command.run = [options, run] { return run(*options); };
    if (check != nullptr) command.check = [options, check] { return check(*options); };
    AddCommonFlags(sub);
    commands_.push_back(std::move(command));
  }

  // `args`: the arguments after the program name.
  ParseResult Parse(const std::vector<std::string>& args);

  // Parse, print, run: the process's exit code.
  int Main(const std::vector<std::string>& args, QuietHook quiet_hook);

 private:
  struct Command {
    CLI::App* app = nullptr;
    std::function<absl::Status()> run;
    std::function<absl::Status()> check;
  };
  void AddCommonFlags(CLI::App* sub);
  std::string Prefix(const std::string& command) const;
  std::string UnknownArgument(const CLI::App* sub, const std::string& arg) const;

  std::string name_;
  std::string usage_;
  std::string version_line_;
  CLI::App app_;
  bool version_ = false;
  bool quiet_ = false;
  std::vector<Command> commands_;
};

// Levenshtein distance (the did-you-mean hints).
int EditDistance(const std::string& a, const std::string& b);

// onnxsmith's commands: convert, optimize, run, inspect, version.
std::unique_ptr<CommandLine> OnnxsmithCommandLine();

}  // namespace onnxsmith::cli

#endif  // ONNXSMITH_CLI_COMMAND_LINE_H_
