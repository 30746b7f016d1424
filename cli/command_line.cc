#include "cli/command_line.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace onnxsmith::cli {
namespace {

// --help shows each flag under its first name only (the '-' spelling); the
// footer says '_' works too.
class Formatter : public CLI::Formatter {
 public:
  std::string make_option_name(const CLI::Option* opt, bool is_positional) const override {
    if (is_positional || opt->get_lnames().empty()) {
      return CLI::Formatter::make_option_name(opt, is_positional);
    }
    return "--" + opt->get_lnames()[0];
  }
};

// "--name=value" -> "--name".
std::string FlagOf(const std::string& arg) { return arg.substr(0, arg.find('=')); }

std::string Normalized(const std::string& flag) {
  return absl::StrReplaceAll(flag, {{"_", "-"}});
}

// The closest of `names` to `word` when close enough to be a typo.
std::string Closest(const std::string& word, const std::vector<std::string>& names) {
  std::string best;
  int best_distance = 0;
  for (const std::string& name : names) {
    const int d = EditDistance(Normalized(word), Normalized(name));
    if (best.empty() || d < best_distance) {
      best = name;
      best_distance = d;
    }
  }
  const int limit = std::clamp(static_cast<int>(word.size()) / 3, 1, 3);
  return best_distance <= limit ? best : "";
}

// Every long flag of `app`, first spelling, with dashes.
std::vector<std::string> LongFlags(const CLI::App* app) {
  std::vector<std::string> flags;
  for (const CLI::Option* opt : app->get_options()) {
    if (!opt->get_lnames().empty()) flags.push_back("--" + opt->get_lnames()[0]);
  }
  return flags;
}

bool HasFlag(const CLI::App* app, const std::string& flag) {
  for (const CLI::Option* opt : app->get_options()) {
    if (opt->check_name(flag)) return true;
  }
  return false;
}

}  // namespace

std::string FlagNames(const std::string& canonical) {
  const std::string underscore = absl::StrReplaceAll(canonical, {{"-", "_"}});
  return underscore == canonical ? "--" + canonical
                                 : absl::StrCat("--", canonical, ",--", underscore);
}

CLI::Option* AddRepeated(CLI::App* app, const std::string& canonical,
                         std::vector<std::string>* values, const std::string& help) {
  return app->add_option(FlagNames(canonical), *values, help)
      ->allow_extra_args(false)
      ->take_all();
}

