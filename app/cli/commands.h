#pragma once
#include <functional>
#include <string>
#include <vector>

namespace ol::cli {

using Args = std::vector<std::string>;

struct Command {
    std::string name;
    std::string summary;
    std::function<int(const Args&)> run;
};

// Exit codes shared by every sub-command.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1; // bad file, run-time failure
constexpr int kExitUsage = 2;   // bad flags or parameters
constexpr int kExitCancelled = 130;

const std::vector<Command>& commands();
int runCli(int argc, char** argv);

} // namespace ol::cli
