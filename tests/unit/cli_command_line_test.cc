// The command-line parser (cli/command_line.h): what parses, exit codes and
// the error messages, without running any command.
#include "cli/command_line.h"

#include <memory>

#include "cli/commands.h"
#include "gtest/gtest.h"

namespace onnxsmith::cli {
namespace {

ParseResult Parse(const std::vector<std::string>& args) {
  return OnnxsmithCommandLine()->Parse(args);
}

TEST(CommandLineTest, FlagNamesHaveBothSpellings) {
  EXPECT_EQ(FlagNames("saved-model"), "--saved-model,--saved_model");
  EXPECT_EQ(FlagNames("output"), "--output");
}

TEST(CommandLineTest, EditDistance) {
  EXPECT_EQ(EditDistance("output", "ouptut"), 2);
  EXPECT_EQ(EditDistance("", "abc"), 3);
  EXPECT_EQ(EditDistance("check-dims", "check-dims"), 0);
}

TEST(CommandLineTest, CommandsParse) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"convert", "--saved_model", "d", "--output", "o.onnx", "--signature-def", "s"},
           {"convert", "--graphdef", "m.pb", "--output=o.onnx", "--inputs", "x:0[1,2]",
            "--inputs", "y:0", "--check=false", "--no_optimize", "--quiet"},
           {"optimize", "a.onnx", "b.onnx", "--check", "--check_dims", "N=3"},
           {"optimize", "--list_passes"},
           {"run", "m.onnx", "--input", "x=x.npy", "--input", "y=y.npy", "--output_dir", "d"},
           {"inspect", "m.onnx", "--max-items", "3"},
           {"version"}}) {
    ParseResult r = Parse(args);
    EXPECT_TRUE(r.run) << args[0] << ": " << r.err;
    EXPECT_EQ(r.command, args[0]);
    EXPECT_EQ(r.exit_code, 0);
  }
  EXPECT_TRUE(Parse({"inspect", "m.onnx", "--quiet"}).quiet);
}

TEST(CommandLineTest, UsageErrorsExit2) {
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  for (const Case& c : std::vector<Case>{
           {{"convert", "--frobnicate"}, "onnxsmith convert: error: unknown flag --frobnicate\n"},
           {{"convert", "--ouptut", "x"},
            "onnxsmith convert: error: unknown flag --ouptut (did you mean --output?)\n"},
           {{"convert", "--list-passes"},
            "onnxsmith convert: error: unknown flag --list-passes (a flag of optimize)\n"},
           {{"convert", "--output", "o.onnx"},
            "onnxsmith convert: error: give exactly one of --graphdef, --saved-model, --keras\n"},
           {{"optimize", "a.onnx"},
            "onnxsmith optimize: error: give IN.onnx OUT.onnx (or --list-passes)\n"},
           {{"frob"},
            "onnxsmith: error: unknown command 'frob'; `onnxsmith --help` lists the commands\n"},
       }) {
    ParseResult r = Parse(c.args);
    EXPECT_FALSE(r.run);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, c.err);
  }
  ParseResult r = Parse({"convert", "--graphdef", "m", "--output", "o", "--opset", "abc"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("onnxsmith convert: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("abc"), std::string::npos) << r.err;
}

TEST(CommandLineTest, HelpAndVersion) {
  ParseResult help = Parse({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("commands:"), std::string::npos);
  ParseResult version = Parse({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, VersionLine() + "\n");
  EXPECT_EQ(VersionLine().rfind("onnxsmith 0.", 0), 0u) << VersionLine();
  ParseResult none = Parse({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("commands:"), std::string::npos);
}

// Code calls a command with its options struct, no argv.
TEST(CommandLineTest, CommandsRunWithoutArgv) {
  ConvertOptions options;
  EXPECT_FALSE(CheckConvertUsage(options).ok());
  options.graphdef = "m.pb";
  options.output = "o.onnx";
  EXPECT_TRUE(CheckConvertUsage(options).ok());
  options.inputs = {"x:0[1,2],y:0", "z:0"};
  auto converter_options = ToConverterOptions(options);
  ASSERT_TRUE(converter_options.ok()) << converter_options.status();
  EXPECT_EQ(converter_options->inputs.size(), 3u);
}

}  // namespace
}  // namespace onnxsmith::cli