int EditDistance(const std::string& a, const std::string& b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diagonal = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

CommandLine::CommandLine(std::string name, std::string usage, std::string version_line)
    : name_(std::move(name)),
      usage_(std::move(usage)),
      version_line_(std::move(version_line)),
      app_(usage_, name_) {
  app_.formatter(std::make_shared<Formatter>());
  // Inherited by every subcommand: a scalar flag given twice keeps the last
  // value (as absl flags did); repeated flags use AddRepeated.
  app_.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  // Exactly one command; a later positional that names another command is
  // the current command's argument (a file called "run"), not a second one.
  app_.require_subcommand(0, 1);
  app_.add_flag("--version", version_, "print the version and exit");
  app_.footer("Flags may be spelled with - or _ (--saved-model or --saved_model).");
}

void CommandLine::AddCommonFlags(CLI::App* sub) {
  sub->add_flag("--quiet", quiet_, "no progress output on stderr");
  sub->footer("Flags may be spelled with - or _ (--saved-model or --saved_model).");
}

std::string CommandLine::Prefix(const std::string& command) const {
  return command.empty() ? absl::StrCat(name_, ": error: ")
                         : absl::StrCat(name_, " ", command, ": error: ");
}

std::string CommandLine::UnknownArgument(const CLI::App* sub, const std::string& arg) const {
  if (arg.empty() || arg[0] != '-' || arg == "-") {
    if (sub == &app_) {
      std::vector<std::string> names;
      for (const Command& c : commands_) names.push_back(c.app->get_name());
      const std::string close = Closest(arg, names);
      return absl::StrCat("unknown command '", arg, "'",
                          close.empty() ? "" : absl::StrCat(" (did you mean '", close, "'?)"),
                          "; `", name_, " --help` lists the commands");
    }
    return absl::StrCat("unexpected argument '", arg, "'");
  }
  const std::string flag = FlagOf(arg);
  std::string text = absl::StrCat("unknown flag ", flag);
  const std::string close = Closest(flag, LongFlags(sub));
  if (!close.empty()) return absl::StrCat(text, " (did you mean ", close, "?)");
  std::vector<std::string> owners;
  for (const Command& c : commands_) {
    if (c.app != sub && HasFlag(c.app, flag)) owners.push_back(c.app->get_name());
  }
  if (!owners.empty()) {
    absl::StrAppend(&text, " (a flag of ", owners.front(), owners.size() > 1 ? ", ..." : "", ")");
  }
  return text;
}

ParseResult CommandLine::Parse(const std::vector<std::string>& args) {
  ParseResult result;
  result.exit_code = 2;
  if (args.empty()) {
    result.err = usage_ + "\n";
    return result;
  }
  // CLI11 takes the arguments reversed (it pops from the back).
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  const CLI::App* failed_in = &app_;
  try {
    app_.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    const std::vector<CLI::App*> subs = app_.get_subcommands();
    result.exit_code = 0;
    result.out = subs.empty() ? usage_ + "\n" : subs[0]->help();
    return result;
  } catch (const CLI::ParseError& e) {
    const std::vector<CLI::App*> subs = app_.get_subcommands();
    if (!subs.empty()) failed_in = subs[0];
    std::string message = e.what();
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
      std::vector<std::string> rest = failed_in->remaining();
      if (rest.empty()) {
        // Before the command (`onnxsmith --opset 13 convert`).
        failed_in = &app_;
        rest = app_.remaining();
      }
      if (!rest.empty()) message = UnknownArgument(failed_in, rest.front());
    } else if (dynamic_cast<const CLI::ConversionError*>(&e) != nullptr) {
      // CLI11 says "Could not convert: --opset = abc".
      const std::string text = message.substr(message.find(':') + 1);
      const size_t eq = text.find(" = ");
      if (eq != std::string::npos) {
        message = absl::StrCat("bad value '", text.substr(eq + 3), "' for", text.substr(0, eq));
      }
    }
    result.command = failed_in == &app_ ? "" : failed_in->get_name();
    result.err = absl::StrCat(Prefix(result.command), message, "\n");
    return result;
  }
  if (version_) {
    result.exit_code = 0;
    result.out = version_line_ + "\n";
    return result;
  }
  const std::vector<CLI::App*> subs = app_.get_subcommands();
  if (subs.empty()) {
    result.err = usage_ + "\n";
    return result;
  }
  result.command = subs[0]->get_name();
  for (const Command& c : commands_) {
    if (c.app != subs[0]) continue;
    if (c.check) {
      absl::Status usage = c.check();
      if (!usage.ok()) {
        result.err = absl::StrCat(Prefix(result.command), usage.message(), "\n");
        return result;
      }
    }
    result.run = true;
    result.exit_code = 0;
    result.quiet = quiet_;
    result.action = c.run;
  }
  return result;
}

int CommandLine::Main(const std::vector<std::string>& args, QuietHook quiet_hook) {
  ParseResult parsed = Parse(args);
  std::fputs(parsed.out.c_str(), stdout);
  std::fputs(parsed.err.c_str(), stderr);
  if (!parsed.run) return parsed.exit_code;
  if (quiet_hook != nullptr) quiet_hook(parsed.quiet);
  const absl::Status status = parsed.action();
  if (!status.ok()) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s%s\n", Prefix(parsed.command).c_str(),
                 std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}

}  // namespace onnxsmith::cli
